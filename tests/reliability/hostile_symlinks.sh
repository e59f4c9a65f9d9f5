#!/usr/bin/env bash
# The hostile user, family "symlinks".
# atomfile follows symlinks itself, so the kernel's fs.protected_symlinks never applied: a link
# planted by nobody in a sticky /tmp-like directory made root replace (or create) a root-only
# file. The library now applies the kernel's rule itself, whatever the sysctl says (it is 0 on
# some machines), so every tool refuses. And a directory nobody may write but not read (0733),
# where the shell's `>` works, failed with "open target directory: Permission denied".
# The rule first covered the final name only: a planted link to a DIRECTORY let root overwrite
# or create files in a private directory; now every hop of the path is checked. And a file nobody
# created in a sticky directory received root's content and stayed nobody's (protected_regular).
source "$(dirname "$0")/lib.sh"
need_other_user
hostile_setup
secret="$SCRATCH/secret"
mkdir -m 700 "$secret"

# plant NAME DESTINATION: nobody's symlink $SHARED/NAME -> DESTINATION.
plant() {
    rm -f "$SHARED/$1"
    as_nobody ln -s "$2" "$SHARED/$1"
}

# refused LINK COMMAND...: COMMAND fails and its message names LINK.
refused() {
    local link=$1 status=0
    shift
    "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || status=$?
    if ((status == 0)) || ! grep -qF "$link" "$SCRATCH/err"; then
        echo "  exit $status, stderr: $(cat "$SCRATCH/err")"
        return 1
    fi
}

pwn() {
    echo pwn | "$ATOMFILE_TOOLS/atomic-write" "$1"
}

# Refused through nobody's link, the victim unchanged; root's own link to it still works.
planted_link() {
    echo s >"$secret/victim"
    plant evil "$secret/victim"
    refused "$SHARED/evil" pwn "$SHARED/evil" || return 1
    grep -qx s "$secret/victim" || return 1
    rm -f "$SHARED/mine"
    ln -s "$secret/victim" "$SHARED/mine"
    echo mine | "$ATOMFILE_TOOLS/atomic-write" "$SHARED/mine" && grep -qx mine "$secret/victim"
}

dangling_link() {
    rm -f "$secret/created"
    plant dangling "$secret/created"
    refused "$SHARED/dangling" pwn "$SHARED/dangling" && [[ ! -e $secret/created ]]
}

atomic_edit_refuses() {
    echo s >"$secret/victim"
    plant evil "$secret/victim"
    refused "$SHARED/evil" "$ATOMFILE_TOOLS/atomic-edit" "$SHARED/evil" -- sed s/s/pwn/ &&
        grep -qx s "$secret/victim"
}

json_edit_refuses() {
    echo '{"a": 0}' >"$secret/victim.json"
    plant evil.json "$secret/victim.json"
    refused "$SHARED/evil.json" "$ATOMFILE_TOOLS/json-edit" "$SHARED/evil.json" set /a 1 &&
        grep -qx '{"a": 0}' "$secret/victim.json"
}

# json-edit's @FILE argument names a file to read: nobody's link there must not make root copy
# a root-only file into a document others read; root's own link is followed.
json_edit_argument_file() {
    printf 'TOPSECRET' >"$secret/key" && chmod 600 "$secret/key"
    echo '{"a": 0}' >"$SCRATCH/doc.json"
    plant arg "$secret/key"
    refused "$SHARED/arg" \
        "$ATOMFILE_TOOLS/json-edit" "$SCRATCH/doc.json" set-string /a @"$SHARED/arg" &&
        grep -qx '{"a": 0}' "$SCRATCH/doc.json" || return 1
    rm -f "$SHARED/arg" && ln -s "$secret/key" "$SHARED/arg"
    "$ATOMFILE_TOOLS/json-edit" "$SCRATCH/doc.json" set-string /a @"$SHARED/arg" &&
        grep -qx '{"a": "TOPSECRET"}' "$SCRATCH/doc.json"
}

# nobody's link to root's private DIRECTORY, used as the directory part of the path: the rule
# holds at every hop, so neither an overwrite nor a new file gets through; root's own works.
planted_directory_link() {
    echo s >"$secret/victim"
    rm -f "$secret/newfile"
    plant evildir "$secret"
    refused "$SHARED/evildir" pwn "$SHARED/evildir/victim" || return 1
    refused "$SHARED/evildir" pwn "$SHARED/evildir/newfile" || return 1
    grep -qx s "$secret/victim" && [[ ! -e $secret/newfile ]] || return 1
    rm -f "$SHARED/minedir"
    ln -s "$secret" "$SHARED/minedir"
    echo mine | "$ATOMFILE_TOOLS/atomic-write" "$SHARED/minedir/victim" &&
        grep -qx mine "$secret/victim"
}

