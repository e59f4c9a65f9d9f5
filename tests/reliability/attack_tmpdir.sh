#!/usr/bin/env bash
# Item 6, hostile $TMPDIR: attack_tmpdir.sh
# The temp functions (NamedTemporaryFile, mkstemp, mkdtemp through the driver; with-tempdir) run
# with $TMPDIR missing, a regular file, a dangling symlink, a symlink to a directory, an
# unwritable directory and (as root) another user's world-writable directory. An unusable
# $TMPDIR must be skipped for /tmp; a usable one used; the temp is never anything but a fresh
# file (0600) or directory (0700) of ours, which the other user cannot read.
source "$(dirname "$0")/lib.sh"
make_scratch
unset TEMP TMP
driver="$RELIABILITY_BIN/reliability_driver"
checks=0 failures=0
mkdir "$SCRATCH/own" "$SCRATCH/unwritable"
touch "$SCRATCH/file"
ln -s "$SCRATCH/nowhere" "$SCRATCH/dangling"
ln -s "$SCRATCH/own" "$SCRATCH/link"

# make_temp KIND: a temp made with the default directory; prints its path.
make_temp() {
    case $1 in
        with-tempdir) "$ATOMFILE_TOOLS/with-tempdir" -k -- sh -c 'echo "$TMPDIR"' ;;
        *) "$driver" temp "$1" - ;;
    esac
}

# as_user USER PATH: whether USER may read, write or search PATH.
as_user() {
    setpriv --reuid="$(id -u "$1")" --regid="$(id -g "$1")" --clear-groups \
        sh -c 'test -r "$1" || test -w "$1" || test -x "$1"' sh "$2"
}

# expect CASE TMPDIR-VALUE EXPECTED-PARENT [OTHER-USER]: every kind of temp lands in
# EXPECTED-PARENT (compared after resolving symlinks) with its exact mode, owned by us.
expect() {
    local case=$1 value=$2 parent=$3 other=${4:-}
    local kinds=(named mkstemp mkdtemp)
    [[ -x $ATOMFILE_TOOLS/with-tempdir ]] && kinds+=(with-tempdir)
    for kind in "${kinds[@]}"; do
        checks=$((checks + 1))
        local path problem=""
        path=$(TMPDIR=$value make_temp "$kind" 2>"$SCRATCH/err") ||
            problem="failed: $(cat "$SCRATCH/err")"
        if [[ -z $problem ]]; then
            local want=600
            [[ -d $path ]] && want=700
            [[ $(realpath "$(dirname "$path")") == "$(realpath "$parent")" ]] ||
                problem="made $path, not in $parent"
            [[ -L $path ]] && problem="$path is a symlink"
            [[ $(stat -c %a:%u "$path") == "$want:$(id -u)" ]] ||
                problem="$path has mode:owner $(stat -c %a:%u "$path")"
            if [[ -n $other ]] && as_user "$other" "$path"; then
                problem="user $other can access $path"
            fi
            rm -rf "$path"
        fi
        if [[ -n $problem ]]; then
            echo "TMPDIR $case, $kind: $problem"
            failures=$((failures + 1))
        fi
    done
}

expect "missing" "$SCRATCH/nowhere" /tmp
expect "a regular file" "$SCRATCH/file" /tmp
expect "a dangling symlink" "$SCRATCH/dangling" /tmp
expect "a symlink to our directory" "$SCRATCH/link" "$SCRATCH/own"
if [[ $(id -u) == 0 ]]; then
    # Root writes through any mode bits: a read-only mount makes the directory unwritable.
    mount --bind -o ro "$SCRATCH/unwritable" "$SCRATCH/unwritable" 2>/dev/null &&
        trap 'umount "$SCRATCH/unwritable"; rm -rf "$SCRATCH"' EXIT &&
        expect "unwritable (read-only mount)" "$SCRATCH/unwritable" /tmp
    mkdir -m 1777 "$SCRATCH/theirs"
    chown nobody "$SCRATCH/theirs"
    chmod 755 "$SCRATCH"
    as_user nobody "$SCRATCH/theirs" || fail "setpriv cannot check what nobody may access"
    expect "another user's world-writable directory" "$SCRATCH/theirs" "$SCRATCH/theirs" nobody
else
    chmod 555 "$SCRATCH/unwritable"
    expect "unwritable (mode 0555)" "$SCRATCH/unwritable" /tmp
    echo "(another user's directory: needs root, not run)"
fi

summary="hostile TMPDIR: $checks temps made under hostile values, $failures wrong"
((failures == 0)) || fail "$summary"
echo "$summary: PASS"
