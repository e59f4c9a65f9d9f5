#!/usr/bin/env bash
# The file-system matrix: fs_matrix.sh SUITE FS WRITER...
# Runs a reliability suite on a freshly made FS, one of
#   ext4-ordered ext4-writeback ext4-journal  a loop-mounted ext4 in that data= journal mode
#   xfs        a loop-mounted XFS
#   btrfs      a loop-mounted btrfs
#   tmpfs      a tmpfs (memory only)
#   overlay    an overlayfs whose lower, upper and work directories are on a loop-mounted ext4
#   fuse       fuse_refuse, a FUSE passthrough of a scratch directory that refuses O_TMPFILE,
#              RENAME_NOREPLACE, xattrs and directory fsync (EINVAL), as network and FUSE file
#              systems do: every fallback of the library runs
# SUITE is
#   power_cut    for each WRITER, the power cut of power_cut.sh at each protocol step (killed as it
#                enters the temp's sync, the publication, the directory's sync, or after it
#                reported success), FS_MATRIX_REPEATS times each (default 5: 20 power cuts per
#                writer); first the durability levels (write_atomic at full, data and none, each
#                followed by a power cut, FS_MATRIX_REPEATS times): full and data must keep the
#                update, and none must lose it at least once or the simulated power cut proves
#                nothing on FS. On overlay the old target lies in the lower layer, so each commit
#                renames over a lower-layer file, and its xattr must be copied up with it.
#                Where FS has no shutdown request (fs_shutdown exits 3: btrfs on a kernel without
#                CONFIG_BTRFS_EXPERIMENTAL, tmpfs) the power cut is not applicable: the same
#                kills run followed by an unmount and mount (btrfs) or nothing (tmpfs), which
#                checks the process crash only; the summary says so.
#                Then the group commit (atomfile::Batch through batch_writer): 4 x
#                FS_MATRIX_REPEATS power cuts right after commit() returned, every file kept,
#                and its Durability::none control; the same for a transaction
#                (atomfile::Transaction through transaction_writer), then recover(), and the
#                transaction cut at FS_MATRIX_TX_POINTS (default 10) points spread over its commit
#                wherever the power can be cut.
#   crash_sweep, fault_matrix, protocol
#                that script with WRITER, its scratch directory (TMPDIR) on FS; crash_sweep and
#                fault_matrix then run group_sweep.sh crash|fault batch and ... transaction,
#                protocol group_protocol.sh batch, transaction and control. The fault matrix
#                is sampled (FAULT_MATRIX_SAMPLED=1: each call with one error, every sync and
#                rename with all six), as the group sweep always is; FS_MATRIX_FULL=1 fails every
#                call with every error, as reliability/fault_matrix/* does in TMPDIR.
# Every writer must also report on FS whether its O_TMPFILE was accepted (the named fallback runs
# otherwise). The summary lines are quoted by docs/reliability.md and docs/durability.md.
source "$(dirname "$0")/lib.sh"
need_root
need_strace
suite=$1 fs=$2
shift 2
writers=("$@")
repeats=${FS_MATRIX_REPEATS:-5}
make_scratch
image="$SCRATCH/fs.img" mnt="$SCRATCH/mnt" base="$SCRATCH/base"
mkdir "$mnt" "$base" "$SCRATCH/files"
trap 'umount "$mnt" 2>/dev/null || true; umount "$base" 2>/dev/null || true; rm -rf "$SCRATCH"' EXIT

need_kernel() {
    grep -qw "$1" /proc/filesystems || skip "the kernel does not support $1 (/proc/filesystems)"
}

need_mkfs() {
    command -v "mkfs.$1" >/dev/null || skip "mkfs.$1 is not installed ($2, scripts/install-deps.sh)"
}

# make_image TYPE SIZE MKFS-OPTIONS...: a fresh image of TYPE.
make_image() {
    local type=$1 size=$2
    shift 2
    need_kernel "$type"
    truncate -s "$size" "$image"
    "mkfs.$type" "$@" "$image" >/dev/null || fail "mkfs.$type failed"
}

