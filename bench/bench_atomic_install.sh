#!/usr/bin/env bash
# Benchmark: N files of SIZE bytes deployed into a fresh directory, durably, three ways, in the
# same run, interleaved (the order rotates from run to run, so none always goes first):
#   atomic-install   atomic-install -t DEST SOURCE...: one group commit (every file fsynced
#                    together, then renamed, then DEST fsynced once)
#   install+sync     for f in SOURCE...; do install "$f" DEST/; sync DEST/NAME; done: the peer
#                    as deploy scripts write it, one fsync of each file (sync FILE). Its
#                    directory is never synced, so it is less durable, and cheaper, than a
#                    fully durable peer: the ratio against it is conservative
#   cp+sync          cp SOURCE... DEST/ && sync -f DEST: copies with no sync, then one syncfs of
#                    DEST's file system (not durable file by file, and not atomic: the floor a
#                    shell user gets with one sync)
# Before each measurement everything dirty is written out (an untimed sync), so no method pays
# for the one before it or for other processes' writes; the DEST of each measurement is new and
# removed afterwards. Reports each measurement, then the medians and the goals:
#   install+sync / atomic-install >= 8   and   atomic-install / cp+sync <= 2
# and the reference install+sync / cp+sync (how far the copies with one sync get: not a bound,
# since sync flushes every dirty file of the file system and atomic-install syncs only its own),
# then the best run of each method.
# With --csv, stdout gets only CSV rows "atomic_install,METHOD,FILES,RUN,seconds,SECONDS" (what
# scripts/bench.sh keeps for bench/report.py) and the report above goes to stderr.
#
# Usage: bench/bench_atomic_install.sh [--files 1000] [--size 4096] [--runs 5] [--dir DIR]
#                                      [--tool PATH-TO-atomic-install] [--csv]
# DIR must be on a real file system (not tmpfs); default: the current directory.
set -euo pipefail

files=1000 size=4096 runs=5 dir=. tool='' csv=0
while (($#)); do
    case $1 in
        --csv) csv=1; shift; continue ;;
        --files) files=$2 ;;
        --size) size=$2 ;;
        --runs) runs=$2 ;;
        --dir) dir=$2 ;;
        --tool) tool=$2 ;;
        *) echo "usage: $0 [--files N] [--size BYTES] [--runs R] [--dir DIR] [--tool PATH]" \
               "[--csv]" >&2
           exit 2 ;;
    esac
    shift 2
done
if [[ -z $tool ]]; then
    tool=$(command -v atomic-install || true)
    [[ -n $tool ]] || { echo "$0: atomic-install not found; pass --tool PATH" >&2; exit 2; }
fi
fs_type=$(findmnt -n -o FSTYPE -T "$dir" 2>/dev/null || echo unknown)
if [[ $fs_type == tmpfs || $fs_type == ramfs ]]; then
    echo "$0: $dir is on $fs_type; pass --dir on a real disk" >&2
    exit 1
fi

# The rows go to descriptor 3; with --csv it is stdout and the report moves to stderr.
if ((csv)); then
    exec 3>&1 1>&2
else
    exec 3>/dev/null
fi

work=$(mktemp -d "$dir/bench-atomic-install-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/src"
# N different files of SIZE random bytes, named f0000...
head -c $((files * size)) /dev/urandom | split -b "$size" -a 5 -d - "$work/src/f"
sources=("$work/src"/*)

now() {
    echo "${EPOCHREALTIME/[.,]/}"  # microseconds
}

run_atomic_install() {
    "$tool" -t "$1" "${sources[@]}"
}

run_install_sync() {
    local f
    for f in "${sources[@]}"; do
        install "$f" "$1/"
        sync "$1/${f##*/}"
    done
}

run_cp_sync() {
    cp "${sources[@]}" "$1/"
    sync -f "$1"
}

# seconds MICROSECONDS
seconds() {
    awk -v us="$1" 'BEGIN { printf "%.3f", us / 1e6 }'
}

declare -A samples
methods=(atomic-install install+sync cp+sync)
printf '%d files of %d bytes, %d runs, in %s (%s), tool %s\n' "$files" "$size" "$runs" \
    "$(cd "$work" && pwd)" "$fs_type" "$tool"
for ((run = 1; run <= runs; run++)); do
    for ((i = 0; i < ${#methods[@]}; i++)); do
        method=${methods[(i + run) % ${#methods[@]}]}
        dest="$work/dest"
        mkdir "$dest"
        sync
        start=$(now)
        case $method in
            atomic-install) run_atomic_install "$dest" ;;
            install+sync) run_install_sync "$dest" ;;
            cp+sync) run_cp_sync "$dest" ;;
        esac
        elapsed=$(($(now) - start))
        diff -r "$work/src" "$dest" >/dev/null || { echo "$method: wrong output" >&2; exit 1; }
        samples[$method]+="$elapsed "
        printf 'run %d  %-15s %9.3f s\n' "$run" "$method" "$(seconds "$elapsed")"
        printf 'atomic_install,%s,%d,%d,seconds,%s\n' "$method" "$files" "$run" \
            "$(awk -v us="$elapsed" 'BEGIN { printf "%.6f", us / 1e6 }')" >&3
        rm -rf "$dest"
    done
done

median() {
    tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{v[NR]=$1} END {
        printf "%.0f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ours=$(median "${samples[atomic-install]}")
peer=$(median "${samples[install+sync]}")
floor=$(median "${samples[cp+sync]}")
printf '\nmedians: atomic-install %s s, install+sync %s s, cp+sync %s s\n' \
    "$(seconds "$ours")" "$(seconds "$peer")" "$(seconds "$floor")"
# ratio LABEL NUMERATOR DENOMINATOR GOAL-OPERATOR GOAL
ratio() {
    awk -v label="$1" -v a="$2" -v b="$3" -v op="$4" -v goal="$5" 'BEGIN {
        r = a / b
        met = (op == ">=") ? r >= goal : r <= goal
        printf "  %-31s %6.2fx (goal %s %s)  %s\n", label, r, op, goal, met ? "met" : "MISSED" }'
}
ratio "install+sync / atomic-install:" "$peer" "$ours" ">=" 8
ratio "atomic-install / cp+sync:" "$ours" "$floor" "<=" 2
# What the copies with one sync get, for reference. Not a bound on the first ratio: sync(1)
# flushes every dirty file of the file system, atomic-install's fsyncs only its own files, so
# on a shared disk atomic-install can beat cp+sync.
reference=$(awk -v a="$peer" -v b="$floor" 'BEGIN { printf "%.2f", a / b }')
printf '  %-31s %6.2fx (for reference: the copies with one sync)\n' \
    "install+sync / cp+sync:" "$reference"
best() {
    tr ' ' '\n' <<<"$1" | grep . | sort -n | head -1
}
printf 'best runs: atomic-install %s s, install+sync %s s, cp+sync %s s\n' \
    "$(seconds "$(best "${samples[atomic-install]}")")" \
    "$(seconds "$(best "${samples[install+sync]}")")" "$(seconds "$(best "${samples[cp+sync]}")")"
