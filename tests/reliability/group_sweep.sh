#!/usr/bin/env bash
# The group writers through the crash sweep and the fault matrix: group_sweep.sh MODE KIND
# KIND batch: batch_writer group (one atomfile::Batch of 4 files in two directories);
# KIND transaction: transaction_writer commit (one atomfile::Transaction: 6 files replaced in two
# directories, one created in a new directory, one removed, over an old set).
# The system calls of one undisturbed commit are recorded, then the commit runs again once per
# call (a call is "the K-th of its NAME", strace's when=K):
#   MODE crash  killed with SIGKILL as it enters the call (strace inject NAME:signal=KILL:when=K).
#               Batch: every file whole, old or new; what is left is named temps only, and
#               remove_orphaned_temps removes them all. Transaction: after recover(), every file
#               old or every file new, and nothing left but the root's lock file.
#   fault       a file-related call of the scratch directory fails (NAME:error=E:when=K): to stay
#               within seconds each call fails once, with EIO, ENOSPC, EDQUOT, EXDEV, EACCES and
#               EPERM in turn, and every sync and rename with all six (GROUP_SWEEP_FULL=1: every
#               call with every error). The outcome must be the documented one
#               (lib/include/atomfile/batch.hpp, transaction.hpp), nothing may be left behind
#               (after recover(), for a transaction), and a failed sync is never a success.
# Both group commits sync their files from a pool of threads, which makes the K-th call of a name
# a different call from one run to the next; so every run but the threaded ones refuses the
# threads (clone3 and clone fail with EAGAIN) and the barrier runs on the caller's thread, the
# documented fallback. The threaded barrier runs too: killed, or every thread's first fsync failed
# with each error (strace -f counts calls per thread). The scratch directory is under TMPDIR
# (fs_matrix.sh puts it on each file system).
source "$(dirname "$0")/lib.sh"
need_strace
make_scratch
mode=$1 kind=$2
[[ $mode =~ ^(crash|fault)$ && $kind =~ ^(batch|transaction)$ ]] ||
    fail "usage: group_sweep.sh crash|fault batch|transaction"
full=${GROUP_SWEEP_FULL:-0}
errors=(EIO ENOSPC EDQUOT EXDEV EACCES EPERM)
serial=(-e inject=clone,clone3:error=EAGAIN)
relevant='^(openat|read|write|pwrite64|sync_file_range|copy_file_range|ftruncate|fallocate'
relevant+='|fsync|fdatasync|fchmod|fchown|fsetxattr|flistxattr|fgetxattr|linkat|renameat2?'
relevant+='|unlinkat|mkdirat|flock|close|newfstatat|statx|getrandom|getdents64)$'
never_tolerated='^(fsync|fdatasync|renameat2?)$'
every_error='^(fsync|fdatasync|renameat2?)$'
bin=$RELIABILITY_BIN

