#!/usr/bin/env bash
# Runs every benchmark side by side with its peers, in one run, and writes the report.
#
#   scripts/bench.sh            installs missing peers (Debian packages), builds in Release into
#                               build-release/, runs everything (20-30 minutes on 2 cores), writes
#                               docs/benchmarks.md and the plots in docs/benchmarks/
#   scripts/bench.sh --quick    every benchmark once at a tiny size, to prove they all still
#                               work (CI); the report goes to BUILD/bench-results/, docs/ is
#                               left alone
#   scripts/bench.sh --only batch,transaction
#                               only the steps named (the step names below), then regenerates
#                               only their sections of docs/benchmarks.md (and their plots),
#                               keeping every other section, target and plot as it was
# Options: --build-dir DIR (default build-release), --no-build (use the programs already built
# there), --dir DIR (where the benchmarks write; default BUILD/bench-data; must be a real disk,
# not tmpfs). Generated JSON inputs are cached in DIR/json (about 800 MB) for the next run.
# Steps: write_atomic safe_update primitives atomic_write json batch atomic_install
# scheduled_writer transaction replace_directory. The results directory holds one run only, so
# a run with --only cannot regenerate the other sections from their results: bench/report.py
# --only merges the sections of the steps run into the existing document instead (and adds the
# partial run to its "The run" table), and says so there.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's python3 and jsonpatch are the peers measured, whatever else is first in PATH.
export PATH="/usr/bin:/bin:$PATH"

quick=0
build_dir=build-release
build=1
data_dir=
only=
while (($#)); do
    case "$1" in
        --quick) quick=1 ;;
        --build-dir) build_dir="$2"; shift ;;
        --no-build) build=0 ;;
        --dir) data_dir="$2"; shift ;;
        --only) only="$2"; shift ;;
        *) echo "usage: scripts/bench.sh [--quick] [--build-dir DIR] [--no-build] [--dir DIR]" \
                "[--only STEP,...]" >&2
           exit 2 ;;
    esac
    shift
done

all_steps="write_atomic safe_update primitives atomic_write json batch atomic_install \
scheduled_writer transaction replace_directory"
for name in ${only//,/ }; do
    [[ " $all_steps " == *" $name "* ]] || {
        echo "bench: unknown step '$name' in --only (steps: $all_steps)" >&2
        exit 2
    }
done

# wanted NAME: whether step NAME runs in this run (every step, unless --only names some).
wanted() {
    [[ -z $only || ,$only, == *,$1,* ]]
}

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
    echo "only=$only"
    echo "bench_dir=$(cd "$data_dir" && pwd)"
    echo "file_system=$(or_unknown findmnt -n -o FSTYPE,SOURCE,OPTIONS -T "$data_dir")"
    echo "started=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    # The code measured: report.py may run later, on another commit.
    commit=$(or_unknown git rev-parse --short HEAD)
    [[ -z $(git status --porcelain --untracked-files=no 2>/dev/null) ]] ||
        commit+=", with uncommitted changes"
    echo "commit=$commit"
} >"$run_info"

load_average() {
    or_unknown cut -d' ' -f1-3 /proc/loadavg
}

