#!/usr/bin/env bash
# Item 1 for the group writers: group_protocol.sh batch|transaction|control
# Records one commit with strace -f (the syncs run on a pool of threads) and checks its order
# with protocol_check --batch / --transaction, which judges order by the log's lines: a call is
# done where it returned ("<... fsync resumed>" for a split one), a rename counts from where it
# entered; descriptors are known by the path strace -y shows, which every thread shares.
#   batch        batch_writer group: one atomfile::Batch of 4 files in two directories. Checked:
#                each target's temp created exclusively (O_TMPFILE, or a named temp with O_EXCL
#                where O_TMPFILE is refused) in the target's own directory, never in $TMPDIR;
#                an fsync/fdatasync of that temp, begun after its last write, completed before
#                the rename that publishes it begins (docs/durability.md: the Batch's one
#                barrier is a per-file fsync on every file system, tmpfs included, where it is
#                a no-op that still runs); after the last rename into each directory, a
#                completed fsync of it (a syncfs through it or a file in it where the fsync
#                fails with EINVAL: FUSE) before the process exits; no target opened for writing.
#   transaction  transaction_writer commit: one atomfile::Transaction of 8 entries (6 files
#                replaced in ROOT and ROOT/sub, new/c created in a new directory, doomed removed).
#                With S = ROOT/.atomfile-transaction, J = S/journal (lib/src/transaction:
#                stage_write, commit_staged, sync_staged, write_journal, publish_all,
#                remove_staging), the order checked is:
#                  1. each new-N created with O_EXCL in S, old-N linked in S, J created with O_EXCL;
#                  2. every new-N synced after its last write, S synced after its last new
#                     entry (J's name included), and ROOT synced after S was made (S's name is
#                     in it), all completed before J's first write;
#                  3. J written, then fdatasync()ed, completed before the first change outside S
#                     (a rename of new-N over its target, the unlink of a removed file, a mkdir);
#                  4. every directory changed in 3 synced after its last change, completed
#                     before J is unlinked;
#                  5. S emptied with J unlinked last, then S removed (unsynced by design);
#                and nothing under ROOT outside S but the lock file opened for writing.
#   control      the checker must PASS the real traces of both and REJECT each edited copy for
#                its reason: a temp's sync removed, a rename moved before its temp's sync
#                completed, a directory fsync removed, a temp opened without O_TMPFILE or O_EXCL,
#                a target opened for writing, a file made in $TMPDIR (batch); a new-N's sync,
#                the staging directory's sync, the journal's sync, the root's sync or a
#                directory's fsync removed, a rename moved before the journal's sync completed
#                (transaction); and the real commits of both with Durability::none.
# The scratch directory is under TMPDIR (fs_matrix.sh puts it on each file system).
source "$(dirname "$0")/lib.sh"
need_strace
make_scratch
kind=${1:-}
[[ $kind =~ ^(batch|transaction|control)$ ]] ||
    fail "usage: group_protocol.sh batch|transaction|control"
bin=$RELIABILITY_BIN
scratch=$(realpath "$SCRATCH")
# The temps must never go to $TMPDIR: the checker refuses any file created there.
refused="$scratch/tmpdir"
mkdir "$refused"

# trace LOG COMMAND...: one run of COMMAND under strace, every thread, descriptors with paths.
trace() {
    local log=$1
    shift
    local calls=%file,%desc,%process,fsync,fdatasync,sync_file_range,syncfs
    calls+=",renameat,renameat2,linkat,?rename,?link"
    TMPDIR=$refused strace -f -y -qq -s 64 -o "$log" -e trace="$calls" "$@"
}

