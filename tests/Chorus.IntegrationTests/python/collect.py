"""Print what Python's own exporter serves for a multiprocess directory.

Usage: /usr/bin/python3 collect.py DIR

Runs prometheus_client's MultiProcessCollector over DIR and writes generate_latest()'s bytes
(text format 0.0.4) unchanged to stdout. Exits non-zero with a traceback when the library is
missing or the collector fails, so a test using it fails loudly instead of comparing against nothing.
"""
import sys

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: collect.py DIR", file=sys.stderr)
        return 2
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=sys.argv[1])
    sys.stdout.buffer.write(generate_latest(registry))
    return 0


if __name__ == "__main__":
    sys.exit(main())