# The mount of each file system, the mount options, and where the power is cut.
case $fs in
    ext4-ordered | ext4-writeback | ext4-journal)
        need_mkfs ext4 e2fsprogs
        image_args=(ext4 64M -q -F)
        type=ext4 options="data=${fs#ext4-}" cut_at=$mnt
        ;;
    xfs)
        need_mkfs xfs xfsprogs
        image_args=(xfs 320M -q -f)
        type=xfs options=defaults cut_at=$mnt
        ;;
    btrfs)
        need_mkfs btrfs btrfs-progs
        image_args=(btrfs 160M -q -f)
        type=btrfs options=defaults cut_at=$mnt
        ;;
    tmpfs)
        need_kernel tmpfs
        type=tmpfs options=size=64M cut_at=""
        ;;
    overlay)
        need_mkfs ext4 e2fsprogs
        need_kernel overlay
        image_args=(ext4 64M -q -F)
        type=overlay cut_at=$base
        options="lowerdir=$base/lower,upperdir=$base/upper,workdir=$base/work"
        ;;
    fuse)
        [[ -x $RELIABILITY_BIN/fuse_refuse ]] || skip "fuse_refuse is not built (libfuse3-dev)"
        [[ -c /dev/fuse ]] || skip "no /dev/fuse here"
        need_kernel fuse
        type=fuse options=tmpfile,noreplace,xattr,dirsync cut_at=""
        ;;
    *) fail "unknown file system $fs" ;;
esac
[[ -n ${image_args:-} ]] && make_image "${image_args[@]}"
# fuse_refuse refuses xattrs: there the writers have none to keep.
xattrs=yes
[[ $fs == fuse ]] && xattrs=no && export RELIABILITY_NO_XATTRS=1

mount_fs() {
    case $fs in
        tmpfs) mount -t tmpfs -o "$options" tmpfs "$mnt" ;;
        fuse)
            # The daemon must not hold the caller's output open: power_cut runs in $(...).
            "$RELIABILITY_BIN/fuse_refuse" --refuse="$options" "$base" "$mnt" \
                >>"$SCRATCH/fuse.log" 2>&1 &
            local i
            for ((i = 0; i < 200; i++)); do
                mountpoint -q "$mnt" && return 0
                sleep 0.05
            done
            return 1
            ;;
        overlay)
            mount -o loop "$image" "$base" && mkdir -p "$base/lower" "$base/upper" "$base/work" &&
                mount -t overlay overlay -o "$options" "$mnt"
            ;;
        *) mount -o "loop,$options" "$image" "$mnt" ;;
    esac
}

unmount_fs() {
    umount "$mnt" && if [[ $fs == overlay ]]; then umount "$base"; fi
}

mount_fs 2>/dev/null || skip "cannot mount $fs here (loop devices, or $type with $options)"

# Whether the power can be cut here: a probe on a throwaway file system of the same kind.
power_cut_reason=""
if [[ $fs == tmpfs ]]; then
    power_cut_reason="tmpfs keeps nothing across a power cut: not applicable"
elif [[ $fs == fuse ]]; then
    power_cut_reason="a FUSE daemon has no shutdown request; the daemon is restarted instead"
else
    status=0
    "$RELIABILITY_BIN/fs_shutdown" "$cut_at" 2>"$SCRATCH/probe" || status=$?
    case $status in
        0) ;;
        3) power_cut_reason="$type refuses the shutdown request on Linux $(uname -r)" ;;
        *) fail "cannot shut down $cut_at: $(cat "$SCRATCH/probe")" ;;
    esac
    unmount_fs || fail "cannot unmount $fs after the probe"
    make_image "${image_args[@]}"
    mount_fs || fail "cannot mount $fs again"
fi

# cut: the power cut (or, without one, nothing), then the unmount and mount that a reboot does.
cut() {
    if [[ -z $power_cut_reason ]]; then
        "$RELIABILITY_BIN/fs_shutdown" "$cut_at" || fail "cannot shut down $cut_at"
    fi
    [[ $fs == tmpfs ]] && return 0
    if ! unmount_fs || ! mount_fs; then fail "cannot remount $fs"; fi
}

