#!/usr/bin/env bash
# Item 8, ThreadSanitizer: tsan.sh
# Runs tsan_threads, built with the library by a ThreadSanitizer build
# (cmake -DATOMFILE_SANITIZE=thread): gettempdir()'s cache and the temp functions from 8 threads.
# TSan reports any data race and fails the run. Skips where TSan cannot run.
source "$(dirname "$0")/lib.sh"
make_scratch
binary="$RELIABILITY_BIN/tsan_threads"
[[ -x $binary ]] || skip "tsan_threads is not built (a build with -DATOMFILE_SANITIZE=thread builds it)"

# Without arguments tsan_threads prints its usage and exits 2, once the TSan runtime has started.
starts() {
    local status=0
    "$@" "$binary" >/dev/null 2>&1 || status=$?
    ((status == 2))
}
# Old TSan runtimes reject the high mmap randomisation of recent kernels: run without ASLR.
run=()
starts || run=(setarch "$(uname -m)" -R)
starts "${run[@]}" || skip "ThreadSanitizer cannot run on this kernel"

TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}" "${run[@]}" "$binary" "$SCRATCH"
echo "tsan: no data race reported: PASS"
