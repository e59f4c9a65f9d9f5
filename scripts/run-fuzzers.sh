#!/usr/bin/env bash
# Runs every fuzz target built in BUILD_DIR for SECONDS each, on a copy of its seed corpus, as
# many at once as there are cores (ATOMFILE_FUZZ_JOBS to choose): each target still gets its
# SECONDS of a core, and the stage takes SECONDS per round of cores, not per target.
set -euo pipefail
build_dir=$1
seconds=$2
cd "$(dirname "$0")/.."
shopt -s nullglob
max_jobs=${ATOMFILE_FUZZ_JOBS:-$(nproc)}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# fuzz TARGET: one target on its own copy of the corpus; its log and exit status in $scratch.
fuzz() {
    local target=$1 name work
    name=$(basename "$target")
    work="$scratch/$name"
    mkdir "$work"
    [[ -d tests/fuzz/corpus/${name#fuzz_} ]] && cp -r "tests/fuzz/corpus/${name#fuzz_}/." "$work/"
    local status=0
    "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$build_dir/fuzz-artifact-$name-" "$work" >"$work.log" 2>&1 || status=$?
    echo "$status" >"$work.status"
}

names=()
for target in "$build_dir"/tests/fuzz/fuzz_*; do
    [[ -x "$target" && -f "$target" ]] || continue
    while (($(jobs -rp | wc -l) >= max_jobs)); do wait -n || true; done
    names+=("$(basename "$target")")
    echo "fuzz: $(basename "$target") for ${seconds}s"
    fuzz "$target" &
done
wait

ran=0
failed=0
for name in "${names[@]}"; do
    if [[ $(cat "$scratch/$name.status" 2>/dev/null) == 0 ]]; then
        ran=$((ran + 1))
        echo "fuzz: $name: $(tail -1 "$scratch/$name.log")"
    else
        failed=$((failed + 1))
        echo "fuzz: $name failed:"
        tail -40 "$scratch/$name.log"
    fi
done
echo "fuzz: $ran passed, $failed failed"
((failed == 0))
