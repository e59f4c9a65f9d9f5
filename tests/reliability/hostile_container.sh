#!/usr/bin/env bash
# The hostile user, family "container": a fresh machine that is a container or a chroot, where
# /proc may not be mounted (no mount table, no load average, no CPU or memory figures), standard
# input is closed and there is no terminal. The benchmark scripts and their report must run to
# the end and write "unknown" for what they could not find out.
#
# The benchmark programs themselves are stood in for by stubs that print nothing: they never
# look at the mount table; what is under test is the probing in scripts/bench.sh and
# bench/report.py. The Python peers (bench/tutorial_safe_update.py, bench/bench_tempfile.py)
# run for real, at the quick size.
source "$(dirname "$0")/lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 is not installed"
command -v unshare >/dev/null || skip "unshare is not installed (util-linux)"
unshare -m --propagation private true 2>/dev/null || skip "cannot make a mount namespace here"
hostile_setup
SOURCE_DIR=$(cd "$(dirname "$0")/../.." && pwd)

# without_proc COMMAND...: runs COMMAND in its own mount namespace with an empty /proc, as in a
# chroot where nobody mounted it, in a new session (no controlling terminal), stdin closed.
without_proc() {
    setsid -w unshare -m --propagation private \
        bash -c 'mount -t tmpfs none /proc && exec "$@"' without_proc "$@" <&-
}

# A results directory as scripts/bench.sh wrote it where findmnt saw no mount and
# /proc/loadavg was missing: the fields are present and empty.
results="$SCRATCH/results"
mkdir "$results"
cat >"$results/run.txt" <<'EOF'
mode=quick
bench_dir=/bench
file_system=
started=2026-01-01T00:00:00Z
step=atomic_write start=00:00:01 load_before=
step=atomic_write end=00:00:02 load_after=
finished=2026-01-01T00:00:03Z
EOF

report() {
    python3 "$SOURCE_DIR/bench/report.py" --results "$results" --build-dir "$SCRATCH/none" \
        --out "$SCRATCH/$1.md" --plots "$SCRATCH/plots-$1" >"$SCRATCH/$1.log" 2>&1 <&-
}

report_without_mount_info() {
    report empty-fields &&
        grep -q "bench directory on unknown" "$SCRATCH/empty-fields.md" &&
        grep -q "| File system of the bench directory | unknown |" "$SCRATCH/empty-fields.md" &&
        grep -q "load average around the steps: unknown" "$SCRATCH/empty-fields.md"
}
check "report.py, empty file system and load fields: completes, says unknown" \
    report_without_mount_info

report_without_proc() {
    without_proc python3 "$SOURCE_DIR/bench/report.py" --results "$results" \
        --build-dir "$SCRATCH/none" --out "$SCRATCH/no-proc.md" \
        --plots "$SCRATCH/plots-no-proc" >"$SCRATCH/no-proc.log" 2>&1 &&
        grep -q "| CPU | unknown, " "$SCRATCH/no-proc.md" &&
        grep -q "| Memory | unknown |" "$SCRATCH/no-proc.md"
}
check "report.py with no /proc (no cpuinfo, meminfo): completes, says unknown" \
    report_without_proc

# A build directory whose C++ benchmarks are stubs; json-edit is not built, so the json step is
# skipped as the script says.
build="$SCRATCH/build"
mkdir -p "$build/bench"
for program in bench_safe_update bench_primitives bench_atomic_write; do
    printf '#!/bin/sh\nexit 0\n' >"$build/bench/$program"
    chmod +x "$build/bench/$program"
done

bench_without_proc() {
    (cd "$SOURCE_DIR" && without_proc bash scripts/bench.sh --quick --no-build \
        --build-dir "$build" --dir "$SCRATCH/data") >"$SCRATCH/bench.log" 2>&1 &&
        grep -qx "file_system=unknown" "$build/bench-results/run.txt" &&
        grep -q "load_before=unknown" "$build/bench-results/run.txt" &&
        grep -q "bench directory on unknown" "$build/bench-results/benchmarks.md"
}
check "scripts/bench.sh --quick with no /proc, no tty, stdin closed: reports unknown" \
    bench_without_proc

for log in "$SCRATCH"/*.log; do
    grep -q "Traceback" "$log" && sed 's/^/  /' "$log"
done
hostile_summary container
