#!/usr/bin/env bash
# The hostile user and the careless one, family "in_place": files that cannot be renamed over.
# A file bind-mounted over another (as Docker's -v mounts one file) refuses rename with EBUSY; a
# file the user may write in a directory the user may not write refuses the temp. Without
# --in-place-fallback both fail with the file untouched; with it the file is overwritten in
# place, and a planted undo record never steers what is restored.
source "$(dirname "$0")/lib.sh"
need_other_user
command -v unshare >/dev/null || skip "unshare is not installed (util-linux)"
unshare -m true 2>/dev/null || skip "cannot make a mount namespace here"
hostile_setup
write=$TOOLS/atomic-write

# In a private mount namespace: $SCRATCH/host/app.conf bind-mounted on $SCRATCH/box/app.conf,
# then NEW written by atomic-write ARGS... into the mounted name, its stderr in $SCRATCH/err.
write_bind_mounted() {
    local new=$1
    shift
    mkdir -p "$SCRATCH/host" "$SCRATCH/box"
    printf 'old\n' >"$SCRATCH/host/app.conf"
    printf 'box\n' >"$SCRATCH/box/app.conf"
    unshare -m sh -c '
        mount --make-rprivate / 2>/dev/null
        mount --bind "$1/host/app.conf" "$1/box/app.conf" || exit 99
        err=$1/err new=$2
        shift 2
        printf "%s\n" "$new" | "$@" 2>"$err"
    ' sh "$SCRATCH" "$new" "$write" "$@" "$SCRATCH/box/app.conf"
}

bind_mount_refuses_without_the_fallback() {
    local status=0
    write_bind_mounted new || status=$?
    ((status == 1)) && [[ $(cat "$SCRATCH/host/app.conf") == old ]] &&
        grep -q 'busy' "$SCRATCH/err"
}

bind_mount_is_overwritten_in_place_with_the_fallback() {
    write_bind_mounted new --in-place-fallback &&
        [[ $(cat "$SCRATCH/host/app.conf") == new ]] &&
        grep -q 'overwriting it in place' "$SCRATCH/err" &&
        [[ -z $(find "$SCRATCH/box" "$SCRATCH/host" -name '.atomfile-*') ]]
}

# nobody's file in root's directory: nobody may write the file, not the directory.
unwritable_directory() {
    mkdir -p "$SCRATCH/locked" "$SCRATCH/undo"
    chmod 755 "$SCRATCH/locked"
    printf 'old\n' >"$SCRATCH/locked/notes"
    chown 65534:65534 "$SCRATCH/locked/notes" "$SCRATCH/undo"
}

unwritable_directory_refuses_without_an_undo_directory() {
    unwritable_directory
    ! printf 'new\n' | as_nobody "$write" --in-place-fallback "$SCRATCH/locked/notes" \
        2>/dev/null && [[ $(cat "$SCRATCH/locked/notes") == old ]]
}

unwritable_directory_is_written_in_place_through_the_undo_directory() {
    unwritable_directory
    printf 'new\n' | as_nobody "$write" --in-place-fallback --undo-dir "$SCRATCH/undo" \
        "$SCRATCH/locked/notes" 2>/dev/null &&
        [[ $(cat "$SCRATCH/locked/notes") == new ]] && [[ -z $(ls -A "$SCRATCH/undo") ]] &&
        [[ $(stat -c %u "$SCRATCH/locked/notes") == 65534 ]]
}

# json-edit takes the same fallback. In the unwritable directory the update lock (a file beside
# FILE) cannot be taken either, hence --no-lock there.
json_edit_in_unwritable_directory_is_refused_without_the_fallback() {
    unwritable_directory
    printf '{"a": 0}\n' >"$SCRATCH/locked/notes"
    ! as_nobody "$TOOLS/json-edit" "$SCRATCH/locked/notes" set /a 1 --no-lock 2>/dev/null &&
        [[ $(cat "$SCRATCH/locked/notes") == '{"a": 0}' ]]
}

