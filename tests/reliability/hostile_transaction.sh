#!/usr/bin/env bash
# The hostile user, family "transaction": another user who may create names around or inside a
# transaction root must never steer root's transaction (or its recovery) outside the root, at a
# file it chose, or into a hang. Each case is refused (a non-zero status, nothing changed) or
# goes through untouched by the plant.
#   - a symlink planted at the root's name in a sticky directory is not followed;
#   - in a root nobody owns: a symlinked directory, a FIFO where a file is expected, a staging
#     directory and journal nobody planted (naming new content of theirs for a file of root's);
#   - a journal edited to name a path outside the root is refused by recover;
#   - a FIFO nobody planted at the lock name of a sticky root, a symlink at that of theirs;
#   - a FIFO nobody planted as SOURCE and never writes, a root lock nobody holds: SIGTERM ends
#     root's wait at once, nothing changed;
#   - a symlink nobody planted as SOURCE, to a file only root may read: refused, while root's
#     own link there is followed;
#   - the careless user: a closed standard input, the transaction's own names as FILE, recover
#     as nobody on a root of root's.
source "$(dirname "$0")/lib.sh"
need_other_user
hostile_setup
for tool in atomic-commit atomic-recover; do
    [[ -x $ATOMFILE_TOOLS/$tool ]] || skip "$tool is not built"
    cp "$ATOMFILE_TOOLS/$tool" "$TOOLS/"
done
commit="$TOOLS/atomic-commit" recover="$TOOLS/atomic-recover"
src="$SCRATCH/src" victim="$SCRATCH/victim"
echo new >"$src"

# fresh: $victim (root's, 0755) holding secret = "precious".
fresh_victim() {
    rm -rf "$victim" && mkdir -m 755 "$victim" && echo precious >"$victim/secret"
}
precious() { grep -qx precious "$victim/secret"; }

# fails COMMAND...: COMMAND ends (within 10 s: no hang) with a non-zero status.
fails() {
    local status=0
    timeout -k 1 10 "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || status=$?
    if ((status == 0 || status == 124 || status == 137)); then
        echo "  exit $status: $(cat "$SCRATCH/out" "$SCRATCH/err")"
        return 1
    fi
}

