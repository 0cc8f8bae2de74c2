"""Issue 11's GitLab-sized host: cold `chorus scrape`, warm `chorus serve` after idle, memory, Python's collector.

Usage: /usr/bin/python3 bench/gitlab/run.py            (about 5 minutes with the defaults, most of it Python)

Writes WRITERS (128) writers x 40,000 entries with bench/gitlab/gen_host.py (16-byte layout, ~1 GB in use) into a
temporary directory on /dev/shm (tmpfs, where GitLab keeps it: omnibus under /dev/shm, its chart an emptyDir in
memory; TMPFS=0 uses the default temporary directory, on this VM a disk whose writeback and page reclaim add hundreds of
ms), or uses DIR when set and already written, then with LIVE=1 (default) starts the live writers
(bench/gitlab/live_host.py, LIVE_PROCS processes, default one per writer, each mapping its writers' files and changing
CHANGES (default 100) random entries per writer every INTERVAL (0.5) s), waits SETTLE (5) s and measures:
  cold   `chorus scrape --dir DIR` COLD_RUNS (2) times: the whole process's wall time and peak RSS (ru_maxrss);
  serve  `chorus serve`: its first scrape, WARMUP (3; 0 for none, as Prometheus scrapes a new target) scrapes back to back (their median), then WARM (8) scrapes each
         after IDLE (5) s (their median and maximum: every writer changed values in the gap; CADENCE=1 starts them IDLE
         apart by the clock from the first scrape's start instead, as Prometheus's scrape loop does), the server's CPU time per
         warm scrape (all its threads, from the request until the response is read) and per cycle (from one warm
         scrape's start to the next's: the work after the response and the idle server's timers too),
         then its RssAnon (its own memory), RssFile (mapped .db pages: the shared page cache) and VmHWM (peak RSS);
         SERVES (1) fresh servers one after another, their warm scrapes pooled (median, quartiles): on this VM the
         median of one server's 8 scrapes moves by +-15 ms between servers of the same build;
  python prometheus_client 0.21.1's collector (tests/peers/prometheus_client-0.21, which reads the 16-byte layout;
         copy it from the main checkout) on the same directory once, PY=0 skips it: collect + generate_latest wall
         time and ru_maxrss (bench/scrape/py_collect_timing.py).
The response is text format 0.0.4 (what `chorus scrape` prints by default); serve's scrapes ask for gzip as Prometheus
does (ENCODING=identity for uncompressed bodies; SERVE_LOG=FILE keeps serve's standard error, with
CHORUS_DEBUG_STAGE_TIMES=1 its stage times per scrape), and RssAnon is compared with the uncompressed text response. Build first: dotnet build Chorus.slnx
-c Release; CHORUS_CLI=native measures artifacts/bin/linux-x64/chorus (bash scripts/pack.sh), CHORUS_BIN=PATH
any native chorus.
"""
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "bench", "serve"))
from serve_latency import CHORUS_COMMAND, ENCODING, free_port, scrape, serve_log, status_mib  # noqa: E402

# CHORUS_BIN=path measures that native binary instead (another checkout's, to compare builds in one session).
CHORUS_COMMAND = [os.environ["CHORUS_BIN"]] if os.environ.get("CHORUS_BIN") else CHORUS_COMMAND

WRITERS = int(os.environ.get("WRITERS", "128"))
LIVE = os.environ.get("LIVE", "1") == "1"
LIVE_PROCS = int(os.environ.get("LIVE_PROCS", str(WRITERS)))
CHANGES = int(os.environ.get("CHANGES", "100"))
INTERVAL = float(os.environ.get("INTERVAL", "0.5"))
SETTLE = float(os.environ.get("SETTLE", "5"))
COLD_RUNS = int(os.environ.get("COLD_RUNS", "2"))
WARMUP = int(os.environ.get("WARMUP", "3"))
WARM = int(os.environ.get("WARM", "8"))
IDLE = float(os.environ.get("IDLE", "5"))
CADENCE = os.environ.get("CADENCE", "0") == "1"
GAP = f"{IDLE:g} s apart by the clock" if CADENCE else f"after {IDLE:g} s idle"
SERVES = int(os.environ.get("SERVES", "1"))
PY = os.environ.get("PY", "1") == "1"
PEER = os.path.join(REPO, "tests", "peers", "prometheus_client-0.21", "usr", "lib", "python3", "dist-packages")
FIRST_IDENTITY = 100_000


