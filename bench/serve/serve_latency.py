"""/metrics latency: `chorus serve` vs prometheus_client's collector behind uWSGI, on the same directories.

Usage: /usr/bin/python3 bench/serve/serve_latency.py [FILES ...]   (default: 1000 5000 10000)

For each size it writes a directory with bench/scrape/gen_dir.py (prometheus_client's own MmapedDict), starts
each server on a free loopback port, and measures from this client:
  cold  the first /metrics after the server is up (Chorus parses every key then; Python always does);
  warm  the median of the following scrapes (WARM=30 for Chorus, PY_WARM=10 for Python) and their p90;
  bytes the body of the last warm scrape as sent (gzipped unless ENCODING=identity);
  rss   the server's peak RSS (VmHWM) after the scrapes, and its RSS split into anonymous memory and
        file-backed pages (mapped .db files: shared page cache, not memory the process owns);
and, in a comment line, Chorus's own median collection time over the warm scrapes (chorus_scrape_duration_seconds in
its body, read outside the timing): the reader's part of each scrape, the rest being rendering, gzip and HTTP.
WARMUP (default 10; PY_WARMUP 1) scrapes are made after the cold one and not counted, then 1 s is waited: an
exporter runs for days, and the first seconds of a .NET process run code the JIT has not optimised yet (tiered
compilation), which is not what Prometheus sees after the first minute.
SETTLE (seconds, default 5) is waited after writing the directory (and syncing it to disk) and before starting the servers: a directory
whose names changed in the last 3 s is listed on every scrape (and its kept files checked with fstat), so
SETTLE=0 measures Chorus's warm path while names keep changing, the default the steady state.
IDLE (seconds, default 0) is waited before each measured warm scrape, as Prometheus scrapes every 15-60 s: caches
are cold again then. LIVE (default 0) starts that many live prometheus_client workers (bench/serve/live_writer.py,
the same families as the generated files) before the servers, changing values every 0.2 s until both are measured.
REPLACE (seconds, default 0: never) replaces one live worker that often, round robin, as a recycling server does: the
old one exits, a new one (a new PID, so new files) starts. Needs LIVE > 0.
SIDECARS=1 gives every counter file a Chorus removal sidecar listing its first key (bench/gitlab/add_removal_sidecars.py),
as writers that once removed a series leave; prometheus_client's collector does not read them.
CLIENT (default urllib) is how the client reads: urllib.request, or raw (one socket per scrape, read into a buffer kept
from scrape to scrape, so the client's allocations do not grow with the body; see fetch_raw).
SERVE_LOG=FILE keeps chorus serve's standard error there (with CHORUS_DEBUG_STAGE_TIMES=1, its stage times per scrape).
ENCODING (default gzip) is the Accept-Encoding the client sends: gzip, as Prometheus sends by default
(enable_compression: true), or identity for an uncompressed body. Both servers gzip when asked (prometheus_client the
way its own exposition does, gzip.compress per scrape; Chorus from its kept gzip members, compressing only the parts
that changed). The timed part reads the whole compressed body and does not decompress it (Prometheus does that after the
transfer); body bytes are what crossed the wire. Once per server, outside the timing, the gzipped body is decompressed
and compared with an identity scrape (Chorus's own chorus_* self-metrics left out; skipped with LIVE > 0, whose values move).
The chorus CLI must be built first: dotnet build src/Chorus.Cli -c Release; CHORUS_CLI=native measures the NativeAOT
binary that ships instead (artifacts/bin/linux-x64/chorus, from bash scripts/pack.sh); CHORUS_BIN=PATH any native chorus.
"""
import os
import re
import shutil
import socket
import gzip
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHORUS = os.path.join(REPO, "src", "Chorus.Cli", "bin", "Release", "net10.0", "chorus.dll")
NATIVE_CHORUS = os.path.join(REPO, "artifacts", "bin", "linux-x64", "chorus")
CHORUS_COMMAND = [NATIVE_CHORUS] if os.environ.get("CHORUS_CLI") == "native" else ["dotnet", CHORUS]
# CHORUS_BIN=path measures that native binary instead (another checkout's, to compare builds in one session).
CHORUS_COMMAND = [os.environ["CHORUS_BIN"]] if os.environ.get("CHORUS_BIN") else CHORUS_COMMAND
GEN_DIR = os.environ.get("GEN_DIR") or os.path.join(REPO, "bench", "scrape", "gen_dir.py")
APP = os.path.join(REPO, "bench", "serve", "python_metrics_app.py")
PROMETHEUS_ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                     "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
WARM = int(os.environ.get("WARM", "30"))
PY_WARM = int(os.environ.get("PY_WARM", "10"))  # Python's scrapes take seconds at 10,000 files
SETTLE = float(os.environ.get("SETTLE", "5"))
SIDECARS = os.environ.get("SIDECARS") == "1"
ADD_SIDECARS = os.path.join(REPO, "bench", "gitlab", "add_removal_sidecars.py")
WARMUP = int(os.environ.get("WARMUP", "10"))
PY_WARMUP = int(os.environ.get("PY_WARMUP", "1"))
IDLE = float(os.environ.get("IDLE", "0"))
LIVE = int(os.environ.get("LIVE", "0"))
LIVE_WRITER = os.path.join(REPO, "bench", "serve", "live_writer.py")
REPLACE = float(os.environ.get("REPLACE", "0"))
ENCODING = os.environ.get("ENCODING", "gzip")
if ENCODING not in ("gzip", "identity"):
    sys.exit(f"ENCODING must be gzip or identity, not {ENCODING!r}")