# journal ROOT ENTRY...: a staging directory with a journal that is valid (version, checksum)
# and names ENTRY... ("write 0 new 6 secret"), as the transaction would write it.
journal() {
    local root=$1 text i c hash=-3750763034362895579  # FNV-1a 64 offset basis, as signed
    shift
    text=$'atomfile-transaction 1\nentries '"$#"$'\n'
    for entry in "$@"; do text+="$entry"$'\n'; done
    for ((i = 0; i < ${#text}; i++)); do
        printf -v c '%d' "'${text:i:1}"
        [[ ${text:i:1} == $'\n' ]] && c=10
        hash=$(((hash ^ c) * 1099511628211))
    done
    mkdir -p "$root/.atomfile-transaction"
    printf '%ssum %016x\n' "$text" "$hash" >"$root/.atomfile-transaction/journal"
}

case_root_symlink() {
    fresh_victim
    rm -f "$SHARED/app"
    as_nobody ln -s "$victim" "$SHARED/app"
    fails "$commit" "$SHARED/app" "secret=$src" && precious &&
        [[ ! -e $victim/.atomfile-transaction && ! -e $victim/.atomfile-transaction.lock ]]
}

# nobody_root: $SHARED/nob, nobody's, holding root's directory "etc" with root's file "conf".
nobody_root() {
    rm -rf "$SHARED/nob"
    as_nobody mkdir -m 755 "$SHARED/nob"
    mkdir -m 755 "$SHARED/nob/etc" && echo precious >"$SHARED/nob/etc/conf"
}

case_symlinked_directory() {
    fresh_victim
    nobody_root
    as_nobody ln -s "$victim" "$SHARED/nob/link"
    fails "$commit" "$SHARED/nob" "link/secret=$src" && precious
}

case_fifo_target() {
    nobody_root
    as_nobody mkfifo "$SHARED/nob/conf"
    fails "$commit" "$SHARED/nob" "conf=$src" && [[ -p $SHARED/nob/conf ]] &&
        fails "$commit" "$SHARED/nob" "etc/conf=$src" --expect "conf=$src" &&
        grep -qx precious "$SHARED/nob/etc/conf"
}

case_planted_journal() {
    nobody_root
    echo "nobody's content" >"$SCRATCH/planted"
    as_nobody mkdir -m 755 "$SHARED/nob/.atomfile-transaction"
    as_nobody cp "$SCRATCH/planted" "$SHARED/nob/.atomfile-transaction/new-0"
    chown -R 65534:65534 "$SHARED/nob/.atomfile-transaction"
    as_nobody bash -c "$(declare -f journal); journal '$SHARED/nob' 'write 0 new 8 etc/conf'"
    fails "$recover" "$SHARED/nob" && fails "$commit" "$SHARED/nob" "other=$src" &&
        grep -qx precious "$SHARED/nob/etc/conf" && grep -q refuse "$SCRATCH/err"
}

case_journal_outside_root() {
    fresh_victim
    rm -rf "$SCRATCH/root" && mkdir -m 755 "$SCRATCH/root"
    mkdir -m 700 "$SCRATCH/root/.atomfile-transaction"
    ln "$victim/secret" "$SCRATCH/root/.atomfile-transaction/old-0"
    journal "$SCRATCH/root" "remove 0 old 16 ../victim/secret"
    fails "$recover" "$SCRATCH/root" && precious &&
        [[ -f $SCRATCH/root/.atomfile-transaction/journal ]]
}

# A sticky root (mode 1777, root's) where nobody plants a FIFO at the lock name.
case_lock_fifo() {
    rm -rf "$SHARED/pub" && mkdir -m 1777 "$SHARED/pub" && echo precious >"$SHARED/pub/conf"
    as_nobody mkfifo -m 666 "$SHARED/pub/.atomfile-transaction.lock"
    fails "$commit" "$SHARED/pub" "conf=$src" && grep -qx precious "$SHARED/pub/conf"
}

# Nobody's root, where nobody plants a symlink at the lock name: root must not create or lock
# the file it points to (the kernel's protected_symlinks does not cover a directory without the
# sticky bit).
case_lock_symlink() {
    fresh_victim
    nobody_root
    as_nobody ln -s "$victim/created" "$SHARED/nob/.atomfile-transaction.lock"
    timeout -k 1 10 "$commit" "$SHARED/nob" "etc/conf=$src" >/dev/null 2>&1 &&
        [[ ! -e $victim/created && -f $SHARED/nob/.atomfile-transaction.lock ]] &&
        [[ ! -L $SHARED/nob/.atomfile-transaction.lock ]]
}

# The careless user: a closed standard input is not an empty file to commit.
case_closed_stdin() {
    fresh_victim
    fails "$commit" "$victim" "secret=-" <&- && precious
}

# The transaction's own names are not files to commit: the lock writers serialise on, the
# staging directory's journal.
case_own_names() {
    fresh_victim
    "$commit" "$victim" "secret=$SCRATCH/src" >/dev/null && echo precious >"$victim/secret" &&
        fails "$commit" "$victim" ".atomfile-transaction.lock=$src" &&
        fails "$commit" "$victim" ".atomfile-transaction/journal=$src" &&
        [[ ! -s $victim/.atomfile-transaction.lock && ! -e $victim/.atomfile-transaction ]] &&
        precious
}

# recover on a root nobody may not write, which never had a transaction: nothing to do, and
# nothing created (no lock file).
case_recover_foreign_root() {
    fresh_victim
    as_nobody "$recover" "$victim" >"$SCRATCH/out" 2>&1 &&
        grep -q "nothing to recover" "$SCRATCH/out" && [[ ! -e $victim/.atomfile-transaction.lock ]]
}

# interrupted COMMAND...: COMMAND, sent SIGTERM after 0.5 s, ends within 3 s with status 143.
interrupted() {
    local status=0
    "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" &
    local pid=$! i
    sleep 0.5
    kill -TERM "$pid"
    for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.02; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" || status=$?
    ((status == 143)) || echo "  exit $status: $(cat "$SCRATCH/out" "$SCRATCH/err")"
    ((status == 143))
}

# nobody plants a FIFO where root reads a SOURCE, and never writes it: root's commit waits for
# a writer, as cat would, but SIGTERM ends that wait (open(2) of the FIFO would not return),
# nothing changed, nothing staged, ROOT's lock given back.
case_planted_fifo_source() {
    fresh_victim
    rm -f "$SHARED/conf.new"
    as_nobody mkfifo -m 644 "$SHARED/conf.new"
    interrupted "$commit" "$victim" "secret=$SHARED/conf.new" && precious &&
        [[ $(ls -A "$victim") == $'.atomfile-transaction.lock\nsecret' ]] &&
        timeout 5 "$commit" --lock-timeout 1 "$victim" "other=$src" && [[ -f $victim/other ]]
}

# nobody holds the lock of their root (where root commits a file of root's): root's commit
# waits for it, and SIGTERM ends the wait at once, not after --lock-timeout.
case_held_lock_wait_interrupted() {
    nobody_root
    # setpriv itself, not as_nobody (a function: $! would be a subshell), so that $! is the
    # holder's pid once sh has become sleep.
    setpriv --reuid=65534 --regid=65534 --clear-groups \
        sh -c "exec 9>'$SHARED/nob/.atomfile-transaction.lock'; flock 9; exec sleep 20" &
    local holder=$!
    sleep 0.2
    interrupted "$commit" --lock-timeout inf "$SHARED/nob" "etc/conf=$src"
    local held=$?
    kill "$holder" 2>/dev/null
    wait "$holder" 2>/dev/null
    ((held == 0)) && grep -qx precious "$SHARED/nob/etc/conf" &&
        [[ ! -e $SHARED/nob/.atomfile-transaction ]]
}

# A file only root may read, and nobody's link to it as SOURCE: root's commit refuses it (exit
# status 1, the message names the link and why), nothing is written into ROOT.
key="$SCRATCH/key"
printf 'TOPSECRET\n' >"$key"
chmod 600 "$key"
case_planted_symlink_source() {
    fresh_victim
    rm -f "$SHARED/conf.new"
    as_nobody ln -s "$key" "$SHARED/conf.new"
    local status=0
    timeout 10 "$commit" "$victim" "copy=$SHARED/conf.new" 2>"$SCRATCH/err" || status=$?
    ((status == 1)) && [[ ! -e $victim/copy ]] && precious &&
        grep -qF "$SHARED/conf.new: open: refusing to follow a symlink" "$SCRATCH/err" ||
        { echo "  exit $status: $(cat "$SCRATCH/err")"; return 1; }
}

# root's own link in the same sticky directory is followed.
case_own_symlink_source() {
    fresh_victim
    rm -f "$SHARED/conf.new"
    ln -s "$key" "$SHARED/conf.new"
    timeout 10 "$commit" "$victim" "copy=$SHARED/conf.new" && grep -qx TOPSECRET "$victim/copy"
}

check "a symlink planted at the root's name in a sticky directory is not followed" case_root_symlink
check "a symlinked directory inside nobody's root is refused, not followed" case_symlinked_directory
check "a FIFO where a file is expected is refused without hanging" case_fifo_target
check "a staging directory and journal nobody planted are refused by recover and commit" \
    case_planted_journal
check "a journal naming a path outside the root is refused, the file untouched" \
    case_journal_outside_root
check "a FIFO planted at a sticky root's lock name is refused without hanging" case_lock_fifo
check "a symlink planted at the lock name in nobody's root is replaced, not followed" \
    case_lock_symlink
check "a closed standard input is refused, never committed as an empty file" case_closed_stdin
check "the lock file and the staging directory's names cannot be committed" case_own_names
check "recover as nobody on root's root without a transaction creates nothing, fails nothing" \
    case_recover_foreign_root
check "a FIFO planted as SOURCE and never written: SIGTERM ends the commit, nothing changed" \
    case_planted_fifo_source
check "a lock held by nobody: SIGTERM ends root's wait for it at once, nothing changed" \
    case_held_lock_wait_interrupted
check "a symlink nobody planted as SOURCE to a file only root may read is refused" \
    case_planted_symlink_source
check "root's own symlink as SOURCE in the sticky directory is followed" case_own_symlink_source
hostile_summary transaction