def start_live(directory):
    identities = [str(FIRST_IDENTITY + w) for w in range(WRITERS)]
    groups = [identities[i::LIVE_PROCS] for i in range(LIVE_PROCS)]
    processes = [subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "live_host.py"), directory, str(CHANGES),
                                   str(INTERVAL), *group], stdout=subprocess.PIPE, text=True) for group in groups if group]
    for process in processes:
        if process.stdout.readline().strip() != "ready":
            raise RuntimeError("a live writer did not start")
    return processes


def cold_scrape(directory, output):
    with open(output, "wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(CHORUS_COMMAND + ["scrape", "--dir", directory], stdout=out)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
    if status != 0:
        raise RuntimeError(f"chorus scrape exited with {status}")
    return elapsed, usage.ru_maxrss / 1024.0


def body_shape(path):
    samples = 0
    with open(path, "rb") as body:
        for line in body:
            if line and not line.startswith(b"#"):
                samples += 1
    return os.path.getsize(path), samples


def serve(directory):
    port = free_port()
    url = f"http://127.0.0.1:{port}/metrics"
    process = subprocess.Popen(CHORUS_COMMAND + ["serve", "--dir", directory, "--listen", f"127.0.0.1:{port}"],
                               stdout=subprocess.PIPE, stderr=serve_log(), text=True)
    try:
        process.stdout.readline()
        started = time.monotonic()
        first, body = scrape(url)
        back_to_back = sorted(scrape(url)[0] for _ in range(WARMUP))
        after_idle = []
        starts = []
        in_scrape = []
        for _ in range(WARM):
            time.sleep(until_next_tick(started) if CADENCE else IDLE)
            starts.append(cpu_seconds(process.pid))
            after_idle.append(scrape(url)[0])
            in_scrape.append(cpu_seconds(process.pid) - starts[-1])
        time.sleep(IDLE)
        starts.append(cpu_seconds(process.pid))
        return {"first": first, "b2b": statistics.median(back_to_back) if back_to_back else None, "warm": after_idle,
                "cpu": statistics.median(in_scrape), "cycle_cpu": statistics.median(b - a for a, b in zip(starts, starts[1:])),
                "anon": status_mib(process.pid, "RssAnon"),
                "file": status_mib(process.pid, "RssFile"), "hwm": status_mib(process.pid, "VmHWM"), "bytes": len(body)}
    finally:
        process.terminate()
        process.wait(timeout=30)


def until_next_tick(started):
    """Seconds until the next tick IDLE apart from started, at least a second from now (a scrape that overran one skips it)."""
    ticks = int((time.monotonic() + 1 - started) // IDLE) + 1
    return started + ticks * IDLE - time.monotonic()


def cpu_seconds(pid):
    """CPU time of every thread of process pid so far: the scheduler's nanoseconds (/proc/PID/task/*/schedstat), not the
    10 ms ticks of /proc/PID/stat, which are too coarse for one scrape."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as schedstat:
                total += int(schedstat.read().split()[0])
        except OSError:
            pass  # a thread that ended between the listing and the read
    return total / 1e9


def python_collector(directory):
    env = dict(os.environ, PYTHONPATH=PEER)
    started = time.perf_counter()
    result = subprocess.run(["/usr/bin/python3", os.path.join(REPO, "bench", "scrape", "py_collect_timing.py"),
                             directory, "1"], env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, result.stdout.strip()


def main():
    tmpfs = "/dev/shm" if os.environ.get("TMPFS", "1") == "1" and os.path.isdir("/dev/shm") else None
    directory = os.environ.get("DIR") or tempfile.mkdtemp(prefix="chorus-gitlab-host-", dir=tmpfs)
    own = "DIR" not in os.environ
    scratch = tempfile.mkdtemp(prefix="chorus-gitlab-out-")
    live = []
    try:
        if own or not os.listdir(directory):
            started = time.perf_counter()
            subprocess.run(["/usr/bin/python3", os.path.join(HERE, "gen_host.py"), directory, str(WRITERS)], check=True)
            print(f"generated {WRITERS} writers in {time.perf_counter() - started:.1f} s", flush=True)
        used = sum(os.stat(os.path.join(directory, n)).st_blocks * 512 for n in os.listdir(directory))
        if LIVE:
            live = start_live(directory)
            print(f"{len(live)} live writer processes, {CHANGES} changes per writer every {INTERVAL} s", flush=True)
        time.sleep(SETTLE)
        output = os.path.join(scratch, "scrape.txt")
        size = 0
        for run in range(COLD_RUNS):
            elapsed, peak = cold_scrape(directory, output)
            size, samples = body_shape(output)
            print(f"cold chorus scrape #{run + 1}: {elapsed:.2f} s, peak RSS {peak:.0f} MiB, {size:,} bytes, "
                  f"{samples:,} samples", flush=True)
        pooled = []
        for _ in range(SERVES):
            r = serve(directory)
            pooled.extend(r["warm"])
            b2b = f"back-to-back median {r['b2b'] * 1000:.1f} ms" if r['b2b'] is not None else "no back-to-back scrapes"
            print(f"chorus serve: first {r['first'] * 1000:.0f} ms, {b2b}, "
                  f"{GAP} median {statistics.median(r['warm']) * 1000:.1f} ms (max {max(r['warm']) * 1000:.1f}, {WARM} scrapes), "
                  f"CPU {r['cpu'] * 1000:.0f} ms per warm scrape (until its response is read; "
                  f"{r['cycle_cpu'] * 1000:.0f} ms per {IDLE:g} s cycle with the idle server's timers), "
                  f"RssAnon {r['anon']:.0f} MiB ({r['anon'] * 1048576 / size:.2f}x the {size:,}-byte text response; "
                  f"{r['bytes']:,} bytes as sent with Accept-Encoding: {ENCODING}), "
                  f"RssFile {r['file']:.0f} MiB, VmHWM {r['hwm']:.0f} MiB", flush=True)
            print("  warm scrapes in order, ms: " + ", ".join(f"{t * 1000:.1f}" for t in r["warm"]), flush=True)
        if SERVES > 1:
            quartiles = statistics.quantiles(pooled, n=4)
            print(f"chorus serve, {SERVES} servers pooled: {GAP} median {statistics.median(pooled) * 1000:.1f} ms, "
                  f"quartiles {quartiles[0] * 1000:.1f} / {quartiles[2] * 1000:.1f} ms, max {max(pooled) * 1000:.1f} ms, "
                  f"{len(pooled)} scrapes", flush=True)
        if PY:
            elapsed, detail = python_collector(directory)
            print(f"python 0.21.1 collector: {elapsed:.1f} s whole process; {detail}", flush=True)
        names = os.listdir(directory)
        maps = sum(n.endswith(".db.changes") for n in names)
        print(f"directory: {sum(n.endswith('.db') for n in names)} .db files and {maps} change maps, {used / 1e9:.2f} GB on disk; "
              f"load average {os.getloadavg()[0]:.2f} at the end", flush=True)
    finally:
        for process in live:
            process.terminate()
        for process in live:
            process.wait(timeout=30)
        shutil.rmtree(scratch, ignore_errors=True)
        if own:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
