#!/usr/bin/env bash
# The power cut of a transaction: power_cut_transaction.sh [FS] [POINTS]
# On a loop-mounted FS (ext4, the default, or xfs), transaction_writer commits one Transaction
# (6 files replaced in two directories, one created in new directories, one removed) over an
# old set made durable before, and shuts the file system down without flushing its journal (a
# power cut) at POINTS system calls spread over the commit (default 60), then after commit()
# returned. After each cut the file system is mounted again and recover() runs. Must hold: every
# file old or every file new, never a mix; after commit() returned, every file new.
# The control commits with Durability::none and cuts after commit() returned: it must lose the
# new set at least once in 5 cuts, or the simulated power cut would prove nothing.
source "$(dirname "$0")/lib.sh"
need_root
fs=${1:-ext4} points=${2:-60}
command -v "mkfs.$fs" >/dev/null || skip "mkfs.$fs is not installed"
make_scratch
image="$SCRATCH/$fs.img" mnt="$SCRATCH/mnt"
mkdir "$mnt"
truncate -s 320M "$image"
"mkfs.$fs" -q -f "$image" 2>/dev/null || "mkfs.$fs" -q -F "$image" || fail "cannot make $fs"
mount -o loop "$image" "$mnt" 2>/dev/null || skip "cannot loop-mount a $fs image here"
trap 'umount "$mnt" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
writer="$RELIABILITY_BIN/transaction_writer"
root="$mnt/root"

# cut_at K TAG [none]: the old set made durable, a commit of TAG's cut at call K (0: after
# commit() returned), the remount, recover(); prints old, new or mixed.
cut_at() {
    rm -rf "$root" && mkdir -p "$root/sub" || fail "cannot prepare $root"
    "$writer" prepare "$root" old >/dev/null && sync -f "$mnt" || fail "cannot write the old set"
    "$writer" commit "$root" "$2" "$1" ${3:-} >/dev/null
    if (($1 == 0)); then "$RELIABILITY_BIN/fs_shutdown" "$mnt" >/dev/null || fail "no shutdown"; fi
    if ! umount "$mnt" || ! mount -o loop "$image" "$mnt"; then fail "cannot remount $image"; fi
    "$writer" check "$root" old "$2"
}

control_lost=0
for ((r = 0; r < 5; r++)); do
    outcome=$(cut_at 0 "control-$r" none) || true
    [[ $outcome == new ]] || control_lost=$((control_lost + 1))
    [[ $outcome == old || $outcome == new || $outcome == mixed* ]] || fail "control: $outcome"
done
echo "power cut transaction control (Durability::none): the new set lost in $control_lost of 5 cuts"
((control_lost > 0)) || fail "the power cut never lost an unsynced transaction: this proves nothing"

rm -rf "$root" && mkdir -p "$root/sub" && "$writer" prepare "$root" old >/dev/null || fail "prepare"
calls=$("$writer" calls "$root" probe) || fail "cannot count the calls of a commit"
step=$(((calls + points - 1) / points))
mixed=0 cuts=0 olds=0 news=0
for ((k = 1; k <= calls; k += step)); do
    outcome=$(cut_at "$k" "new-$k") || true
    cuts=$((cuts + 1))
    case $outcome in
        old) olds=$((olds + 1)) ;;
        new) news=$((news + 1)) ;;
        *) echo "power cut at call $k of $calls: $outcome"; mixed=$((mixed + 1)) ;;
    esac
done
outcome=$(cut_at 0 committed) || true
[[ $outcome == new ]] || fail "power cut after commit() returned: $outcome"
echo "power cut transaction ($fs): $cuts cuts over the $calls system calls of a commit:" \
    "$olds all old, $news all new, $mixed mixed; after commit() returned: all new"
((mixed == 0)) || fail "a transaction was left mixed by a power cut"