def serve_log():
    """SERVE_LOG=FILE appends serve's standard error there (its stage lines with CHORUS_DEBUG_STAGE_TIMES=1)."""
    path = os.environ.get("SERVE_LOG")
    return open(path, "a") if path else subprocess.DEVNULL


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# CLIENT=raw reads each response with one socket into a buffer kept from scrape to scrape (as Prometheus's scrape loop
# keeps its buffers), so the figure is the server's and the wire's: urllib allocates a new bytes object per body, and at
# 50,000 files (an 800 KB body) the client's own page faults moved each scrape by 1-3 ms from one server to the next.
CLIENT = os.environ.get("CLIENT", "urllib")
if CLIENT not in ("urllib", "raw"):
    sys.exit(f"CLIENT must be urllib or raw, not {CLIENT!r}")
_RAW_BUFFER = bytearray(4 << 20)


def fetch_raw(url, encoding, accept):
    """fetch() over one socket: an HTTP/1.1 request with Connection: close, read to the end into _RAW_BUFFER."""
    global _RAW_BUFFER
    address, path = url.removeprefix("http://").split("/", 1)
    host, port = address.rsplit(":", 1)
    request = (f"GET /{path} HTTP/1.1\r\nHost: {address}\r\nAccept: {accept}\r\nAccept-Encoding: {encoding}\r\n"
               "Connection: close\r\n\r\n").encode()
    with socket.create_connection((host, int(port)), timeout=120) as connection:
        started = time.perf_counter()
        connection.sendall(request)
        length = 0
        while True:
            if length == len(_RAW_BUFFER):
                _RAW_BUFFER.extend(bytes(len(_RAW_BUFFER)))
            read = connection.recv_into(memoryview(_RAW_BUFFER)[length:])
            if not read:
                break
            length += read
        elapsed = time.perf_counter() - started
    head, _, body = bytes(_RAW_BUFFER[:length]).partition(b"\r\n\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head.decode("latin-1").split("\r\n")[1:])}
    if headers.get("transfer-encoding", "").lower() == "chunked":
        plain, at = b"", 0
        while True:
            size_end = body.index(b"\r\n", at)
            size = int(body[at:size_end].split(b";")[0], 16)
            if size == 0:
                break
            plain += body[size_end + 2:size_end + 2 + size]
            at = size_end + 2 + size + 2
        body = plain
    return elapsed, body, headers.get("content-encoding", "identity")


def fetch(url, encoding, accept="text/plain;version=0.0.4"):
    """One scrape: the seconds it took to get the whole body as sent (compressed or not), the body, its encoding."""
    if CLIENT == "raw":
        return fetch_raw(url, encoding, accept)
    request = urllib.request.Request(url, headers={"Accept": accept, "Accept-Encoding": encoding})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        body = response.read()
        elapsed = time.perf_counter() - started
        return elapsed, body, response.headers.get("Content-Encoding", "identity")


def scrape(url):
    elapsed, body, _ = fetch(url, ENCODING)
    return elapsed, body


def collection_seconds(body):
    """Outside the timing: the collection time Chorus reports in its own body (None for Python)."""
    if ENCODING == "gzip":
        body = gzip.decompress(body)
    for line in body.split(b"\n"):
        if line.startswith(b"chorus_scrape_duration_seconds "):
            return float(line.split()[1])
    return None


def without_self_metrics(body):
    return [line for line in body.split(b"\n") if not line.startswith((b"chorus_", b"# HELP chorus_", b"# TYPE chorus_"))]


def verify_encoding(url):
    """Outside the timing: a gzip body must say so and decompress to what an identity scrape returns."""
    _, wire, encoding = fetch(url, ENCODING)
    if encoding != ENCODING:
        raise RuntimeError(f"asked for {ENCODING}, got Content-Encoding {encoding}")
    if ENCODING == "gzip" and LIVE == 0:
        _, plain, _ = fetch(url, "identity")
        if without_self_metrics(gzip.decompress(wire)) != without_self_metrics(plain):
            raise RuntimeError("the gzip body does not decompress to the identity body")


def wait_until_up(url, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(url, timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not come up")


def status_mib(pid, field):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def measure(url, pid, count, warmup):
    cold, _ = scrape(url)
    verify_encoding(url)
    for _ in range(warmup):
        scrape(url)
    time.sleep(1)
    warm = []
    bodies = []
    for _ in range(count):
        time.sleep(IDLE)
        elapsed, body = scrape(url)
        warm.append(elapsed)
        bodies.append(body)
    warm.sort()
    collections = [c for c in map(collection_seconds, bodies) if c is not None]
    return {"cold": cold, "warm": statistics.median(warm), "p90": warm[int(len(warm) * 0.9) - 1],
            "rss": status_mib(pid, "VmHWM"), "anon": status_mib(pid, "RssAnon"), "file": status_mib(pid, "RssFile"),
            "bytes": len(bodies[-1]), "collect": statistics.median(collections) if collections else None}


def run_chorus(directory):
    port = free_port()
    process = subprocess.Popen(CHORUS_COMMAND + ["serve", "--dir", directory, "--listen", f"127.0.0.1:{port}"],
                               stdout=subprocess.PIPE, stderr=serve_log(), text=True)
    try:
        line = process.stdout.readline()
        if not re.search(r"https?://", line):
            raise RuntimeError(f"chorus serve printed {line!r}")
        return measure(f"http://127.0.0.1:{port}/metrics", process.pid, WARM, WARMUP)
    finally:
        process.terminate()
        process.wait(timeout=30)


def run_python(directory):
    port = free_port()
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=directory)
    process = subprocess.Popen(["uwsgi", "--plugin", "python3,http", "--http-socket", f"127.0.0.1:{port}",
                                "--wsgi-file", APP, "--processes", "1", "--disable-logging", "--die-on-term",
                                "--need-app"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(("127.0.0.1", port), process)
        return measure(f"http://127.0.0.1:{port}/metrics", process.pid, PY_WARM, PY_WARMUP)
    finally:
        process.terminate()
        process.wait(timeout=30)


class LiveWriters:
    """LIVE live workers on a directory, one of them replaced every REPLACE seconds when REPLACE > 0."""

    def __init__(self, directory):
        self._env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=directory)
        self._directory = directory
        self.reused = 0
        self._writers = [self._start() for _ in range(LIVE)]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._replace, daemon=True)
        self.replaced = 0
        if REPLACE > 0 and LIVE > 0:
            self._thread.start()

    def _start(self):
        process = subprocess.Popen(["/usr/bin/python3", LIVE_WRITER], env=self._env)
        # gen_dir.py names its dead processes' files with PIDs from 1000 up: on a machine whose PIDs are still that low
        # (a fresh VM, a container), a worker reopens a dead file set as prometheus_client's PID mode does, a harder case.
        if os.path.exists(os.path.join(self._directory, f"histogram_{process.pid}.db")):
            self.reused += 1
        return process

    def _replace(self):
        while not self._stop.wait(REPLACE):
            index = self.replaced % len(self._writers)
            self._writers[index].terminate()
            self._writers[index].wait(timeout=30)
            self._writers[index] = self._start()
            self.replaced += 1

    def stop(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=60)
        for writer in self._writers:
            writer.terminate()
            writer.wait(timeout=30)


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 5000, 10000]
    print(f"<!-- Accept-Encoding: {ENCODING}; body bytes as sent -->")
    print("| .db files | server | cold ms | warm median ms | warm p90 ms | warm vs Python | cold/warm | peak RSS MiB | "
          "RSS anon / file MiB at the end | body bytes |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for files in sizes:
        directory = tempfile.mkdtemp(prefix=f"chorus-serve-bench-{files}-")
        try:
            subprocess.run(["/usr/bin/python3", GEN_DIR, directory, str(files)], check=True)
            if SIDECARS:
                subprocess.run(["/usr/bin/python3", ADD_SIDECARS, directory], check=True, stdout=subprocess.DEVNULL)
            # The new directory's pages (686 MB at 50,000 files) are written back to disk now, not by the kernel's
            # flusher 30 s later, in the middle of the warm scrapes of the biggest directory only.
            os.sync()
            writers = LiveWriters(directory)
            try:
                time.sleep(SETTLE)
                chorus = run_chorus(directory)
                python = run_python(directory)
            finally:
                writers.stop()
            if writers.replaced:
                print(f"<!-- {files:,} files: {writers.replaced} workers replaced during the run -->", flush=True)
            if writers.reused:
                print(f"<!-- {files:,} files: {writers.reused} live workers got the PID of a dead file set and reopened it "
                      "(PID reuse; raise /proc/sys/kernel/ns_last_pid past the generated PIDs to avoid it) -->", flush=True)
            if chorus["collect"] is not None:
                print(f"<!-- {files:,} files: chorus collection median {chorus['collect'] * 1000:.2f} ms "
                      "(chorus_scrape_duration_seconds of the warm scrapes: the reader's part of each) -->", flush=True)
            for name, r in (("chorus serve", chorus), ("Python + uWSGI", python)):
                speedup = python["warm"] / r["warm"]
                print(f"| {files:,} | {name} | {r['cold'] * 1000:.1f} | {r['warm'] * 1000:.2f} | {r['p90'] * 1000:.2f} | "
                      f"{speedup:.0f}× | {r['cold'] / r['warm']:.0f}× | {r['rss']:.0f} | {r['anon']:.0f} / {r['file']:.0f} | "
                      f"{r['bytes']:,} |", flush=True)
        finally:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
