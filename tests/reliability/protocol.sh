#!/usr/bin/env bash
# Item 1, the protocol: protocol.sh WRITER [DURABILITY]
# Records one commit of WRITER with strace and checks it with protocol_check: an exclusive temp
# in the target's directory, its fsync/fdatasync before the rename, the directory's fsync after
# it, and the target never opened for writing. WRITER "control" runs the negative controls:
# commits that lack a sync, which the checker must reject.
source "$(dirname "$0")/lib.sh"
need_strace
make_scratch
writer=$1

trace() {
    strace -f -y -qq -s 64 -o "$SCRATCH/trace" -e trace=%file,%desc "$@"
}

# control_rejects WHY COMMAND: the checker must reject COMMAND's commit, saying WHY.
control_rejects() {
    local why=$1
    shift
    rm -rf "$SCRATCH/dir" && mkdir "$SCRATCH/dir" && echo old >"$SCRATCH/dir/target"
    (cd "$SCRATCH/dir" && trace sh -c "$*")
    local verdict
    verdict=$("$RELIABILITY_BIN/protocol_check" control "$SCRATCH/dir/target" "$SCRATCH/trace") &&
        fail "the checker accepted: $*"
    grep -q "FAIL: $why" <<<"$verdict" || fail "the checker rejected '$*' but not for: $why"
    echo "protocol control: the checker rejects '$*' ($why): PASS"
}

if [[ $writer == control ]]; then
    # A shell pipeline that follows the protocol must pass, or the checker proves nothing.
    correct='echo new | dd of=t conv=excl,fsync status=none && mv t target && sync .'
    rm -rf "$SCRATCH/dir" && mkdir "$SCRATCH/dir" && echo old >"$SCRATCH/dir/target"
    (cd "$SCRATCH/dir" && trace sh -c "$correct")
    "$RELIABILITY_BIN/protocol_check" "control (a correct shell commit)" "$SCRATCH/dir/target" \
        "$SCRATCH/trace" ||
        fail "the checker rejected a correct commit: $correct"
    control_rejects "the temp was not synced" 'set -C; echo new > t && mv t target'
    control_rejects "the directory was not synced" \
        'echo new | dd of=t conv=excl,fsync status=none && mv t target'
    control_rejects "target opened with O_WRONLY" ": >> target; $correct"
    exit 0
fi

writer_setup "$writer" "$SCRATCH/dir"
if [[ ${2:-} == data && $writer == library ]]; then
    WRITER_CMD+=(data)
elif [[ -n ${2:-} ]]; then
    WRITER_CMD=("${WRITER_CMD[0]}" --durability "$2" "${WRITER_CMD[@]:1}")
fi
# The temp must never go to $TMPDIR: point it at a directory the checker will not accept.
mkdir "$SCRATCH/tmpdir"
TMPDIR="$SCRATCH/tmpdir" writer_run trace || fail "$writer failed: see above"
[[ $(target_state) == new ]] || fail "$writer did not write the new content"
[[ -z $(strays "$SCRATCH/dir") ]] || fail "$writer left $(strays "$SCRATCH/dir")"
"$RELIABILITY_BIN/protocol_check" "$writer${2:+ ($2)}" "$(realpath "$TARGET")" "$SCRATCH/trace"
