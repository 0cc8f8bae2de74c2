"""The founding article's app: plain WSGI, prometheus_client multiprocess mode, served by uWSGI or gunicorn.

Metrics (as in reference/python-baseline.md, section B):
  app_requests{method,path,status}          counter
  app_request_duration_seconds{path}        histogram, default buckets
  app_requests_in_progress{path}            gauge, livesum: inc/dec around each request
  app_worker_up                             gauge, livesum: 1 from a worker's first non-/metrics request
  app_worker_requests_handled               gauge, default mode ('all', one series per file identity)
Paths: /, /api/items, /api/users, /missing (404), /error (500), /slow?s=SECONDS, and /metrics, which Python
serves itself with MultiProcessCollector (a registry per request, as the library documents). /metrics is
not counted in app_requests, so that counter equals the load generator's requests exactly.

APP_IDENTITY picks how files are named (set PROMETHEUS_MULTIPROC_DIR in all cases):
  pid          the library default (the article's problem: files pile up with every recycled worker)
  worker_id    the article's recipe: MultiProcessValue(process_identifier=uwsgi.worker_id) (uWSGI only)
  chorus_slot  integrations/python/chorus_slot.py: stable slots by flock lease, dead live gauges cleared
"""

import os
import sys
import time
from urllib.parse import parse_qs

IDENTITY = os.environ.get("APP_IDENTITY", "pid")
if IDENTITY == "chorus_slot":
    # The two lines a user adds to wsgi.py; the path insert is only for running this sample from the repo.
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "integrations", "python"))
    import chorus_slot
    chorus_slot.install()
elif IDENTITY == "worker_id":
    import uwsgi
    from prometheus_client import values
    values.ValueClass = values.MultiProcessValue(process_identifier=uwsgi.worker_id)
elif IDENTITY != "pid":
    raise SystemExit("APP_IDENTITY must be pid, worker_id or chorus_slot, not {!r}".format(IDENTITY))

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess

REQUESTS = Counter("app_requests", "Requests served, by method, path and status.", ["method", "path", "status"])
DURATION = Histogram("app_request_duration_seconds", "Request duration in seconds.", ["path"])
IN_PROGRESS = Gauge("app_requests_in_progress", "Requests being served right now.", ["path"],
                    multiprocess_mode="livesum")
WORKER_UP = Gauge("app_worker_up", "Workers that have served a request and are alive.", multiprocess_mode="livesum")
HANDLED = Gauge("app_worker_requests_handled", "Requests handled by this worker process.")

ROUTES = {
    "/": ("200 OK", b"hello\n"),
    "/api/items": ("200 OK", b'{"items": [1, 2, 3]}\n'),
    "/api/users": ("200 OK", b'{"users": ["a", "b"]}\n'),
    "/error": ("500 Internal Server Error", b"error\n"),
}
_handled = 0


def metrics(environ, start_response):
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    data = generate_latest(registry)
    start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST), ("Content-Length", str(len(data)))])
    return [data]


def application(environ, start_response):
    global _handled
    path = environ.get("PATH_INFO", "/")
    if path == "/metrics":
        return metrics(environ, start_response)

    WORKER_UP.set(1)
    label = path if path in ROUTES or path == "/slow" else "other"
    start = time.perf_counter()
    IN_PROGRESS.labels(label).inc()
    try:
        if path == "/slow":
            seconds = float(parse_qs(environ.get("QUERY_STRING", "")).get("s", ["1"])[0])
            time.sleep(min(seconds, 60.0))
            status, body = "200 OK", b"slow\n"
        else:
            status, body = ROUTES.get(path, ("404 Not Found", b"not found\n"))
    finally:
        IN_PROGRESS.labels(label).dec()
    DURATION.labels(label).observe(time.perf_counter() - start)
    REQUESTS.labels(environ.get("REQUEST_METHOD", "GET"), label, status.split()[0]).inc()
    _handled += 1
    HANDLED.set(_handled)
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
