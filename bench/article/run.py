"""The article's graph, reproduced and fixed: /metrics latency vs requests served under uWSGI worker recycling.

    dotnet build src/Chorus.Cli -c Release
    /usr/bin/python3 bench/article/run.py [--requests 10000] [--every 1000] [--out bench/article/results.json]
    /usr/bin/python3 bench/article/plot.py bench/article/results.json docs/images/article-metrics-latency.png

Three uWSGI runs of samples/uwsgi-app/app.py (master + 4 workers, --max-requests 20, the time-compressing
flags of reference/python-baseline.md section B), each on a fresh directory, measure four series:
  (a) python          PID-named files (library default); Python's own /metrics
  (b) worker_id       the article's recipe (MultiProcessValue(process_identifier=uwsgi.worker_id)); Python's /metrics
  (c) chorus          the run of (a): `chorus serve --dir DIR` beside it, its /metrics
  (d) chorus+compact  a third run, PID-named files, `chorus serve --compact-every 1s --all-retention 30s`; its /metrics, and Python's
                      own /metrics on the compacted directory as a bonus series
Every --every requests the load pauses, waits 1 s, then each endpoint is fetched 5 times in a row and the median
is recorded, with the number of .db files. The load is the bounded generator (4 threads, one connection per
request). Everything runs on loopback; stdlib only (the plot needs matplotlib).
"""

import argparse
import http.client
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
APP_DIR = os.path.join(REPO, "samples", "uwsgi-app")
sys.path.insert(0, APP_DIR)
import loadgen  # noqa: E402  (the sample's load generator, shared with the tests)

CHORUS_DLL = os.path.join(REPO, "src", "Chorus.Cli", "bin", "Release", "net10.0", "chorus.dll")
WORKERS = 4
SAMPLES_PER_POINT = 5


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, seconds=30):
    deadline = time.time() + seconds
    while True:
        try:
            status, _ = loadgen.get(url, "/metrics", 5)
            if status == 200:
                return
        except OSError:
            pass
        if time.time() > deadline:
            raise SystemExit("nothing answered on " + url)
        time.sleep(0.1)


def timed_metrics(url):
    """Median wall time of SAMPLES_PER_POINT sequential successful GET /metrics, the last body's size, and
    how many attempts failed (Python's collector raises when a counter file vanishes between its glob and
    its read, e.g. under compaction; the scrape then fails as a whole)."""
    times, size, failures = [], 0, 0
    while len(times) < SAMPLES_PER_POINT:
        start = time.perf_counter()
        try:
            status, body = loadgen.get(url, "/metrics", 60)
        except (OSError, http.client.HTTPException):
            status, body = None, b""
        elapsed = time.perf_counter() - start
        if status != 200:
            failures += 1
            if failures > 20:
                raise SystemExit("{} /metrics keeps failing".format(url))
            continue
        times.append(elapsed)
        size = len(body)
    return statistics.median(times), size, failures


def counter_total(body):
    return sum(float(line.rsplit(" ", 1)[1]) for line in body.decode().splitlines()
               if line.startswith("app_requests_total"))


class Uwsgi:
    def __init__(self, directory, logs, identity):
        self.port = free_port()
        self.url = "http://127.0.0.1:{}".format(self.port)
        env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=directory, APP_IDENTITY=identity)
        self.proc = subprocess.Popen(
            ["uwsgi", "--plugin", "python3,http", "--http", "127.0.0.1:{}".format(self.port), "--master",
             "--processes", str(WORKERS), "--max-requests", "20", "--min-worker-lifetime", "0",
             "--forkbomb-delay", "0", "--wsgi-file", os.path.join(APP_DIR, "app.py"), "--disable-logging",
             "--logto", os.path.join(logs, "uwsgi-{}.log".format(identity)), "--die-on-term"],
            env=env, cwd=APP_DIR)
        wait_http(self.url)

    def stop(self):
        self.proc.send_signal(2)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(15)


