"""Live writers for the GitLab-sized host: change values in place in the files of some writers until terminated.

Usage: /usr/bin/python3 bench/gitlab/live_host.py DIR CHANGES INTERVAL IDENTITY [IDENTITY ...]

For each writer identity, maps its four files (bench/gitlab/gen_host.py) shared read/write and keeps them open and
mapped for its whole life, as a Chorus writer keeps its files (so no reader can freeze them), then every INTERVAL
seconds changes CHANGES random entries of each writer: a counter or bucket gains 1, a histogram `_sum` a fraction, a
gauge takes a new value. Values are changed in place with aligned 8-byte stores, as Chorus's writer does; no entry is
added (a warm host's keys are all written in its first minutes).
"""
import mmap
import os
import random
import signal
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_host import KINDS, walk  # noqa: E402


def open_writer(directory, identity, layouts):
    """Maps the writer's files; `layouts` caches each kind's walked entries (every writer has the same keys)."""
    entries = []
    for kind, _ in KINDS:
        with open(os.path.join(directory, f"{kind}_{identity}.db"), "r+b") as f:
            mapping = mmap.mmap(f.fileno(), 0)  # the mapping keeps the file open for writing
        if kind not in layouts:
            layouts[kind] = walk(mapping)
        entries.extend((mapping, at, role) for at, role in layouts[kind])
    return entries


def change(entry, rng):
    mapping, at, role = entry
    if role == "gauge":
        struct.pack_into("<d", mapping, at, rng.uniform(0, 1e6))
        return
    step = rng.uniform(0, 2) if role == "sum" else 1.0
    struct.pack_into("<d", mapping, at, struct.unpack_from("<d", mapping, at)[0] + step)


def main():
    directory, changes, interval = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    layouts = {}
    writers = [open_writer(directory, identity, layouts) for identity in sys.argv[4:]]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    rng = random.Random(os.getpid())
    print("ready", flush=True)
    while True:
        for entries in writers:
            for _ in range(changes):
                change(entries[rng.randrange(len(entries))], rng)
        time.sleep(interval)


if __name__ == "__main__":
    main()
