"""Prints what prometheus_client's own MultiProcessCollector merges from a directory (text format 0.0.4).

    /usr/bin/python3 collect.py DIR            the exposition, as Python's /metrics would serve it
    /usr/bin/python3 collect.py DIR --held     the Chorus slots whose lock is held right now, one per line
"""

import fcntl
import os
import re
import sys


def held_slots(directory):
    held = []
    for name in sorted(os.listdir(directory)):
        match = re.match(r"^chorus-slot-(\d+)\.lock$", name)
        if not match:
            continue
        fd = os.open(os.path.join(directory, name), os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            held.append(int(match.group(1)))
        finally:
            os.close(fd)
    return sorted(held)


def main():
    directory = sys.argv[1]
    if sys.argv[2:] == ["--held"]:
        print("\n".join(map(str, held_slots(directory))))
        return
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)
    sys.stdout.write(generate_latest(registry).decode())


if __name__ == "__main__":
    main()
