"""A prometheus_client worker for the compaction tests.

Usage: compaction_worker.py DIR SEED HOLD_SECONDS [--slot N]
Records a seeded amount of traffic with every metric type the compactor folds, then exits, or, with
HOLD_SECONDS > 0, prints "ready" and keeps its files open that long (a live worker). With --slot N it
first takes Chorus slot N's lock (flock on chorus-slot-N.lock) and writes files named by N, as
chorus_slot.py does.
"""
import fcntl
import os
import random
import sys
import time

directory, seed, hold = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
os.environ['PROMETHEUS_MULTIPROC_DIR'] = directory
slot = None
if '--slot' in sys.argv:
    slot = sys.argv[sys.argv.index('--slot') + 1]
    lock = open(os.path.join(directory, 'chorus-slot-%s.lock' % slot), 'a+b')
    fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

from prometheus_client import values  # noqa: E402
if slot is not None:
    values.ValueClass = values.MultiProcessValue(process_identifier=lambda: slot)
from prometheus_client import Counter, Gauge, Histogram, Summary  # noqa: E402

rng = random.Random(seed)
requests = Counter('app_requests', 'Requests served', ['path'])
latency = Histogram('app_latency_seconds', 'Latency', ['path'], buckets=(0.01, 0.1, 1.0))
size = Summary('app_response_bytes', 'Response size')
in_progress = Gauge('app_in_progress', 'In progress', multiprocess_mode='livesum')
peak = Gauge('app_peak', 'Peak', multiprocess_mode='max')
low = Gauge('app_low', 'Low', multiprocess_mode='min')
total = Gauge('app_total', 'Total', multiprocess_mode='sum')
up = Gauge('app_up', 'Up')
for _ in range(rng.randint(5, 40)):
    path = rng.choice(['/a', '/b', '/c'])
    requests.labels(path).inc()
    latency.labels(path).observe(rng.random())
    size.observe(rng.randint(1, 1000))
in_progress.inc(rng.randint(1, 3))
peak.set(rng.randint(-100, 100))
low.set(rng.randint(-100, 100))
total.set(rng.randint(0, 50))
up.set(1)
if hold > 0:
    print('ready', flush=True)
    time.sleep(hold)
