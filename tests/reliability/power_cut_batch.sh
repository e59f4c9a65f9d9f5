#!/usr/bin/env bash
# The power cut of a group commit: power_cut_batch.sh [REPEATS] [FILES]
# On a loop-mounted ext4, batch_writer commits FILES files (default 20) in two directories with
# atomfile::Batch (Durability::full), each replacing an old file made durable before; as soon as
# commit() has returned the file system is shut down without flushing its journal
# (EXT4_IOC_SHUTDOWN, NOLOGFLUSH: a power cut), unmounted and mounted again. Must hold, REPEATS
# times (default 20): every file holds its new content.
# The control does the same with Durability::none and must lose at least one file at least once,
# or the simulated power cut would prove nothing.
source "$(dirname "$0")/lib.sh"
need_root
command -v mkfs.ext4 >/dev/null || skip "mkfs.ext4 is not installed (e2fsprogs)"
make_scratch
repeats=${1:-20} files=${2:-20}
image="$SCRATCH/ext4.img" mnt="$SCRATCH/mnt"
mkdir "$mnt"
truncate -s 64M "$image"
mkfs.ext4 -q -F "$image"
mount -o loop "$image" "$mnt" 2>/dev/null || skip "cannot loop-mount an ext4 image here"
trap 'umount "$mnt" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
writer="$RELIABILITY_BIN/batch_writer"

# power_cut DURABILITY TAG: the old files made durable, a commit of TAG's, the power cut, the
# remount; prints how many files do not hold TAG's content.
power_cut() {
    rm -rf "$mnt/dir" && mkdir -p "$mnt/dir/one" "$mnt/dir/two" || fail "cannot prepare $mnt"
    "$writer" "$mnt/dir" "$files" old >/dev/null && sync -f "$mnt" || fail "cannot write the old files"
    local committed
    committed=$("$writer" "$mnt/dir" "$files" "$2" $1) || fail "batch_writer failed: $committed"
    "$RELIABILITY_BIN/fs_shutdown" "$mnt" || fail "cannot shut down $mnt"
    if ! umount "$mnt" || ! mount -o loop "$image" "$mnt"; then fail "cannot remount $image"; fi
    local lost=0 i file
    for ((i = 0; i < files; i++)); do
        file="$mnt/dir/$( ((i % 2 == 0)) && echo one || echo two)/f$i"
        head -c 4096 "$file" 2>/dev/null | grep -q "^$2 file $i\$" || lost=$((lost + 1))
    done
    echo "$lost"
}

control_lost=0
for ((r = 0; r < 5; r++)); do
    control_lost=$((control_lost + $(power_cut none "control-$r")))
done
echo "power cut batch control (Durability::none): lost $control_lost of $((5 * files)) files in 5 power cuts"
((control_lost > 0)) || fail "the power cut never lost an unsynced batch: this simulation proves nothing"

failures=0
for ((r = 0; r < repeats; r++)); do
    lost=$(power_cut "" "new-$r")
    ((lost == 0)) || echo "power cut $r: $lost of $files files lost their committed content"
    failures=$((failures + lost))
done
echo "power cut batch: $repeats power cuts right after Batch::commit of $files files in 2" \
    "directories: $failures files lost"
((failures == 0)) || fail "a committed batch lost files in a power cut"
