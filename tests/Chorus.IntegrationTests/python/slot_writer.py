"""A prometheus_client worker with a Chorus slot that writes what Chorus.TestChild's `increment` writes.

Usage: slot_writer.py DIR COUNT   (integrations/python on PYTHONPATH)
COUNT operations: child_ops_total +1, child_labelled_ops_total{thread=i%2} +1, child_latency_seconds observes
(i%3)*0.01, with the same names and help as the .NET child, so a reader merges both writers' series. Prints the
slot and "done".
"""
import os
import sys

directory, count = sys.argv[1], int(sys.argv[2])
os.environ['PROMETHEUS_MULTIPROC_DIR'] = directory
import chorus_slot  # noqa: E402

assert chorus_slot.install()
from prometheus_client import Counter, Histogram  # noqa: E402

plain = Counter('child_ops', 'Operations.')
labelled = Counter('child_labelled_ops', 'Labelled operations.', ['thread'])
latency = Histogram('child_latency_seconds', 'Latency.')
for i in range(count):
    plain.inc()
    labelled.labels(str(i % 2)).inc()
    latency.observe(i % 3 * 0.01)
print('slot', chorus_slot.slot())
print('done')
