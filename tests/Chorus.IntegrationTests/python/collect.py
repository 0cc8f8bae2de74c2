"""Print what Python's own exporter serves for a multiprocess directory.

Usage: /usr/bin/python3 collect.py DIR [prometheus|openmetrics]

Runs prometheus_client's MultiProcessCollector over DIR and writes generate_latest()'s bytes
(text format 0.0.4 by default, or the library's OpenMetrics writer) unchanged to stdout. Exits non-zero with a traceback when the library is
missing or the collector fails, so a test using it fails loudly instead of comparing against nothing.
"""
import sys

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics


def main() -> int:
    if len(sys.argv) not in (2, 3) or (len(sys.argv) == 3 and sys.argv[2] not in ("prometheus", "openmetrics")):
        print("usage: collect.py DIR [prometheus|openmetrics]", file=sys.stderr)
        return 2
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=sys.argv[1])
    writer = generate_openmetrics if len(sys.argv) == 3 and sys.argv[2] == "openmetrics" else generate_latest
    sys.stdout.buffer.write(writer(registry))
    return 0


if __name__ == "__main__":
    sys.exit(main())
