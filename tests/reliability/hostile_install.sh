#!/usr/bin/env bash
# The hostile user, family "install": root deploying files through a sticky, world-writable
# directory where nobody planted something first. Each case fails with coreutils install(1),
# the command atomic-install replaces (run the script with ATOMIC_INSTALL=install to see it):
#   - install follows nobody's symlink to a directory anywhere in DEST's path (fs.protected_
#     symlinks is 0 on some machines; atomic-install applies the rule itself) and writes a file
#     into a private directory of nobody's choosing;
#   - install opens nobody's FIFO planted at SOURCE and waits forever for a writer;
#   - install copies file after file, so an obstacle planted at one destination leaves a
#     half-deployed set; atomic-install stages every file first and replaces none.
#   - install follows nobody's symlink planted at SOURCE to a file only root may read, and
#     deploys the secret where others read it; atomic-install follows a link in a sticky
#     directory only when it is root's own or the directory owner's;
#   - install follows nobody's link planted as a DIRECTORY on the way to SOURCE
#     ($SHARED/conf -> the secret's directory, SOURCE $SHARED/conf/key), which the kernel's
#     protected_symlinks refuses as it refuses a last component: atomic-install refuses it too.
source "$(dirname "$0")/lib.sh"
need_other_user
hostile_setup
installer=${ATOMIC_INSTALL:-$ATOMFILE_TOOLS/atomic-install}
secret="$SCRATCH/secret" build="$SCRATCH/build"
mkdir -m 700 "$secret"
mkdir -m 755 "$build"
printf 'A\n' >"$build/a"
printf 'B\n' >"$build/b"
printf 'C\n' >"$build/c"

# plant NAME DESTINATION: nobody's symlink $SHARED/NAME -> DESTINATION.
plant() {
    rm -rf "${SHARED:?}/$1"
    as_nobody ln -s "$2" "$SHARED/$1"
}

# refused NAMED COMMAND...: COMMAND fails within 10 s and its message names NAMED.
refused() {
    local named=$1 status=0
    shift
    timeout 10 "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || status=$?
    if ((status == 0 || status == 124)) || ! grep -qF -- "$named" "$SCRATCH/err"; then
        echo "  exit $status, stderr: $(cat "$SCRATCH/err")"
        return 1
    fi
}

# -D through nobody's link $SHARED/app -> the private directory: nothing lands there.
parents_through_planted_link() {
    rm -f "$secret/conf"
    plant app "$secret"
    refused "$SHARED/app" "$installer" -D "$build/a" "$SHARED/app/conf" &&
        [[ ! -e $secret/conf ]]
}

# The directory form through the same link: no file lands in the private directory.
directory_form_through_planted_link() {
    rm -f "$secret/a" "$secret/b"
    plant app "$secret"
    refused "$SHARED/app" "$installer" "$build/a" "$build/b" "$SHARED/app" &&
        [[ ! -e $secret/a && ! -e $secret/b ]]
}

# nobody's FIFO where root expects a SOURCE: refused at once, DEST untouched.
planted_fifo_source() {
    rm -rf "${SHARED:?}/payload"
    as_nobody mkfifo -m 666 "$SHARED/payload"
    printf 'old\n' >"$build/dest"
    refused "$SHARED/payload" "$installer" "$SHARED/payload" "$build/dest" &&
        grep -qx old "$build/dest"
}

# Three files into $SHARED/site, where nobody made a directory at the last name: none of the
# three is installed (install(1) installs a and b, then fails), and the message names it.
no_half_deployed_set() {
    rm -rf "${SHARED:?}/site"
    mkdir -m 1777 "$SHARED/site"
    as_nobody mkdir "$SHARED/site/c"
    refused "$SHARED/site/c" "$installer" "$build/a" "$build/b" "$build/c" "$SHARED/site" &&
        [[ ! -e $SHARED/site/a && ! -e $SHARED/site/b ]] &&
        [[ $(find "$SHARED/site" -mindepth 1 | wc -l) == 1 ]]
}

# A file only root may read, and nobody's link to it where root expects a SOURCE: refused
# (exit status 1, the message names the link and why), DEST keeps its old content.
printf 'TOPSECRET\n' >"$secret/key"
chmod 600 "$secret/key"
planted_symlink_source() {
    local status=0
    printf 'old\n' >"$build/dest"
    plant src "$secret/key"
    timeout 10 "$installer" -m 644 "$SHARED/src" "$build/dest" 2>"$SCRATCH/err" || status=$?
    ((status == 1)) && grep -qx old "$build/dest" &&
        grep -qF "$SHARED/src: open source: refusing to follow a symlink" "$SCRATCH/err" ||
        { echo "  exit $status, dest: $(cat "$build/dest"), stderr: $(cat "$SCRATCH/err")"; return 1; }
}

# root's own link in the same directory is root's choice: followed, as install(1) follows it.
own_symlink_source() {
    rm -f "$SHARED/src" "$build/dest"
    ln -s "$secret/key" "$SHARED/src"
    timeout 10 "$installer" -m 600 "$SHARED/src" "$build/dest" && grep -qx TOPSECRET "$build/dest"
}

# nobody's link to root's private directory, on the way to SOURCE: refused, DEST untouched.
planted_directory_on_source_path() {
    local status=0
    printf 'old\n' >"$build/dest"
    plant conf "$secret"
    timeout 10 "$installer" -m 644 "$SHARED/conf/key" "$build/dest" 2>"$SCRATCH/err" || status=$?
    ((status == 1)) && grep -qx old "$build/dest" &&
        grep -qF "$SHARED/conf/key: open source: refusing to follow a symlink" "$SCRATCH/err" ||
        { echo "  exit $status, dest: $(cat "$build/dest"), stderr: $(cat "$SCRATCH/err")"; return 1; }
}

check "atomic-install -D through nobody's directory link writes nothing there" \
    parents_through_planted_link
check "atomic-install SOURCE... DIRECTORY through nobody's link writes nothing there" \
    directory_form_through_planted_link
check "atomic-install refuses nobody's FIFO as SOURCE at once" planted_fifo_source
check "atomic-install of three files with nobody's directory at one installs none" \
    no_half_deployed_set
check "atomic-install refuses nobody's symlink as SOURCE to a file only root may read" \
    planted_symlink_source
check "atomic-install follows root's own symlink as SOURCE in the sticky directory" \
    own_symlink_source
check "atomic-install refuses nobody's directory link on the way to SOURCE" \
    planted_directory_on_source_path
hostile_summary install
