#!/usr/bin/env bash
# Item 4, the fault matrix: fault_matrix.sh WRITER
# Fails each file-related system call of one commit of WRITER in turn with each of EIO, ENOSPC,
# EDQUOT, EXDEV, EACCES and EPERM (strace inject NAME:error=E:when=K). Each run must end in one
# of three ways, and the directory listing must hold nothing but TARGET:
#   refused    non-zero exit, TARGET still old, a message on stderr naming a path;
#   tolerated  exit 0 and TARGET new (a fault the writer may survive: a metadata copy, a close,
#              a fallback) — never for a sync or the rename;
#   undurable  non-zero exit, TARGET new, only for the directory's sync after the rename, and
#              the message says so.
source "$(dirname "$0")/lib.sh"
need_strace
make_scratch
writer=$1
errors=(EIO ENOSPC EDQUOT EXDEV EACCES EPERM)
relevant='^(openat|read|pread64|write|pwrite64|writev|splice|copy_file_range|sendfile|ftruncate|fallocate|fsync|fdatasync|fchmod|fchown|fsetxattr|flistxattr|fgetxattr|linkat|renameat2?|unlinkat|flock|close|newfstatat|statx|getrandom|mkdirat|pipe2|clone3?|vfork|wait4)$'
never_tolerated='^(fsync|fdatasync|renameat2?)$'

writer_setup "$writer" "$SCRATCH/dir"
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
while read -r name k; do
    for error in "${errors[@]}"; do
        cp "$OLD" "$SCRATCH/dir/target"
        find "$SCRATCH/dir" -mindepth 1 ! -name target -delete
        status=0
        writer_run strace -qq -o /dev/null -e trace="$name" -e inject="$name:error=$error:when=$k" \
            >/dev/null 2>"$SCRATCH/err" || status=$?
        runs=$((runs + 1))
        state=$(target_state) left=$(strays "$SCRATCH/dir")
        [[ -z $left ]] || violation "left behind: $left"
        if ((status != 0)) && [[ $state == old ]]; then
            outcomes[refused]=$((outcomes[refused] + 1))
            grep -qF "$SCRATCH" "$SCRATCH/err" || violation "the error message names no path"
        elif ((status == 0)) && [[ $state == new ]]; then
            outcomes[tolerated]=$((outcomes[tolerated] + 1))
            tolerated_calls[$name]=1
            [[ $name =~ $never_tolerated ]] && violation "a failed $name was reported as success"
        elif ((status != 0)) && [[ $state == new && "$name $k" == "$dir_sync" ]]; then
            outcomes[undurable]=$((outcomes[undurable] + 1))
            grep -qiE 'durab|sync director' "$SCRATCH/err" ||
                violation "a failed directory sync was not reported as such"
        else
            violation "exit $status with the target $state"
        fi
    done
done <"$SCRATCH/calls"

if [[ -n $dir_sync ]] && ((outcomes[undurable] != ${#errors[@]})); then
    violation "the directory sync ($dir_sync) did not fail as 'replaced, durability unknown'"
fi
calls=$(wc -l <"$SCRATCH/calls")
summary="fault matrix $writer: $calls system calls x ${#errors[@]} errors = $runs runs: ${outcomes[refused]} refused with the old content, ${outcomes[tolerated]} tolerated with the new content, ${outcomes[undurable]} replaced but reported not durable (tolerated in: ${!tolerated_calls[*]}), $failures violations"
((failures == 0)) || fail "$summary"
echo "$summary: PASS"
