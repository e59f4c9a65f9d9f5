#!/usr/bin/env bash
# The in-place fallback's crash sweep, over a real bind mount: atomic-write --in-place-fallback
# writes a file bind-mounted onto another (its rename fails with EBUSY, as in a container) and
# is killed with SIGKILL at each of its system calls in turn (strace inject); then
# `atomic-recover FILE` runs. The file must then hold its whole old or its whole new content,
# and no undo record may remain.
source "$(dirname "$0")/lib.sh"
need_root
need_strace
command -v unshare >/dev/null || skip "unshare is not installed (util-linux)"
unshare -m true 2>/dev/null || skip "cannot make a mount namespace here"
make_scratch
write=$ATOMFILE_TOOLS/atomic-write recover=$ATOMFILE_TOOLS/atomic-recover
head -c 300000 /dev/zero | tr '\0' o >"$SCRATCH/old"
head -c 100000 /dev/zero | tr '\0' n >"$SCRATCH/new"
mkdir "$SCRATCH/host" "$SCRATCH/box"
: >"$SCRATCH/box/app.conf"

# in_namespace COMMAND...: COMMAND with host/app.conf bind-mounted on box/app.conf.
in_namespace() {
    unshare -m sh -c '
        mount --make-rprivate / 2>/dev/null
        mount --bind "$1/host/app.conf" "$1/box/app.conf" || exit 99
        shift
        exec "$@"
    ' sh "$SCRATCH" "$@"
}

file_state() {
    if cmp -s "$SCRATCH/host/app.conf" "$SCRATCH/old"; then
        echo old
    elif cmp -s "$SCRATCH/host/app.conf" "$SCRATCH/new"; then
        echo new
    else
        echo torn
    fi
}

cp "$SCRATCH/old" "$SCRATCH/host/app.conf"
in_namespace strace -qq -y -s 0 -o "$SCRATCH/trace" \
    "$write" --in-place-fallback "$SCRATCH/box/app.conf" <"$SCRATCH/new" 2>/dev/null ||
    fail "atomic-write --in-place-fallback failed on a bind-mounted file without faults"
[[ $(file_state) == new ]] || fail "the bind-mounted file did not get the new content"
commit_calls "$SCRATCH/trace" "$SCRATCH/box" >"$SCRATCH/calls"
total=$(wc -l <"$SCRATCH/calls")
((total > 0)) || fail "no system call touched $SCRATCH/box"

declare -A before=([old]=0 [new]=0 [torn]=0) after=([old]=0 [new]=0 [torn]=0)
while read -r name k; do
    cp "$SCRATCH/old" "$SCRATCH/host/app.conf"
    in_namespace strace -qq -o /dev/null -e trace="$name" -e inject="$name:signal=KILL:when=$k" \
        "$write" --in-place-fallback "$SCRATCH/box/app.conf" <"$SCRATCH/new" 2>/dev/null || true
    state=$(file_state)
    before[$state]=$((before[$state] + 1))
    in_namespace "$recover" "$SCRATCH/box/app.conf" >/dev/null ||
        fail "atomic-recover failed after a kill at $name #$k"
    state=$(file_state)
    after[$state]=$((after[$state] + 1))
    [[ $state == torn ]] && fail "a mix of old and new after recovery from a kill at $name #$k"
    records=$(find "$SCRATCH/box" "$SCRATCH/host" -name '.atomfile-undo-*' | wc -l)
    ((records == 0)) || fail "an undo record remains after recovery from a kill at $name #$k"
done <"$SCRATCH/calls"

echo "in-place sweep: $total kill points; before recovery old ${before[old]}, new ${before[new]}," \
    "mixed ${before[torn]}; after recovery old ${after[old]}, new ${after[new]}, mixed 0"
# The sweep must have hit the overwrite itself, or it proved nothing about recovery.
((before[torn] > 0)) || fail "no kill point fell inside the overwrite"
