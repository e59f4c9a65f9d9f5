#!/usr/bin/env bash
# The hostile user, family "backup": a backup that cannot be kept must
# never cost the old content. Before the fix the old file was linked to a hidden name, the new
# one renamed over FILE, and the hidden name renamed to FILE~ last; when that failed the hidden
# link was removed and "important" was gone while the tool exited 3. Each case now must be
# refused before the replace (a non-zero status, a message naming the backup path), with
# "important" still under g.
source "$(dirname "$0")/lib.sh"
need_other_user
hostile_setup
dir="$SCRATCH/work"

# fresh NAME: $dir holding NAME = "important".
fresh() {
    rm -rf "$dir"
    mkdir -m 755 "$dir"
    echo important >"$dir/$1"
}

# refused FILE BACKUP_PATH COMMAND...: COMMAND failed, said why naming BACKUP_PATH (or what
# $NAMED says instead), and "important" is still reachable as FILE or as BACKUP_PATH.
refused() {
    local file=$1 backup=$2 status=0 named=${NAMED:-$2}
    shift 2
    "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || status=$?
    local kept=no
    grep -qx important "$file" 2>/dev/null && kept=yes
    [[ -f $backup ]] && grep -qx important "$backup" && kept=yes
    if ((status == 0)) || [[ $kept != yes ]] || ! grep -qF -- "$named" "$SCRATCH/err"; then
        echo "  exit $status, important kept: $kept, stderr: $(cat "$SCRATCH/err")"
        return 1
    fi
    # Refused before the replace: FILE itself is untouched.
    grep -qx important "$file"
}

write_new() {
    echo new | "$@"
}

directory_at_backup() {
    fresh g
    mkdir "$dir/g~"
    refused "$dir/g" "$dir/g~" write_new "$ATOMFILE_TOOLS/atomic-write" -b "$dir/g"
}

suffix_with_slash() {
    fresh g
    NAMED="invalid backup suffix '/x'" \
        refused "$dir/g" "$dir/g/x" write_new "$ATOMFILE_TOOLS/atomic-write" -b/x "$dir/g"
}

name_too_long() {
    local name
    name=$(printf 'n%.0s' {1..253})
    fresh "$name"
    refused "$dir/$name" "$dir/$name.orig" write_new "$ATOMFILE_TOOLS/atomic-write" -b.orig "$dir/$name"
}

# nobody's g beside root's g~ in a sticky directory: the kernel forbids nobody to replace g~.
others_backup_in_sticky_dir() {
    rm -f "$SHARED/g" "$SHARED/g~"
    echo "root's" >"$SHARED/g~"
    as_nobody sh -c 'echo important >"$1"' sh "$SHARED/g"
    refused "$SHARED/g" "$SHARED/g~" as_nobody sh -c 'echo new | "$1" -b "$2"' sh \
        "$TOOLS/atomic-write" "$SHARED/g" && grep -qx "root's" "$SHARED/g~"
}

atomic_edit_directory_at_backup() {
    fresh g
    mkdir "$dir/g~"
    refused "$dir/g" "$dir/g~" "$ATOMFILE_TOOLS/atomic-edit" -b "$dir/g" -- sed s/important/new/
}

check "atomic-write -b with a directory at g~ keeps important" directory_at_backup
check "atomic-write -b/x (a suffix with a slash) keeps important" suffix_with_slash
check "atomic-write -b.orig on a 253-byte name keeps important" name_too_long
check "atomic-write -b as nobody with root's g~ in a sticky dir keeps important" \
    others_backup_in_sticky_dir
check "atomic-edit -b with a directory at g~ keeps important" atomic_edit_directory_at_backup
hostile_summary backup
