#!/usr/bin/env bash
# The hostile user, family "user_namespace": root in a user namespace that maps only itself
# (unshare -U -r, as a rootless container's root), writing files of a user the namespace does
# not map. It sees them owned by 65534:65534, may write them and their directory, may not give
# a file to that owner (fchown fails with EINVAL, not EPERM), and holds CAP_FOWNER, which the
# kernel does not apply to such a file in a sticky directory. Before the fixes: atomic-write
# failed ("copy owner to temp file: Invalid argument") where the shell's > works; json-edit
# failed to take its lock ("give it to the target's owner: Invalid argument"); and once those
# were let through, a batch in a sticky directory published the caller's own file and then met
# the kernel's refusal of the unmapped user's (a half commit), as its CAP_FOWNER was counted.
# And the reverse: nobody, root of a namespace of their own, gains nothing over root's files.
source "$(dirname "$0")/lib.sh"
need_root
command -v unshare >/dev/null || skip "unshare is not installed (util-linux)"
unshare -U -r true 2>/dev/null || skip "cannot make a user namespace here"
hostile_setup
cp "$ATOMFILE_TOOLS/atomic-install" "$RELIABILITY_BIN/batch_writer" "$TOOLS/"
outsider=12345 # a uid and gid that unshare -r leaves unmapped
work="$SCRATCH/work"

# in_namespace COMMAND...: COMMAND as root of a new user namespace mapping only root; its
# status in STATUS, its stderr in $SCRATCH/err.
in_namespace() {
    STATUS=0
    unshare -U -r "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" </dev/null || STATUS=$?
}

# fresh: $work made anew, root's, holding the outsider's world-writable file f (old) and
# document c.json.
fresh() {
    rm -rf "$work" && mkdir -m 755 "$work"
    echo old >"$work/f" && echo '{"a": 1}' >"$work/c.json"
    chown "$outsider:$outsider" "$work/f" "$work/c.json"
    chmod 666 "$work/f" "$work/c.json"
}

names() {
    find "$1" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' '
}

stderr_says() {
    grep -qF -- "$1" "$SCRATCH/err" && return 0
    echo "  exit $STATUS, stderr: $(cat "$SCRATCH/err")"
    return 1
}

write_replaces_with_a_warning() {
    fresh
    echo new >"$SCRATCH/new"
    STATUS=0
    unshare -U -r "$TOOLS/atomic-write" "$work/f" <"$SCRATCH/new" 2>"$SCRATCH/err" || STATUS=$?
    ((STATUS == 0)) && [[ $(cat "$work/f") == new ]] && stderr_says "not kept" &&
        [[ $(names "$work") == "c.json f " ]]
}

strict_owner_is_refused() {
    fresh
    in_namespace "$TOOLS/atomic-write" --keep-owner=strict "$work/f"
    ((STATUS == 1)) && [[ $(cat "$work/f") == old ]] && stderr_says "copy owner" &&
        [[ $(names "$work") == "c.json f " ]]
}

json_edit_takes_its_lock() {
    fresh
    in_namespace "$TOOLS/json-edit" "$work/c.json" set /a 2
    ((STATUS == 0)) && grep -q '"a": *2' "$work/c.json" && stderr_says "not kept" &&
        [[ $(names "$work") == "c.json f " ]]
}

install_replaces() {
    fresh
    echo installed >"$SCRATCH/src"
    in_namespace "$TOOLS/atomic-install" -m 644 "$SCRATCH/src" "$work/f"
    ((STATUS == 0)) && [[ $(cat "$work/f") == installed ]] && [[ $(names "$work") == "c.json f " ]]
}

# A sticky directory of the outsider's, group-writable by root's group: root's own file and the
# outsider's. The kernel would refuse the rename over the outsider's file (CAP_FOWNER does not
# cover an unmapped owner), so the batch is refused when that file is staged: nothing written.
batch_refused_whole_in_sticky_directory() {
    fresh
    local team="$work/team"
    mkdir -m 1770 "$team" && chown "$outsider:0" "$team"
    echo own >"$team/a"
    echo other >"$team/b" && chown "$outsider:$outsider" "$team/b" && chmod 666 "$team/b"
    in_namespace "$TOOLS/batch_writer" files userns "$team/a" "$team/b"
    ((STATUS != 0)) && stderr_says "sticky bit" &&
        [[ $(cat "$team/a") == own && $(cat "$team/b") == other && $(names "$team") == "a b " ]]
}

# The other way round: nobody, root of a namespace of their own, against root's world-writable
# files in the sticky, world-writable directory (both seen as the overflow ids there): the
# kernel still refuses the rename, so nothing changes and nothing is left.
nobody_in_namespace_cannot_replace_roots_files() {
    local shared="$SCRATCH/shared"
    find "$shared" -mindepth 1 -delete
    echo root >"$shared/r" && echo '{"a": 1}' >"$shared/c.json"
    chmod 666 "$shared/r" "$shared/c.json"
    local as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups unshare -U -r)
    STATUS=0
    echo pwned | "${as_nobody[@]}" "$TOOLS/atomic-write" "$shared/r" 2>"$SCRATCH/err" || STATUS=$?
    ((STATUS == 1)) && stderr_says "Operation not permitted" || return 1
    STATUS=0
    "${as_nobody[@]}" "$TOOLS/json-edit" "$shared/c.json" set /a 2 2>"$SCRATCH/err" </dev/null ||
        STATUS=$?
    # Refused at the rename: no word of an owner not kept for a replace that never came.
    ((STATUS == 4)) && stderr_says "Operation not permitted" && ! stderr_says "not kept" &&
        [[ $(cat "$shared/r") == root ]] && grep -q '"a": 1' "$shared/c.json" &&
        [[ $(names "$shared") == "c.json r " ]]
}

check "atomic-write replaces an unmapped user's file, saying the owner was not kept" \
    write_replaces_with_a_warning
check "atomic-write --keep-owner=strict refuses it, the file untouched" strict_owner_is_refused
check "json-edit takes its lock and edits an unmapped user's document" json_edit_takes_its_lock
check "atomic-install replaces an unmapped user's file" install_replaces
check "a batch over an unmapped user's file in a sticky directory is refused whole" \
    batch_refused_whole_in_sticky_directory
if setpriv --reuid=65534 --regid=65534 --clear-groups unshare -U -r true 2>/dev/null; then
    check "nobody, root of their own namespace, cannot replace root's files in a sticky directory" \
        nobody_in_namespace_cannot_replace_roots_files
else
    echo "SKIP nobody_in_namespace (no user namespace for an unprivileged user here)"
fi
hostile_summary user_namespace
