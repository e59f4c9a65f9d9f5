#!/usr/bin/env bash
# install/deb_package: `cpack -G DEB` makes a package that holds the library, the headers, the
# tools, their man pages and bash completions, with dependencies computed by dpkg-shlibdeps;
# unpacked into a scratch root (dpkg -x, not installed on this system), atomic-write runs from it.
# Usage: deb_package.sh BUILD_DIR STAGE_DIR VERSION
set -euo pipefail
build=${1:?usage: deb_package.sh BUILD_DIR STAGE_DIR VERSION}
stage=${2:?}
version=${3:?}
fail() {
    echo "deb_package: FAIL: $*" >&2
    exit 1
}
command -v dpkg-shlibdeps >/dev/null || fail "dpkg-shlibdeps missing (install dpkg-dev)"

rm -rf "$stage"
mkdir -p "$stage"
cpack --config "$build/CPackConfig.cmake" -G DEB -B "$stage" >"$stage/cpack.log" 2>&1 ||
    fail "cpack failed: $(cat "$stage/cpack.log")"
debs=("$stage"/atomfile_*.deb)
[[ -f ${debs[0]} && ${#debs[@]} -eq 1 ]] || fail "expected one atomfile_*.deb in $stage"
deb=${debs[0]}

info=$(dpkg-deb -I "$deb")
grep -qx " Package: atomfile" <<<"$info" || fail "package is not named atomfile: $info"
grep -qx " Version: $version" <<<"$info" || fail "version is not $version: $info"
grep -qx " Maintainer: atomfile developers" <<<"$info" || fail "wrong maintainer: $info"
# Computed by dpkg-shlibdeps: every binary links the C library.
grep -qE "^ Depends: .*libc6 \(>= " <<<"$info" || fail "no computed dependency on libc6: $info"

contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for tool in atomic-write atomic-edit atomic-install json-edit with-tempdir atomic-commit atomic-recover atomic-dir atomic-ln; do
    for file in "./usr/bin/$tool" "./usr/share/man/man1/$tool.1" \
        "./usr/share/bash-completion/completions/$tool"; do
        grep -qxF "$file" <<<"$contents" || fail "$file is not in the package"
    done
done
for file in ./usr/include/atomfile/atomfile.hpp ./usr/include/atomfile/export.hpp; do
    grep -qxF "$file" <<<"$contents" || fail "$file is not in the package"
done
grep -qE '^\./usr/lib.*/libatomfile\.(a|so\.[0-9.]+)$' <<<"$contents" ||
    fail "the library is not in the package"
grep -qE '^\./usr/lib.*/cmake/atomfile/atomfileConfig\.cmake$' <<<"$contents" ||
    fail "the CMake package is not in the package"

root=$stage/root
dpkg -x "$deb" "$root"
library_dirs=$(find "$root/usr/lib" -name 'libatomfile*' -printf '%h\n' | sort -u | paste -sd:)
output=$(LD_LIBRARY_PATH=$library_dirs "$root/usr/bin/atomic-write" --version) ||
    fail "atomic-write --version failed in the unpacked package"
grep -qF "$version" <<<"$output" || fail "atomic-write --version says '$output', not $version"
echo "x" | LD_LIBRARY_PATH=$library_dirs "$root/usr/bin/atomic-write" "$stage/written" ||
    fail "the unpacked atomic-write cannot write a file"
[[ $(cat "$stage/written") == x ]] || fail "the unpacked atomic-write wrote the wrong content"
echo "deb_package: $(basename "$deb") ($(wc -l <<<"$contents") entries) unpacks and runs: PASS"