# --- The two writers: setup, run, and what they left ------------------------------------------
if [[ $kind == batch ]]; then
    dir="$SCRATCH/batch" scope="$SCRATCH/batch"
    shopt -s nullglob
    mkdir -p "$dir/one" "$dir/two"
    paths=("$dir/one/f0" "$dir/two/f1" "$dir/one/f2" "$dir/two/f3")
    # The old files, written plainly: a kill needs no durable old set.
    reset() {
        rm -f "$dir"/one/* "$dir"/two/* "$dir"/one/.[!.]* "$dir"/two/.[!.]*
        local p
        for p in "${paths[@]}"; do echo "old $p" >"$p"; done
    }
    writer() { "$@" "$bin/batch_writer" group new "${paths[@]}"; }
    # The checks use builtins only: a sweep runs them hundreds of times.
    # content PATH: the file's first line, or "" when it is missing.
    content() {
        line=""
        [[ -f $1 ]] && IFS= read -r line <"$1"
        return 0
    }
    # "old", "new" or "mixed" (each file whole), or "torn" naming a file that is neither.
    state() {
        local p olds=0 news=0
        for p in "${paths[@]}"; do
            content "$p"
            case $line in
                "old $p") olds=$((olds + 1)) ;;
                "new $p") news=$((news + 1)) ;;
                *) echo "torn ${p#"$dir/"}" && return ;;
            esac
        done
        if ((news == 0)); then echo old; elif ((olds == 0)); then echo new; else echo mixed; fi
    }
    new_files() {
        local p
        for p in "${paths[@]}"; do content "$p" && [[ $line == "new $p" ]] && echo "$p"; done
        return 0
    }
    # Every name in one/ and two/ but the batch's files.
    leftovers() {
        local p
        for p in "$dir"/one/.* "$dir"/one/* "$dir"/two/.* "$dir"/two/*; do
            [[ -e $p && ! $p =~ /\.\.?$ && ! $p =~ /f[0-9]$ ]] && echo "${p#"$dir/"}"
        done
        return 0
    }
    debris='^(one|two)/\.f[0-9]\.atomfile-[a-z0-9_]+$'
else
    root="$SCRATCH/transaction" scope="$SCRATCH/transaction" pristine="$SCRATCH/pristine"
    mkdir -p "$pristine/sub"
    "$bin/transaction_writer" prepare "$pristine" old || fail "cannot write the old set"
    # A copy of the old set, as transaction_writer prepare made it.
    reset() { rm -rf "$root" && cp -a "$pristine" "$root" || fail "cannot copy the old set"; }
    writer() { "$@" "$bin/transaction_writer" commit "$root" new 0; }
    # observe: what the commit left (before: "old", "new" or "mixed: ..."; staged: "staging" when
    # the staging directory is there), then recover() and what it left (after; left: every name
    # but the set's files, their directories and the root's lock file; new/ may stay, empty,
    # after a rollback).
    observe() {
        local seen
        mapfile -t seen < <("$bin/transaction_writer" inspect "$root" old new 2>&1)
        before=${seen[0]:-} staged=${seen[1]:-} after=${seen[2]:-} left=${seen[3]:-}
        left=${left#left:}
        [[ $left == "${seen[3]:-}" ]] && left="recover() failed: ${seen[*]}"
        return 0
    }
    state() { observe && echo "$before"; }
fi

# --- The calls of an undisturbed commit ----------------------------------------------------------
reset
writer strace -qq -y -s 0 "${serial[@]}" -o "$SCRATCH/trace" >/dev/null ||
    fail "$kind failed without faults"
[[ $(state) == new ]] || fail "$kind did not write the new content"
commit_calls "$SCRATCH/trace" "$scope" | grep -vE '^clone3? ' >"$SCRATCH/calls"
grep -qE '^clone3?\(.*EAGAIN' "$SCRATCH/trace" ||
    fail "$kind started no thread: the threaded barrier is not where this script expects it"
total=$(wc -l <"$SCRATCH/calls")
((total > 0)) || fail "no system call of $kind touched $scope"
violations=0
violation() {
    echo "VIOLATION ($kind, $*)"
    [[ -s $SCRATCH/out ]] && sed 's/^/    stdout: /' "$SCRATCH/out"
    [[ -s $SCRATCH/err ]] && sed 's/^/    stderr: /' "$SCRATCH/err"
    violations=$((violations + 1))
}

# --- MODE crash ----------------------------------------------------------------------------------
# kill_at WHERE STRACE-ARGS...: one killed commit, then its checks; counts the outcome.
declare -A outcomes=()
killed=0 debris_left=0 kills=0 failed_runs=0
kill_at() {
    local where=$1 status=0 s left before_run=$violations
    shift
    reset
    : >"$SCRATCH/out" && : >"$SCRATCH/err"
    writer strace -qq -o /dev/null "$@" >/dev/null 2>&1 || status=$?
    kills=$((kills + 1))
    ((status == 137)) && killed=$((killed + 1))
    if [[ $kind == batch ]]; then
        s=$(state)
        [[ $s == torn* ]] && violation "killed at $where: $s"
        left=$(leftovers)
        while read -r name; do
            [[ -z $name ]] && continue
            debris_left=$((debris_left + 1))
            [[ $name =~ $debris ]] || violation "killed at $where: unrecognizable leftover $name"
        done <<<"$left"
        "$bin/batch_writer" sweep "$dir/one" "$dir/two" >/dev/null || violation "the sweep failed"
        left=$(leftovers)
        [[ -z $left ]] || violation "killed at $where: left after remove_orphaned_temps: $left"
    else
        observe
        [[ $staged == staging ]] && debris_left=$((debris_left + 1))
        s=$after
        [[ $s == old || $s == new ]] || violation "killed at $where: after recover(): $s"
        [[ -z $left ]] || violation "killed at $where: left after recover():$left"
    fi
    s=${s%% *}
    outcomes[$s]=$((${outcomes[$s]:-0} + 1))
    ((violations == before_run)) || failed_runs=$((failed_runs + 1))
}

if [[ $mode == crash ]]; then
    while read -r name k; do
        kill_at "$name #$k" "${serial[@]}" -e trace="$name,clone,clone3" \
            -e inject="$name:signal=KILL:when=$k"
    done <"$SCRATCH/calls"
    # The threaded barrier: killed as the first of its threads enters fsync.
    kill_at "threaded fsync" -f -e trace=fsync -e inject=fsync:signal=KILL:when=1
    # A crash never blocks the next writer: an undisturbed commit after the last kill.
    reset
    writer >/dev/null 2>&1 || fail "$kind failed after the crashes"
    if [[ $kind == batch ]]; then
        [[ $(state) == new && -z $(leftovers) ]] ||
            fail "the batch did not commit after the crashes"
    else
        observe
        [[ "$before $staged $after $left" == "new no staging new " ]] ||
            fail "the transaction did not commit after the crashes: $before, $after, $left"
    fi
    if [[ $kind == batch ]]; then
        summary="crash sweep batch: $((kills - failed_runs))/$kills kill points left every"
        summary+=" file whole, old or new, and only temps the sweeper removed ($total system"
        summary+=" calls of a commit of 4 files, threads refused,"
        summary+=" + the threaded barrier; $killed killed; ${outcomes[old]:-0} all old,"
        summary+=" ${outcomes[mixed]:-0} mixed, ${outcomes[new]:-0} all new; $debris_left named"
        summary+=" temps left, all removed by remove_orphaned_temps)"
    else
        summary="crash sweep transaction: $((kills - failed_runs))/$kills kill points left the set"
        summary+=" all old or all new and nothing but the lock file after recover() ($total"
        summary+=" system calls of a commit of 8 files, threads refused,"
        summary+=" + the threaded barrier; $killed killed; ${outcomes[old]:-0} all old,"
        summary+=" ${outcomes[new]:-0} all new; $debris_left staging directories left, all"
        summary+=" removed by recover())"
    fi
    ((violations == 0)) || fail "$summary, $violations violations"
    echo "$summary: PASS"
    exit 0
fi

# --- MODE fault ----------------------------------------------------------------------------------
# The outcomes: refused (nothing replaced), partial (Batch: a rename failed, some replaced),
# undurable (every file replaced, the directory sync failed and the error says so), tolerated
# (success, every file new), late (Transaction: every file new, the journal's retirement failed;
# recover() finishes it).
declare -A tolerated_in=()
runs=0 failed_runs=0
# fault_at WHERE NAME ERROR STRACE-ARGS...: one faulted commit, then its checks.
fault_at() {
    local where=$1 name=$2 error=$3 status=0 s outcome=""
    shift 3
    reset
    writer strace -qq -o /dev/null "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || status=$?
    runs=$((runs + 1))
    local before_run=$violations
    if [[ $kind == batch ]]; then s=$(state); else observe && s=$before; fi
    if ((status == 0)); then
        outcome=tolerated
        [[ $s == new ]] || violation "$where $error: exit 0 with the files $s"
        [[ $name =~ $never_tolerated ]] &&
            violation "$where $error: a failed $name reported success"
        [[ " ${tolerated_in[$name]:-} " == *" $error "* ]] || tolerated_in[$name]+=" $error"
    elif ((status != 1)); then
        violation "$where $error: exit $status"
    elif ! grep -qE 'step "[^"]+", path .+:' "$SCRATCH/err"; then
        violation "$where $error: the error names no step and path"
    elif [[ $kind == batch ]]; then
        fault_batch "$where" "$name" "$error" "$s"
    else
        fault_transaction "$where" "$name" "$error" "$s"
    fi
    [[ -n $outcome ]] && outcomes[$outcome]=$((${outcomes[$outcome]:-0} + 1))
    if [[ $kind == batch ]]; then
        [[ -z $(leftovers) ]] || violation "$where $error: left behind: $(leftovers | tr '\n' ' ')"
    else
        [[ $outcome =~ ^(refused|tolerated)$ && $staged == staging ]] &&
            violation "$where $error: $outcome, yet the staging directory remains"
        [[ $after == "$s" ]] || violation "$where $error: $s, then $after after recover()"
        [[ -z $left ]] || violation "$where $error: left after recover():$left"
    fi
    ((violations == before_run)) || failed_runs=$((failed_runs + 1))
}

# The Batch's contract: before the renames nothing replaced, every file listed not replaced;
# during them replaced() and not_replaced() say exactly which files are new; after them (the
# directory sync) every file replaced and the error says the durability is unknown.
fault_batch() {
    local where=$1 name=$2 error=$3 s=$4
    local listed_new
    listed_new=$(sed -n 's/^replaced //p' "$SCRATCH/out" | sort)
    if [[ $s == old ]]; then
        outcome=refused
        grep -q '^replaced ' "$SCRATCH/out" && violation "$where $error: old files listed replaced"
        if grep -q '^commit failed' "$SCRATCH/out" &&
            (($(grep -c '^not-replaced ' "$SCRATCH/out") != ${#paths[@]})); then
            violation "$where $error: not_replaced() does not list every file"
        fi
    elif [[ $s == mixed ]]; then
        outcome=partial
        [[ $name =~ ^(renameat2?|linkat)$ ]] || violation "$where $error: a mixed batch"
        [[ $listed_new == "$(new_files | sort)" ]] ||
            violation "$where $error: replaced() is not the files that are new"
        grep -q 'step "rename temp over target"' "$SCRATCH/err" ||
            violation "$where $error: a partial commit not reported as a failed rename"
    elif [[ $s == new ]]; then
        outcome=undurable
        [[ $name =~ ^f(data)?sync$ ]] || violation "$where $error: new files and a failure"
        grep -q 'step "sync directory after replace"' "$SCRATCH/err" ||
            violation "$where $error: a replaced batch not reported as not durable"
        (($(wc -l <<<"$listed_new") == ${#paths[@]})) ||
            violation "$where $error: replaced() does not list every file"
    else
        violation "$where $error: $s"
    fi
}

# The Transaction's contract: all old and no staging directory; or every file new, the error
# says the durability is unknown (the journal stays for recover() to sync again) or the
# journal's retirement failed; recover() then leaves every file new.
fault_transaction() {
    local where=$1 name=$2 error=$3 s=$4
    if [[ $s == old ]]; then
        outcome=refused
    elif [[ $s == new ]] && grep -qE 'step "[^"]*(durab|sync)[^"]*"' "$SCRATCH/err"; then
        outcome=undurable
    elif [[ $s == new ]] && grep -qE 'step "[^"]*(retire|journal)[^"]*"' "$SCRATCH/err"; then
        outcome=late
    else
        violation "$where $error: exit 1 with the set $s"
    fi
}

# The file-related calls of the commit that touch the scratch directory (not the loader's, not
# /proc's, not the writer's report on stdout), as "NAME K".
awk -v dir="$scope" -v re="$relevant" '
    match($0, /^[a-z0-9_]+\(/) {
        name = substr($0, 1, RLENGTH - 1)
        seen[name]++
        if (!started && name != "execve" && index($0, dir)) started = 1
        if (started && name ~ re && (index($0, dir) || name == "getrandom")) print name, seen[name]
    }' "$SCRATCH/trace" >"$SCRATCH/file_calls"
i=0
while read -r name k; do
    for ((e = 0; e < ${#errors[@]}; e++)); do
        if ((!full && e != i % ${#errors[@]})) && ! [[ $name =~ $every_error ]]; then continue; fi
        fault_at "$name #$k" "$name" "${errors[e]}" "${serial[@]}" -e trace="$name,clone,clone3" \
            -e inject="$name:error=${errors[e]}:when=$k"
    done
    i=$((i + 1))
done <"$SCRATCH/file_calls"
for error in "${errors[@]}"; do
    fault_at "threaded fsync" fsync "$error" -f -e trace=fsync -e inject="fsync:error=$error:when=1"
done

tolerated=""
for name in "${!tolerated_in[@]}"; do tolerated+=" $name(${tolerated_in[$name]# })"; done
sampled="every error at each call"
((full)) ||
    sampled="each call failed once, the errors in turn, and every sync and rename with all 6"
summary="fault matrix $kind: $((runs - failed_runs))/$runs faults had the documented outcome"
summary+=" ($i file-related system calls of a commit, threads refused, + the threaded barrier x 6;"
summary+=" $sampled): ${outcomes[refused]:-0} refused with every file old,"
[[ $kind == batch ]] &&
    summary+=" ${outcomes[partial]:-0} partial as replaced()/not_replaced() said,"
summary+=" ${outcomes[undurable]:-0} replaced but reported not durable,"
[[ $kind == transaction ]] &&
    summary+=" ${outcomes[late]:-0} new with the journal's retirement failed,"
summary+=" ${outcomes[tolerated]:-0} tolerated with every file new (in:${tolerated:- none})"
((violations == 0)) || fail "$summary, $violations violations"
echo "$summary: PASS"
