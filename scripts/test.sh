#!/usr/bin/env bash
# The whole test suite, as CI runs it: a normal build and an ASan+UBSan build, each through
# ctest (unit, tools, json, examples, install, reliability and benchmark smoke tests), then the
# fuzz targets for a bounded time; the library alone (shared, without Boost or nlohmann_json)
# installed and used by a consumer; a shared build through its unit, examples and install tests
# (exported symbols, Debian package), built with clang where the others use g++; ThreadSanitizer;
# and first of all, that the sources are formatted. Run as root to include the power-cut tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --with-benchmarks

jobs=$(nproc)
started=$SECONDS

# stage TITLE: the banner of a stage, with the seconds taken so far (CI must stay under 45 min).
stage() {
    echo "== $1 [$((SECONDS - started)) s in] =="
}

stage "formatting (.clang-format)"
# docs/examples are left out: the guide quotes them, wrapped for reading there.
git ls-files -- 'lib/*.cpp' 'lib/*.hpp' 'tools/*.cpp' 'tools/*.hpp' 'tests/*.cpp' 'tests/*.hpp' \
    'bench/*.cpp' 'bench/*.hpp' | xargs clang-format --dry-run --Werror

stage "build and test (RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

stage "the library alone: shared, configured where Boost, nlohmann_json and doctest cannot be found"
cmake -S . -B build-alone -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_SHARED_LIBS=ON \
    -DATOMFILE_BUILD_TOOLS=OFF -DATOMFILE_BUILD_TESTS=OFF -DATOMFILE_BUILD_BENCHMARKS=OFF \
    -DCMAKE_DISABLE_FIND_PACKAGE_Boost=ON -DCMAKE_DISABLE_FIND_PACKAGE_nlohmann_json=ON \
    -DCMAKE_DISABLE_FIND_PACKAGE_doctest=ON >/dev/null
cmake --build build-alone -j"$jobs"
# The compiler's dependency files name every header the library's sources included.
if find build-alone/lib -name '*.o.d' -exec grep -lE '/(boost|nlohmann)/' {} + | grep .; then
    echo "test.sh: the library includes Boost or nlohmann_json headers (files above)" >&2
    exit 1
fi
cmake -DATOMFILE_BUILD_DIR=build-alone -DCONSUMER_SOURCE_DIR=tests/consumer \
    -DSTAGE="$PWD/build-alone/consumer-stage" -DCXX=c++ -P tests/consumer/run_consumer.cmake
bash tests/consumer/exported_symbols.sh build-alone/lib/libatomfile.so

stage "shared library build with clang: unit, examples and install tests"
CC=clang CXX=clang++ cmake -S . -B build-shared -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DBUILD_SHARED_LIBS=ON -DATOMFILE_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build-shared -j"$jobs"
ctest --test-dir build-shared --output-on-failure -j"$jobs" -L 'unit|examples|install'

if [[ -f tests/fuzz/CMakeLists.txt ]]; then
    stage "fuzz targets (clang, libFuzzer, ASan+UBSan), bounded time each"
    CC=clang CXX=clang++ cmake -S . -B build-fuzz -DATOMFILE_FUZZ=ON -DATOMFILE_BUILD_TESTS=OFF \
        -DATOMFILE_BUILD_BENCHMARKS=OFF >/dev/null
    cmake --build build-fuzz -j"$jobs"
    bash scripts/run-fuzzers.sh build-fuzz "${ATOMFILE_FUZZ_SECONDS:-60}"
fi

stage "ThreadSanitizer: the library, tsan_threads (8 threads racing), ScheduledWriter, Batch"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DATOMFILE_SANITIZE=thread \
    -DATOMFILE_BUILD_TOOLS=OFF -DATOMFILE_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build-tsan -j"$jobs" --target tsan_threads lib_test_scheduled_writer lib_test_batch
ctest --test-dir build-tsan --output-on-failure \
    -R '^(reliability/tsan|lib/test_scheduled_writer|lib/test_batch)$'

stage "build and test under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DATOMFILE_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE 'bench|fs-matrix'
# (The file-system matrix runs once, in the normal build: it measures file systems, not memory.)
echo "== all passed in $((SECONDS - started)) s =="
