#!/usr/bin/env python3
"""Turns the results of one run of scripts/bench.sh into docs/benchmarks.md and PNG plots.

Reads from --results: run.txt (when, where, load), write_atomic.txt (bench_write_atomic's
table), safe_update.csv, primitives.csv, json.csv (rows BENCH,METHOD,SIZE,RUN,METRIC,VALUE)
and atomic_write.txt (bench_atomic_write's per-run lines). Every figure in the report is
computed here from those files; nothing is typed in. Standard library only; the plots need
gnuplot (skipped with a note when it is missing).
"""
import argparse
import fnmatch
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ATOMFILE_COLOR = "#1f77b4"
PEER_COLOR = "#ff7f0e"


# ---- reading the results -------------------------------------------------------------------

def read_text(path):
    """A file's text, or "" when it cannot be read: a container or a chroot may lack /proc, and
    a report says "unknown" for what it cannot find out rather than stop."""
    try:
        return Path(path).read_text()
    except (OSError, UnicodeDecodeError):
        return ""


def known(value):
    """The value, or "unknown" when it is empty or only a placeholder."""
    value = (value or "").strip()
    return value if value and value not in ("-", "?") else "unknown"


def first_word(value):
    return known(value).split()[0]


STEP_LINE = re.compile(r"^step=(\S*) (start|end)=(\S*) load_(?:before|after)=(.*)$")


def read_run_info(results):
    info, steps = {}, []
    for line in read_text(results / "run.txt").splitlines():
        if line.startswith("step="):
            match = STEP_LINE.match(line)
            if match:
                name, when, time, load = match.groups()
                steps.append({"step": name, when: known(time), "load": known(load)})
        elif "=" in line:
            key, value = line.split("=", 1)
            info[key] = value
    return info, steps


def read_rows(path):
    """Samples of a long-format CSV: {(bench, method, size, metric): [values]}. Method names may
    contain commas, so the fields are split from both ends."""
    samples = defaultdict(list)
    if not path.exists():
        return samples
    for line in path.read_text().splitlines():
        fields = line.split(",")
        if len(fields) < 6:
            continue
        bench, method = fields[0], ",".join(fields[1:-4])
        size, _run, metric, value = fields[-4:]
        samples[(bench, method, int(size), metric)].append(float(value))
    return samples


def read_write_atomic(path):
    """bench_write_atomic's markdown table: {method: (median, min, max, ratio to bare)}, times
    in microseconds."""
    rows = {}
    if not path.exists():
        return rows, ""
    text = path.read_text()
    pattern = re.compile(r"^\| (.+?) \| ([\d.]+) \| ([\d.]+)-([\d.]+) \| ([\d.]+)x \|",
                         re.M)
    for name, median, low, high, versus_bare in pattern.findall(text):
        rows[name] = (float(median), float(low), float(high), float(versus_bare))
    return rows, text.splitlines()[0] if text else ""


AW_LINE = re.compile(r"^run \d+\s+(?:(create|replace)\s+)?(\S+)\s+([\d.]+) s"
                     r"(?:\s+([\d.]+) MiB/s\s+peak RSS\s+(\d+) KiB(?:\s+sys\s+([\d.]+) s)?)?")


def read_atomic_write(path):
    """bench_atomic_write's per-run lines: {case: {method: {"mib_s": [...], "seconds": [...],
    "rss_kib": [...], "sys_s": [...]}}}; lines without a case (older runs) are "create"."""
    runs = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    header = ""
    for line in read_text(path).splitlines():
        match = AW_LINE.match(line)
        if match:
            case, name, seconds, rate, rss, system = match.groups()
            data = runs[case or "create"][name]
            data["seconds"].append(float(seconds))
            if rate is not None:
                data["mib_s"].append(float(rate))
                data["rss_kib"].append(int(rss))
            if system is not None:
                data["sys_s"].append(float(system))
        elif "through a pipe" in line:
            header = line
    return runs, header


# ---- the machine and the peers ---------------------------------------------------------------

