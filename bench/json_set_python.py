#!/usr/bin/env python3
"""The Python json peer of bench_json.py: sets meta.version in FILE the way a Python script
would - json.load, set the key, json.dump (indent 2, as the file was written) into a temp in
the same directory, os.replace over FILE. No fsync, as in the other peers.

Usage: json_set_python.py FILE VALUE
"""
import json
import os
import sys
import tempfile


def main():
    path, value = sys.argv[1], int(sys.argv[2])
    with open(path, encoding="utf-8") as f:
        document = json.load(f)
    document["meta"]["version"] = value
    fd, temp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)))
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(document, out, indent=2)
        out.write("\n")
    os.replace(temp, path)


if __name__ == "__main__":
    main()
