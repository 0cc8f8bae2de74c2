"""Scrapes a directory with prometheus_client's MultiProcessCollector, protected by chorus_slot, while slots change hands.

Usage: handover_collect.py DIR SAMPLE   (runs until stdin closes; integrations/python on PYTHONPATH)
Prints "scraping" after its first scrape.
Every scrape must succeed and the sum of the samples named SAMPLE must never go down.
Prints {"collections": n, "errors": n, "decreases": n, "last": x, "examples": [...]} as JSON at the end.
"""
import json
import sys
import threading

import chorus_slot
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

directory, sample = sys.argv[1], sys.argv[2]
chorus_slot.protect_collector()
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()

stats = {'collections': 0, 'errors': 0, 'decreases': 0, 'last': 0.0, 'examples': []}
registry = CollectorRegistry()
MultiProcessCollector(registry, path=directory)
final = False
while not final:
    # One more scrape after stdin closes: the writers have finished, so it must see the final total.
    final = stop.is_set()
    try:
        total = sum(s.value for f in registry.collect() for s in f.samples if s.name == sample)
    except Exception as e:  # noqa: BLE001 - every failure of a scrape counts
        stats['errors'] += 1
        if len(stats['examples']) < 5:
            stats['examples'].append('%s: %s' % (type(e).__name__, e))
        continue
    stats['collections'] += 1
    if total < stats['last']:
        stats['decreases'] += 1
        if len(stats['examples']) < 5:
            stats['examples'].append('%s went from %s to %s' % (sample, stats['last'], total))
    stats['last'] = total
    if stats['collections'] == 1:
        print('scraping', flush=True)
print(json.dumps(stats))