def command_output(argv):
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    text = (result.stdout or result.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


def debian_version(package):
    version = command_output(["dpkg-query", "-W", "-f=${Version}", package])
    return f"Debian {package} {version}" if version not in ("not found", "unknown") else ""


def cmake_cache(build_dir, key):
    cache = build_dir / "CMakeCache.txt"
    if cache.exists():
        for line in cache.read_text().splitlines():
            if line.startswith(key + ":"):
                return line.split("=", 1)[1]
    return ""


def machine(info):
    cpu = "unknown"
    for line in read_text("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            cpu = known(line.split(":", 1)[1])
            break
    memory = "unknown"
    for line in read_text("/proc/meminfo").splitlines():
        fields = line.split()
        if line.startswith("MemTotal:") and len(fields) > 1 and fields[1].isdigit():
            memory = f"{int(fields[1]) / 1024 / 1024:.1f} GiB"
    os_name = known(platform.system())
    for line in read_text("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            os_name = known(line.split("=", 1)[1].strip('"'))
    virt = command_output(["systemd-detect-virt"])
    cores = os.cpu_count()
    return [
        ("CPU", f"{cpu}, {cores if cores else 'unknown number of'} logical cores"),
        ("Memory", memory),
        ("Virtualization", virt if virt not in ("not found", "unknown") else "not detected"),
        ("OS", os_name),
        ("Kernel", f"Linux {known(platform.release())}"),
        ("File system of the bench directory", known(info.get("file_system"))),
    ]


def versions(build_dir, info):
    compiler = cmake_cache(build_dir, "CMAKE_CXX_COMPILER")
    # The commit scripts/bench.sh measured (run.txt); a run from before it said so, the checkout's.
    commit = info.get("commit")
    if not commit:
        dirty = command_output(["git", "status", "--porcelain", "--untracked-files=no"])
        commit = command_output(["git", "rev-parse", "--short", "HEAD"]) + (
            ", with uncommitted changes" if dirty not in ("", "unknown") else "")
    return [
        ("atomfile", f"{cmake_cache(build_dir, 'CMAKE_PROJECT_VERSION') or '?'} (git {commit}), "
                     f"{cmake_cache(build_dir, 'CMAKE_BUILD_TYPE')} build"),
        ("C++ compiler", command_output([compiler or "c++", "--version"])),
        ("glibc", os.confstr("CS_GNU_LIBC_VERSION")),
        ("GLib", command_output(["pkg-config", "--modversion", "glib-2.0"])),
        ("Python (python3 on PATH)", f"{command_output(['python3', '--version'])} "
                                     f"({shutil.which('python3')})"),
        ("jq", command_output(["jq", "--version"])),
        ("sponge", debian_version("moreutils") or "not found"),
        ("jsonpatch", f"{command_output(['jsonpatch', '--version'])}, "
                      f"{debian_version('python3-jsonpatch')}"),
        ("cat, sync", command_output(["cat", "--version"])),
        ("GNU time (peak RSS of json runs)", debian_version("time") or "not found"),
        ("gnuplot", command_output(["gnuplot", "--version"])),
    ]


# ---- statistics and formatting ---------------------------------------------------------------

class Stat:
    def __init__(self, values):
        self.values = list(values)
        self.median = statistics.median(self.values)
        self.low = min(self.values)
        self.high = max(self.values)
        self.n = len(self.values)


def fmt(value, digits=3):
    """A figure with `digits` significant digits, never in exponent form."""
    if value == 0:
        return "0"
    decimals = max(0, digits - 1 - int(f"{abs(value):e}".split("e")[1]))
    return f"{value:.{decimals}f}"


def spread(stat, digits=3):
    return f"{fmt(stat.median, digits)} ({fmt(stat.low, digits)}–{fmt(stat.high, digits)})"


def ratio(a, b):
    return f"{fmt(a / b, 3)}×" if b else "n/a"


def verdict(ok):
    return "**met**" if ok else "**not met**"


def cell(value):
    return str(value).replace("|", "\\|")


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def human_size(size):
    return f"{size / 1e6:.0f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"


# ---- plots -----------------------------------------------------------------------------------

class Plotter:
    """Writes each plot's data and gnuplot script next to the PNG's source, then runs gnuplot."""

    def __init__(self, out_dir, work_dir, stale=("*.png",)):
        self.out_dir = out_dir
        self.work_dir = work_dir
        self.available = shutil.which("gnuplot") is not None
        self.made = []
        self.owned = stale  # a partial run (--only) draws only the plots it replaces
        out_dir.mkdir(parents=True, exist_ok=True)
        work_dir.mkdir(parents=True, exist_ok=True)
        for pattern in stale:  # a plot this run cannot make must not survive
            for old in out_dir.glob(pattern):
                old.unlink()

    def run(self, name, script, data):
        if not self.available or not any(fnmatch.fnmatch(f"{name}.png", pattern)
                                         for pattern in self.owned):
            return
        (self.work_dir / f"{name}.dat").write_text(data)
        png = (self.out_dir / f"{name}.png").resolve()
        head = (f'set terminal pngcairo size 1100,640 font "sans,10"\n'
                f'set output "{png}"\n'
                f'set grid ytics\nset key top left\n')
        (self.work_dir / f"{name}.gp").write_text(head + script)
        result = subprocess.run(["gnuplot", f"{name}.gp"], cwd=self.work_dir,
                                capture_output=True, text=True)
        if result.returncode != 0:
            print(f"report: gnuplot failed for {name}: {result.stderr}", file=sys.stderr)
        else:
            self.made.append(name)

    def bars(self, name, title, ylabel, rows, log=False):
        """rows: (label, Stat, is_atomfile). Bars at the median, error bars min to max."""
        data = "".join(f'"{label}" {s.median} {s.low} {s.high} '
                       f'{0x1f77b4 if mine else 0xff7f0e}\n' for label, s, mine in rows)
        script = (f'set title "{title}\\n(blue: atomfile, orange: peers)" noenhanced\n'
                  f'set ylabel "{ylabel}"\nset style fill solid 0.8 border -1\nset boxwidth 0.6\n'
                  f'set xtics rotate by -30 left noenhanced\nset bmargin 15\nset rmargin 24\n'
                  f'set xrange [-0.6:{len(rows) - 0.4}]\nunset key\n'
                  + ('set logscale y\n' if log else 'set yrange [0:*]\n') +
                  f'plot "{name}.dat" using 0:2:5:xtic(1) with boxes lc rgb variable, '
                  f'"" using 0:2:3:4 with yerrorbars lc rgb "black" pt 7 ps 0.3\n')
        self.run(name, script, data)

    def lines(self, name, title, xlabel, ylabel, series):
        """series: (title, [(x, Stat)]). Log-log, points at the median, bars min to max."""
        blocks, plots = [], []
        for index, (label, points) in enumerate(series):
            blocks.append("".join(f"{x} {s.median} {s.low} {s.high}\n" for x, s in points))
            plots.append(f'"{name}.dat" index {index} using 1:2:3:4 with yerrorlines '
                         f'lw 2 title "{label}"')
        script = (f'set title "{title}"\nset xlabel "{xlabel}"\nset ylabel "{ylabel}"\n'
                  f'set logscale xy\nset offsets graph 0.05, graph 0.05, 0, 0\n'
                  f'set key noenhanced\nplot ' + ", ".join(plots) + "\n")
        self.run(name, script, "\n\n".join(blocks))


# ---- sections --------------------------------------------------------------------------------

def find(rows, prefix):
    for name in rows:
        if name.startswith(prefix):
            return name
    return None


def engine_section(results, samples, plotter, targets):
    rows, header = read_write_atomic(results / "write_atomic.txt")
    out = ["## The engine: 4 KiB durable replace\n"]
    if not rows:
        out.append("bench_write_atomic did not run (it is built only where GLib's development "
                   "files are found).\n")
    else:
        bare = find(rows, "bare syscalls (fsync")
        full = find(rows, "write_atomic, Durability::full")
        glib = find(rows, "GLib")
        out.append(f"`bench_write_atomic`: {header.strip()}. Time per replace in µs, median "
                   "over rounds (each round: the mean of its replaces), min–max over rounds; "
                   "ratios against the bare system-call sequence with the same syncs, as "
                   "computed by the program.\n")
        out.append(table(["method", "µs per replace", "÷ bare (same syncs)"],
                         [(name, spread(Stat(row[:3])), f"{row[3]:.3f}×")
                          for name, row in rows.items()]))
        if bare and full:
            value = rows[full][0] / rows[bare][0]
            targets.append(("write_atomic(full) ÷ bare syscalls, 4 KiB", "≤ 1.05",
                            f"{value:.3f}", value <= 1.05))
        if glib and full:
            value = rows[full][0] / rows[glib][0]
            targets.append(("write_atomic(full) ÷ GLib CONSISTENT|DURABLE, 4 KiB", "≤ 1.0",
                            f"{value:.3f}", value <= 1.0))
        plotter.bars("write_atomic", "4 KiB replace (median, min-max over rounds)",
                     "µs per replace",
                     [(name, Stat(rows[name][:3]), name.startswith("write_atomic"))
                      for name in rows], log=True)
        out.append("![4 KiB replace](benchmarks/write_atomic.png)\n")

    updates = {key[1]: Stat(v) for key, v in samples.items()
               if key[0] == "safe_update" and key[3] == "us_per_op"}
    if updates:
        tutorial = find(updates, "Python tutorial")
        out.append("\n### Read, transform, replace: against the Python tutorial's safe_update\n")
        out.append("`bench_safe_update` and `tutorial_safe_update.py`, one round of each in "
                   "turn so that both see the same load: a 4 KiB file flipped between two "
                   "contents, µs per update, median (min–max) over rounds. The tutorial's "
                   "recipe never fsyncs and takes no lock, so its peer is `Durability::none`; "
                   "the `full` rows show what surviving a power cut costs.\n\n")
        rows_out = []
        for name, stat in updates.items():
            versus = ratio(stat.median, updates[tutorial].median) if tutorial else "n/a"
            rows_out.append((name, spread(stat), versus))
        out.append(table(["method", "µs per update", "÷ tutorial"], rows_out))
        plotter.bars("safe_update", "4 KiB read-transform-replace (median, min-max)",
                     "µs per update", [(n, s, n.startswith("atomfile"))
                                       for n, s in updates.items()], log=True)
        out.append("\n![safe_update](benchmarks/safe_update.png)\n")
    return "\n".join(out)


PRIMITIVE_PAIRS = [
    ("atomfile mkstemp", "Python tempfile.mkstemp"),
    ("atomfile NamedTemporaryFile", "Python NamedTemporaryFile"),
    ("atomfile TemporaryFile (O_TMPFILE)", "Python TemporaryFile (O_TMPFILE)"),
    ("atomfile TemporaryFile (fallback)", "Python TemporaryFile (fallback)"),
    ("atomfile SpooledTemporaryFile", "Python SpooledTemporaryFile"),
    ("atomfile SpooledTemporaryFile, rolled over", "Python SpooledTemporaryFile, rolled over"),
]


def primitives_section(samples, plotter):
    stats = {key[1]: Stat(v) for key, v in samples.items()
             if key[0] == "primitives" and key[3] == "us_per_op"}
    if not stats:
        return "## The primitives\n\nNot measured in this run.\n"
    glibc = stats.get("glibc mkstemp")
    rounds = min(s.n for s in stats.values())
    out = ["## The primitives: creating and disposing of one temp\n",
           f"`bench_primitives` (C++) and `bench_tempfile.py` (Python's tempfile), {rounds} "
           "rounds each, one round of each in turn so that both see the same load: one op "
           "creates a temp in the bench directory and disposes of it (close, and remove "
           "where it has a name). µs per op, median "
           "(min–max) over rounds. The fallback rows refuse O_TMPFILE (atomfile through its "
           "platform fault seam, Python through `tempfile._O_TMPFILE_WORKS`); the spooled "
           "rows write 4 KiB, and the rolled-over ones then move it to disk.\n"]
    rows = []
    if glibc:
        rows.append(("glibc mkstemp + close + unlink", spread(glibc), "", "", ""))
    for mine, peer in PRIMITIVE_PAIRS:
        if mine not in stats:
            continue
        peer_stat = stats.get(peer)
        rows.append((mine.replace("atomfile ", ""), spread(stats[mine]),
                     spread(peer_stat) if peer_stat else "n/a",
                     ratio(stats[mine].median, peer_stat.median) if peer_stat else "n/a",
                     ratio(stats[mine].median, glibc.median) if glibc else "n/a"))
    out.append(table(["primitive", "atomfile µs", "Python µs", "atomfile ÷ Python",
                      "÷ glibc mkstemp"], rows))
    plot_rows = []
    for mine, peer in PRIMITIVE_PAIRS:
        for name in (mine, peer):
            if name in stats:
                plot_rows.append((name, stats[name], name.startswith("atomfile")))
    if glibc:
        plot_rows.insert(0, ("glibc mkstemp", glibc, False))
    plotter.bars("primitives", "Create and dispose of one temp (median, min-max)",
                 "µs per op (log)", plot_rows, log=True)
    out.append("\n![primitives](benchmarks/primitives.png)\n")
    return "\n".join(out)


def disk_scale_note(runs, disk):
    """What the "≥ 2× sponge" target asks of the disk, from the same run's direct+fsync line."""
    sponge = Stat(runs["sponge"]["mib_s"]).median
    ours = Stat(runs["atomic-write"]["mib_s"]).median
    return ("\ndirect+fsync is not a peer but a yardstick for the disk's durable write rate: no "
            "pipe and no tool, the bytes written from memory with O_DIRECT in 32 MiB blocks, then "
            "one fsync (not a strict ceiling: a writer that overlaps its writes can beat it). "
            f"sponge never syncs, so 2× sponge asks for {2 * sponge:.0f} MiB/s of durable "
            f"writing; in this run direct+fsync managed {disk:.0f} MiB/s ({disk / sponge:.2f}× "
            f"sponge) and atomic-write {ours:.0f} MiB/s.\n")


AW_CASES = {
    "create": ("Creating FILE", ""),
    "replace": ("Replacing an existing FILE of the same size",
                " FILE holds SIZE bytes before each command, cached and clean (the previous "
                "command's output): the rename drops its last name, so atomic-write frees the old "
                "file inside its own time, as cat does when the shell's `>` truncates it."),
}


def atomic_write_case(case, runs, disk, plotter, targets):
    title, note = AW_CASES.get(case, (case, ""))
    ours = Stat(runs["atomic-write"]["mib_s"])
    out = [f"### {title}\n"]
    if note:
        out.append(note.strip() + "\n")
    rows = []
    for name, data in runs.items():
        if not data["mib_s"]:
            continue
        stat = Stat(data["mib_s"])
        system = spread(Stat(data["sys_s"])) if data["sys_s"] else "unknown"
        rows.append((name, stat.n, spread(stat), spread(Stat(data["seconds"])), system,
                     f"{max(data['rss_kib']) / 1024:.1f}", ratio(ours.median, stat.median)))
    if disk and "direct+fsync" not in runs:
        rows.append(("direct+fsync (create case)", disk.n, spread(disk), "", "", "",
                     ratio(ours.median, disk.median)))
    out.append(table(["command", "runs", "MiB/s", "seconds", "system CPU s", "peak RSS MiB",
                      "atomic-write ÷ this"], rows))
    label = "" if case == "create" else f", {case}"
    if "cat+sync" in runs:
        value = ours.median / Stat(runs["cat+sync"]["mib_s"]).median
        targets.append((f"atomic-write ÷ `cat > f && sync f` throughput{label}", "≥ 0.9",
                        f"{value:.2f}", value >= 0.9))
    if "sponge" in runs and case == "create":
        value = ours.median / Stat(runs["sponge"]["mib_s"]).median
        targets.append(("atomic-write ÷ sponge throughput", "≥ 2", f"{value:.2f}", value >= 2))
        if disk:
            out.append(disk_scale_note(runs, disk.median))
    rss = max(runs["atomic-write"]["rss_kib"]) / 1024
    targets.append((f"atomic-write peak RSS{label}", "≤ 8 MiB", f"{rss:.1f} MiB", rss <= 8))
    if "free-old" in runs:
        freed = Stat(runs["free-old"]["seconds"])
        out.append(f"\nFreeing the old file on its own (the unlink of the cached, clean SIZE-byte "
                   f"FILE, timed after each run's replace case): {spread(freed)} s, median "
                   f"(min–max) over {freed.n} runs; every command of this case pays it once.\n")
    plot = "atomic_write" if case == "create" else f"atomic_write_{case}"
    plotter.bars(plot, f"{title} (median, min-max)", "MiB/s",
                 [(name, Stat(d["mib_s"]), name == "atomic-write")
                  for name, d in runs.items() if d["mib_s"]])
    out.append(f"\n![atomic-write, {case}](benchmarks/{plot}.png)\n")
    return out


def atomic_write_section(results, plotter, targets):
    cases, header = read_atomic_write(results / "atomic_write.txt")
    out = ["## atomic-write: a large input through a pipe\n"]
    if not any("atomic-write" in runs for runs in cases.values()):
        return out[0] + "\nNot measured in this run.\n"
    out.append(f"`bench_atomic_write`: {header.strip()}; in each case the commands interleaved "
               "in an order rotated each run, `sync` before each, direct+fsync after them all. "
               "Throughput in MiB/s over the whole pipeline (for cat+sync, including the "
               "`sync FILE` that follows; cat alone never syncs: the floor), median (min–max); "
               "system CPU of the consuming process (for cat+sync, cat's and sync's); peak RSS "
               "of the consuming process (the largest over runs).\n")
    direct = cases.get("create", {}).get("direct+fsync")
    disk = Stat(direct["mib_s"]) if direct and direct["mib_s"] else None
    for case, runs in cases.items():
        if "atomic-write" in runs:
            out += atomic_write_case(case, runs, disk, plotter, targets)
    return "\n".join(out)


JSON_ORDER = ["json-edit", "json-edit -d none", "jq+mv", "Python json", "jsonpatch"]


def json_section(samples, plotter, targets):
    seconds = {(k[1], k[2]): Stat(v) for k, v in samples.items()
               if k[0] == "json" and k[3] == "seconds"}
    rss = {(k[1], k[2]): max(v) for k, v in samples.items()
           if k[0] == "json" and k[3] == "peak_rss_kib"}
    if not seconds:
        return "## json-edit\n\nNot measured in this run.\n"
    sizes = sorted({size for _, size in seconds})
    table_sizes = [s for s in sizes if ("Python json", s) in seconds or ("jsonpatch", s) in seconds]
    out = ["## json-edit: set one key in a large file\n",
           "`bench_json.py`: files from the generator in bench_json.py; each run restores a fresh copy "
           "(then `sync`), runs the command under GNU time and checks the result. json-edit "
           "publishes with durability full (fsync of the file and its directory) unless "
           "`-d none`; jq+mv, Python and jsonpatch never fsync. Seconds, median (min–max); "
           "peak RSS is the largest over runs. Slow peers run fewer times at large sizes "
           "(the runs column says how many; fewer than 5 is below the usual rule).\n"]
    for size in table_sizes:
        jq = seconds.get(("jq+mv", size))
        out.append(f"\n### {human_size(size)} ({size} bytes)\n")
        rows = []
        for method in JSON_ORDER:
            stat = seconds.get((method, size))
            if not stat:
                continue
            peak = rss[(method, size)] * 1024
            versus_jq = ratio(stat.median, jq.median) if jq else "n/a"
            rows.append((method, stat.n, spread(stat), versus_jq, f"{peak / 2**20:.0f}",
                         f"{peak / size:.2f}×"))
        out.append(table(["command", "runs", "seconds", "÷ jq+mv", "peak RSS MiB",
                          "RSS ÷ file size"], rows))
    if table_sizes:
        size = table_sizes[-1]
        ours, jq = seconds.get(("json-edit", size)), seconds.get(("jq+mv", size))
        if ours and jq:
            value = ours.median / jq.median
            targets.append((f"json-edit ÷ jq+mv time, {human_size(size)}", "≤ 0.125 (1/8)",
                            f"{value:.3f}", value <= 0.125))
        if ("json-edit", size) in rss:
            value = rss[("json-edit", size)] * 1024 / size
            targets.append((f"json-edit peak RSS ÷ file size, {human_size(size)}", "≤ 1.5",
                            f"{value:.2f}", value <= 1.5))
        plot_rows = [(f"{m} {human_size(s)}", seconds[(m, s)], m.startswith("json-edit"))
                     for s in table_sizes for m in JSON_ORDER if (m, s) in seconds]
        plotter.bars("json_time", "Set one key (median, min-max)", "seconds (log)", plot_rows,
                     log=True)
        rss_rows = [(f"{m} {human_size(s)}", Stat([rss[(m, s)] / 1024]), m.startswith("json-edit"))
                    for s in table_sizes for m in JSON_ORDER if (m, s) in rss]
        plotter.bars("json_rss", "Set one key: peak RSS", "MiB (log)", rss_rows, log=True)
        out.append("\n![json time](benchmarks/json_time.png)\n\n"
                   "![json RSS](benchmarks/json_rss.png)\n")

    few = [f"{method} at {human_size(size)} ({stat.n} run{'s' if stat.n > 1 else ''})"
           for (method, size), stat in sorted(seconds.items(), key=lambda item: item[0][1])
           if stat.n < 5]
    if few:
        out.append("\nFewer than 5 runs in this run (the first run was slow; see "
                   "`bench/bench_json.py --slow-seconds`): " + "; ".join(few) + ".\n")
    out.append("\n### Time against file size: json-edit and jq\n")
    rows, series = [], defaultdict(list)
    for size in sizes:
        ours, jq = seconds.get(("json-edit", size)), seconds.get(("jq+mv", size))
        if not (ours and jq):
            continue
        rows.append((human_size(size), f"{ours.n} / {jq.n}", spread(ours), spread(jq),
                     ratio(ours.median, jq.median)))
        series["json-edit"].append((size / 1e6, ours))
        series["jq+mv"].append((size / 1e6, jq))
    out.append(table(["file size", "runs (json-edit / jq)", "json-edit s", "jq+mv s",
                      "÷ jq+mv"], rows))
    plotter.lines("json_scaling", "Set one key: time against file size (median, min-max)",
                  "file size (MB)", "seconds", list(series.items()))
    out.append("\n![json scaling](benchmarks/json_scaling.png)\n")
    return "\n".join(out)


# ---- json-edit at the copy limit (bench_json_edit) ------------------------------------------

JSON_EDIT_ORDER = [("cp FILE COPY", "`cp FILE COPY` (COPY exists: truncated)"),
                   ("cp FILE NEW", "`cp FILE NEW` (NEW does not exist: nothing freed)"),
                   ("cat FILE >/dev/null", "`cat FILE > /dev/null`"),
                   ("simdjson pass", "simdjson validating pass, in memory, warm"),
                   ("simdjson set", "a set built on simdjson, end to end "
                                    "(`bench_json_edit --simdjson-set FILE N`)"),
                   ("json-edit -d none set", "`json-edit -d none FILE set /meta/version N`"),
                   ("json-edit get", "`json-edit FILE get /meta/version`"),
                   ("jq + mv", "`jq '.meta.version = N' F > T && mv T F`"),
                   ("json-edit -d none set (before)", "set, by the build given as `--before`"),
                   ("json-edit get (before)", "get, by the build given as `--before`")]


def json_edit_met(ok):
    return "met" if ok else "**not met**"


def json_edit_figures(results):
    """{command: {metric: Stat}} of bench_json_edit's CSV, the file size, the SIMD kernel."""
    figures, size, kernel = defaultdict(dict), 0, None
    for (_bench, method, file_size, metric), values in read_rows(
            results / "json_edit.csv").items():
        if method.startswith("simdjson pass"):
            kernel = method[len("simdjson pass ("):-1]
            method = "simdjson pass"
        figures[method][metric] = Stat(values)
        size = file_size
    return figures, size, kernel


def json_edit_rows(figures, size):
    rows = []
    for method, label in JSON_EDIT_ORDER:
        if method not in figures:
            continue
        stats = figures[method]
        cpu = fmt(stats["cpu_seconds"].median) if "cpu_seconds" in stats else "—"
        rss = stats.get("peak_rss_kib")
        rss_cell = (f"{rss.high / 1024:.0f} MiB ({rss.high * 1024 / size:.2f}×)"
                    if rss else "—")
        rows.append([label, stats["seconds"].n, spread(stats["seconds"]), cpu, rss_cell])
    return rows


def json_edit_targets(figures, size, targets):
    """The goals of set and get at the copy limit, as (name, goal, value, met) in targets; the
    verdict sentences for the section."""
    seconds = {m: stats["seconds"].median for m, stats in figures.items() if "seconds" in stats}
    where, words = human_size(size), []
    set_time, cp = seconds.get("json-edit -d none set"), seconds.get("cp FILE COPY")
    if set_time and cp:
        targets.append((f"json-edit set -d none ÷ cp, {where}", "≤ 1.3", f"{set_time / cp:.2f}",
                        set_time / cp <= 1.3))
        words.append(f"set ÷ cp = {set_time / cp:.2f} ({json_edit_met(set_time / cp <= 1.3)})")
    get_time, cat = seconds.get("json-edit get"), seconds.get("cat FILE >/dev/null")
    floor = cat + seconds["simdjson pass"] if cat and "simdjson pass" in seconds else cat
    if get_time and floor:
        name = "(cat + SIMD pass)" if "simdjson pass" in seconds else "cat (no SIMD pass built)"
        targets.append((f"json-edit get ÷ {name}, {where}", "≤ 1.5",
                        f"{get_time / floor:.2f}", get_time / floor <= 1.5))
        words.append(f"get ÷ {name} = {get_time / floor:.2f} "
                     f"({json_edit_met(get_time / floor <= 1.5)})")
    peaks = [figures[m]["peak_rss_kib"].high for m in ("json-edit -d none set", "json-edit get")
             if "peak_rss_kib" in figures.get(m, {})]
    if peaks and size:
        rss = max(peaks) * 1024 / size
        targets.append((f"json-edit peak RSS of set and get ÷ file size, {where}", "≤ 1.1",
                        f"{rss:.2f}", rss <= 1.1))
        words.append(f"peak RSS ÷ file = {rss:.2f} ({json_edit_met(rss <= 1.1)})")
    jq = seconds.get("jq + mv")
    if jq and set_time:
        targets.append((f"json-edit: jq+mv time ÷ set time, {where}", "≥ 8",
                        f"{jq / set_time:.1f}", jq / set_time >= 8))
        words.append(f"jq+mv ÷ set = {jq / set_time:.1f} ({json_edit_met(jq / set_time >= 8)})")
    return words


def json_edit_floor(figures, file_system):
    """What a set that validates what it writes cannot beat, from this run's figures."""
    seconds = {m: stats["seconds"].median for m, stats in figures.items() if "seconds" in stats}
    cp, simd = seconds.get("cp FILE COPY"), seconds.get("simdjson pass")
    if not (cp and simd):
        return ""
    return (f"\nThe floor of a set that checks what it writes, in this run: the copy and one "
            f"validating pass. On one core they add up, cp + simdjson pass = "
            f"{fmt(cp + simd)} s = {(cp + simd) / cp:.2f}× cp; on two free cores they may "
            f"overlap (json-edit validates a file of 1 MiB or more on other threads while it "
            f"writes the edit, the unchanged bytes copied file to file in the kernel, and "
            f"commits only once the text is known valid)"
            + json_edit_two_core_floor(seconds, cp, simd, file_system)
            + f" The machine's load (see the run's table) decides whether the second core is "
            f"free. get maps the file (no copy: its RSS is the page cache's "
            f"pages) and validates it, a file of 4 MiB or more in two halves on two threads; "
            f"the validation is most of its time. Both pay the validation's whole CPU time (the "
            f"CPU column): on two cores no run can be shorter than half of it.\n"
            + json_edit_simdjson_set(seconds, cp))


def json_edit_two_core_floor(seconds, cp, simd, file_system):
    """How the floor on two cores ends the floor's sentence: from the copy to a new name when
    this run timed one, else the longer of cp and the pass."""
    copy = seconds.get("cp FILE NEW")
    # Mount options are the last word of run.txt's file_system line.
    options = (file_system or "").split()[-1:] or [""]
    discards = "discard" in options[0].split(",")
    if not copy:
        return (f", and the floor is the longer of the two, {max(cp, simd) / cp:.2f}× cp. Set "
                f"also pays what cp onto an existing COPY pays in its truncate: the replaced "
                f"file's pages are freed when its last mapping goes.")
    freeing = max(0.0, cp - copy)
    floor = freeing + max(copy, (copy + simd) / 2)
    return (f". What cannot overlap is freeing the replaced file, which set pays after its "
            f"commit and cp onto an existing COPY in its truncate: cp FILE COPY less cp FILE "
            f"NEW puts it at {fmt(freeing)} s"
            + (" (this file system is mounted with `discard`: freeing a file's blocks waits for "
               "the device to discard them, time off the CPU that no second core shortens)"
               if discards else "")
            + f". On two cores the floor is that freeing plus the "
            f"copy and the validating pass shared by both cores, never less than the copy "
            f"alone: {fmt(floor)} s = {floor / cp:.2f}× cp.")


def json_edit_simdjson_set(seconds, cp):
    """The sentence on the set built on simdjson, when this run measured one."""
    built = seconds.get("simdjson set")
    if not built:
        return ""
    words = "slower" if built > seconds.get("json-edit -d none set", built) else "faster"
    return (f"\nThe set built on simdjson is the alternative of using the SIMD validator in "
            f"json-edit, measured end to end: a process that validates with simdjson's DOM "
            f"parser on a second thread while it writes the edit as json-edit does, and takes "
            f"every shortcut json-edit cannot (the value found by a text search, no duplicate "
            f"keys, no JSONC). It took {fmt(built)} s = {built / cp:.2f}× cp, {words} than "
            f"json-edit's set: unlike the warm pass above, it pays for the parser's fresh "
            f"memory, as any process using it does.\n")


def json_edit_section(results, targets):
    """The `### Speed at the copy limit` part of the json-edit section, from bench_json_edit."""
    figures, size, kernel = json_edit_figures(results)
    out = ["### Speed at the copy limit: `bench_json_edit`\n"]
    if not figures:
        return out[0] + "\nNot measured in this run.\n"
    rounds = max(stats["seconds"].n for stats in figures.values() if "seconds" in stats)
    out.append(f"`bench_json_edit` (part of the json step) on the generator's "
               f"{human_size(size)} file ({size} bytes): every command once per round, "
               f"{rounds} interleaved round(s), each `set` writing a new value. Each `set` and "
               "each jq start from FILE as cp FILE COPY finds COPY, written by `cp` and written "
               "back (sync(2), untimed, before every command): how a file was written decides "
               "what replacing it costs. Freeing a file written back waits for the disk's "
               "discard where the file system discards, and a file written in small writes "
               "(as jq writes) sits in the page cache in small pages, which cost more to map "
               "and to free. Wall seconds, "
               "median (min–max); CPU seconds (user + system), median; peak RSS from wait4, the "
               "highest of the rounds. "
               + (f"The SIMD validator is simdjson's DOM parser ({kernel} kernel), timed inside "
                  "the benchmark on the file already in memory." if kernel else
                  "simdjson was not built in (libsimdjson-dev): get is compared with cat "
                  "alone.") + "\n")
    out.append(table(["command", "rounds", "wall s", "CPU s", "peak RSS"],
                     json_edit_rows(figures, size)))
    words = json_edit_targets(figures, size, targets)
    if words:
        out.append("**Verdict** (medians): " + "; ".join(words) + ".\n")
    out.append(json_edit_floor(figures, read_run_info(results)[0].get("file_system")))
    return "\n".join(out)


# ---- many files: group commit, atomic-install, ScheduledWriter, Transaction, directory swap ----

def own_rows(results, name):
    """Rows of one of the many-files benchmarks: {(method, size, metric): [values], in order}."""
    return {key[1:]: values for key, values in read_rows(results / name).items()}


def step_note(info, steps, name):
    """When step NAME ran, the load around it and its command: these sections may be merged
    into a document whose other sections come from another run (`bench.sh --only`)."""
    start = next((s for s in steps if s["step"] == name and "start" in s), {})
    end = next((s for s in steps if s["step"] == name and "end" in s), {})
    date = known(info.get("started"))[:10]
    command = known(info.get(f"command.{name}"))
    return (f"Measured {date} {start.get('start', 'unknown')}–{end.get('end', 'unknown')} UTC "
            f"({known(info.get('mode'))} mode), 1-minute load average "
            f"{start.get('load', 'unknown').split()[0]} before and "
            f"{end.get('load', 'unknown').split()[0]} after. Reproduce: "
            f"`scripts/bench.sh --only {name}` (Release build, then this section and its "
            f"targets), which ran:\n\n    {command}\n")


def median_best(stat, scale=1.0):
    return f"{fmt(stat.median * scale)} ({fmt(stat.low * scale)})"


def met_words(ok):
    return "met" if ok else "**not met**"


BATCH_METHODS = [("S", "write_atomic one by one (full)"), ("B", "Batch::commit (full)"),
                 ("F", "no sync at all (the floor)"), ("N", "Batch::commit, Durability::none")]


def batch_figures(seconds, layout, files):
    """{method: Stat of seconds} of one layout and size, or None when a method is missing."""
    figures = {m: seconds.get((f"{layout}:{m}", files)) for m, _ in BATCH_METHODS}
    return figures if all(figures.values()) else None


def closed_and_floor(figures, pick):
    s, b, f = (pick(figures[m]) for m in "SBF")
    return ((s - b) / (s - f) if s != f else float("nan")), b / f


def batch_section(results, info, steps, plotter, targets):
    rows = own_rows(results, "batch.csv")
    seconds = {(m, n): Stat(v) for (m, n, metric), v in rows.items() if metric == "seconds"}
    timed = {(m, n): int(min(v)) for (m, n, metric), v in rows.items() if metric == "files_timed"}
    out = ["## Many files: the group commit (`Batch`)\n"]
    if not seconds:
        return out[0] + "\nNot measured in this run.\n"
    out.append("`bench_batch`: 4 KiB files, each replacing an existing one, four ways in the same "
               "run, rounds interleaved (the order rotating), the file system synced untimed "
               "between two methods: **S** `write_atomic` one by one (`Durability::full`: an "
               "fsync of each file and of its directory), **B** `Batch::commit` "
               "(`Durability::full`), **F** open, write, close, rename with no sync at all (the "
               "floor no durable method can beat), **N** B with `Durability::none` (N − F is the "
               "engine's own work, B − N what the flushes cost). Goals, as ratios of the same run "
               "so that they hold whatever the disk's fsync latency is that hour: B closes 80% "
               "of the gap, (S − B) / (S − F) ≥ 0.8, and B ≤ 2 F. µs per file, median over "
               "rounds (best round in parentheses: noise only adds time).\n")
    out.append(step_note(info, steps, "batch"))
    layout_rows, verdicts = [], []
    for layout in ("one directory", "10 directories"):
        for files in sorted({n for (m, n) in seconds if m.startswith(layout + ":")}):
            figures = batch_figures(seconds, layout, files)
            if not figures:
                continue
            closed, floor = closed_and_floor(figures, lambda s: s.median)
            best_closed, best_floor = closed_and_floor(figures, lambda s: s.low)
            layout_rows.append([f"{files:,} files, {layout}", figures["S"].n] +
                               [median_best(figures[m], 1e6 / files) for m, _ in BATCH_METHODS] +
                               [f"{closed:.2f} ({best_closed:.2f})",
                                f"{floor:.2f} ({best_floor:.2f})"])
            name = f"Batch of {files:,} × 4 KiB, {layout}"
            targets.append((f"{name}: (S − B) ÷ (S − F)", "≥ 0.8", f"{closed:.2f}",
                            closed >= 0.8))
            targets.append((f"{name}: B ÷ F", "≤ 2", f"{floor:.2f}", floor <= 2))
            verdicts.append(f"{layout}: (S − B)/(S − F) = {closed:.2f}, "
                            f"{met_words(closed >= 0.8)}; B/F = {floor:.2f}, "
                            f"{met_words(floor <= 2)}")
    out.append(table(["files", "rounds", "S", "B", "F", "N", "(S−B)/(S−F)", "B/F"], layout_rows))
    if verdicts:
        out.append("\n**Verdict** (medians): " + "; ".join(verdicts) + ".\n")
    out += batch_curve(seconds, timed, plotter)
    return "\n".join(out)


def batch_curve(seconds, timed, plotter):
    sizes = sorted({n for (m, n) in seconds if m.startswith("curve:")})
    rows, series, meeting = [], defaultdict(list), []
    for files in sizes:
        figures = batch_figures(seconds, "curve", files)
        if not figures:
            continue
        closed, floor = closed_and_floor(figures, lambda s: s.median)
        meeting.append((files, closed >= 0.8, floor <= 2))
        cells = []
        for method, label in BATCH_METHODS:
            scaled = timed.get((f"curve:{method}", files))
            cells.append(fmt(figures[method].median * 1e6 / files) + ("*" if scaled else ""))
            series[f"{method}: {label}"].append((files, figures[method]))
        rows.append([f"{files:,}", figures["S"].n] + cells + [f"{closed:.2f}", f"{floor:.2f}"])
    if not rows:
        return []
    out = ["\n### Time against N, one directory\n",
           table(["N", "rounds", "S", "B", "F", "N (none)", "(S−B)/(S−F)", "B/F"], rows)]
    scaled = [f"N = {files:,} (after {done:,} files in its shortest round)"
              for (m, files), done in sorted(timed.items(), key=lambda i: i[0][1])
              if m == "curve:S"]
    if scaled:
        out.append("\n\\* S stopped at its time budget and was scaled up from the files it had "
                   "written (each costs alike): " + ", ".join(scaled) + ".\n")

    def where(index):
        sizes = [f"{point[0]:,}" for point in meeting if point[index]]
        return f"at N = {', '.join(sizes)}" if sizes else "at no N"
    out.append(f"\nOn this curve (µs per file, median) (S − B)/(S − F) ≥ 0.8 holds {where(1)}, "
               f"and B ≤ 2 F {where(2)}. For a few files the batch's fixed costs (its threads, "
               "the directory sync) dominate, and one `write_atomic` after another is as "
               "fast.\n")
    plotter.lines("batch", "Replacing N files of 4 KiB: time against N (median, min-max)",
                  "N, files in one directory", "seconds for all N files", list(series.items()))
    out.append("\n![Batch: time against N](benchmarks/batch.png)\n")
    return out


INSTALL_METHODS = [("atomic-install", "`atomic-install -t DEST SOURCE...`: one group commit"),
                   ("install+sync", "`install` then `sync FILE` of each (no directory sync)"),
                   ("cp+sync", "`cp SOURCE... DEST/` then one `sync -f DEST` (not atomic)")]


def atomic_install_section(results, info, steps, targets):
    rows = own_rows(results, "atomic_install.csv")
    stats = {m: (n, Stat(v)) for (m, n, metric), v in rows.items() if metric == "seconds"}
    out = ["## atomic-install: many files deployed in one group commit\n"]
    if "atomic-install" not in stats:
        return out[0] + "\nNot measured in this run.\n"
    files, ours = stats["atomic-install"]
    out.append(f"`bench/bench_atomic_install.sh`: {files:,} files of 4 KiB (random bytes) into a "
               "new directory, three ways interleaved, the order rotating, an untimed `sync` "
               "before each. Seconds, median (min–max) over runs. Goals: install+sync ÷ "
               "atomic-install ≥ 8, atomic-install ÷ cp+sync ≤ 2.\n")
    out.append(step_note(info, steps, "atomic_install"))
    table_rows = []
    for method, words in INSTALL_METHODS:
        if method in stats:
            stat = stats[method][1]
            table_rows.append((words, stat.n, spread(stat),
                               fmt(stat.median * 1e3 / files), ratio(stat.median, ours.median)))
    out.append(table(["method", "runs", "seconds", "ms per file", "÷ atomic-install"],
                     table_rows))
    verdicts = []
    if "install+sync" in stats:
        value = stats["install+sync"][1].median / ours.median
        targets.append((f"atomic-install, {files:,} files: install+sync ÷ atomic-install", "≥ 8",
                        f"{value:.2f}", value >= 8))
        verdicts.append(f"{value:.2f}× faster than install+sync, {met_words(value >= 8)}")
    if "cp+sync" in stats:
        value = ours.median / stats["cp+sync"][1].median
        targets.append((f"atomic-install, {files:,} files: atomic-install ÷ cp+sync", "≤ 2",
                        f"{value:.2f}", value <= 2))
        verdicts.append(f"{value:.2f}× cp+sync, {met_words(value <= 2)}")
    if verdicts:
        out.append("\n**Verdict** (medians): atomic-install " + "; ".join(verdicts) + ".\n")
    if "install+sync" in stats and "cp+sync" in stats:
        reference = stats["install+sync"][1].median / stats["cp+sync"][1].median
        out.append(f"For reference, install+sync ÷ cp+sync = {reference:.2f} this run (medians). "
                   f"It is no bound on install+sync ÷ atomic-install: `sync` flushes every dirty "
                   f"file of the file system, other processes' too, while atomic-install syncs "
                   f"only its own files and directories, so on a shared disk it can beat "
                   f"cp + one sync.\n")
    return "\n".join(out)


INTERVAL = re.compile(r"interval (\d+) ms")


def scheduled_writer_section(results, info, steps, targets):
    rows = own_rows(results, "scheduled_writer.csv")
    data = defaultdict(dict)
    for (method, _size, metric), values in rows.items():
        data[method][metric] = values
    out = ["## ScheduledWriter: coalescing frequent saves\n"]
    if not data:
        return out[0] + "\nNot measured in this run.\n"
    ops = re.search(r"--ops (\d+)", info.get("command.scheduled_writer", ""))
    calls = f"{int(ops.group(1)):,}" if ops else "the given number of"
    out.append(f"`bench_scheduled_writer`: {calls} `schedule()` calls spread evenly over one "
               "second, each replacing the pending content of a 4 KiB file, durable "
               "(`Durability::full`); every call timed on the calling thread. The writes counted "
               "are those the background thread made within the window; the last content is "
               "written by the final flush. The floors are timed per call the same way, back to "
               "back. µs per call: the median over rounds of each round's median (min–max), the "
               "median of the rounds' 99th percentiles, the largest single call. Goals: at most "
               "1 s ÷ interval writes in the second, and a median `schedule()` ≤ 2 µs.\n")
    out.append(step_note(info, steps, "scheduled_writer"))
    table_rows, worst_median, writes_ok = [], None, {}
    for method, metrics in data.items():
        if "median_us" not in metrics:
            continue
        median = Stat(metrics["median_us"])
        cells = [method, median.n, spread(median), fmt(Stat(metrics["p99_us"]).median),
                 fmt(max(metrics["max_us"]))]
        interval = INTERVAL.search(method)
        if interval and "writes_in_window" in metrics:
            ms = int(interval.group(1))
            allowed = [math.floor(w * 1000 / ms + 1e-9) for w in metrics["window_s"]]
            writes = metrics["writes_in_window"]
            ok = all(w <= a for w, a in zip(writes, allowed))
            writes_ok.setdefault(ms, []).append((ok, int(max(writes)), min(allowed)))
            cells += [f"{int(min(writes))}–{int(max(writes))}", f"≤ {min(allowed)}",
                      f"{int(min(metrics['writes_with_final']))}–"
                      f"{int(max(metrics['writes_with_final']))}"]
            if worst_median is None or median.median > worst_median[1].median:
                worst_median = (method, median)
        else:
            cells += ["", "", ""]
        table_rows.append(cells)
    out.append(table(["method", "rounds", "schedule() median µs", "p99 µs", "max µs",
                      "writes in the second", "allowed", "with the final flush"], table_rows))
    verdicts = []
    for ms, results_of in sorted(writes_ok.items()):
        ok = all(ok for ok, _, _ in results_of)
        most = max(w for _, w, _ in results_of)
        allowed = min(a for _, _, a in results_of)
        targets.append((f"ScheduledWriter, interval {ms} ms: writes in one second of calls",
                        f"≤ {allowed}", str(most), ok))
        verdicts.append(f"interval {ms} ms: at most {most} writes (≤ {allowed}), {met_words(ok)}")
    if worst_median:
        value = worst_median[1].median
        targets.append(("ScheduledWriter: schedule() median on the calling thread (the slowest "
                        "form)", "≤ 2 µs", f"{fmt(value)} µs", value <= 2))
        verdicts.append(f"schedule() median {fmt(value)} µs at the slowest "
                        f"({worst_median[0]}), {met_words(value <= 2)}")
    if verdicts:
        out.append("\n**Verdict**: " + "; ".join(verdicts) + ".\n")
    return "\n".join(out)


TRANSACTION_METHODS = [("T", "Transaction::commit (journal, then publish)"),
                       ("B", "Batch::commit of the same files"),
                       ("F", "no sync at all (the floor)")]


def transaction_section(results, info, steps, targets):
    rows = own_rows(results, "transaction.csv")
    stats = {m: (n, v) for (m, n, metric), v in rows.items() if metric == "us_per_commit"}
    out = ["## Transaction: several files, all or nothing\n"]
    if "T" not in stats or "B" not in stats:
        return out[0] + "\nNot measured in this run.\n"
    files = stats["T"][0]
    out.append(f"`bench_transaction`: a commit of {files} files of 4 KiB (half in the root, half "
               "in a subdirectory), each replacing an existing one, three ways; each round times "
               "a series of commits of every method in turn, the order rotating, the file "
               "system synced untimed between two. µs per commit, median (min–max) over rounds. "
               "Goal: T ≤ 1.5 B (the journal costs at most one flush more than the group "
               "commit).\n")
    out.append(step_note(info, steps, "transaction"))
    t, b = Stat(stats["T"][1]), Stat(stats["B"][1])
    floor = Stat(stats["F"][1]) if "F" in stats else None
    table_rows = []
    for method, words in TRANSACTION_METHODS:
        if method in stats:
            stat = Stat(stats[method][1])
            table_rows.append((f"{method}: {words}", stat.n, spread(stat), ratio(stat.median,
                               b.median), ratio(stat.median, floor.median) if floor else "n/a"))
    out.append(table(["method", "rounds", "µs per commit", "÷ B", "÷ F"], table_rows))
    value = t.median / b.median
    per_round = Stat([x / y for x, y in zip(stats["T"][1], stats["B"][1])])
    targets.append((f"Transaction of {files} × 4 KiB ÷ Batch of the same files", "≤ 1.5",
                    f"{value:.2f}", value <= 1.5))
    out.append(f"\n**Verdict**: T ÷ B = {value:.2f} (medians), {met_words(value <= 1.5)}; round "
               f"by round T ÷ B was {spread(per_round)} (median, min–max).\n")
    return "\n".join(out)


SWAP_METHODS = [("D", "replace_directory (full)"),
                ("B", "Batch of the same files + one rename"),
                ("F", "no sync at all + one rename (the floor)"),
                ("N", "replace_directory, Durability::none")]


def replace_directory_section(results, info, steps, targets):
    rows = own_rows(results, "replace_directory.csv")
    stats = {m: (n, Stat(v)) for (m, n, metric), v in rows.items() if metric == "seconds"}
    out = ["## replace_directory: swapping a whole tree\n"]
    if "D" not in stats or "B" not in stats:
        return out[0] + "\nNot measured in this run.\n"
    files = stats["D"][0]
    out.append(f"`bench_replace_directory`: a tree of {files:,} files of 4 KiB, four ways, rounds "
               "interleaved (the order rotating), the file system synced untimed between two: "
               "**D** `replace_directory` (populate the staging directory, one barrier of "
               "concurrent fsyncs, the exchange, the parent's fsync, the old tree removed), **B** "
               "a `Batch` of the same files into a fresh directory plus one rename, **F** the "
               "same files and rename with no sync, **N** D with `Durability::none` (N − F is "
               "the swap's own work). Milliseconds per tree, median (min–max) over rounds. Goal: "
               "D ≤ 1.2 B.\n")
    out.append(step_note(info, steps, "replace_directory"))
    d, b = stats["D"][1], stats["B"][1]
    floor = stats["F"][1] if "F" in stats else None
    table_rows = []
    for method, words in SWAP_METHODS:
        if method in stats:
            stat = stats[method][1]
            table_rows.append((f"{method}: {words}", stat.n, spread(Stat(
                [x * 1e3 for x in stat.values])), ratio(stat.median, b.median),
                ratio(stat.median, floor.median) if floor else "n/a"))
    out.append(table(["method", "rounds", "ms per tree", "÷ B", "÷ F"], table_rows))
    value = d.median / b.median
    targets.append((f"replace_directory of {files:,} files ÷ Batch + one rename", "≤ 1.2",
                    f"{value:.2f}", value <= 1.2))
    out.append(f"\n**Verdict**: D ÷ B = {value:.2f} (medians), {met_words(value <= 1.2)}; best "
               f"rounds: {d.low / b.low:.2f}.\n")
    return "\n".join(out)


def many_files_sections(results, info, steps, plotter, targets):
    return [batch_section(results, info, steps, plotter, targets),
            atomic_install_section(results, info, steps, targets),
            scheduled_writer_section(results, info, steps, targets),
            transaction_section(results, info, steps, targets),
            replace_directory_section(results, info, steps, targets)]


# ---- a partial run (`scripts/bench.sh --only`) merged into the existing document --------------

# Each section (by the start of its heading), the steps of scripts/bench.sh it is made from, the
# plots it draws and the start of its targets' names: what a run of some steps may replace.
SECTION_SOURCES = [
    ("## The engine", {"write_atomic", "safe_update"}, ("write_atomic.png", "safe_update.png"),
     ("write_atomic(full)",)),
    ("## The primitives", {"primitives"}, ("primitives.png",), ()),
    ("## atomic-write", {"atomic_write"}, ("atomic_write*.png",), ("atomic-write",)),
    ("## json-edit", {"json"}, ("json_*.png",), ("json-edit",)),
    ("## Many files: the group commit", {"batch"}, ("batch.png",), ("Batch",)),
    ("## atomic-install", {"atomic_install"}, (), ("atomic-install",)),
    ("## ScheduledWriter", {"scheduled_writer"}, (), ("ScheduledWriter",)),
    ("## Transaction", {"transaction"}, (), ("Transaction",)),
    ("## replace_directory", {"replace_directory"}, (), ("replace_directory",)),
]


def replaced_sections(only):
    """The sections a run of the steps `only` regenerates: those made from those steps alone."""
    chosen = []
    for entry in SECTION_SOURCES:
        heading, needs = entry[0], entry[1]
        if needs <= only:
            chosen.append(entry)
        elif needs & only:
            print(f"report: {heading[3:]} needs the steps {', '.join(sorted(needs))}: kept as "
                  "it was", file=sys.stderr)
    return chosen


def stale_plots(only):
    return [plot for entry in replaced_sections(only) for plot in entry[2]] if only else ["*.png"]


def blocks_of(text):
    """The document cut before each `## ` heading; the first block is what precedes them."""
    blocks, current = [], []
    for line in text.splitlines(keepends=True):
        if line.startswith("## ") and current:
            blocks.append("".join(current))
            current = []
        current.append(line)
    if current:
        blocks.append("".join(current))
    return blocks


def block_index(blocks, heading):
    return next((i for i, block in enumerate(blocks) if block.startswith(heading)), None)


def table_rows_of(block):
    return [line for line in block.splitlines(keepends=True)
            if line.startswith("| ") and not line.startswith("| target |")
            and not line.startswith("| step |")]


def first_cell(row):
    return row[2:].split(" | ", 1)[0]


def merge_rows(old_block, new_rows, replaced):
    """old_block's table with the rows whose first cell `replaced` accepts taken out and new_rows
    put where the first of them was (or after the last row)."""
    lines = old_block.splitlines(keepends=True)
    rows = [i for i, line in enumerate(lines) if line in table_rows_of(old_block)]
    gone = [i for i in rows if replaced(first_cell(lines[i]))]
    at = gone[0] if gone else (rows[-1] + 1 if rows else len(lines))
    kept = [line for i, line in enumerate(lines) if i not in gone]
    at -= sum(1 for i in gone if i < at)
    return "".join(kept[:at] + new_rows + kept[at:])


PARTIAL_RUN = re.compile(r"^- Sections of `scripts/bench.sh --only ([\w,]+)`")


def merge_run_block(old_block, new_block, only, info, atomfile_version):
    steps = ",".join(sorted(only))
    loads = [load_of(s) for s in read_run_info_rows(new_block)]
    loads = [load for load in loads if load is not None]
    load_words = (f"{min(loads):.2f} to {max(loads):.2f}" if loads else "unknown")
    bullet = (f"- Sections of `scripts/bench.sh --only {steps}` ({known(info.get('mode'))} "
              f"mode): from {known(info.get('started'))} to {known(info.get('finished'))} (UTC), "
              f"atomfile {atomfile_version}, 1-minute load average {load_words}; their steps' "
              "rows below are from that run, the other sections from the run above.\n")
    lines = [line for line in old_block.splitlines(keepends=True)
             if not (PARTIAL_RUN.match(line) and
                     set(PARTIAL_RUN.match(line).group(1).split(",")) <= only)]
    last_bullet = max((i for i, line in enumerate(lines) if line.startswith("- ")), default=0)
    lines.insert(last_bullet + 1, bullet)
    new_rows = [row for row in table_rows_of(new_block) if first_cell(row) in only]
    return merge_rows("".join(lines), new_rows, lambda step: step in only)


def read_run_info_rows(block):
    """The step rows of a generated run table as {"load": ...} records, for their load range."""
    return [{"load": row.split(" | ")[2]} for row in table_rows_of(block)]


def merge_into(old, new, only, info, atomfile_version):
    """The existing document `old` with the sections made from the steps `only` (and their run
    rows and targets) taken from the new document `new`; everything else stays as it was."""
    if not old.strip():
        return new
    sections = replaced_sections(only)
    old_blocks, new_blocks = blocks_of(old), blocks_of(new)
    prefixes = tuple(prefix for entry in sections for prefix in entry[3])
    for heading, merge in (("## The run", lambda o, n: merge_run_block(o, n, only, info,
                                                                      atomfile_version)),
                           ("## Targets", lambda o, n: merge_rows(
                               o, [row for row in table_rows_of(n)
                                   if first_cell(row).startswith(prefixes)] if prefixes else [],
                               lambda name: bool(prefixes) and name.startswith(prefixes)))):
        old_at, new_at = block_index(old_blocks, heading), block_index(new_blocks, heading)
        if old_at is not None and new_at is not None:
            old_blocks[old_at] = merge(old_blocks[old_at], new_blocks[new_at])
    if old_blocks[0].startswith("# ") and new_blocks[0].startswith("# "):
        old_blocks[0] = new_blocks[0]  # the preamble: fixed words, no figures
    cursor = block_index(old_blocks, "## Targets") or len(old_blocks) - 1
    for block in new_blocks:
        entry = next((e for e in SECTION_SOURCES if block.startswith(e[0])), None)
        if entry is None:
            continue
        at = block_index(old_blocks, entry[0])
        if entry in sections:
            block = block if block.endswith("\n\n") else block.rstrip("\n") + "\n\n"
            if at is None:
                cursor += 1
                old_blocks.insert(cursor, block)
                continue
            old_blocks[at] = block
        if at is not None:
            cursor = at
    blocks = [b if b.endswith("\n\n") else b.rstrip("\n") + "\n\n" for b in old_blocks]
    return "".join(blocks).rstrip("\n") + "\n"


def load_of(step):
    try:
        return float(step["load"].split()[0])
    except (KeyError, IndexError, ValueError):
        return None


def run_section(info, steps):
    loads = [load for load in map(load_of, steps) if load is not None]
    lines = [f"- Run of `scripts/bench.sh` ({known(info.get('mode'))} mode) from "
             f"{known(info.get('started'))} to {known(info.get('finished'))} (UTC), "
             f"bench directory on {first_word(info.get('file_system'))}."]
    if loads:
        lines.append(f"- 1-minute load average around the steps: {min(loads):.2f} to "
                     f"{max(loads):.2f} (per step below); figures taken under load are "
                     "noisier and the ratios, measured in the same run, are what to compare.")
    else:
        lines.append("- 1-minute load average around the steps: unknown (no /proc/loadavg).")
    rows = []
    for step in steps:
        if "start" in step:
            rows.append([step["step"], step["start"], step["load"], ""])
        elif rows and rows[-1][0] == step["step"]:
            rows[-1][3] = f"{step.get('end', 'unknown')}, load {step['load']}"
    return "\n".join(lines) + "\n\n" + table(["step", "started", "load (1, 5, 15 min)",
                                               "ended, load"], rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("--build-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--plots", type=Path, required=True)
    parser.add_argument("--only", default="",
                        help="steps run (scripts/bench.sh --only): merge their sections into "
                             "the existing --out instead of writing the whole document")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))

    info, steps = read_run_info(args.results)
    samples = defaultdict(list)
    for name in ("safe_update.csv", "primitives.csv", "json.csv"):
        for key, values in read_rows(args.results / name).items():
            samples[key].extend(values)
    plotter = Plotter(args.plots, args.results / "plot-sources", stale_plots(only))
    targets = []
    sections = [engine_section(args.results, samples, plotter, targets),
                primitives_section(samples, plotter),
                atomic_write_section(args.results, plotter, targets),
                json_section(samples, plotter, targets),
                json_edit_section(args.results, targets),
                *many_files_sections(args.results, info, steps, plotter, targets)]

    relative = os.path.relpath(args.plots, args.out.parent)
    body = "\n".join(sections).replace("](benchmarks/", f"]({relative}/")
    target_rows = [(name, goal, value, verdict(ok)) for name, goal, value, ok in targets]
    document = "\n".join([
        "# Benchmarks\n",
        "Generated by `scripts/bench.sh` (which runs every benchmark with its peers in one run "
        "and then `bench/report.py`); every figure below comes from that run. Do not edit by "
        "hand: run the command again. `scripts/bench.sh --only STEP,...` runs only the steps "
        "named and replaces only the sections, targets and plots made from them; \"The run\" "
        "then says which sections come from that later run.\n",
        "## The run\n",
        run_section(info, steps),
        "## Machine\n",
        table(["", ""], machine(info)),
        "## Versions\n",
        table(["", ""], versions(args.build_dir, info)),
        "## Targets\n",
        ("This quick run used tiny sizes and single runs: it proves that every benchmark "
         "works; the verdicts below mean nothing.\n" if info.get("mode") == "quick" else ""),
        table(["target", "goal", "measured", "verdict"], target_rows),
        body,
    ])
    if not plotter.available:
        document += "\ngnuplot was not found: no plots were made.\n"
    if only:
        document = merge_into(read_text(args.out), document, only, info,
                              versions(args.build_dir, info)[0][1])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(document)
    print(f"report: wrote {args.out} and {len(plotter.made)} plots in {args.plots}")


if __name__ == "__main__":
    main()
