"""Prints, as JSON, what prometheus_client's MultiProcessCollector merges for each directory given.

Usage: compaction_collect.py DIR [DIR ...]  ->  {"DIR": {"sample{label=\"v\",...}": value, ...}, ...}
"""
import json
import sys

from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

result = {}
for directory in sys.argv[1:]:
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)
    view = {}
    for family in registry.collect():
        for sample in family.samples:
            labels = ','.join('%s="%s"' % (k, v) for k, v in sorted(sample.labels.items()))
            view['%s{%s}' % (sample.name, labels)] = sample.value
    result[directory] = view
print(json.dumps(result))