# --- The two commits -------------------------------------------------------------------------
batch_dir="$scratch/batch"
batch_paths=("$batch_dir/one/f0" "$batch_dir/two/f1" "$batch_dir/one/f2" "$batch_dir/two/f3")
record_batch() {
    local p
    rm -rf "$batch_dir" && mkdir -p "$batch_dir/one" "$batch_dir/two"
    # two/f3 is new: a file new to its directory is published by a link at its name.
    for p in "${batch_paths[@]:0:3}"; do echo "old $p" >"$p"; done
    trace "$1" "$bin/batch_writer" group new "${batch_paths[@]}" >/dev/null ||
        fail "the batch failed: see above"
    for p in "${batch_paths[@]}"; do
        [[ $(<"$p") == "new $p" ]] || fail "the batch did not write $p"
    done
    local left
    left=$(find "$batch_dir" -mindepth 2 ! -name 'f[0-9]' -printf '%P ')
    [[ -z $left ]] || fail "the batch left $left"
}
check_batch() {
    "$bin/protocol_check" --batch "$1" "$2" "$refused" "${batch_paths[@]}"
}

root="$scratch/transaction"
record_transaction() {
    rm -rf "$root" && mkdir -p "$root/sub"
    "$bin/transaction_writer" prepare "$root" old || fail "cannot write the old set"
    trace "$1" "$bin/transaction_writer" commit "$root" new 0 >/dev/null ||
        fail "the transaction failed: see above"
    local seen
    seen=$("$bin/transaction_writer" inspect "$root" old new | tr '\n' ' ')
    [[ $seen == "new no staging new left: " ]] || fail "the transaction left: $seen"
}
check_transaction() {
    "$bin/protocol_check" --transaction "$1" "$2" "$refused" "$root"
}

if [[ $kind == batch ]]; then
    record_batch "$scratch/trace"
    check_batch batch "$scratch/trace"
    exit
elif [[ $kind == transaction ]]; then
    record_transaction "$scratch/trace"
    check_transaction transaction "$scratch/trace"
    exit
fi

# --- Editing a recorded trace ----------------------------------------------------------------
# returned_at LOG N: the line where the call entered at line N returned (its "resumed" half).
returned_at() {
    awk -v n="$2" 'NR == n { tid = $1; if ($0 !~ /<unfinished \.\.\.>$/) { print NR; exit } }
        NR > n && $1 == tid && $2 == "<..." { print NR; exit }' "$1"
}

# drop LOG N...: LOG without the calls entered at lines N (both halves of a split one).
drop() {
    local log=$1 n lines=""
    shift
    for n in "$@"; do lines+=" $n $(returned_at "$log" "$n")"; done
    awk -v lines="$lines" 'BEGIN { split(lines, l, " "); for (i in l) gone[l[i]] = 1 }
        !(NR in gone)' "$log"
}

# move_before LOG AT N...: LOG with the lines N (in that order) moved to just before line AT.
move_before() {
    local log=$1 at=$2
    shift 2
    awk -v at="$at" -v lines="$*" '
        BEGIN { count = split(lines, l, " "); for (i = 1; i <= count; ++i) moved[l[i]] = i }
        { text[NR] = $0 }
        END {
            for (i = 1; i <= NR; ++i) {
                if (i == at) for (j = 1; j <= count; ++j) print text[l[j]]
                if (!(i in moved)) print text[i]
            }
        }' "$log"
}

# sync_lines LOG PATH [AFTER]: the lines (after line AFTER) where an fsync, fdatasync or syncfs
# of the descriptor strace shows as PATH enters; a syncfs through a file in PATH counts too.
sync_lines() {
    awk -v path="$2" -v after="${3:-0}" 'NR > after && $2 ~ /^(fsync|fdatasync|syncfs)\(/ {
            arg = substr($0, index($0, "<") + 1)
            arg = substr(arg, 1, index(arg, ">") - 1)
            dir = arg; sub(/\/[^\/]*$/, "", dir)
            if (arg == path || ($2 ~ /^syncfs/ && dir == path)) print NR
        }' "$1"
}

# first_call LOG NAME TEXT: the first line where a call NAME (a regular expression) that
# contains TEXT enters.
first_call() {
    awk -v name="^($2)\\(" -v text="$3" '$2 ~ name && index($0, text) { print NR; exit }' "$1"
}

