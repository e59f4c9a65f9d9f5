#!/usr/bin/env python3
"""Draws bench_batch's curve (time against N for S, B and F) as an SVG line plot.

    python3 bench/plot_batch.py CURVE.csv batch.svg

For a run of bench_batch by hand, without gnuplot. docs/benchmarks.md's plot of the same curve
is drawn by bench/report.py from the rows scripts/bench.sh keeps (`scripts/bench.sh --only
batch`), which also writes CURVE.csv to its results directory as batch_curve.csv.

CURVE.csv is what `bench_batch --csv` writes: method,files,median_seconds,best_seconds,rounds,
files_timed. Both axes are logarithmic (decades); each method is one line through its medians.
A point whose time was scaled up from fewer files (files_timed < files, S past its budget) is
drawn hollow. Python's standard library only.
"""
import csv
import math
import sys

WIDTH, HEIGHT = 720, 460
LEFT, RIGHT, TOP, BOTTOM = 80, 170, 50, 60
STYLE = {
    "S": ("#c0392b", "S: write_atomic one by one (full)"),
    "B": ("#2471a3", "B: Batch::commit (full)"),
    "F": ("#7f8c8d", "F: no sync at all (floor)"),
    "N": ("#27ae60", "N: Batch::commit, Durability::none"),
}
ORDER = ["S", "B", "N", "F"]


def read_curve(path):
    lines = {}
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            point = (int(row["files"]), float(row["median_seconds"]),
                     int(row["files_timed"]) < int(row["files"]))
            lines.setdefault(row["method"], []).append(point)
    for points in lines.values():
        points.sort()
    return lines


def decades(low, high):
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    if first == last:
        last += 1
    return first, last


def label(exponent, unit):
    value = 10.0 ** exponent
    if unit == "s":
        for scale, suffix in ((1, "s"), (1e-3, "ms"), (1e-6, "µs")):
            if value >= scale:
                return f"{value / scale:g} {suffix}"
        return f"{value * 1e9:g} ns"
    return f"{value:,.0f}" if value >= 1 else f"{value:g}"


def render(lines):
    xs = [x for points in lines.values() for x, _, _ in points]
    ys = [y for points in lines.values() for _, y, _ in points if y > 0]
    x0, x1 = decades(min(xs), max(xs))
    y0, y1 = decades(min(ys), max(ys))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x):
        return LEFT + (math.log10(x) - x0) / (x1 - x0) * plot_w

    def py(y):
        return TOP + plot_h - (math.log10(y) - y0) / (y1 - y0) * plot_h

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
           f'<text x="{LEFT + plot_w / 2}" y="24" text-anchor="middle" font-size="15">'
           'Replacing N files of 4 KiB: time against N (median)</text>']
    for e in range(x0, x1 + 1):
        x = px(10.0 ** e)
        out.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + plot_h}" '
                   'stroke="#ddd"/>')
        out.append(f'<text x="{x:.1f}" y="{TOP + plot_h + 18}" text-anchor="middle">'
                   f'{label(e, "n")}</text>')
    for e in range(y0, y1 + 1):
        y = py(10.0 ** e)
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" '
                   'stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">'
                   f'{label(e, "s")}</text>')
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" '
               'stroke="#333"/>')
    out.append(f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 16}" text-anchor="middle">'
               'N, files in one directory (log scale)</text>')
    out.append(f'<text transform="translate(20 {TOP + plot_h / 2}) rotate(-90)" '
               'text-anchor="middle">seconds for all N files (log scale)</text>')
    legend_y = TOP + 10
    for method in [m for m in ORDER if m in lines] + sorted(set(lines) - set(ORDER)):
        colour, words = STYLE.get(method, ("#000", method))
        points = lines[method]
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y, _ in points if y > 0)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                   'stroke-width="2"/>')
        for x, y, scaled in points:
            if y <= 0:
                continue
            fill = "white" if scaled else colour
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3.5" fill="{fill}" '
                       f'stroke="{colour}" stroke-width="1.5"/>')
        lx = LEFT + plot_w + 12
        out.append(f'<line x1="{lx}" y1="{legend_y}" x2="{lx + 18}" y2="{legend_y}" '
                   f'stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{lx + 24}" y="{legend_y + 4}" font-size="11">{method}</text>')
        out.append(f'<text x="{lx}" y="{legend_y + 18}" font-size="9" fill="#555">'
                   f'{words.split(": ", 1)[-1]}</text>')
        legend_y += 40
    if any(scaled for points in lines.values() for _, _, scaled in points):
        out.append(f'<text x="{LEFT + plot_w + 12}" y="{legend_y + 4}" font-size="9" '
                   'fill="#555">hollow: scaled up from</text>')
        out.append(f'<text x="{LEFT + plot_w + 12}" y="{legend_y + 16}" font-size="9" '
                   'fill="#555">the files done in budget</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: plot_batch.py CURVE.csv OUT.svg")
    lines = read_curve(argv[1])
    if not lines:
        sys.exit(f"plot_batch.py: {argv[1]} has no points")
    with open(argv[2], "w") as out:
        out.write(render(lines))


if __name__ == "__main__":
    main(sys.argv)
