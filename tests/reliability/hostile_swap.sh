#!/usr/bin/env bash
# The hostile user, family "swap": atomic-dir and atomic-ln (atomfile/swap.hpp) against a second,
# unprivileged user (nobody) in a sticky shared directory, and root's swaps of trees into which
# nobody planted symlinks, hard links and FIFOs. What must hold: nobody cannot swap root's
# directory nor leave anything behind trying; a planted symlink is never followed (by the
# removal of the old or the staging tree, nor by --copy); a planted FIFO never hangs a swap;
# nobody cannot plant into root's staging directory while it is filled; another user's entry at
# a staging name is neither removed nor followed; a 255-byte DIR name still swaps.
source "$(dirname "$0")/lib.sh"
need_other_user
hostile_setup
for tool in atomic-dir atomic-ln; do
    [[ -x $ATOMFILE_TOOLS/$tool ]] || fail "$tool is not built"
    cp "$ATOMFILE_TOOLS/$tool" "$TOOLS/"
done
chmod -R a+rX "$TOOLS"
dir_tool="$TOOLS/atomic-dir" ln_tool="$TOOLS/atomic-ln"

# A victim of root's outside every swapped tree: a directory and a file only root may change.
victim="$SCRATCH/victim"
mkdir -m 755 "$victim"
echo precious >"$victim/file"
chmod 600 "$victim/file"
victim_intact() {
    [[ $(cat "$victim/file" 2>/dev/null) == precious && $(stat -c %h "$victim/file") == 1 &&
        $(ls -A "$victim") == file ]]
}
no_leftovers() {  # no staging directory or temp link beside $1
    [[ -z $(find "$(dirname "$1")" -maxdepth 1 -name ".$(basename "$1").atomfile-*") ]]
}

# root's site in the sticky directory; nobody's atomic-dir on it must fail (the kernel refuses
# the exchange of root's entry), leave it whole and leave no staging directory.
nobody_swaps_roots_dir() {
    local site="$SHARED/site"
    mkdir -p "$site" && echo old >"$site/index"
    if as_nobody "$dir_tool" "$site" -- sh -c 'echo evil > {}/index' 2>/dev/null; then return 1; fi
    [[ $(cat "$site/index") == old ]] && no_leftovers "$site"
}

# nobody's atomic-ln over root's link in the sticky directory: refused, untouched.
nobody_switches_roots_link() {
    ln -sfn "$victim" "$SHARED/current"
    if as_nobody "$ln_tool" /tmp "$SHARED/current" 2>/dev/null; then return 1; fi
    [[ $(readlink "$SHARED/current") == "$victim" ]] && no_leftovers "$SHARED/current"
}

# root's tree with a directory nobody may write (an upload area): nobody plants a symlink to
# the victim, a hard link (to a file of its own: protected_hardlinks) and a FIFO. root's swap
# removes the old tree without following, hanging or harming anything outside.
plant_in_tree() {  # plant_in_tree DIR
    mkdir -p "$1/upload" && chmod 1777 "$1/upload" && echo old >"$1/index"
    as_nobody sh -c "ln -s '$victim' '$1/upload/escape' && ln -s '$victim/file' '$1/upload/file' &&
        mkfifo '$1/upload/fifo' && echo mine > '$SHARED/nobody-file' &&
        ln '$SHARED/nobody-file' '$1/upload/hard'"
}
old_tree_removal_follows_nothing() {
    local site="$SCRATCH/roots-site"
    plant_in_tree "$site"
    timeout 20 "$dir_tool" "$site" -- sh -c 'echo new > {}/index' || return 1
    victim_intact && [[ $(cat "$site/index") == new && $(cat "$SHARED/nobody-file") == mine ]] &&
        no_leftovers "$site"
}

# The same planted tree, swapped with --copy: the links are copied as links (the victim's
# content never lands in the new tree), and the FIFO makes the swap fail without hanging,
# leaving the old tree and no staging directory.
copy_follows_nothing() {
    local site="$SCRATCH/copied-site" status=0
    plant_in_tree "$site"
    timeout 20 "$dir_tool" --copy "$site" -- true 2>"$SCRATCH/err" || status=$?
    ((status == 125)) && grep -q "fifo" "$SCRATCH/err" || return 1
    rm "$site/upload/fifo"
    timeout 20 "$dir_tool" --copy "$site" -- true || return 1
    [[ -L $site/upload/escape && -L $site/upload/file ]] || return 1
    [[ ! -e $site/upload/hard || $(stat -c %U "$site/upload/hard") == nobody ]] || return 1
    victim_intact && no_leftovers "$site"
}

