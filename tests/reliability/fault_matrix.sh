#!/usr/bin/env bash
# Item 4, the fault matrix: fault_matrix.sh WRITER
# Fails each file-related system call of one commit of WRITER in turn with each of EIO, ENOSPC,
# EDQUOT, EXDEV, EACCES and EPERM (strace inject NAME:error=E:when=K). Each run must end in one
# of three ways, and the directory listing must hold nothing but TARGET (or, when the fault hit
# the lock file's removal after the commit, that lock file):
#   refused    non-zero exit, TARGET still old, a message on stderr naming a path (the command,
#              for a failure to start or wait for atomic-edit's command);
#   tolerated  exit 0 and TARGET new (a fault the writer may survive: a metadata copy, a close,
#              a fallback) — never for a sync or the rename;
#   undurable  non-zero exit, TARGET new, only for the directory's sync after the rename, and
#              the message says so.
# FAULT_MATRIX_SAMPLED=1 (what fs_matrix.sh runs on each file system, where the full matrix would
# take minutes): each call fails once, the six errors in turn, but every sync and rename, and
# every call whose outcome depends on the error (copy_file_range, fchown, linkat), with all six.
source "$(dirname "$0")/lib.sh"
need_strace
make_scratch
writer=$1
errors=(EIO ENOSPC EDQUOT EXDEV EACCES EPERM)
relevant='^(openat|read|pread64|write|pwrite64|writev|splice|copy_file_range|sendfile'
relevant+='|ftruncate|fallocate|fsync|fdatasync|fchmod|fchown|fsetxattr|flistxattr|fgetxattr'
relevant+='|linkat|renameat2?|unlinkat|flock|close|newfstatat|statx|getrandom|mkdirat|pipe2'
relevant+='|clone3?|vfork|wait4)$'
never_tolerated='^(fsync|fdatasync|renameat2?)$'
sampled=${FAULT_MATRIX_SAMPLED:-0}
every_error='^(fsync|fdatasync|renameat2?|copy_file_range|fchown|linkat)$'
# Starting or waiting for atomic-edit's command fails naming the command, not a file.
command_calls='^(pipe2|clone3?|vfork|wait4)$'

# The target carries metadata to copy, so the faults reach fchown and the xattr calls too.
reset_target() {
    rm -f "$TARGET" && cp "$OLD" "$TARGET"
    if [[ $(id -u) == 0 ]]; then chown nobody "$TARGET"; fi
    # fs_matrix.sh sets RELIABILITY_NO_XATTRS on a file system that refuses xattrs.
    if command -v setfattr >/dev/null && [[ -z ${RELIABILITY_NO_XATTRS:-} ]]; then
        setfattr -n user.reliability -v kept "$TARGET"
    fi
    metadata=$(target_metadata)
}

# Owner, group, mode and extended attributes of the target.
target_metadata() {
    stat -c '%U:%G %a' "$TARGET"
    if command -v getfattr >/dev/null; then getfattr -d "$TARGET" 2>/dev/null | grep '=' || true; fi
}

writer_setup "$writer" "$SCRATCH/dir"
reset_target
writer_run strace -qq -y -s 0 -o "$SCRATCH/trace" || fail "$writer failed without faults"
commit_calls "$SCRATCH/trace" "$SCRATCH/dir" | awk -v re="$relevant" '$1 ~ re' >"$SCRATCH/calls"
dir_sync=$(protocol_steps "$SCRATCH/trace" "$SCRATCH/dir" | awk '$1 == "sync-dir" { print $2, $3 }')

declare -A outcomes=([refused]=0 [tolerated]=0 [undurable]=0)
declare -A tolerated_calls=()
runs=0 failures=0
violation() {
    echo "VIOLATION ($name #$k $error): $*"
    sed 's/^/    stderr: /' "$SCRATCH/err"
    failures=$((failures + 1))
}
i=0
while read -r name k; do
    for ((e = 0; e < ${#errors[@]}; e++)); do
        if ((sampled && e != i % ${#errors[@]})) && ! [[ $name =~ $every_error ]]; then continue; fi
        error=${errors[e]}
        reset_target
        find "$SCRATCH/dir" -mindepth 1 ! -name target -delete
        status=0
        writer_run strace -qq -o /dev/null -e trace="$name" -e inject="$name:error=$error:when=$k" \
            >/dev/null 2>"$SCRATCH/err" || status=$?
        runs=$((runs + 1))
        state=$(target_state) left=$(strays "$SCRATCH/dir")
        # Only a failed removal of the lock file may leave it; nothing else may stay.
        [[ -z $left || ($name == unlinkat && $left == .target.atomfile-lock) ]] ||
            violation "left behind: $left"
        if ((status != 0)) && [[ $state == old ]]; then
            outcomes[refused]=$((outcomes[refused] + 1))
            named=$SCRATCH
            [[ $name =~ $command_calls ]] && named=": sh: "
            grep -qF "$named" "$SCRATCH/err" || violation "the error message does not name $named"
        elif ((status == 0)) && [[ $state == new ]]; then
            outcomes[tolerated]=$((outcomes[tolerated] + 1))
            [[ " ${tolerated_calls[$name]:-} " == *" $error "* ]] ||
                tolerated_calls[$name]+=" $error"
            [[ $name =~ $never_tolerated ]] && violation "a failed $name was reported as success"
            # Only EPERM (not allowed to give the file away) may silently cost the owner.
            [[ $(target_metadata) == "$metadata" || "$name $error" == "fchown EPERM" ]] ||
                violation "metadata lost silently: $(target_metadata | tr '\n' ' ')"
        elif ((status != 0)) && [[ $state == new && "$name $k" == "$dir_sync" ]]; then
            outcomes[undurable]=$((outcomes[undurable] + 1))
            grep -qiE 'durab|sync director' "$SCRATCH/err" ||
                violation "a failed directory sync was not reported as such"
        else
            violation "exit $status with the target $state"
        fi
    done
    i=$((i + 1))
done <"$SCRATCH/calls"

if [[ -n $dir_sync ]] && ((outcomes[undurable] != ${#errors[@]})); then
    violation "the directory sync ($dir_sync) did not fail as 'replaced, durability unknown'"
fi
calls=$(wc -l <"$SCRATCH/calls")
tolerated_in=""
for name in "${!tolerated_calls[@]}"; do
    tolerated_in+=" $name(${tolerated_calls[$name]# })"
done
how="x ${#errors[@]} errors"
((sampled)) && how="(each failed once, the errors in turn; every sync, rename, copy_file_range,"
((sampled)) && how+=" fchown and linkat with all ${#errors[@]})"
summary="fault matrix $writer: $calls system calls $how = $runs runs:"
summary+=" ${outcomes[refused]} refused with the old content,"
summary+=" ${outcomes[tolerated]} tolerated with the new content,"
summary+=" ${outcomes[undurable]} replaced but reported not durable,"
summary+=" $failures violations (tolerated:${tolerated_in:- none})"
((failures == 0)) || fail "$summary"
echo "$summary: PASS"
