#!/usr/bin/env bash
# The whole test suite, as CI runs it: a normal build and an ASan+UBSan build, each through
# ctest (unit, tools, json, examples, install, reliability and benchmark smoke tests), then the
# fuzz targets for a bounded time. Run as root to include the power-cut tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --with-benchmarks

jobs=$(nproc)

echo "== build and test (RelWithDebInfo) =="
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

if [[ -f tests/fuzz/CMakeLists.txt ]]; then
    echo "== fuzz targets (clang, libFuzzer, ASan+UBSan), bounded time each =="
    CC=clang CXX=clang++ cmake -S . -B build-fuzz -DATOMFILE_FUZZ=ON -DATOMFILE_BUILD_TESTS=OFF \
        -DATOMFILE_BUILD_BENCHMARKS=OFF >/dev/null
    cmake --build build-fuzz -j"$jobs"
    bash scripts/run-fuzzers.sh build-fuzz "${ATOMFILE_FUZZ_SECONDS:-60}"
fi

echo "== build and test under AddressSanitizer + UndefinedBehaviorSanitizer =="
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DATOMFILE_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE bench