# Runs one benchmark, recording its start time, its command and the load average around it;
# with --only, a step not named is skipped.
step() {
    local name="$1"
    shift
    wanted "$name" || return 0
    echo "== $name ==" >&2
    echo "command.$name=$*" >>"$run_info"
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
    json_edit=(--records 1000 --runs 1)
else
    rounds=9
    # A 4 KiB durable replace is two fsyncs, whose latency on a shared disk varies by +-30%:
    # 51 rounds make the median steady enough to compare methods a few percent apart.
    engine_rounds=51
    ops=()
    pipe=(--size 1G --runs 5)
    # Every peer gets the 5 runs a median needs, unless one run takes over 3 minutes.
    json=(--slow-seconds 60 --slow-runs 5)
    # set and get at the copy limit: 1000000 records make the 211 MB file of the JSON goals.
    json_edit=(--records 1000000 --runs 9)
fi

# The many-files benchmarks (group commit, atomic-install, ScheduledWriter, Transaction,
# replace_directory): in full mode the sizes and rounds their goals are stated for (6-10
# minutes together on a shared disk); in quick mode each once at a tiny size (about 6 seconds,
# most of it ScheduledWriter's four one-second windows).
if ((quick)); then
    batch=(--rounds 1 --files 20 --curve 1,10 --curve-rounds 1 --s-budget 2)
    install_files=(--files 20 --runs 1)
    scheduled=(--rounds 1 --ops 100)
    transaction=(--rounds 1 --ops 2)
    swap=(--rounds 1 --files 20)
else
    # S (one write_atomic after another) of 10,000 files stops after 20 s and is scaled up.
    batch=(--rounds 5 --files 1000 --curve 1,10,100,1000,10000 --curve-rounds 3 --s-budget 20)
    install_files=(--files 1000 --runs 5)
    scheduled=(--rounds 5 --ops 10000)
    # A commit of 10 files is a few ms, whose fsync latency varies: 15 medians of 20.
    transaction=(--rounds 15 --ops 20)
    swap=(--rounds 9 --files 1000)
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
# The json step: json-edit against its peers at several sizes (bench_json.py), then set and get
# against cp, cat and a SIMD validator in interleaved rounds (bench_json_edit).
json_benchmarks() {
    python3 bench/bench_json.py --dir "$data_dir/json" \
        --json-edit "$build_dir/tools/json-edit" "${json[@]}" >"$results/json.csv"
    if [[ -x $bin/bench_json_edit ]]; then
        "$bin/bench_json_edit" --dir "$data_dir" --json-edit "$build_dir/tools/json-edit" \
            "${json_edit[@]}" --csv "$results/json_edit.csv" >"$results/json_edit.txt"
    else
        echo "bench: bench_json_edit was not built: its part of the json step skipped" >&2
    fi
}
if [[ ! -x $build_dir/tools/json-edit ]]; then
    echo "bench: json-edit was not built: json benchmark skipped" >&2
elif type -P time >/dev/null; then
    step json json_benchmarks
else
    echo "bench: GNU time not found (Debian package time): json benchmark skipped" >&2
fi

# built_step NAME PROGRAM ARG...: step NAME running PROGRAM, or a note that it was not built (a
# build without benchmarks, or a build directory of stubs), so that the other steps still run.
built_step() {
    if [[ -x $2 ]]; then
        step "$@"
    elif wanted "$1"; then
        echo "bench: ${2##*/} was not built: $1 benchmark skipped" >&2
    fi
}

built_step batch "$bin/bench_batch" --dir "$data_dir" "${batch[@]}" \
    --csv "$results/batch_curve.csv" >"$results/batch.csv"
if [[ -x $build_dir/tools/atomic-install ]]; then
    step atomic_install bash bench/bench_atomic_install.sh --tool "$build_dir/tools/atomic-install" \
        --dir "$data_dir" "${install_files[@]}" --csv >"$results/atomic_install.csv"
elif wanted atomic_install; then
    echo "bench: atomic-install was not built: atomic_install benchmark skipped" >&2
fi
built_step scheduled_writer "$bin/bench_scheduled_writer" --dir "$data_dir" "${scheduled[@]}" \
    >"$results/scheduled_writer.csv"
built_step transaction "$bin/bench_transaction" --dir "$data_dir" "${transaction[@]}" \
    >"$results/transaction.csv"
built_step replace_directory "$bin/bench_replace_directory" --dir "$data_dir" "${swap[@]}" \
    >"$results/replace_directory.csv"

echo "finished=$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$run_info"
((quick)) && rm -rf "$data_dir"

if ((quick)); then
    report=(--out "$results/benchmarks.md" --plots "$results/plots")
else
    report=(--out docs/benchmarks.md --plots docs/benchmarks)
    if [[ -n $only ]]; then
        report+=(--only "$only")
    fi
fi
python3 bench/report.py --results "$results" --build-dir "$build_dir" "${report[@]}"
