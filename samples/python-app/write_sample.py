"""Writes samples/python-multiproc: a small directory written by the real prometheus_client.

Run with Debian's interpreter (it sees python3-prometheus-client):
    rm -rf samples/python-multiproc && mkdir samples/python-multiproc
    for i in 1 2 3; do PROMETHEUS_MULTIPROC_DIR=samples/python-multiproc /usr/bin/python3 samples/python-app/write_sample.py $i; done
"""
import sys

from prometheus_client import Counter, Gauge, Histogram, Summary

worker = int(sys.argv[1])
requests = Counter("app_requests", "Requests served.", ["method", "path", "status"])
duration = Histogram("app_request_duration_seconds", "Request duration.", ["path"])
in_progress = Gauge("app_requests_in_progress", "Requests in progress.", ["path"], multiprocess_mode="livesum")
handled = Gauge("app_worker_requests_handled", "Requests this worker handled.")
payload = Summary("app_payload_bytes", "Request payload size.")

for i in range(10 * worker):
    path = ["/", "/api/items", "/api/users"][i % 3]
    requests.labels("GET", path, "200" if i % 7 else "500").inc()
    duration.labels(path).observe(0.003 * (i % 11))
    payload.observe(100 + i)
    handled.inc()
in_progress.labels("/api/items").set(worker % 2)
