"""Scrapes a directory with prometheus_client's MultiProcessCollector in a loop while it is being compacted.

Usage: collect_beside_compaction.py DIR MARKER protected|plain   (runs until stdin closes)
MARKER holds "LOW HIGH": the jobs whose files are complete, and those plus the jobs being written now. Each scrape
must succeed and its jobs_total must lie between LOW read before it and HIGH read after it: lower loses counts,
higher counts a folded file twice.
With "protected", chorus_slot.protect_collector() is installed first (integrations/python on PYTHONPATH).
Prints {"collections": n, "errors": n, "too_low": n, "too_high": n, "examples": [...]} as JSON at the end.
"""
import json
import sys
import threading

from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

directory, marker, mode = sys.argv[1], sys.argv[2], sys.argv[3]
if mode == 'protected':
    import chorus_slot
    chorus_slot.protect_collector()

stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()


def bounds():
    with open(marker) as f:
        low, high = f.read().split()
    return float(low), float(high)


stats = {'collections': 0, 'errors': 0, 'too_low': 0, 'too_high': 0, 'examples': []}
registry = CollectorRegistry()
MultiProcessCollector(registry, path=directory)
while not stop.is_set():
    low = bounds()[0]
    try:
        total = sum(s.value for f in registry.collect() for s in f.samples if s.name == 'jobs_total')
    except Exception as e:  # noqa: BLE001 - every failure of a scrape counts
        stats['errors'] += 1
        if len(stats['examples']) < 5:
            stats['examples'].append('%s: %s' % (type(e).__name__, e))
        continue
    high = bounds()[1]
    stats['collections'] += 1
    if total < low or total > high:
        stats['too_low' if total < low else 'too_high'] += 1
        if len(stats['examples']) < 5:
            stats['examples'].append('jobs_total %s outside [%s, %s]' % (total, low, high))
print(json.dumps(stats))
