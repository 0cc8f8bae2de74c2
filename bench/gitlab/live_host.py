"""Live writers for the GitLab-sized host: change values in place in the files of some writers until terminated.

Usage: /usr/bin/python3 bench/gitlab/live_host.py DIR CHANGES INTERVAL IDENTITY [IDENTITY ...]

For each writer identity, maps its four files (bench/gitlab/gen_host.py) shared read/write and keeps them open and
mapped for its whole life, as a Chorus writer keeps its files (so no reader can freeze them), then every INTERVAL
seconds changes CHANGES random entries of each writer: a counter or bucket gains 1, a histogram `_sum` a fraction, a
gauge takes a new value. Values are changed in place with aligned 8-byte stores, as Chorus's writer does; no entry is
added (a warm host's keys are all written in its first minutes).

Each file also gets its change map, as Chorus's writer keeps one (docs/change-map.md, src/Chorus/Files/ChangeMapFormat.cs):
`X.db.changes` created sparse at its fixed length, a header, a new owner number, an exclusive flock held for life; after
each round of changes a full fence (an uncontended pthread mutex: locked instructions), then every changed value's region
word that a reader marked seen (odd) is bumped to the next even number. MAPS=0 writes no maps (a writer as before).
"""
import ctypes
import fcntl
import mmap
import os
import random
import signal
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_host import KINDS, walk  # noqa: E402


MAPS = os.environ.get("MAPS", "1") == "1"
MAP_HEADER = 64
MAP_OWNER = 16
MAP_SHIFT = 10
MAP_LENGTH = MAP_HEADER + 8 * ((2**31 - 1 >> MAP_SHIFT) + 1)
_LIBC = ctypes.CDLL(None)
_MUTEX = ctypes.create_string_buffer(64)  # zeroed: PTHREAD_MUTEX_INITIALIZER on Linux


def full_fence():
    """Orders the value stores before the word loads (x86 reorders a store with a later load): a lock and an unlock."""
    _LIBC.pthread_mutex_lock(_MUTEX)
    _LIBC.pthread_mutex_unlock(_MUTEX)


def open_map(db_path):
    """Creates or takes over the file's change map: header, new owner number, then the lock, as Chorus's writer does."""
    fd = os.open(db_path + ".changes", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    if os.fstat(fd).st_size < MAP_LENGTH:
        os.ftruncate(fd, MAP_LENGTH)
    words = mmap.mmap(fd, MAP_LENGTH)
    if words[:8] != b"CHORUSCM":
        words[0:16] = b"CHORUSCM" + struct.pack("<ii", 1, MAP_SHIFT)
    struct.pack_into("<q", words, MAP_OWNER, random.getrandbits(62) + 1)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd, words


def open_writer(directory, identity, layouts):
    """Maps the writer's files; `layouts` caches each kind's walked entries (every writer has the same keys)."""
    entries = []
    for kind, _ in KINDS:
        path = os.path.join(directory, f"{kind}_{identity}.db")
        words = open_map(path)[1] if MAPS else None
        with open(path, "r+b") as f:
            mapping = mmap.mmap(f.fileno(), 0)  # the mapping keeps the file open for writing
        if kind not in layouts:
            layouts[kind] = walk(mapping)
        entries.extend((mapping, at, role, words) for at, role in layouts[kind])
    return entries


def bump_seen(changed):
    """Bumps each changed value's region word that a reader marked seen (odd); readers only ever mark even words."""
    full_fence()
    for _, at, _, words in changed:
        if words is not None:
            word_at = MAP_HEADER + 8 * (at >> MAP_SHIFT)
            word = struct.unpack_from("<q", words, word_at)[0]
            if word & 1:
                struct.pack_into("<q", words, word_at, word + 1)


def change(entry, rng):
    mapping, at, role, _ = entry
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
            changed = [entries[rng.randrange(len(entries))] for _ in range(changes)]
            for entry in changed:
                change(entry, rng)
            bump_seen(changed)
        time.sleep(interval)


if __name__ == "__main__":
    main()
