#!/usr/bin/env python3
"""Benchmark: Python's tempfile, the peer of bench_primitives (same methods, same output).

Each op creates one temp in DIR and disposes of it. Methods are interleaved: each round times
--ops ops of every method, in an order rotated each round. Prints CSV rows
"primitives,METHOD,0,ROUND,us_per_op,VALUE".

The fallback of TemporaryFile (used where O_TMPFILE is refused) is forced through the module's
own switch, tempfile._O_TMPFILE_WORKS, which CPython clears itself after the first refusal.
"""
import argparse
import os
import sys
import tempfile
import time

BLOCK = b"x" * 4096


def py_mkstemp(directory):
    fd, path = tempfile.mkstemp(dir=directory)
    os.close(fd)
    os.unlink(path)


def py_named(directory):
    with tempfile.NamedTemporaryFile(dir=directory):
        pass


def py_temporary(directory):
    with tempfile.TemporaryFile(dir=directory):
        pass


def py_spooled(directory, roll_over):
    with tempfile.SpooledTemporaryFile(dir=directory) as spooled:
        spooled.write(BLOCK)
        if roll_over:
            spooled.rollover()


class Fallback:
    """Runs TemporaryFile with O_TMPFILE switched off, restoring the switch afterwards."""

    def __enter__(self):
        self.saved = tempfile._O_TMPFILE_WORKS
        tempfile._O_TMPFILE_WORKS = False

    def __exit__(self, *exc):
        tempfile._O_TMPFILE_WORKS = self.saved


class Nothing:
    def __enter__(self):
        pass

    def __exit__(self, *exc):
        pass


METHODS = [
    ("Python tempfile.mkstemp", py_mkstemp, Nothing),
    ("Python NamedTemporaryFile", py_named, Nothing),
    ("Python TemporaryFile (O_TMPFILE)", py_temporary, Nothing),
    ("Python TemporaryFile (fallback)", py_temporary, Fallback),
    ("Python SpooledTemporaryFile", lambda d: py_spooled(d, False), Nothing),
    ("Python SpooledTemporaryFile, rolled over", lambda d: py_spooled(d, True), Nothing),
]


def time_round(op, context, directory, ops):
    with context():
        start = time.perf_counter()
        for _ in range(ops):
            op(directory)
        return (time.perf_counter() - start) * 1e6 / ops


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=".")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--ops", type=int, default=2000)
    args = parser.parse_args()
    py_temporary(args.dir)
    if not tempfile._O_TMPFILE_WORKS:
        sys.exit("bench_tempfile.py: O_TMPFILE is not available in " + args.dir)
    for _, op, context in METHODS:
        time_round(op, context, args.dir, 1)  # warm up
    for round_index in range(args.rounds):
        for k in range(len(METHODS)):
            name, op, context = METHODS[(k + round_index) % len(METHODS)]
            value = time_round(op, context, args.dir, args.ops)
            print(f"primitives,{name},0,{round_index + 1},us_per_op,{value:.3f}", flush=True)


if __name__ == "__main__":
    main()