class ChorusServe:
    def __init__(self, directory, logs, compact_every=None, all_retention=None):
        self.port = free_port()
        self.url = "http://127.0.0.1:{}".format(self.port)
        args = ["dotnet", CHORUS_DLL, "serve", "--dir", directory, "--listen", "127.0.0.1:{}".format(self.port)]
        if compact_every:
            args += ["--compact-every", compact_every]
        if all_retention:
            args += ["--all-retention", all_retention]
        self.log_path = os.path.join(logs, "chorus-serve.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        wait_http(self.url)
        self.directory = directory
        self.external = None
        if compact_every and self._serve_cannot_compact():
            self.external = ExternalCompactor(directory)

    def _serve_cannot_compact(self):
        time.sleep(0.5)
        with open(self.log_path) as f:
            return "no compaction engine" in f.read()

    def stop(self):
        if self.external:
            self.external.stop()
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class ExternalCompactor:
    """`chorus compact` every second: what `serve --compact-every 1s` does, for builds where serve cannot yet."""

    def __init__(self, directory):
        self.directory = directory
        self.stopping = threading.Event()
        self.passes = 0
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self.stopping.is_set():
            subprocess.run(["dotnet", CHORUS_DLL, "compact", "--dir", self.directory],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
            self.passes += 1
            self.stopping.wait(1.0)

    def stop(self):
        self.stopping.set()
        self.thread.join(150)


def db_files(directory):
    """Number of .db files, and how many of each type (archives counted with their type)."""
    by_type = {}
    for name in os.listdir(directory):
        if name.endswith(".db"):
            kind = name.rsplit("_", 1)[0]
            by_type[kind] = by_type.get(kind, 0) + 1
    return sum(by_type.values()), by_type


def run_scenario(name, identity, requests, every, work, chorus_series=None, compact_every=None, all_retention=None):
    directory = os.path.join(work, name, "metrics")
    logs = os.path.join(work, name)
    os.makedirs(directory)
    uwsgi = Uwsgi(directory, logs, identity)
    chorus = ChorusServe(directory, logs, compact_every, all_retention) if chorus_series else None
    endpoints = {"python": uwsgi.url}
    if chorus:
        endpoints[chorus_series] = chorus.url
    rows = []
    try:
        sent = 0
        while True:
            time.sleep(1.0)
            files, by_type = db_files(directory)
            row = {"requests": sent, "files": files, "files_by_type": by_type}
            for series, url in endpoints.items():
                latency, size, failures = timed_metrics(url)
                row[series] = round(latency, 5)
                row[series + "_bytes"] = size
                if failures:
                    row[series + "_failed_scrapes"] = failures
            rows.append(row)
            print(name, json.dumps(row), flush=True)
            if sent >= requests:
                break
            result = loadgen.run(uwsgi.url, every, threads=4)
            if result["errors"]:
                print(name, "load errors:", result["error_samples"], file=sys.stderr, flush=True)
            sent += every
        _, body = loadgen.get(uwsgi.url, "/metrics", 60)
        final = {"python_counter": counter_total(body)}
        if chorus:
            _, body = loadgen.get(chorus.url, "/metrics", 60)
            final["chorus_counter"] = counter_total(body)
            if chorus.external:
                final["external_compaction_passes"] = chorus.external.passes
        return {"rows": rows, "final": final}
    finally:
        if chorus:
            chorus.stop()
        uwsgi.stop()


def main():
    parser = argparse.ArgumentParser(description="uWSGI recycling: /metrics latency vs requests served")
    parser.add_argument("--requests", type=int, default=10000)
    parser.add_argument("--every", type=int, default=1000)
    parser.add_argument("--out", default=os.path.join(REPO, "bench", "article", "results.json"))
    parser.add_argument("--all-retention", default="30s",
                        help="(d): dead processes' 'all'-mode gauges are deleted this long after their writer died "
                             "(chorus serve --all-retention); empty keeps them, as the compactor does by default")
    args = parser.parse_args()
    if not os.path.exists(CHORUS_DLL):
        raise SystemExit("build the CLI first: dotnet build src/Chorus.Cli -c Release")

    work = tempfile.mkdtemp(prefix="chorus-article-bench-")
    started = time.time()
    try:
        runs = {
            # (a) and (c): the same PID-mode run, Python's and Chorus's /metrics side by side.
            "pid": run_scenario("pid", "pid", args.requests, args.every, work, chorus_series="chorus"),
            # (b) the article's recipe, Python only.
            "worker_id": run_scenario("worker_id", "worker_id", args.requests, args.every, work),
            # (d) PID mode with compaction every second; Python's /metrics on the compacted dir comes along.
            "compact": run_scenario("compact", "pid", args.requests, args.every, work,
                                    chorus_series="chorus_compact", compact_every="1s",
                                    all_retention=args.all_retention or None),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)

    result = {
        "command": "/usr/bin/python3 bench/article/run.py --requests {} --every {} --all-retention '{}'".format(
            args.requests, args.every, args.all_retention),
        "machine": "{} cores, {} {}".format(os.cpu_count(), platform.system(), platform.release()),
        "python": platform.python_version(),
        "seconds": round(time.time() - started, 1),
        "runs": runs,
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print("wrote", args.out, "in", result["seconds"], "s")


if __name__ == "__main__":
    main()
