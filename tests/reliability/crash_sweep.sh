#!/usr/bin/env bash
# Item 2, the crash sweep: crash_sweep.sh WRITER
# Records every system call of one commit of WRITER, then runs the commit again once per call,
# killing the writer with SIGKILL as it enters that call (strace inject NAME:signal=KILL:when=K,
# where the call is the K-th of its NAME). After each kill TARGET must hold the old or the new
# content, never anything else. Leftovers must be recognizable atomfile temps or nothing.
source "$(dirname "$0")/lib.sh"
need_strace
make_scratch
writer=$1

# The system calls of an undisturbed commit.
writer_setup "$writer" "$SCRATCH/dir"
writer_run strace -qq -y -s 0 -o "$SCRATCH/trace" || fail "$writer failed without faults"
[[ $(target_state) == new ]] || fail "$writer did not write the new content"
commit_calls "$SCRATCH/trace" "$SCRATCH/dir" >"$SCRATCH/calls"
total=$(wc -l <"$SCRATCH/calls")
((total > 0)) || fail "no system call of $writer touched $SCRATCH/dir"

# The debris of each killed writer stays for the next one: a crash must never block a writer.
declare -A states=([old]=0 [new]=0 [torn]=0)
killed=0
while read -r name k; do
    cp "$OLD" "$SCRATCH/dir/target"
    status=0
    writer_run strace -qq -o /dev/null -e trace="$name" -e inject="$name:signal=KILL:when=$k" \
        2>/dev/null || status=$?
    ((status == 137)) && killed=$((killed + 1))
    state=$(target_state)
    states[$state]=$((states[$state] + 1))
    [[ $state == torn ]] && echo "torn after a kill at $name #$k"
done <"$SCRATCH/calls"

# A killed writer may leave its named temp (remove_orphaned_temps' job) and its lock file,
# nothing else; an undisturbed writer then succeeds and removes the lock file.
leftovers=$(strays "$SCRATCH/dir" | wc -l)
for stray in $(strays "$SCRATCH/dir"); do
    [[ $stray == .target.atomfile-* || ($writer == library-persist && $stray == tmp*) ]] ||
        fail "unrecognizable leftover $stray"
done
cp "$OLD" "$SCRATCH/dir/target"
writer_run >/dev/null || fail "$writer failed after the crashes"
[[ $(target_state) == new ]] || fail "$writer did not commit after the crashes"
strays "$SCRATCH/dir" | grep -q -- -lock && fail "a lock file remained after a successful update"

summary="crash sweep $writer: $total system calls, $killed kills, ${states[old]} old,"
summary+=" ${states[new]} new, ${states[torn]} torn, $leftovers leftovers,"
summary+=" then an undisturbed commit"
if ((states[torn] > 0)); then fail "$summary"; fi
echo "$summary: PASS"
