"""Write a synthetic prometheus_client multiprocess directory of F files for the scrape benchmark.

Usage: /usr/bin/python3 gen_dir.py DIR FILES [SEED]

Files are written with the installed library's own MmapedDict and mmap_key (Debian's 0.16: 8-byte
values), so the format is exactly the library's. The shape is python-baseline.md section A, ceil(F/4)
fake PIDs with 4 files each (the last PID gets fewer when F is not a multiple of 4):
  counter_<pid>.db        http_requests_total{method,status,handler}: 50 series
  histogram_<pid>.db      2 histograms x 10 label sets x 12 buckets (+Inf included) + _sum: 260 entries
  gauge_livesum_<pid>.db  http_requests_in_progress{handler}: 5 series
  gauge_all_<pid>.db      5 unlabelled per-process gauges (5 series per PID after the merge)
"""
import os
import random
import sys

from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.utils import floatToGoString

METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]
STATUSES = ["200", "201", "404", "500", "503"]
HANDLERS = ["/", "/api/items", "/api/users", "/login", "/static/{path}", "/health", "/metrics", "/api/orders",
            "/api/search", "/admin"]
BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, float("inf")]


def counter_file(path, rng):
    d = MmapedDict(path)
    series = [(m, s, h) for m in METHODS for s in STATUSES for h in HANDLERS[:2]]
    for m, s, h in series[:50]:
        key = mmap_key("http_requests", "http_requests_total", ["method", "status", "handler"], [m, s, h],
                       "Total HTTP requests.")
        d.write_value(key, float(rng.randint(0, 5000)))
    d.close()


def histogram_file(path, rng):
    d = MmapedDict(path)
    for name, help_text in (("http_request_duration_seconds", "Request latency."),
                            ("http_response_size_seconds", "Time to write the response.")):
        for handler in HANDLERS:
            for bound in BUCKETS:
                key = mmap_key(name, name + "_bucket", ["handler", "le"], [handler, floatToGoString(bound)], help_text)
                d.write_value(key, float(rng.randint(0, 50)))
            key = mmap_key(name, name + "_sum", ["handler"], [handler], help_text)
            d.write_value(key, rng.uniform(0, 500))
    d.close()


def livesum_file(path, rng):
    d = MmapedDict(path)
    for handler in HANDLERS[:5]:
        key = mmap_key("http_requests_in_progress", "http_requests_in_progress", ["handler"], [handler],
                       "Requests being served.")
        d.write_value(key, float(rng.randint(0, 3)))
    d.close()


def all_file(path, rng):
    d = MmapedDict(path)
    for i in range(5):
        name = f"process_stat_{i}"
        d.write_value(mmap_key(name, name, [], [], f"Per-process statistic {i}."), rng.uniform(0, 1e6))
    d.close()


WRITERS = [("counter_{}.db", counter_file), ("histogram_{}.db", histogram_file),
           ("gauge_livesum_{}.db", livesum_file), ("gauge_all_{}.db", all_file)]


def main():
    if len(sys.argv) not in (3, 4):
        print("usage: gen_dir.py DIR FILES [SEED]", file=sys.stderr)
        return 2
    directory, files = sys.argv[1], int(sys.argv[2])
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) == 4 else 1)
    os.makedirs(directory, exist_ok=True)
    written = 0
    pid = 1000
    while written < files:
        for pattern, writer in WRITERS:
            if written == files:
                break
            writer(os.path.join(directory, pattern.format(pid)), rng)
            written += 1
        pid += 1
    print(f"{written} files, {pid - 1000} pids in {directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