# reset_target: TARGET (in $mnt/dir) holds the old content and an xattr, durably; on overlay it
# lies in the lower layer, with nothing in the upper one.
reset_target() {
    if [[ $fs == overlay ]]; then
        umount "$mnt" || fail "cannot unmount the overlay"
        rm -rf "$base/lower/dir" "$base/upper" "$base/work" || fail "cannot reset the layers"
        mkdir -p "$base/lower/dir" "$base/upper" "$base/work"
        cp "$OLD" "$base/lower/dir/target"
        setfattr -n user.reliability -v kept "$base/lower/dir/target"
        sync -f "$base"
        mount -t overlay overlay -o "$options" "$mnt" || fail "cannot mount the overlay"
    else
        rm -rf "$mnt/dir" && mkdir "$mnt/dir" && cp "$OLD" "$TARGET" || fail "cannot reset $mnt"
        setfattr -n user.reliability -v kept "$TARGET" 2>/dev/null || true
        sync -f "$mnt"
    fi
}

# power_cut COMMAND...: runs COMMAND with the old target in place, cuts the power, remounts, and
# prints what TARGET holds then ("old", "new" or "torn").
power_cut() {
    reset_target
    "$@" >/dev/null 2>&1 || true
    cut
    target_state
}

# o_tmpfile_outcome TRACE: "accepted", "refused (ERRNO)" or "not tried", from an `strace -y` log.
o_tmpfile_outcome() {
    local line
    line=$(grep -m1 'O_TMPFILE' "$1" || true)
    if [[ -z $line ]]; then echo "not tried"
    elif [[ $line =~ =\ -1\ ([A-Z]+) ]]; then echo "refused (${BASH_REMATCH[1]})"
    else echo accepted; fi
}

# refused_calls TRACE: the failed system calls of an `strace` log, as "NAME(ERRNO)" words.
refused_calls() {
    sed -nE 's/^([a-z0-9_]+)\(.*= -1 ([A-Z]+) .*/\1(\2)/p' "$1" | sort -u | tr '\n' ' '
}

what="power cuts"
[[ -n $power_cut_reason ]] && what="kills without a power cut ($power_cut_reason)"
failures=0

