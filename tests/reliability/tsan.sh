#!/usr/bin/env bash
# Item 8, ThreadSanitizer: tsan.sh
# Builds the library and tsan_threads.cpp with g++ -fsanitize=thread (into the build tree, reused
# while no source changed) and runs it: gettempdir()'s cache and the temp functions from 8
# threads. TSan reports any data race and fails the run. Skips where TSan cannot build or run.
source "$(dirname "$0")/lib.sh"
make_scratch
source_dir=${ATOMFILE_SOURCE_DIR:?}
binary="$RELIABILITY_BIN/tsan_threads"
mapfile -t sources < <(find "$source_dir/lib/src" -name '*.cpp' | sort)
sources+=("$source_dir/tests/reliability/tsan_threads.cpp")

echo 'int main() {}' >"$SCRATCH/probe.cpp"
g++ -fsanitize=thread "$SCRATCH/probe.cpp" -o "$SCRATCH/probe" 2>/dev/null ||
    skip "g++ cannot build with -fsanitize=thread (libtsan missing)"
# Old TSan runtimes reject the high mmap randomisation of recent kernels: run without ASLR.
run=()
"$SCRATCH/probe" 2>/dev/null || run=(setarch "$(uname -m)" -R)
"${run[@]}" "$SCRATCH/probe" 2>/dev/null || skip "ThreadSanitizer cannot run on this kernel"

if [[ ! -x $binary || -n $(find "${sources[@]}" "$source_dir/lib" -newer "$binary") ]]; then
    mkdir "$SCRATCH/objects"
    printf '%s\n' "${sources[@]}" | xargs -P 2 -I{} sh -c 'g++ -std=c++17 -O1 -g \
        -fsanitize=thread -Wall -Wextra -Wpedantic -I"$1/lib/include" -I"$1/lib/src" -c "$2" \
        -o "$3/$(echo "$2" | tr / _).o"' sh "$source_dir" {} "$SCRATCH/objects"
    g++ -fsanitize=thread "$SCRATCH"/objects/*.o -pthread -o "$binary"
fi
TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}" "${run[@]}" "$binary" "$SCRATCH"
echo "tsan: no data race reported: PASS"
