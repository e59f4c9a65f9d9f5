#!/usr/bin/env bash
# The hostile user, family "stdout": atomic-edit's COMMAND writing to
# /dev/stdout by path. Before the fix COMMAND's standard output was the temp file itself, so a
# command that reopened /dev/stdout truncated it (losing what --append had copied in) or wrote
# at its own offset over its earlier output; the tool exited 0 and published the damage. Now
# COMMAND writes into a pipe that atomic-edit copies into the temp, so each case gives exactly
# what `COMMAND < FILE | sponge FILE` gives (compared with sponge itself when it is installed),
# and the old bytes are still there wherever the result includes them.
source "$(dirname "$0")/lib.sh"
hostile_setup
edit="$ATOMFILE_TOOLS/atomic-edit"
[[ -x $edit ]] || fail "atomic-edit is not built ($edit)"
dir="$SCRATCH/work"
mkdir "$dir"

# same_as EXPECTED_FILE FILE: FILE holds exactly EXPECTED_FILE's bytes; says what it holds if not.
same_as() {
    cmp -s "$1" "$2" && return 0
    echo "  expected:$(od -An -c "$1" | head -3 | tr -s ' ' | tr '\n' ' ')"
    echo "  got:     $(od -An -c "$2" | head -3 | tr -s ' ' | tr '\n' ' ')"
    return 1
}

# like_sponge EXPECTED_FILE OLD_CONTENT [ATOMIC-EDIT ARGS] -- COMMAND...: runs
# atomic-edit ARGS f -- COMMAND on a file holding OLD_CONTENT; it must exit 0 and leave exactly
# EXPECTED_FILE; so must `COMMAND < f | sponge [-a] f` where sponge is installed (the reference).
like_sponge() {
    local expected=$1 old=$2 status=0
    shift 2
    local args=()
    while [[ $1 != -- ]]; do
        args+=("$1")
        shift
    done
    shift
    printf '%s' "$old" >"$dir/f"
    "$edit" "${args[@]}" "$dir/f" -- "$@" 2>"$SCRATCH/err" || status=$?
    ((status == 0)) || {
        echo "  atomic-edit exited $status: $(cat "$SCRATCH/err")"
        return 1
    }
    same_as "$expected" "$dir/f" || return 1
    command -v sponge >/dev/null || return 0
    printf '%s' "$old" >"$dir/s"
    local sponge_args=()
    [[ " ${args[*]} " == *" -a "* ]] && sponge_args=(-a)
    "$@" <"$dir/s" | sponge "${sponge_args[@]}" "$dir/s"
    same_as "$expected" "$dir/s" || {
        echo "  (sponge disagrees: the expectation is wrong)"
        return 1
    }
}

# printf 'keep1\nkeep2\n' >log; atomic-edit -a log -- sh -c 'date >/dev/stdout': the old lines
# (copied in by --append) stay, the date follows. Before: log held only the date.
append_then_reopen() {
    local expected="$SCRATCH/expected.append"
    like_sponge "$expected" $'keep1\nkeep2\n' -a -- \
        sh -c 'd=$(date); printf "keep1\nkeep2\n%s\n" "$d" >"$0"; echo "$d" >/dev/stdout' \
        "$expected"
}

# atomic-edit f -- tee /dev/stdout: two copies of the old content, as through a pipe. Before: one.
tee_to_dev_stdout() {
    printf 'one\ntwo\none\ntwo\n' >"$SCRATCH/expected.tee"
    like_sponge "$SCRATCH/expected.tee" $'one\ntwo\n' -- tee /dev/stdout
}

# echo orig >f; atomic-edit f -- sh -c 'cat >/dev/stdout; echo': "orig\n\n". Before: "\nrig\n",
# the echo writing at offset 0 over the cat's output.
reopen_then_write() {
    printf 'orig\n\n' >"$SCRATCH/expected.reopen"
    like_sponge "$SCRATCH/expected.reopen" $'orig\n' -- sh -c 'cat >/dev/stdout; echo'
}

check "append_then_reopen_keeps_old_lines" append_then_reopen
check "tee_dev_stdout_gives_two_copies" tee_to_dev_stdout
check "reopen_then_write_keeps_order" reopen_then_write
hostile_summary stdout