json_edit_in_unwritable_directory_edits_in_place_with_the_fallback() {
    unwritable_directory
    printf '{"a": 0, "b": [1]}\n' >"$SCRATCH/locked/notes"
    as_nobody "$TOOLS/json-edit" "$SCRATCH/locked/notes" set /a 1 --in-place-fallback \
        --undo-dir "$SCRATCH/undo" --no-lock 2>"$SCRATCH/err" &&
        [[ $(cat "$SCRATCH/locked/notes") == '{"a": 1, "b": [1]}' ]] &&
        grep -q 'overwriting it in place' "$SCRATCH/err" && [[ -z $(ls -A "$SCRATCH/undo") ]] &&
        [[ $(ls -A "$SCRATCH/locked") == notes ]]
}

json_edit_of_a_bind_mounted_file_edits_in_place_with_the_fallback() {
    mkdir -p "$SCRATCH/host" "$SCRATCH/box"
    printf '{"a": 0}\n' >"$SCRATCH/host/app.json"
    printf '{"box": 1}\n' >"$SCRATCH/box/app.json"
    unshare -m sh -c '
        mount --make-rprivate / 2>/dev/null
        mount --bind "$1/host/app.json" "$1/box/app.json" || exit 99
        "$2" "$1/box/app.json" set /a 1 --in-place-fallback 2>"$1/err"
    ' sh "$SCRATCH" "$TOOLS/json-edit" &&
        [[ $(cat "$SCRATCH/host/app.json") == '{"a": 1}' ]] &&
        grep -q 'overwriting it in place' "$SCRATCH/err" &&
        [[ -z $(find "$SCRATCH/box" "$SCRATCH/host" -name '.*atomfile*') ]]
}

# nobody plants, in the sticky directory, a well-formed record at the name root's record would
# take, holding what nobody wants root's file to become. It must never be restored.
planted_record_is_never_restored() {
    local file=$SHARED/root.conf record name_hex
    printf 'root config\n' >"$file"
    record="$SHARED/.atomfile-undo-$(stat -c '%d-%i' "$file")"
    name_hex=$(printf 'root.conf' | od -An -tx1 | tr -d ' \n')
    as_nobody sh -c 'printf "atomfile undo record 1\ndirectory %s\nname %s\nfile %s\nsize 5\n\nEVIL\n" \
        "$1" "$2" "$3" >"$4" && chmod 600 "$4"' sh "$(stat -c '%d %i' "$SHARED")" "$name_hex" \
        "$(stat -c '%d %i' "$file")" "$record"
    printf 'new\n' | "$write" --in-place-fallback "$file" 2>"$SCRATCH/err"
    [[ $(cat "$file") != *EVIL* ]] && grep -q 'undo record' "$SCRATCH/err"
}

check "a bind-mounted file refuses the rename and stays as it was without the fallback" \
    bind_mount_refuses_without_the_fallback
check "a bind-mounted file is overwritten in place with --in-place-fallback, nothing left" \
    bind_mount_is_overwritten_in_place_with_the_fallback
check "a file in an unwritable directory is refused without an undo directory" \
    unwritable_directory_refuses_without_an_undo_directory
check "a file in an unwritable directory is written in place through --undo-dir" \
    unwritable_directory_is_written_in_place_through_the_undo_directory
check "an undo record planted by another user is never restored" \
    planted_record_is_never_restored
check "json-edit in an unwritable directory is refused without --in-place-fallback" \
    json_edit_in_unwritable_directory_is_refused_without_the_fallback
check "json-edit in an unwritable directory edits in place with --in-place-fallback" \
    json_edit_in_unwritable_directory_edits_in_place_with_the_fallback
check "json-edit of a bind-mounted file edits in place with --in-place-fallback" \
    json_edit_of_a_bind_mounted_file_edits_in_place_with_the_fallback
hostile_summary in_place
