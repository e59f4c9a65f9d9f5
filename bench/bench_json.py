#!/usr/bin/env python3
"""Benchmark: setting one key in a large JSON file, json-edit against its peers.

Peers, each run as its own process on a fresh copy of the same file:
  json-edit            json-edit FILE set /meta/version N        (default durability: full)
  json-edit -d none    the same without fsyncs, like every peer below
  jq+mv                sh -c 'jq ".meta.version = N" FILE > FILE.tmp && mv FILE.tmp FILE'
  Python json          bench/json_set_python.py: json.load, set, json.dump, os.replace
  jsonpatch            jsonpatch -i --indent 2 FILE PATCH  (Debian python3-jsonpatch)

Files come from this generator (python3 -c '...' RECORDS > FILE; about 211 bytes a
record) and are cached in DIR as data-RECORDS.json, since the generator is deterministic and
slow. Before each run the working file is restored from that copy and sync(2) is called, so no
run pays for another's writeback; the copy leaves the file in the page cache (warm runs).
Every run sets a new value and the result is checked.

--table sizes run every peer; --sweep sizes run json-edit and jq only (for the time-against-size
plot; table sizes are part of the sweep too). Each peer runs --runs times at each size, except a
peer whose first run there took longer than --slow-seconds: it runs --slow-runs times, or once
when its first run took longer than 3x --slow-seconds. The report states every run count.

Each run's wall time and its peak RSS (GNU time's %M, the largest resident set of the process
and of the children it waited for, e.g. jq under the shell) are printed as CSV rows:
  json,METHOD,FILE_BYTES,RUN,seconds,VALUE
  json,METHOD,FILE_BYTES,RUN,peak_rss_kib,VALUE
"""
import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

GENERATOR = (
    'import json,sys;n=int(sys.argv[1]);json.dump({"meta":{"version":1,"name":"bench"},'
    '"records":[{"id":i,"name":"user%d"%i,"email":"user%d@example.com"%i,"score":i*0.5,'
    '"active":i%2==0,"tags":["a","b","c"]} for i in range(n)]},sys.stdout,indent=2);print()'
)


def log(message):
    print(f"bench_json: {message}", file=sys.stderr, flush=True)


def command_for(method, file, value, json_edit):
    if method == "json-edit":
        return [json_edit, file, "set", "/meta/version", str(value)]
    if method == "json-edit -d none":
        return [json_edit, "-d", "none", file, "set", "/meta/version", str(value)]
    if method == "jq+mv":
        script = 'jq ".meta.version = $1" "$2" > "$2.tmp" && mv "$2.tmp" "$2"'
        return ["sh", "-c", script, "sh", str(value), file]
    if method == "Python json":
        return [sys.executable, str(HERE / "json_set_python.py"), file, str(value)]
    if method == "jsonpatch":
        patch = f"{file}.patch"
        Path(patch).write_text(
            f'[{{"op": "replace", "path": "/meta/version", "value": {value}}}]')
        return ["jsonpatch", "-i", "--indent", "2", file, patch]
    raise ValueError(method)


def measure(argv, scratch):
    """Runs argv under GNU time; returns (seconds, peak RSS in KiB).

    The RSS comes from GNU time, not from this process's wait4: a child forked from Python
    starts with Python's resident pages, which would set a floor of several MiB under every
    figure."""
    report = f"{scratch}.rusage"
    timed = ["time", "-f", "%M", "-o", report, "--"] + argv
    start = time.perf_counter()
    result = subprocess.run(timed)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed with status {result.returncode}")
    rss = int(Path(report).read_text().split()[-1])
    os.unlink(report)
    return seconds, rss


def generate(directory, records):
    pristine = directory / f"data-{records}.json"
    if not pristine.exists():
        log(f"generating {records} records")
        partial = pristine.with_suffix(".partial")
        with open(partial, "wb") as out:
            subprocess.run([sys.executable, "-c", GENERATOR, str(records)], stdout=out,
                           check=True)
        partial.rename(pristine)
    return pristine


def check_result(file, value):
    with open(file, "rb") as f:
        head = f.read(200)
    if f'"version": {value}'.encode() not in head:
        raise RuntimeError(f"{file}: the edit did not land: {head[:80]!r}")


def run_count(first_seconds, args):
    if first_seconds <= args.slow_seconds:
        return args.runs
    if first_seconds <= 3 * args.slow_seconds:
        return min(args.runs, args.slow_runs)
    return 1


def bench_size(pristine, methods, args):
    size = pristine.stat().st_size
    work = pristine.with_name("work.json")
    planned = {method: args.runs for method in methods}
    value = 1
    for run in range(1, args.runs + 1):
        for method in methods:
            if run > planned[method]:
                continue
            shutil.copyfile(pristine, work)
            os.sync()
            value += 1
            seconds, rss = measure(command_for(method, str(work), value, args.json_edit), work)
            check_result(work, value)
            if run == 1:
                planned[method] = run_count(seconds, args)
            print(f"json,{method},{size},{run},seconds,{seconds:.4f}")
            print(f"json,{method},{size},{run},peak_rss_kib,{rss}", flush=True)
            log(f"{size / 1e6:.0f} MB {method} run {run}/{planned[method]}: {seconds:.2f} s, "
                f"{rss / 1024:.0f} MiB")
    for leftover in (work, Path(f"{work}.patch"), Path(f"{work}.tmp")):
        leftover.unlink(missing_ok=True)


def parse_counts(text):
    return [int(item) for item in text.split(",") if item]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True, type=Path)
    parser.add_argument("--json-edit", required=True)
    parser.add_argument("--table", default="250000,1000000", help="record counts, all peers")
    parser.add_argument("--sweep", default="5000,50000,500000,2000000",
                        help="record counts, json-edit and jq only")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--slow-seconds", type=float, default=20)
    parser.add_argument("--slow-runs", type=int, default=3)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)

    table_methods = ["json-edit", "json-edit -d none", "jq+mv", "Python json", "jsonpatch"]
    if shutil.which("time") is None:
        sys.exit("bench_json: GNU time not found (Debian package time)")
    missing = [tool for tool in ("jq", "jsonpatch") if shutil.which(tool) is None]
    for tool in missing:
        log(f"{tool} not found: skipped")
    table_methods = [m for m in table_methods if m.split("+")[0] not in missing]
    sweep_methods = [m for m in ("json-edit", "jq+mv") if m in table_methods]

    table = parse_counts(args.table)
    for records in sorted(set(table) | set(parse_counts(args.sweep))):
        methods = table_methods if records in table else sweep_methods
        bench_size(generate(args.dir, records), methods, args)


if __name__ == "__main__":
    main()
