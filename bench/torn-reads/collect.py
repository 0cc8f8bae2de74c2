"""Collects DIR with prometheus_client's MultiProcessCollector for SECONDS; counts collections and failures.

Usage: collect.py DIR SECONDS plain|protect   (protect: through chorus_slot.protect_collector)
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "integrations", "python"))
from prometheus_client import CollectorRegistry  # noqa: E402
from prometheus_client.multiprocess import MultiProcessCollector  # noqa: E402

directory, seconds, mode = sys.argv[1], float(sys.argv[2]), sys.argv[3]
if mode == "protect":
    import chorus_slot
    chorus_slot.protect_collector()
registry = CollectorRegistry()
MultiProcessCollector(registry, path=directory)
until = time.time() + seconds
collections = failures = 0
kinds = set()
while time.time() < until:
    try:
        list(registry.collect())
        collections += 1
    except Exception as e:  # noqa: BLE001 - every failed collection counts
        failures += 1
        kinds.add(type(e).__name__)
print("python", mode, "collections", collections, "failures", failures, sorted(kinds))
