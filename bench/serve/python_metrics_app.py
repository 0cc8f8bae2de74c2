"""Python's side of the /metrics latency benchmark: prometheus_client's MultiProcessCollector behind uWSGI.

Every GET builds a registry with a MultiProcessCollector over PROMETHEUS_MULTIPROC_DIR and renders it, as the
library's multiprocess documentation says; the reply honours Accept and Accept-Encoding like prometheus_client's own
exposition (make_wsgi_app: gzip.compress when gzip is accepted).
Run (Debian's uWSGI needs the http plugin named explicitly):
  PROMETHEUS_MULTIPROC_DIR=DIR uwsgi --plugin python3,http --http 127.0.0.1:PORT --wsgi-file python_metrics_app.py \
      --processes 1 --disable-logging
"""
import gzip

from prometheus_client import CollectorRegistry, multiprocess
from prometheus_client.exposition import choose_encoder, gzip_accepted


def application(environ, start_response):
    if environ.get("PATH_INFO") != "/metrics":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    encoder, content_type = choose_encoder(environ.get("HTTP_ACCEPT", ""))
    body = encoder(registry)
    headers = [("Content-Type", content_type)]
    if gzip_accepted(environ.get("HTTP_ACCEPT_ENCODING", "")):
        body = gzip.compress(body)
        headers.append(("Content-Encoding", "gzip"))
    start_response("200 OK", headers + [("Content-Length", str(len(body)))])
    return [body]
