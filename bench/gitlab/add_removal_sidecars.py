"""Gives every counter file of a host a Chorus removal sidecar listing its first key, as a writer that once removed a
series leaves (docs/benchmarks.md, "A writer that once removed a series no longer costs a full merge").

Usage: /usr/bin/python3 bench/gitlab/add_removal_sidecars.py DIR      (a host written by bench/gitlab/gen_host.py)
"""
import glob
import os
import struct
import sys


def main(directory):
    count = 0
    for path in sorted(glob.glob(os.path.join(directory, "counter_*.db"))):
        with open(path, "rb") as f:
            head = f.read(65536)
        length = struct.unpack_from("i", head, 8)[0]
        with open(path + ".removed", "wb") as f:
            f.write(b"chorus-removed-keys 1\n" + head[12:12 + length] + b"\n")
        count += 1
    print(count, "sidecars")


if __name__ == "__main__":
    main(sys.argv[1])
