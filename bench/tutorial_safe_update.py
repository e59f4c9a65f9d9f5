#!/usr/bin/env python3
"""Benchmark: the Python tempfile tutorial's safe_update, the peer of bench_safe_update.

The tutorial's recipe: read the file, transform the text, write the result to a
NamedTemporaryFile(mode="w", dir=the file's directory, delete=False), then shutil.move it over
the file. No fsync of the file or the directory, no lock, and the file ends up with the temp's
0600 mode. Reproduced here as a peer, with the same 4 KiB flip as bench_safe_update.
Prints CSV rows "safe_update,METHOD,4096,ROUND,us_per_op,VALUE".
"""
import argparse
import shutil
import tempfile
import time
from pathlib import Path

FILE_SIZE = 4096


def tutorial_safe_update(path, transform):
    new_text = transform(path.read_text())
    with tempfile.NamedTemporaryFile(mode="w", dir=path.parent, delete=False) as temp:
        temp.write(new_text)
        temp_name = temp.name
    shutil.move(temp_name, path)


def flipped(text):
    return ("b" if text.startswith("a") else "a") * FILE_SIZE


def time_round(path, ops):
    start = time.perf_counter()
    for _ in range(ops):
        tutorial_safe_update(path, flipped)
    return (time.perf_counter() - start) * 1e6 / ops


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=".")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--ops", type=int, default=100)
    args = parser.parse_args()
    path = Path(args.dir) / "bench-tutorial-safe-update"
    path.write_text("a" * FILE_SIZE)
    time_round(path, 1)  # warm up
    name = "Python tutorial safe_update (no fsync)"
    for round_index in range(args.rounds):
        value = time_round(path, args.ops)
        print(f"safe_update,{name},{FILE_SIZE},{round_index + 1},us_per_op,{value:.3f}",
              flush=True)
    path.unlink()


if __name__ == "__main__":
    main()
