"""A live prometheus_client worker for the /metrics latency benchmark: changes values until it is terminated.

Usage: PROMETHEUS_MULTIPROC_DIR=DIR /usr/bin/python3 live_writer.py [INTERVAL_SECONDS]

Writes the families bench/scrape/gen_dir.py writes for its fake processes (the same keys, so the live files merge
with the dead ones as one application's workers do): requests counted, latencies observed, requests in progress.
Its files stay open and mapped for its whole life, as a real worker's do.
"""
import os
import random
import signal
import sys
import time

from prometheus_client import Counter, Gauge, Histogram

METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]
STATUSES = ["200", "201", "404", "500", "503"]
HANDLERS = ["/", "/api/items", "/api/users", "/login", "/static/{path}", "/health", "/metrics", "/api/orders",
            "/api/search", "/admin"]
BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, float("inf")]


def main():
    interval = float(sys.argv[1]) if len(sys.argv) > 1 else 0.2
    requests = Counter("http_requests", "Total HTTP requests.", ["method", "status", "handler"])
    latency = Histogram("http_request_duration_seconds", "Request latency.", ["handler"], buckets=BUCKETS)
    in_progress = Gauge("http_requests_in_progress", "Requests being served.", ["handler"], multiprocess_mode="livesum")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    rng = random.Random(os.getpid())
    while True:
        for _ in range(20):
            handler = rng.choice(HANDLERS[:2])
            requests.labels(rng.choice(METHODS), rng.choice(STATUSES), handler).inc()
            latency.labels(rng.choice(HANDLERS)).observe(rng.expovariate(20.0))
            in_progress.labels(rng.choice(HANDLERS[:5])).set(rng.randint(0, 3))
        time.sleep(interval)


if __name__ == "__main__":
    main()
