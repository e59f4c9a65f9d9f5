#!/usr/bin/env bash
# Runs every benchmark side by side with its peers, in one run, and writes the report.
#
#   scripts/bench.sh            installs missing peers (Debian packages), builds in Release into
#                               build-release/, runs everything (20-30 minutes on 2 cores), writes
#                               docs/benchmarks.md and the plots in docs/benchmarks/
#   scripts/bench.sh --quick    every benchmark once at a tiny size, to prove they all still
#                               work (CI); the report goes to BUILD/bench-results/, docs/ is
#                               left alone
# Options: --build-dir DIR (default build-release), --no-build (use the programs already built
# there), --dir DIR (where the benchmarks write; default BUILD/bench-data; must be a real disk,
# not tmpfs). Generated JSON inputs are cached in DIR/json (about 800 MB) for the next run.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's python3 and jsonpatch are the peers measured, whatever else is first in PATH.
export PATH="/usr/bin:/bin:$PATH"

quick=0
build_dir=build-release
build=1
data_dir=
while (($#)); do
    case "$1" in
        --quick) quick=1 ;;
        --build-dir) build_dir="$2"; shift ;;
        --no-build) build=0 ;;
        --dir) data_dir="$2"; shift ;;
        *) echo "usage: scripts/bench.sh [--quick] [--build-dir DIR] [--no-build] [--dir DIR]" >&2
           exit 2 ;;
    esac
    shift
done

if ((quick)); then
    data_dir="${data_dir:-$build_dir/bench-data-quick}"
else
    bash scripts/install-deps.sh --with-benchmarks
    data_dir="${data_dir:-$build_dir/bench-data}"
fi

if ((build)); then
    cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DATOMFILE_BUILD_TESTS=OFF >/dev/null
    cmake --build "$build_dir" -j"$(nproc)"
fi

results="$build_dir/bench-results"
rm -rf "$results"
mkdir -p "$results" "$data_dir"

# or_unknown COMMAND...: its output, or "unknown" when it fails or says nothing. A container or
# a chroot may have no mount table (/proc not mounted, or mounts hidden) and no load average:
# the run goes on and the report says what it could not find out.
or_unknown() {
    local out
    out=$("$@" 2>/dev/null) || out=
    out=${out//$'\n'/ }
    [[ -n ${out// /} && $out != - ]] && echo "$out" || echo unknown
}

fs_type=$(or_unknown findmnt -n -o FSTYPE -T "$data_dir")
if [[ "$fs_type" == tmpfs || "$fs_type" == ramfs ]]; then
    echo "bench: $data_dir is on $fs_type; pass --dir on a real disk" >&2
    exit 1
fi
[[ $fs_type != unknown ]] ||
    echo "bench: cannot tell the file system of $data_dir (no mount table here); going on" >&2

run_info="$results/run.txt"
{
    echo "mode=$( ((quick)) && echo quick || echo full)"
    echo "bench_dir=$(cd "$data_dir" && pwd)"
    echo "file_system=$(or_unknown findmnt -n -o FSTYPE,SOURCE,OPTIONS -T "$data_dir")"
    echo "started=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$run_info"

load_average() {
    or_unknown cut -d' ' -f1-3 /proc/loadavg
}

# Runs one benchmark, recording its start time and the load average around it.
step() {
    local name="$1"
    shift
    echo "== $name ==" >&2
    echo "step=$name start=$(date -u +%H:%M:%S) load_before=$(load_average)" >>"$run_info"
    "$@"
    echo "step=$name end=$(date -u +%H:%M:%S) load_after=$(load_average)" >>"$run_info"
}

bin="$build_dir/bench"
if ((quick)); then
    rounds=1
    engine_rounds=1
    ops=(--ops 3)
    pipe=(--size 1M --runs 1)
    json=(--table 300 --sweep 100,1000 --runs 1)
else
    rounds=9
    # A 4 KiB durable replace is two fsyncs, whose latency on a shared disk varies by +-30%:
    # 51 rounds make the median steady enough to compare methods a few percent apart.
    engine_rounds=51
    ops=()
    pipe=(--size 1G --runs 5)
    # Every peer gets the 5 runs a median needs, unless one run takes over 3 minutes.
    json=(--slow-seconds 60 --slow-runs 5)
fi

# A C++ program and its Python peer, one round each in turn, so that both see the same load.
alternate() {
    local program="$1" peer="$2" out="$3" round
    for ((round = 1; round <= rounds; round++)); do
        "$program" --dir "$data_dir" --rounds 1 "${ops[@]}" >>"$out"
        python3 "$peer" --dir "$data_dir" --rounds 1 "${ops[@]}" >>"$out"
    done
}

if [[ -x "$bin/bench_write_atomic" ]]; then
    step write_atomic "$bin/bench_write_atomic" --dir "$data_dir" --rounds "$engine_rounds" \
        "${ops[@]}" >"$results/write_atomic.txt"
else
    echo "bench: bench_write_atomic was not built (GLib's development files missing?)" >&2
fi
step safe_update alternate "$bin/bench_safe_update" bench/tutorial_safe_update.py \
    "$results/safe_update.csv"
step primitives alternate "$bin/bench_primitives" bench/bench_tempfile.py \
    "$results/primitives.csv"
step atomic_write "$bin/bench_atomic_write" --dir "$data_dir" "${pipe[@]}" \
    >"$results/atomic_write.txt"
if [[ ! -x $build_dir/tools/json-edit ]]; then
    echo "bench: json-edit was not built: json benchmark skipped" >&2
elif type -P time >/dev/null; then
    step json python3 bench/bench_json.py --dir "$data_dir/json" \
        --json-edit "$build_dir/tools/json-edit" "${json[@]}" >"$results/json.csv"
else
    echo "bench: GNU time not found (Debian package time): json benchmark skipped" >&2
fi

echo "finished=$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$run_info"
((quick)) && rm -rf "$data_dir"

if ((quick)); then
    report=(--out "$results/benchmarks.md" --plots "$results/plots")
else
    report=(--out docs/benchmarks.md --plots docs/benchmarks)
fi
python3 bench/report.py --results "$results" --build-dir "$build_dir" "${report[@]}"