# The suites that need no remount run unchanged, with their scratch directory on FS.
if [[ $suite =~ ^(crash_sweep|fault_matrix|protocol)$ ]]; then
    label=${suite//_/ }
    if [[ ${FS_MATRIX_FULL:-0} == 1 ]]; then
        export GROUP_SWEEP_FULL=1
    else
        export FAULT_MATRIX_SAMPLED=1
    fi
    for writer in "${writers[@]}"; do
        status=0
        TMPDIR="$mnt" bash "$(dirname "$0")/$suite.sh" "$writer" >"$SCRATCH/out" || status=$?
        sed "s/^$label /$label $fs /" "$SCRATCH/out"
        ((status == 0)) || failures=$((failures + 1))
    done
    # The group writers (Batch, Transaction) through the same suite: group_sweep.sh, or for the
    # protocol group_protocol.sh, whose controls there check the order in this FS's own traces.
    groups=(batch transaction)
    group_script=group_sweep.sh
    [[ $suite == protocol ]] && groups+=(control) group_script=group_protocol.sh
    # An injected fault takes the same path whatever ext4's journal mode: their fault matrix is
    # ext4-ordered's (the crash sweeps, whose outcome the mode could change, run on all three).
    [[ $suite == fault_matrix && $fs =~ ^ext4-(writeback|journal)$ ]] && groups=()
    for kind in "${groups[@]}"; do
        status=0
        args=("${suite%%_*}" "$kind")
        [[ $suite == protocol ]] && args=("$kind")
        TMPDIR="$mnt" bash "$(dirname "$0")/$group_script" "${args[@]}" >"$SCRATCH/out" ||
            status=$?
        sed "s/^$label /$label $fs /" "$SCRATCH/out"
        ((status == 0)) || failures=$((failures + 1))
    done
    count="${#writers[@]} writers"
    ((${#groups[@]} > 0)) && count+=" and the batch and the transaction"
    ((failures == 0)) || fail "$label on $fs: $failures of the $count failed"
    echo "$label $fs: $count: PASS"
    exit 0
fi
[[ $suite == power_cut ]] || fail "unknown suite $suite"

# The durability levels through write_atomic: full and data must keep a returned update.
TARGET="$mnt/dir/target" OLD="$SCRATCH/files/old" NEW="$SCRATCH/files/new"
payload 40000 o >"$OLD"
payload 150000 n >"$NEW"
levels=""
for level in full data none; do
    kept=0
    for ((i = 0; i < repeats; i++)); do
        state=$(power_cut "$RELIABILITY_BIN/reliability_driver" write "$TARGET" "$NEW" "$level")
        [[ $state == new ]] && kept=$((kept + 1))
        [[ $state == torn ]] && echo "torn after Durability::$level" && failures=$((failures + 1))
    done
    levels+=" $level kept $kept/$repeats;"
    if [[ -z $power_cut_reason && $level != none ]] && ((kept != repeats)); then
        failures=$((failures + 1))
    fi
    if [[ -z $power_cut_reason && $level == none ]] && ((kept == repeats)); then
        fail "Durability::none never lost an update on $fs: this simulation proves nothing"
    fi
    [[ -n $power_cut_reason ]] && ((kept != repeats)) && failures=$((failures + 1))
done
echo "durability $fs ($what, write_atomic):${levels%;}"

# create_only: refused over the old target; a new name created (through renameat2's
# RENAME_NOREPLACE, or link + unlink where that is refused) and kept across a power cut.
reset_target
"$RELIABILITY_BIN/reliability_driver" create "$TARGET" "$NEW" 2>/dev/null &&
    fail "create_only replaced an existing target on $fs"
[[ $(target_state) == old ]] || fail "a refused create_only changed the target on $fs"
created=0
for ((i = 0; i < repeats; i++)); do
    reset_target
    rm "$TARGET" && sync -f "$mnt"
    strace -qq -o "$SCRATCH/trace" "$RELIABILITY_BIN/reliability_driver" create "$TARGET" "$NEW" ||
        fail "create_only failed on $fs"
    cut
    [[ $(target_state) == new ]] && created=$((created + 1))
done
echo "create-only $fs: refused over an existing target; created $created/$repeats new after" \
    "$what; calls refused: $(refused_calls "$SCRATCH/trace")"
((created == repeats)) || failures=$((failures + 1))

# The group commit (atomfile::Batch, batch_writer): 20 files in two directories, each old file
# made durable first, the power cut as soon as commit() has returned; 4 x FS_MATRIX_REPEATS
# times (20 by default), every file must hold its new content. The control commits with
# Durability::none and must lose a file at least once in FS_MATRIX_REPEATS cuts where the power
# is really cut.
batch_files=20
# batch_cut TAG [none]: one commit of TAG's content, the cut, the remount; prints how many files
# lost TAG's content.
batch_cut() {
    local dir="$mnt/batch" i lost=0 file
    rm -rf "$dir" && mkdir -p "$dir/one" "$dir/two" || fail "cannot prepare $dir"
    "$RELIABILITY_BIN/batch_writer" "$dir" "$batch_files" old >/dev/null &&
        sync -f "$mnt" || fail "batch_writer cannot write the old files on $fs"
    "$RELIABILITY_BIN/batch_writer" "$dir" "$batch_files" "$1" ${2:+"$2"} >/dev/null ||
        fail "batch_writer failed on $fs"
    cut
    for ((i = 0; i < batch_files; i++)); do
        file="$dir/$( ((i % 2 == 0)) && echo one || echo two)/f$i"
        head -c 4096 "$file" 2>/dev/null | grep -q "^$1 file $i\$" || lost=$((lost + 1))
    done
    echo "$lost"
}
if [[ -x $RELIABILITY_BIN/batch_writer ]]; then
    control_lost=0
    for ((i = 0; i < repeats; i++)); do
        control_lost=$((control_lost + $(batch_cut "control-$i" none)))
    done
    if [[ -z $power_cut_reason ]] && ((control_lost == 0)); then
        fail "a batch with Durability::none never lost a file on $fs: this proves nothing"
    fi
    batch_kept=0 batch_runs=$((4 * repeats))
    for ((i = 0; i < batch_runs; i++)); do
        lost=$(batch_cut "new-$i")
        ((lost == 0)) && batch_kept=$((batch_kept + 1))
        ((lost == 0)) || echo "batch on $fs, cut $i: $lost of $batch_files files lost"
    done
    batch_what="after power cuts"
    [[ -n $power_cut_reason ]] && batch_what="with no power cut ($power_cut_reason)"
    echo "power cut $fs batch: $batch_kept/$batch_runs commits of $batch_files files kept every" \
        "file $batch_what (control, Durability::none: $control_lost of" \
        "$((repeats * batch_files)) files lost in $repeats cuts)"
    failures=$((failures + batch_runs - batch_kept))
fi

# The transaction (atomfile::Transaction, transaction_writer): 6 files replaced in two
# directories, one created, one removed, over an old set made durable first; the power cut as
# soon as commit() has returned, 4 x FS_MATRIX_REPEATS times, then recover(): every file new.
# The control commits with Durability::none and must lose the new set at least once where the
# power is really cut. (Cuts in the middle of the commit: below, and power_cut_transaction.sh.)
# tx_cut TAG [none]: prints old, new or mixed after the commit of TAG, the cut and recover().
tx_cut() {
    local root="$mnt/transaction"
    rm -rf "$root" && mkdir -p "$root/sub" || fail "cannot prepare $root"
    "$RELIABILITY_BIN/transaction_writer" prepare "$root" old >/dev/null && sync -f "$mnt" ||
        fail "transaction_writer cannot write the old set on $fs"
    "$RELIABILITY_BIN/transaction_writer" commit "$root" "$1" 0 ${2:+"$2"} >/dev/null ||
        fail "transaction_writer failed on $fs"
    cut
    "$RELIABILITY_BIN/transaction_writer" check "$root" old "$1"
}
if [[ -x $RELIABILITY_BIN/transaction_writer ]]; then
    tx_control_lost=0
    for ((i = 0; i < repeats; i++)); do
        [[ $(tx_cut "control-$i" none) == new ]] || tx_control_lost=$((tx_control_lost + 1))
    done
    if [[ -z $power_cut_reason ]] && ((tx_control_lost == 0)); then
        fail "a transaction with Durability::none never lost its new set on $fs: this proves nothing"
    fi
    tx_kept=0 tx_runs=$((4 * repeats))
    for ((i = 0; i < tx_runs; i++)); do
        outcome=$(tx_cut "new-$i")
        [[ $outcome == new ]] && tx_kept=$((tx_kept + 1))
        [[ $outcome == new ]] || echo "transaction on $fs, cut $i: $outcome"
    done
    tx_what="after power cuts"
    [[ -n $power_cut_reason ]] && tx_what="with no power cut ($power_cut_reason)"
    echo "power cut $fs transaction: $tx_kept/$tx_runs commits all new $tx_what (control," \
        "Durability::none: the new set lost in $tx_control_lost of $repeats cuts)"
    failures=$((failures + tx_runs - tx_kept))
fi

# The transaction cut in the middle of its commit, at FS_MATRIX_TX_POINTS (default 10) of its
# system calls spread over it (transaction_writer shuts the file system down itself as it makes
# that call), then recover(): every file old or every file new, never a mix. Only where the power
# can be cut; elsewhere the crash sweep's kills (group_sweep.sh) cover the process crash.
# tx_cut_mid K TAG: prints old, new or mixed after the commit of TAG cut at call K and recover().
tx_cut_mid() {
    local root="$mnt/transaction" status=0
    rm -rf "$root" && mkdir -p "$root/sub" || fail "cannot prepare $root"
    "$RELIABILITY_BIN/transaction_writer" prepare "$root" old >/dev/null && sync -f "$mnt" ||
        fail "transaction_writer cannot write the old set on $fs"
    TRANSACTION_CUT_AT=$cut_at "$RELIABILITY_BIN/transaction_writer" commit "$root" "$2" "$1" \
        >"$SCRATCH/cut" 2>&1 || status=$?
    ((status == 0)) ||
        fail "transaction_writer could not cut the power on $fs: $(cat "$SCRATCH/cut")"
    grep -q committed "$SCRATCH/cut" && fail "the commit on $fs ended before its call $1"
    if ! unmount_fs || ! mount_fs; then fail "cannot remount $fs"; fi
    "$RELIABILITY_BIN/transaction_writer" check "$root" old "$2"
}
if [[ -x $RELIABILITY_BIN/transaction_writer ]]; then
    if [[ -n $power_cut_reason ]]; then
        echo "power cut $fs transaction mid-commit: no cut ($power_cut_reason)"
    else
        root="$mnt/transaction" points=${FS_MATRIX_TX_POINTS:-10}
        rm -rf "$root" && mkdir -p "$root/sub" &&
            "$RELIABILITY_BIN/transaction_writer" prepare "$root" old >/dev/null || fail "prepare"
        calls=$("$RELIABILITY_BIN/transaction_writer" calls "$root" probe) ||
            fail "cannot count the calls of a commit on $fs"
        step=$(((calls + points - 1) / points))
        declare -A mid=([old]=0 [new]=0 [mixed]=0)
        cuts=0
        for ((k = 1 + step / 2; k <= calls; k += step)); do
            outcome=$(tx_cut_mid "$k" "mid-$k") || true
            cuts=$((cuts + 1))
            case $outcome in
                old | new) mid[$outcome]=$((mid[$outcome] + 1)) ;;
                *) echo "transaction on $fs, cut at call $k of $calls: $outcome"
                    mid[mixed]=$((mid[mixed] + 1)) ;;
            esac
        done
        echo "power cut $fs transaction mid-commit: $((cuts - mid[mixed]))/$cuts cuts spread over" \
            "the $calls system calls of a commit left the set all old or all new after recover()" \
            "(${mid[old]} all old, ${mid[new]} all new, ${mid[mixed]} mixed)"
        failures=$((failures + mid[mixed]))
    fi
fi

for writer in "${writers[@]}"; do
    writer_setup "$writer" "$mnt/dir" "$SCRATCH/files"
    reset_target
    writer_run strace -qq -y -o "$SCRATCH/trace" >/dev/null 2>"$SCRATCH/err" ||
        fail "$writer failed on $fs: $(cat "$SCRATCH/err")"
    [[ $(target_state) == new ]] || fail "$writer did not write the new content on $fs"
    tmpfile=$(o_tmpfile_outcome "$SCRATCH/trace")
    xattr=$(getfattr --only-values -n user.reliability "$TARGET" 2>/dev/null || true)
    if [[ $xattrs == yes && $xattr != kept ]]; then
        echo "$writer on $fs: the target's xattr user.reliability was lost"
        failures=$((failures + 1))
    fi
    steps=$(protocol_steps "$SCRATCH/trace" "$mnt/dir")
    [[ $(wc -w <<<"$steps") == 9 ]] || fail "cannot find $writer's protocol steps on $fs: $steps"

    survived=0 run=0 report=""
    while read -r step name k; do
        declare -A seen=([old]=0 [new]=0 [torn]=0)
        for ((i = 0; i < repeats; i++)); do
            state=$(power_cut writer_run strace -qq -o /dev/null -e trace="$name" \
                -e inject="$name:signal=KILL:when=$k")
            seen[$state]=$((seen[$state] + 1))
        done
        report+="killed at $step: ${seen[old]} old, ${seen[new]} new, ${seen[torn]} torn; "
        survived=$((survived + repeats - seen[torn])) run=$((run + repeats))
    done <<<"$steps"
    declare -A seen=([old]=0 [new]=0 [torn]=0)
    for ((i = 0; i < repeats; i++)); do
        state=$(power_cut writer_run)
        seen[$state]=$((seen[$state] + 1))
    done
    report+="after success: ${seen[new]}/$repeats new"
    survived=$((survived + seen[new])) run=$((run + repeats))
    failures=$((failures + run - survived))
    echo "power cut $fs $writer: $survived/$run survived $what, O_TMPFILE $tmpfile ($report)"
    echo "    calls refused on $fs: $(refused_calls "$SCRATCH/trace")"
done

((failures == 0)) || fail "power cut $fs: $failures failures"
echo "power cut $fs: ${#writers[@]} writers: PASS"
