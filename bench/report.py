#!/usr/bin/env python3
"""Turns the results of one run of scripts/bench.sh into docs/benchmarks.md and PNG plots.

Reads from --results: run.txt (when, where, load), write_atomic.txt (bench_write_atomic's
table), safe_update.csv, primitives.csv, json.csv (rows BENCH,METHOD,SIZE,RUN,METRIC,VALUE)
and atomic_write.txt (bench_atomic_write's per-run lines). Every figure in the report is
computed here from those files; nothing is typed in. Standard library only; the plots need
gnuplot (skipped with a note when it is missing).
"""
import argparse
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


def versions(build_dir):
    compiler = cmake_cache(build_dir, "CMAKE_CXX_COMPILER")
    commit = command_output(["git", "rev-parse", "--short", "HEAD"])
    dirty = command_output(["git", "status", "--porcelain", "--untracked-files=no"])
    return [
        ("atomfile", f"{cmake_cache(build_dir, 'CMAKE_PROJECT_VERSION') or '?'} (git {commit}"
                     f"{', with uncommitted changes' if dirty not in ('', 'unknown') else ''}), "
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

    def __init__(self, out_dir, work_dir):
        self.out_dir = out_dir
        self.work_dir = work_dir
        self.available = shutil.which("gnuplot") is not None
        self.made = []
        out_dir.mkdir(parents=True, exist_ok=True)
        work_dir.mkdir(parents=True, exist_ok=True)
        for stale in out_dir.glob("*.png"):  # a plot this run cannot make must not survive
            stale.unlink()

    def run(self, name, script, data):
        if not self.available:
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
    args = parser.parse_args()

    info, steps = read_run_info(args.results)
    samples = defaultdict(list)
    for name in ("safe_update.csv", "primitives.csv", "json.csv"):
        for key, values in read_rows(args.results / name).items():
            samples[key].extend(values)
    plotter = Plotter(args.plots, args.results / "plot-sources")
    targets = []
    sections = [engine_section(args.results, samples, plotter, targets),
                primitives_section(samples, plotter),
                atomic_write_section(args.results, plotter, targets),
                json_section(samples, plotter, targets)]

    relative = os.path.relpath(args.plots, args.out.parent)
    body = "\n".join(sections).replace("](benchmarks/", f"]({relative}/")
    target_rows = [(name, goal, value, verdict(ok)) for name, goal, value, ok in targets]
    document = "\n".join([
        "# Benchmarks\n",
        "Generated by `scripts/bench.sh` (which runs every benchmark with its peers in one run "
        "and then `bench/report.py`); every figure below comes from that run. Do not edit by "
        "hand: run the command again.\n",
        "## The run\n",
        run_section(info, steps),
        "## Machine\n",
        table(["", ""], machine(info)),
        "## Versions\n",
        table(["", ""], versions(args.build_dir)),
        "## Targets\n",
        ("This quick run used tiny sizes and single runs: it proves that every benchmark "
         "works; the verdicts below mean nothing.\n" if info.get("mode") == "quick" else ""),
        table(["target", "goal", "measured", "verdict"], target_rows),
        body,
    ])
    if not plotter.available:
        document += "\ngnuplot was not found: no plots were made.\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(document)
    print(f"report: wrote {args.out} and {len(plotter.made)} plots in {args.plots}")


if __name__ == "__main__":
    main()
