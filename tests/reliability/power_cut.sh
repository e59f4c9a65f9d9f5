#!/usr/bin/env bash
# Item 3, the power cut: power_cut.sh WRITER|control [REPEATS]
# On a loop-mounted ext4, WRITER is stopped for good at each step of its protocol (killed as it
# enters the temp's sync, the publication, the directory's sync) or lets it report success;
# then the file system is shut down without flushing its journal (EXT4_IOC_SHUTDOWN,
# NOLOGFLUSH: a power cut), unmounted and mounted again. Must hold: TARGET is never torn, and
# after a reported commit it always holds the new content.
# "control" does the same to `cat > t && mv t f` (no sync at all) and to one that fsyncs the file
# but not the directory, and reports how often each loses the update. The control must lose it
# at least once, or the simulated power cut would prove nothing.
source "$(dirname "$0")/lib.sh"
need_root
need_strace
command -v mkfs.ext4 >/dev/null || skip "mkfs.ext4 is not installed (e2fsprogs)"
make_scratch
writer=$1 repeats=${2:-10}
image="$SCRATCH/ext4.img" mnt="$SCRATCH/mnt"
mkdir "$mnt" "$SCRATCH/files"
truncate -s 64M "$image"
mkfs.ext4 -q -F "$image"
mount -o loop "$image" "$mnt" 2>/dev/null || skip "cannot loop-mount an ext4 image here"
trap 'umount "$mnt" 2>/dev/null; rm -rf "$SCRATCH"' EXIT

# power_cut COMMAND...: runs COMMAND on the mounted file system with the old content in place,
# cuts the power, remounts, and prints what TARGET holds then ("old", "new" or "torn").
power_cut() {
    rm -rf "$mnt/dir" && mkdir "$mnt/dir" && cp "$OLD" "$TARGET" && sync -f "$mnt"
    "$@" >/dev/null 2>&1 || true
    "$RELIABILITY_BIN/fs_shutdown" "$mnt" || fail "cannot shut down $mnt"
    if ! umount "$mnt" || ! mount -o loop "$image" "$mnt"; then fail "cannot remount $image"; fi
    target_state
}

if [[ $writer == control ]]; then
    TARGET="$mnt/dir/target" OLD="$SCRATCH/files/old" NEW="$SCRATCH/files/new"
    payload 40000 o >"$OLD"
    payload 150000 n >"$NEW"
    for control in 'cat "$1" > "$2.t" && mv "$2.t" "$2"' \
        'dd if="$1" of="$2.t" conv=fsync status=none && mv "$2.t" "$2"'; do
        declare -A seen=([old]=0 [new]=0 [torn]=0)
        for ((i = 0; i < repeats; i++)); do
            state=$(power_cut sh -c "$control" sh "$NEW" "$TARGET")
            seen[$state]=$((seen[$state] + 1))
        done
        lost=$((repeats - seen[new]))
        echo "power cut control '$control': lost the reported update $lost/$repeats times" \
            "(${seen[old]} old, ${seen[torn]} torn)"
        [[ $control == cat* ]] && ((lost == 0)) &&
            fail "the power cut never lost an unsynced update: this simulation proves nothing"
    done
    exit 0
fi

writer_setup "$writer" "$mnt/dir" "$SCRATCH/files"
writer_run strace -qq -y -o "$SCRATCH/trace" >/dev/null || fail "$writer failed on ext4"
[[ $(target_state) == new ]] || fail "$writer did not write the new content on ext4"

steps=$(protocol_steps "$SCRATCH/trace" "$mnt/dir")
[[ $(wc -w <<<"$steps") == 9 ]] || fail "cannot find the protocol's steps in the trace: $steps"

failures=0 report=""
while read -r step name k; do
    declare -A seen=([old]=0 [new]=0 [torn]=0)
    for ((i = 0; i < repeats; i++)); do
        state=$(power_cut writer_run strace -qq -o /dev/null -e trace="$name" \
            -e inject="$name:signal=KILL:when=$k")
        seen[$state]=$((seen[$state] + 1))
    done
    report+="killed at $step: ${seen[old]} old, ${seen[new]} new, ${seen[torn]} torn; "
    failures=$((failures + seen[torn]))
done <<<"$steps"
declare -A seen=([old]=0 [new]=0 [torn]=0)
for ((i = 0; i < repeats; i++)); do
    state=$(power_cut writer_run)
    seen[$state]=$((seen[$state] + 1))
done
report+="after success: ${seen[new]}/$repeats new"
failures=$((failures + repeats - seen[new]))

summary="power cut $writer: $((repeats * 4)) power cuts ($report)"
((failures == 0)) || fail "$summary"
echo "$summary: PASS"