# temp_of LOG DIR NAME: the path strace shows for the temp published at DIR/NAME, and the line
# of the linkat that named it (none for a temp created with its name).
temp_of() {
    local log=$1 dir=$2 name=$3 rename source link fd
    rename=$(first_call "$log" "renameat2?" "<$dir>, \"$name\")")
    source=$(sed -n "${rename}p" "$log" | cut -d'"' -f2)
    link=$(awk -v text="<$dir>, \"$source\"" '$2 ~ /^linkat\(/ && index($0, text) { print NR }' \
        "$log")
    if [[ -z $link ]]; then
        echo "$dir/$source" ""
        return
    fi
    fd=$(sed -n "${link}p" "$log" | sed -nE 's|.*"/proc/self/fd/([0-9]+)".*|\1|p')
    if [[ -n $fd ]]; then
        awk -v fd="$fd" -v link="$link" 'NR < link && $0 ~ /^[0-9]+ +openat\(.*O_TMPFILE/ &&
            index($0, ") = " fd "<") { p = substr($0, index($0, ") = " fd "<"))
            p = substr(p, index(p, "<") + 1); found = substr(p, 1, index(p, ">") - 1) }
            END { print found }' "$log"
    else
        sed -n "${link}p" "$log" | sed -nE 's/^[0-9]+ +linkat\([0-9]+<([^>]*)>.*/\1/p'
    fi | tr -d '\n'
    echo " $link"
}

# control_rejects LOG WHY CHECK...: CHECK must reject LOG, saying WHY.
control_rejects() {
    local log=$1 why=$2 verdict
    shift 2
    verdict=$("$@" "$log") && fail "the checker accepted a trace that should fail with: $why"
    grep -qF "FAIL: $why" <<<"$verdict" ||
        fail "the checker rejected the trace, but not for: $why; it said: $verdict"
    echo "protocol group control: rejected ($why): PASS"
    controls=$((controls + 1))
}

controls=0
real="$scratch/real" edited="$scratch/edited"
tid=""

# The Batch: the real trace passes, each edit is refused.
record_batch "$real"
check_batch "batch (the real trace)" "$real" || fail "the checker rejected a real batch commit"
read -r temp link < <(temp_of "$real" "$batch_dir/one" f0)
[[ -n $temp ]] || fail "cannot find the temp of one/f0 in the trace"
sync=$(sync_lines "$real" "$temp" | head -1)
[[ -n $sync ]] || fail "cannot find the sync of one/f0's temp in the trace"
drop "$real" "$sync" >"$edited"
control_rejects "$edited" "the temp of $batch_dir/one/f0 was not synced before its publication" \
    check_batch "batch (one/f0's sync removed)"

read -r temp link < <(temp_of "$real" "$batch_dir/two" f1)
sync=$(sync_lines "$real" "$temp" | head -1)
rename=$(first_call "$real" "renameat2?" "<$batch_dir/two>, \"f1\")")
[[ -n $sync && -n $rename ]] || fail "cannot find two/f1's sync and rename in the trace"
moved=("$rename")
[[ -n $link ]] && moved=("$link" "$rename")  # an O_TMPFILE's linkat goes with its rename
move_before "$real" "$(returned_at "$real" "$sync")" "${moved[@]}" >"$edited"
control_rejects "$edited" "the temp of $batch_dir/two/f1 was published before its sync completed" \
    check_batch "batch (two/f1 renamed before its sync returned)"

