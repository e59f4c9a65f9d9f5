#!/usr/bin/env bash
# Installs, from Debian 12's packages, everything atomfile needs to build, test and benchmark.
# Skips the package manager entirely when everything is already there.
set -euo pipefail

packages=(
    build-essential cmake pkg-config git
    libboost-filesystem-dev libboost-program-options-dev doctest-dev nlohmann-json3-dev
    strace util-linux e2fsprogs xfsprogs btrfs-progs libfuse3-dev fuse3 attr clang
    libclang-rt-14-dev
    python3 jq moreutils libglib2.0-dev
    dpkg-dev file
)
[[ "${1:-}" == "--with-benchmarks" ]] && packages+=(gnuplot-nox python3-jsonpatch time libsimdjson-dev)

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$package")
done
if ((${#missing[@]})); then
    echo "install-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