json_edit_refuses_directory_link() {
    echo '{"a": 0}' >"$secret/victim.json"
    plant evildir "$secret"
    refused "$SHARED/evildir" "$ATOMFILE_TOOLS/json-edit" "$SHARED/evildir/victim.json" \
        set /a 1 && grep -qx '{"a": 0}' "$secret/victim.json"
}

# nobody creates a 0666 file where root will write (protected_regular): root's content must not
# land in a file nobody owns. The shell's `>` refuses it with fs.protected_regular=1.
precreated_file() {
    rm -f "$SHARED/report"
    as_nobody sh -c 'umask 0; : >"$1"' sh "$SHARED/report"
    refused "$SHARED/report" sh -c 'echo "root secret" | "$1" "$2"' sh \
        "$ATOMFILE_TOOLS/atomic-write" "$SHARED/report" || return 1
    grep -q "protected_regular" "$SCRATCH/err" && [[ ! -s $SHARED/report ]] &&
        [[ $(stat -c %u "$SHARED/report") == 65534 ]]
}

json_edit_refuses_precreated_file() {
    rm -f "$SHARED/k.json"
    as_nobody sh -c 'umask 0; echo "{\"a\": 0}" >"$1"' sh "$SHARED/k.json"
    refused "$SHARED/k.json" "$ATOMFILE_TOOLS/json-edit" "$SHARED/k.json" set /a 1 &&
        grep -qx '{"a": 0}' "$SHARED/k.json" && [[ $(stat -c %u "$SHARED/k.json") == 65534 ]]
}

# As `echo hi >drop/f` works for nobody in root's 0733 directory, so does atomic-write, twice.
# --no-follow replaces the link itself, but -a and atomic-edit start from what it points to: that
# read went through the kernel, unchecked, so nobody's link made root copy a root-only file
# into a new, world-readable one (directly, or through nobody's link to a directory). Now the
# destination of a link the rule refuses holds no content: the link is replaced, nothing read.
no_follow_read_is_checked() {
    printf 'TOPSECRET\n' >"$secret/shadow"
    chmod 600 "$secret/shadow"
    plant leak "$secret/shadow"
    echo x | "$ATOMFILE_TOOLS/atomic-write" -a --no-follow "$SHARED/leak" || return 1
    plant dirlink "$secret"
    plant leak2 "$SHARED/dirlink/shadow"
    "$ATOMFILE_TOOLS/atomic-edit" --no-follow "$SHARED/leak2" -- cat || return 1
    grep -qx x "$SHARED/leak" && ! grep -q TOPSECRET "$SHARED/leak" "$SHARED/leak2" &&
        grep -qx TOPSECRET "$secret/shadow"
}

write_only_directory() {
    local drop="$SCRATCH/drop"
    mkdir -m 733 "$drop"
    as_nobody sh -c 'echo one | "$1" "$2/f" && echo two | "$1" "$2/f"' sh \
        "$TOOLS/atomic-write" "$drop" || return 1
    grep -qx two "$drop/f" && [[ $(stat -c %u "$drop/f") == 65534 ]] &&
        [[ $(ls -A "$drop") == f ]]
}

check "root's atomic-write refuses nobody's link in a sticky dir, follows its own" planted_link
check "nobody's dangling link does not make root create a file" dangling_link
check "root's atomic-edit refuses nobody's link" atomic_edit_refuses
check "root's json-edit refuses nobody's link" json_edit_refuses
check "root's json-edit reads no @FILE through nobody's link, reads through its own" \
    json_edit_argument_file
check "root's atomic-write refuses nobody's directory link, follows its own" \
    planted_directory_link
check "root's json-edit refuses nobody's directory link" json_edit_refuses_directory_link
check "root's atomic-write refuses a file nobody created in a sticky dir" precreated_file
check "root's json-edit refuses a file nobody created in a sticky dir" \
    json_edit_refuses_precreated_file
check "nobody's atomic-write works in a 0733 directory" write_only_directory
check "--no-follow -a and atomic-edit do not read root's file through nobody's links" \
    no_follow_read_is_checked
hostile_summary symlinks