first_rename=$(first_call "$real" "renameat2?" "<$batch_dir/one>, \"f0\")")
mapfile -t syncs < <(sync_lines "$real" "$batch_dir/two" "$first_rename")
((${#syncs[@]} > 0)) || fail "cannot find the fsync of two/ in the trace"
drop "$real" "${syncs[@]}" >"$edited"
control_rejects "$edited" "directory $batch_dir/two was not synced after its last rename" \
    check_batch "batch (two/'s fsync removed)"

read -r temp link < <(temp_of "$real" "$batch_dir/one" f2)
create=$(first_call "$real" openat "<$temp>")
[[ -n $temp && -n $create ]] || fail "cannot find the creation of one/f2's temp in the trace"
sed "${create}s/|O_TMPFILE//; ${create}s/|O_EXCL//" "$real" >"$edited"
control_rejects "$edited" "the temp of $batch_dir/one/f2 was not created exclusively" \
    check_batch "batch (one/f2's temp opened without O_TMPFILE or O_EXCL)"

tid=$(head -1 "$real" | cut -d' ' -f1)
{ cat "$real"; echo "$tid openat(AT_FDCWD</>, \"$batch_dir/one/f2\", O_WRONLY|O_CLOEXEC) = 3</x>"; } \
    >"$edited"
control_rejects "$edited" "target opened with O_WRONLY" check_batch "batch (a target written)"
{
    head -2 "$real"
    echo "$tid openat(AT_FDCWD</>, \"$refused\", O_RDWR|O_CLOEXEC|O_TMPFILE, 0600) = 3</x>"
    tail -n +3 "$real"
} >"$edited"
control_rejects "$edited" "a file was created in the refused directory $refused" \
    check_batch "batch (a temp in TMPDIR)"

# A real commit that skips every sync (Durability::none), the power-cut tests' control.
trace "$edited" "$bin/batch_writer" "$batch_dir" 4 new none >/dev/null || fail "the batch failed"
control_rejects "$edited" "the temp of $batch_dir/one/f0 was not synced before its publication" \
    check_batch "batch (Durability::none)"

# The Transaction.
staging="$root/.atomfile-transaction"
record_transaction "$real"
check_transaction "transaction (the real trace)" "$real" ||
    fail "the checker rejected a real transaction"
journal_write=$(first_call "$real" "write|pwrite64" "<$staging/journal>, ")
[[ -n $journal_write ]] || fail "cannot find the journal's write in the trace"
sync=$(sync_lines "$real" "$staging/new-0" | head -1)
[[ -n $sync ]] || fail "cannot find the sync of new-0 in the trace"
drop "$real" "$sync" >"$edited"
control_rejects "$edited" "the staged new-0 was not synced before the journal was written" \
    check_transaction "transaction (new-0's sync removed)"

mapfile -t syncs < <(sync_lines "$real" "$staging")
drop "$real" "${syncs[@]}" >"$edited"
control_rejects "$edited" "the staging directory was not synced before the journal was written" \
    check_transaction "transaction (the staging directory's sync removed)"

made=$(first_call "$real" "mkdirat" "\".atomfile-transaction\"")
mapfile -t syncs < <(sync_lines "$real" "$root" "$made" | awk -v w="$journal_write" '$1 < w')
((${#syncs[@]} > 0)) || fail "cannot find the root's sync before the journal's write"
drop "$real" "${syncs[@]}" >"$edited"
control_rejects "$edited" \
    "the root was not synced after the staging directory was made, before the journal was written" \
    check_transaction "transaction (the root's sync removed)"

mapfile -t syncs < <(sync_lines "$real" "$staging/journal")
drop "$real" "${syncs[@]}" >"$edited"
control_rejects "$edited" "the journal was not synced" \
    check_transaction "transaction (the journal's sync removed)"

rename=$(first_call "$real" "renameat2?" "<$staging>, \"new-0\", ")
move_before "$real" "$(returned_at "$real" "${syncs[0]}")" "$rename" >"$edited"
control_rejects "$edited" "$root/f0 was renamed before the journal was synced" \
    check_transaction "transaction (f0 renamed before the journal's sync returned)"

mapfile -t syncs < <(sync_lines "$real" "$root/sub" "$journal_write")
((${#syncs[@]} > 0)) || fail "cannot find the fsync of sub/ in the trace"
drop "$real" "${syncs[@]}" >"$edited"
control_rejects "$edited" \
    "directory $root/sub was not synced after its changes before the journal was removed" \
    check_transaction "transaction (sub/'s fsync removed)"

rm -rf "$root" && mkdir -p "$root/sub"
"$bin/transaction_writer" prepare "$root" old || fail "cannot write the old set"
trace "$edited" "$bin/transaction_writer" commit "$root" none 0 none >/dev/null ||
    fail "the transaction failed"
control_rejects "$edited" "the journal was not synced" check_transaction \
    "transaction (Durability::none)"

echo "protocol group control: 2 real traces passed, $controls traces rejected (edited, or a" \
    "commit with Durability::none), each for its reason: PASS"
