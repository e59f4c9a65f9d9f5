#!/usr/bin/env bash
# install/deb_install: the Debian package installs for real on a Debian 12 root - dpkg -i with its
# dependency check, database and file-conflict check, no --force option - runs there (the tools,
# the library if shared, man page, bash completion) and dpkg -r removes every file it installed.
# The root is this system seen through an overlay: lower layer /, upper layer a tmpfs, mounted in
# a private mount namespace and entered with chroot, so this system is never modified (checked at
# the end). Because that root holds more than a fresh one, the package's Depends are also checked
# against what a fresh Debian 12 has (debootstrap's minbase: Priority required, Essential, apt,
# and their dependencies), so a dependency that only a build machine has fails here.
# The package is the one install/deb_package built and checked (a ctest fixture), in DEB_DIR.
# Exits 77 (skipped) without root, unshare, overlayfs or a Debian 12 system.
# Usage: deb_install.sh DEB_DIR SCRATCH_DIR VERSION
# shellcheck disable=SC2016 # dpkg-query formats and the root's bash commands are not expanded here
set -euo pipefail

skip() {
    echo "deb_install: SKIPPED: $*"
    exit 77
}
fail() {
    echo "deb_install: FAIL: $*" >&2
    exit 1
}

# The packages of a fresh Debian 12 root, one a line: the seeds of debootstrap's minbase variant
# and everything they depend on, as installed on this system.
fresh_root_packages() {
    dpkg-query -W -f='${Package}\t${Priority}\t${Essential}\t${Provides}\t${Pre-Depends}, ${Depends}\n' |
        awk -F'\t' '
            function names(list, out,   groups, alternatives, i, j, name) {
                split(list, groups, ",")
                for (i in groups) {
                    split(groups[i], alternatives, "|")
                    for (j in alternatives) {
                        name = alternatives[j]
                        sub(/\(.*/, "", name); gsub(/[ \t]/, "", name); sub(/:.*/, "", name)
                        if (name != "") out[name] = 1
                    }
                }
            }
            {
                installed[$1] = 1; depends[$1] = $5; provides[$1] = $4
                if ($2 == "required" || $3 == "yes" || $1 == "apt") queue[++last] = $1
            }
            END {
                while (first < last) {
                    package = queue[++first]
                    if (package in fresh || !(package in installed)) continue
                    fresh[package] = 1
                    delete wanted; names(depends[package], wanted)
                    for (name in wanted) queue[++last] = name
                }
                for (package in fresh) {
                    print package
                    delete virtual; names(provides[package], virtual)
                    for (name in virtual) print name
                }
            }'
}

# Fails unless every group of the package's Depends names a package of a fresh root.
check_depends_in_fresh_root() {
    local deb=$1 depends fresh group alternative satisfied
    depends=$(dpkg-deb -f "$deb" Pre-Depends Depends | sed 's/^[A-Za-z-]*: //' | paste -sd,)
    fresh=$(fresh_root_packages)
    IFS=, read -ra groups <<<"$depends"
    for group in "${groups[@]}"; do
        [[ $group =~ [^[:space:]] ]] || continue
        satisfied=0
        IFS='|' read -ra alternatives <<<"$group"
        for alternative in "${alternatives[@]}"; do
            alternative=$(sed 's/(.*//; s/[[:space:]]//g; s/:.*//' <<<"$alternative")
            grep -qxF "$alternative" <<<"$fresh" && satisfied=1
        done
        ((satisfied)) || fail "the package depends on '${group# }', which a fresh Debian 12 root" \
            "(Priority required, Essential, apt and their dependencies) does not have: dpkg -i" \
            "would fail there. Depends: $depends"
    done
}

host_has_no_atomfile() {
    [[ ! -e /usr/bin/atomic-write ]] || fail "$1: /usr/bin/atomic-write exists on this system"
    [[ $(dpkg-query -W -f='${db:Status-Status}' atomfile 2>/dev/null) != installed ]] ||
        fail "$1: dpkg on this system says atomfile is installed"
}

# --- Inside the private mount and PID namespaces (run by the outer part through unshare). ---

in_root() {
    chroot "$root" /usr/bin/env -i LC_ALL=C HOME=/root \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

# An overlay of this system's / at $root: writes go to a tmpfs and vanish with the namespace.
mount_overlay_root() {
    local scratch=$1 dir n=0
    mount -t tmpfs -o mode=0755,size=1g deb-install "$scratch" || skip "cannot mount a tmpfs"
    mkdir "$scratch/upper" "$scratch/work" "$root"
    mount -t overlay deb-install-root \
        -o "lowerdir=/,upperdir=$scratch/upper,workdir=$scratch/work" "$root" 2>"$scratch/err" ||
        skip "cannot mount an overlay on top of / ($(tr -s "\n " " " <"$scratch/err"))"
    # An overlay shows its lower layer's own file system only: directories dpkg writes that are
    # mounts of their own get their own overlay.
    for dir in /usr /etc /var /var/lib /var/lib/dpkg /var/cache /opt; do
        if [[ ! -d $dir || -L $dir ]] || ! mountpoint -q "$dir"; then
            continue
        fi
        n=$((n + 1))
        mkdir "$scratch/upper$n" "$scratch/work$n"
        mount -t overlay deb-install-root \
            -o "lowerdir=$dir,upperdir=$scratch/upper$n,workdir=$scratch/work$n" "$root$dir" ||
            skip "cannot mount an overlay on top of $dir"
    done
    mount -t proc proc "$root/proc" || skip "cannot mount /proc in the root"
    mount --rbind /dev "$root/dev" || skip "cannot bind /dev into the root"
    mount -t tmpfs -o mode=1777 tmp "$root/tmp" || skip "cannot mount /tmp in the root"
    mount -t tmpfs -o mode=0755 run "$root/run" || skip "cannot mount /run in the root"
}

check_installed_package_runs() {
    local version=$1 output tool path
    output=$(in_root dpkg-query -W -f='${db:Status-Status} ${Version}' atomfile) ||
        fail "dpkg-query in the root does not know atomfile"
    [[ $output == "installed $version" ]] || fail "dpkg in the root says '$output'"
    for tool in atomic-write atomic-edit atomic-install json-edit with-tempdir atomic-commit atomic-recover atomic-dir atomic-ln; do
        path=$(in_root sh -c "command -v $tool") || fail "$tool is not on the root's PATH"
        [[ $path == /usr/bin/$tool ]] || fail "$tool is found at $path, not /usr/bin/$tool"
        output=$(in_root "$tool" --version 2>&1) || fail "$tool --version in the root: $output"
        grep -qF "$version" <<<"$output" || fail "$tool --version says '$output', not $version"
    done
    # A shared library is found by the loader where the package put it, without LD_LIBRARY_PATH.
    if in_root dpkg -L atomfile | grep -qE '/libatomfile\.so\.[0-9]+$'; then
        output=$(in_root ldd /usr/bin/atomic-write)
        path=$(sed -n 's/^[[:space:]]*libatomfile\.so[^ ]* => \([^ ]*\) .*/\1/p' <<<"$output")
        # /lib is /usr/lib on a merged-/usr root; dpkg knows the file by its package's path.
        if [[ -z $path ]] || ! path=$(in_root readlink -e "$path") ||
            ! in_root dpkg -S "$path" | grep -q '^atomfile: '; then
            fail "atomic-write does not load the package's shared library: $output"
        fi
    fi
    printf 'old\n' >"$root/tmp/written"
    printf 'new content\nline 2\n' | in_root atomic-write /tmp/written ||
        fail "atomic-write in the root cannot replace a file"
    [[ $(cat "$root/tmp/written") == $'new content\nline 2' ]] ||
        fail "atomic-write in the root wrote '$(cat "$root/tmp/written")'"
}

check_man_page_and_completion() {
    local output
    # Unless man-db is missing or dpkg is told to leave man pages out (slim container images).
    if in_root sh -c 'command -v man' >/dev/null &&
        ! grep -qsrE '^path-exclude[= ]/usr/share/man' "$root/etc/dpkg/dpkg.cfg.d/"; then
        output=$(in_root man -w atomic-write 2>&1) || fail "man -w atomic-write in the root: $output"
        [[ $output == /usr/share/man/man1/atomic-write.1* ]] ||
            fail "man -w atomic-write finds '$output', not the package's page"
    fi
    # The installed completion loads in the root's bash and completes an option.
    output=$(in_root bash -c 'source /usr/share/bash-completion/completions/atomic-write &&
        complete -p atomic-write && COMP_WORDS=(atomic-write --dur) COMP_CWORD=1 &&
        _atomic_write && printf "%s\n" "${COMPREPLY[@]}"' 2>&1) ||
        fail "the installed bash completion of atomic-write does not load: $output"
    grep -qx -- '--durability' <<<"$output" ||
        fail "the installed completion does not complete --dur to --durability: $output"
}

check_removal() {
    local files=$1 file left=() output
    output=$(in_root dpkg -r atomfile 2>&1) || fail "dpkg -r atomfile in the root: $output"
    [[ $(in_root dpkg-query -W -f='${db:Status-Status}' atomfile 2>/dev/null) != installed ]] ||
        fail "dpkg in the root still says atomfile is installed after dpkg -r"
    while read -r file; do
        if [[ -e $root$file && ! -d $root$file ]]; then
            left+=("$file")
        fi
    done <<<"$files"
    ((${#left[@]} == 0)) || fail "dpkg -r left files behind: ${left[*]}"
    [[ ! -e $root/usr/include/atomfile ]] || fail "dpkg -r left /usr/include/atomfile behind"
}

inside() {
    local stage=$1 deb=$2 version=$3 output files
    root=$stage/overlay/root
    mkdir -p "$stage/overlay"
    mount_overlay_root "$stage/overlay"
    [[ -x $root/usr/bin/dpkg && -f $root/var/lib/dpkg/status ]] ||
        skip "the overlay does not show this system's dpkg and its database"
    cp "$deb" "$root/tmp/"
    output=$(in_root dpkg -i "/tmp/$(basename "$deb")" 2>&1) || fail "dpkg -i in the root: $output"
    host_has_no_atomfile "after dpkg -i in the root"
    files=$(in_root dpkg -L atomfile)
    check_installed_package_runs "$version"
    check_man_page_and_completion
    check_removal "$files"
}

if [[ ${1:-} == --inside ]]; then
    inside "$2" "$3" "$4"
    exit 0
fi

# --- Outside: check the package and this system, then install it in the namespaces. ---

deb_dir=${1:?usage: deb_install.sh DEB_DIR SCRATCH_DIR VERSION}
stage=${2:?}
version=${3:?}
((EUID == 0)) || skip "needs root (mount namespace, overlay mount, chroot, dpkg -i)"
for command in unshare chroot mountpoint dpkg dpkg-deb dpkg-query; do
    command -v "$command" >/dev/null || skip "$command is not installed"
done
# shellcheck disable=SC1091
version_id=$(. /etc/os-release && echo "${ID:-}${VERSION_ID:-}")
[[ $version_id == debian12 ]] || skip "this system is not Debian 12 (it is '$version_id')"
# This system must not have the package, or the checks that it was left alone prove nothing.
[[ ! -e /usr/bin/atomic-write ]] || skip "/usr/bin/atomic-write exists on this system"
[[ $(dpkg-query -W -f='${db:Status-Status}' atomfile 2>/dev/null) != installed ]] ||
    skip "atomfile is installed on this system"
unshare --mount --propagation private true 2>/dev/null || skip "cannot make a mount namespace"

debs=("$deb_dir"/atomfile_*.deb)
[[ -f ${debs[0]} && ${#debs[@]} -eq 1 ]] ||
    fail "expected one atomfile_*.deb in $deb_dir (made by install/deb_package)"
rm -rf "$stage"
mkdir -p "$stage"
check_depends_in_fresh_root "${debs[0]}"

status=0
unshare --mount --propagation private --pid --fork bash "$0" --inside "$stage" "${debs[0]}" \
    "$version" || status=$?
((status == 0)) || exit "$status"
host_has_no_atomfile "after the test"
[[ ! -e /var/lib/dpkg/info/atomfile.list ]] || fail "this system's dpkg database has atomfile.list"
echo "deb_install: $(basename "${debs[0]}") installs with dpkg -i on a Debian 12 root, runs" \
    "and removes cleanly; this system is untouched: PASS"
