#!/usr/bin/env bash
# Item 6, descriptor leaks: attack_fd_leaks.sh
# A command run by atomic-edit (which holds its lock while the command runs), by with-tempdir,
# and by the library's user code while every
# kind of library descriptor is open (the driver's fd-probe: a safe_update's lock and original,
# an AtomicFile, a NamedTemporaryFile, a TemporaryFile, an mkstemp descriptor) lists
# /proc/self/fd. It must hold no descriptor beyond those this script itself passes to a child.
source "$(dirname "$0")/lib.sh"
make_scratch
tools=$ATOMFILE_TOOLS
# Prints the shell's descriptors numbered 3 and up with what they refer to.
probe='cd /proc/$$/fd && for fd in *; do [ "$fd" -ge 3 ] && echo "$fd $(readlink "$fd")"; done'
probe+='; true'
checks=0 failures=0

compare() {
    local what=$1 listing=$2
    checks=$((checks + 1))
    # Numbers, not targets: a pipe passed down by the caller shows a different inode per run.
    if [[ $(cut -d' ' -f1 <<<"$listing") != "$(cut -d' ' -f1 <<<"$baseline")" ]]; then
        echo "$what: the command inherited descriptors:"
        diff <(echo "$baseline") <(echo "$listing") | sed 's/^/    /'
        failures=$((failures + 1))
    fi
}

baseline=$(sh -c "$probe" </dev/null)
echo 0 >"$SCRATCH/file"
compare "library (safe_update, AtomicFile, NamedTemporaryFile, TemporaryFile, mkstemp)" \
    "$("$RELIABILITY_BIN/reliability_driver" fd-probe "$SCRATCH/file" "sh -c '$probe'" </dev/null)"
if [[ -x $tools/atomic-edit ]]; then
    "$tools/atomic-edit" "$SCRATCH/file" -- sh -c "$probe" </dev/null
    compare "atomic-edit" "$(cat "$SCRATCH/file")"
fi
if [[ -x $tools/with-tempdir ]]; then
    compare "with-tempdir" "$("$tools/with-tempdir" -- sh -c "$probe" </dev/null)"
    compare "with-tempdir --cd" "$("$tools/with-tempdir" --cd -- sh -c "$probe" </dev/null)"
fi

summary="descriptor leaks: $checks commands run with library descriptors open,"
summary+=" $failures inherited any"
((failures == 0)) || fail "$summary"
echo "$summary: PASS"
