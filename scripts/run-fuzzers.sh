#!/usr/bin/env bash
# Runs every fuzz target built in BUILD_DIR for SECONDS each, on a copy of its seed corpus.
set -euo pipefail
build_dir=$1
seconds=$2
cd "$(dirname "$0")/.."
shopt -s nullglob
ran=0
failed=0
for target in "$build_dir"/tests/fuzz/fuzz_*; do
    [[ -x "$target" && -f "$target" ]] || continue
    name=$(basename "$target")
    work=$(mktemp -d)
    [[ -d tests/fuzz/corpus/${name#fuzz_} ]] && cp -r "tests/fuzz/corpus/${name#fuzz_}/." "$work/"
    echo "fuzz: $name for ${seconds}s"
    if "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$build_dir/fuzz-artifact-" "$work" \
        >"$work.log" 2>&1; then
        ran=$((ran + 1))
        tail -1 "$work.log"
    else
        failed=$((failed + 1))
        tail -40 "$work.log"
    fi
    rm -rf "$work" "$work.log"
done
echo "fuzz: $ran passed, $failed failed"
((failed == 0))
