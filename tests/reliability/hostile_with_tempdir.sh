#!/usr/bin/env bash
# The hostile user, family "with_tempdir": a file system mounted inside
# the directory and left there. Before the fix the cleanup walked into it and deleted the
# mounted content (a bind mount of someone's files lost them), then said only that the mount
# point could not be removed ("remove directory: Device or resource busy"); a command
# that existed but could not be executed gave 127 like a missing one; TMP and TEMP kept the
# caller's values. Now the mount is skipped (neither emptied nor unmounted), named on stderr,
# the directory kept and the status 125 (COMMAND's own status when it failed); 126 is "found
# but not executable", as env and timeout say; TMP and TEMP name the directory like TMPDIR.
#
# The script runs in a mount namespace of its own, so a mount it leaves behind vanishes with it.
source "$(dirname "$0")/lib.sh"
need_root
if [[ -z ${ATOMFILE_HOSTILE_OWN_MOUNTS:-} ]]; then
    command -v unshare >/dev/null || skip "unshare is not installed (util-linux)"
    unshare -m --propagation private true 2>/dev/null || skip "cannot make a mount namespace here"
    ATOMFILE_HOSTILE_OWN_MOUNTS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
hostile_setup
with_tempdir="$ATOMFILE_TOOLS/with-tempdir"
[[ -x $with_tempdir ]] || fail "with-tempdir is not built ($with_tempdir)"
outside="$SCRATCH/outside"
mkdir "$outside"

# left_mounted KIND CODE: COMMAND mounts (KIND: bind, of $outside; tmpfs, holding a file) on
# $TMPDIR/m, creates $TMPDIR/scratch and exits CODE. The mounted content must survive whole, the
# mount point be named on stderr, only m be left, and the status be 125 (CODE when it failed).
left_mounted() {
    local kind=$1 code=$2 parent="$SCRATCH/parent.$1.$2" status=0
    mkdir "$parent"
    echo precious >"$outside/precious"
    local mount_it='mount --bind "$0" "$TMPDIR/m"'
    [[ $kind == tmpfs ]] &&
        mount_it='mount -t tmpfs none "$TMPDIR/m" && echo precious >"$TMPDIR/m/precious"'
    "$with_tempdir" --dir "$parent" -- sh -c "mkdir \"\$TMPDIR/m\" && touch \"\$TMPDIR/scratch\" &&
        $mount_it && exit $code" "$outside" 2>"$SCRATCH/err" || status=$?
    local kept
    kept=$(find "$parent" -mindepth 1 -maxdepth 1)
    local content
    content=$(cat "$kept/m/precious" 2>/dev/null) || content="(gone)"
    mountpoint -q "$kept/m" && umount "$kept/m"
    if [[ $kind == bind ]] && ! grep -qx precious "$outside/precious" 2>/dev/null; then
        content="(gone outside)"
    fi
    local expected_status=$((code == 0 ? 125 : code))
    if [[ $content != precious ]] || ((status != expected_status)) ||
        ! grep -qF "$kept/m: skip mount point" "$SCRATCH/err" ||
        [[ $(ls -A "$kept") != m ]]; then
        echo "  exit $status (want $expected_status), content: $content," \
            "left: $(ls -A "$kept" | tr '\n' ' '), stderr: $(cat "$SCRATCH/err")"
        return 1
    fi
}

# TMP and TEMP, set by the caller to something else, name the directory inside COMMAND.
tmp_and_temp() {
    local seen
    seen=$(TMP=/elsewhere TEMP=/elsewhere "$with_tempdir" --dir "$SCRATCH" -- \
        sh -c 'echo "$TMPDIR $TMP $TEMP"')
    local dirs
    read -ra dirs <<<"$seen"
    if [[ ${dirs[0]} != "$SCRATCH"/tmp* || ${dirs[1]} != "${dirs[0]}" ||
        ${dirs[2]} != "${dirs[0]}" ]]; then
        echo "  TMPDIR TMP TEMP: $seen"
        return 1
    fi
}

# A command found but not executable (no x bit; a directory) exits 126, a missing one 127.
statuses_126_127() {
    printf '#!/bin/sh\necho ran\n' >"$SCRATCH/script"
    chmod 644 "$SCRATCH/script"
    local got=()
    for command in "$SCRATCH/script" "$SCRATCH" "$SCRATCH/absent"; do
        local status=0
        "$with_tempdir" -- "$command" 2>/dev/null || status=$?
        got+=("$status")
    done
    [[ ${got[*]} == "126 126 127" ]] || {
        echo "  statuses: ${got[*]} (want 126 126 127)"
        return 1
    }
}

check "bind_mount_left_inside_kept_and_reported" left_mounted bind 0
check "bind_mount_left_by_failing_command_kept" left_mounted bind 3
check "tmpfs_left_inside_kept_and_reported" left_mounted tmpfs 0
check "tmp_and_temp_name_the_directory" tmp_and_temp
check "not_executable_126_missing_127" statuses_126_127
hostile_summary with_tempdir
