"""A prometheus_client multiprocess worker for the serve tests.

usage: serve_writer.py DIR WORKER ITERATIONS SLEEP_MS

Writes, per iteration: serve_test_jobs_total{worker} += 1, one observation of 0.25 in
serve_test_latency_seconds{worker}, and a new series serve_test_series_total{worker,n} = n with a long
label so the file grows past its first 64 KiB. Sets gauge_livesum serve_test_up = 1. Prints "done" at the end.
"""
import os
import sys
import time

directory, worker, iterations, sleep_ms = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory

from prometheus_client import Counter, Gauge, Histogram  # noqa: E402  (must follow the environment variable)

jobs = Counter("serve_test_jobs", "Jobs done by a test worker.", ["worker"])
series = Counter("serve_test_series", "One series per iteration, to grow the file.", ["worker", "n", "padding"])
latency = Histogram("serve_test_latency_seconds", "Fixed observations.", ["worker"], buckets=(0.1, 0.5, 1.0))
up = Gauge("serve_test_up", "Live test workers.", multiprocess_mode="livesum")
up.set(1)

padding = "p" * 500
for i in range(1, iterations + 1):
    jobs.labels(worker).inc()
    latency.labels(worker).observe(0.25)
    series.labels(worker, str(i), padding).inc(i)
    if sleep_ms:
        time.sleep(sleep_ms / 1000.0)

print("done", flush=True)