# COMMAND leaves a symlink to the victim in the staging tree and fails: the staging tree is
# removed without following it.
staging_removal_follows_nothing() {
    local site="$SCRATCH/failing-site"
    mkdir -p "$site" && echo old >"$site/index"
    "$dir_tool" "$site" -- sh -c "ln -s '$victim' {}/escape && ln -s '$victim/file' {}/f && exit 3"
    (($? == 3)) && victim_intact && [[ $(cat "$site/index") == old ]] && no_leftovers "$site"
}

# root swaps a world-writable directory (mode 0777): while COMMAND fills the staging directory,
# nobody may not plant anything in it (it is 0700 until it is published).
nobody_cannot_plant_in_staging() {
    local site="$SHARED/open-site"
    mkdir -p "$site" && chmod 777 "$site"
    "$dir_tool" "$site" -- sh -c 'setpriv --reuid=65534 --regid=65534 --clear-groups \
        ln -s /etc {}/planted 2>/dev/null; echo new > {}/index' || return 1
    [[ ! -e $site/planted && ! -L $site/planted && $(stat -c %a "$site") == 777 ]] &&
        no_leftovers "$site"
}

# nobody plants a directory and a symlink to the victim at staging-like names of root's site:
# root's swap (whose cleanup removes leftovers of its own) neither removes nor follows them.
planted_staging_names() {
    local site="$SHARED/planted-site"
    mkdir -p "$site" && echo old >"$site/index"
    as_nobody sh -c "mkdir '$SHARED/.planted-site.atomfile-swap-aaaaaaaaaa' &&
        echo theirs > '$SHARED/.planted-site.atomfile-swap-aaaaaaaaaa/x' &&
        ln -s '$victim' '$SHARED/.planted-site.atomfile-swap-bbbbbbbbbb' &&
        ln -s '$victim' '$SHARED/.planted-site.atomfile-link-cccccccccc'"
    "$dir_tool" "$site" -- sh -c 'echo new > {}/index' || return 1
    "$ln_tool" "$site" "$SHARED/planted-site-link" || return 1
    victim_intact && [[ $(cat "$site/index") == new ]] &&
        [[ $(cat "$SHARED/.planted-site.atomfile-swap-aaaaaaaaaa/x") == theirs ]] &&
        [[ -L $SHARED/.planted-site.atomfile-swap-bbbbbbbbbb ]] &&
        [[ -L $SHARED/.planted-site.atomfile-link-cccccccccc ]]
}

# The careless COMMAND: it replaces the staging directory by a symlink to the victim (or by a
# directory of its own, unsynced) instead of filling it. DIR must not become that link.
command_replaces_staging() {
    local site="$SCRATCH/replaced-site" status=0
    mkdir -p "$site" && echo old >"$site/index"
    "$dir_tool" "$site" -- sh -c "rm -rf {} && ln -s '$victim' {}" 2>/dev/null || status=$?
    ((status == 125)) && [[ ! -L $site && $(cat "$site/index") == old ]] || return 1
    status=0
    "$dir_tool" "$site" -- sh -c "rm -rf {} && mkdir {} && echo new > {}/index" 2>/dev/null ||
        status=$?
    ((status == 125)) && [[ $(cat "$site/index") == old ]] && victim_intact && no_leftovers "$site"
}

# A DIR and a LINK whose names take all 255 bytes still swap, leaving nothing behind.
over_long_name() {
    local name link
    name=$(printf 'n%.0s' {1..255}) link=$(printf 'l%.0s' {1..255})
    mkdir "$SCRATCH/$name" && echo old >"$SCRATCH/$name/index"
    "$dir_tool" "$SCRATCH/$name" -- sh -c 'echo new > {}/index' || return 1
    "$ln_tool" "$victim" "$SCRATCH/$link" || return 1
    "$ln_tool" "$SCRATCH" "$SCRATCH/$link" || return 1
    [[ $(cat "$SCRATCH/$name/index") == new && $(readlink "$SCRATCH/$link") == "$SCRATCH" ]] &&
        no_leftovers "$SCRATCH/$name" && no_leftovers "$SCRATCH/$link"
}

check "nobody cannot swap root's directory in a sticky directory, nor leave a staging dir" \
    nobody_swaps_roots_dir
check "nobody cannot switch root's symlink in a sticky directory" nobody_switches_roots_link
check "planted symlinks, hard links and FIFOs in the old tree: removal follows none" \
    old_tree_removal_follows_nothing
check "planted symlinks are copied as links by --copy; a planted FIFO fails it, never hangs" \
    copy_follows_nothing
check "a symlink left in the staging tree is not followed when a failed swap removes it" \
    staging_removal_follows_nothing
check "nobody cannot plant into root's staging directory while COMMAND fills it" \
    nobody_cannot_plant_in_staging
check "another user's entries at staging names are neither removed nor followed" \
    planted_staging_names
check "a 255-byte DIR or LINK name still swaps" over_long_name
check "a COMMAND replacing the staging directory (by a link, or a new one) is refused" \
    command_replaces_staging
hostile_summary swap
