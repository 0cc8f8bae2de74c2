"""The soak: random SIGKILLs of Python and Chorus writers, and of `chorus compact`, while `chorus serve` compacts and serves.

    dotnet build Chorus.slnx -c Release
    nice /usr/bin/python3 bench/soak/soak.py [--kills 10000] [--compaction-kills 1000] [--kill-rate 10]
                                             [--out bench/soak/results.json] [--chorus PATH]
    /usr/bin/python3 bench/soak/plot.py bench/soak/results.json docs/images/soak.png

Everything runs on loopback in a fresh temporary directory and stops by itself:
  - the article's app (samples/uwsgi-app/app.py, unchanged prometheus_client, PID-named files) under uWSGI
    (master + --workers, --max-requests 20), loaded at --rate requests/s; a request is *acknowledged* when its
    response arrives complete with the app's own status and body (the app counts it before it answers);
  - --writers Chorus writers (tests/Chorus.TestChild `paced`: default slot identity, 8-byte layout so Python's
    collector reads the same directory), each printing "confirmed N" after its N-th count;
  - `chorus serve --compact-every 1s` on the directory, scraped every 0.5 s;
  - a killer that SIGKILLs a random live worker (uWSGI worker or Chorus writer) at random moments until --kills;
  - a compaction killer that starts `chorus compact` and SIGKILLs it after a random delay, until --compaction-kills
    of them died that way (runs that finish or are refused first are counted apart).
Checks (each violation is printed; the exit code is 1 if there is any):
  - every scrape answers 200, shows at least what was acknowledged before it began, and no counter, histogram
    count or bucket series decreases or disappears from one scrape to the next;
  - at the end: acknowledged <= merged total <= acknowledged + kills, for each kind of writer;
  - prometheus_client 0.16's MultiProcessCollector reads exactly what `chorus scrape` reads;
  - every `chorus compact` that was not killed finished or was refused (a failed run is a bug: writers and
    prometheus_client's mark_process_dead create and remove files around it all the time);
  - no journal, working file or dead writer's start-up file is left, and only live writers' files and archives remain
    once the retention passed;
  - serve's RSS flat: the median of the last tenth of the samples at most 10 % above the median of the tenth that
    starts half-way; the directory's .db files flat the same way at their floor (10th percentile of each tenth), since
    their count swings between compactions;
  - serve's descriptors without a leak: those on no file of the directory flat (as above, or within 4), those on the
    directory's files never more than its names + 16, none on an unlinked file still open 3 scrapes later or at the end.
"""

import argparse
import collections
import http.client
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
APP_DIR = os.path.join(REPO, "samples", "uwsgi-app")
sys.path.insert(0, APP_DIR)
import loadgen  # noqa: E402  (the sample's load generator)
import exposition  # noqa: E402

CHORUS_DLL = os.path.join(REPO, "src", "Chorus.Cli", "bin", "Release", "net10.0", "chorus.dll")
TEST_CHILD_DLL = os.path.join(REPO, "tests", "Chorus.TestChild", "bin", "Release", "net10.0", "Chorus.TestChild.dll")
PYTHON = "/usr/bin/python3"
# app.py's answers by path: what a complete response of the app itself looks like (a router error does not).
APP_RESPONSES = {
    "/": (200, b"hello\n"),
    "/api/items": (200, b'{"items": [1, 2, 3]}\n'),
    "/api/users": (200, b'{"users": ["a", "b"]}\n'),
    "/missing": (404, b"not found\n"),
    "/error": (500, b"error\n"),
}
FILE_TYPES_PER_UWSGI_WORKER = 4  # counter, histogram, gauge_livesum, gauge_all
FLAT_LIMIT = 1.10
# Descriptors of serve that point at no file of the directory (sockets, pipes, the runtime): flat within 10 % or this.
OTHER_FDS_SLACK = 4
# serve's descriptors on linked files of the directory: at most one per name present, plus this.
DIR_FDS_SLACK = 16
# A descriptor on an unlinked file of the directory still held after this many further scrapes is a leak: every
# collection drops kept files whose link count fell to 0.
UNLINKED_SCRAPES = 3


class Violations:
    def __init__(self):
        self.lock = threading.Lock()
        self.count = 0
        self.by_kind = {}
        self.samples = []

    def add(self, kind, detail):
        with self.lock:
            self.count += 1
            self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
            if len(self.samples) < 30:
                self.samples.append("{}: {}".format(kind, detail))
            print("VIOLATION", kind, detail, file=sys.stderr, flush=True)


def chorus_command(chorus, *args):
    return (["dotnet", chorus] if chorus.endswith(".dll") else [chorus]) + list(args)


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, process, seconds=60):
    deadline = time.time() + seconds
    while True:
        try:
            if loadgen.get(url, "/metrics", 5)[0] == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        if process.poll() is not None or time.time() > deadline:
            raise SystemExit("nothing answered on {} (exit code {})".format(url, process.poll()))
        time.sleep(0.1)


def proc_status(pid):
    """(VmRSS KiB, RssAnon KiB, RssFile KiB, open descriptors) of a process."""
    fields = {}
    with open("/proc/{}/status".format(pid)) as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    kib = lambda key: int(fields.get(key, "0 kB").split()[0])  # noqa: E731
    return kib("VmRSS"), kib("RssAnon"), kib("RssFile"), len(os.listdir("/proc/{}/fd".format(pid)))


def descriptor_census(pid, directory):
    """serve's open descriptors by what they point at: (files linked in the metrics directory, files of the directory
    already unlinked, the inodes of those, everything else: sockets, pipes, the runtime's own files)."""
    prefix = directory + "/"
    linked = unlinked = other = 0
    unlinked_inodes = set()
    for fd in os.listdir("/proc/{}/fd".format(pid)):
        try:
            target = os.readlink("/proc/{}/fd/{}".format(pid, fd))
        except OSError:
            continue  # closed meanwhile
        if not target.startswith(prefix):
            other += 1
        elif target.endswith(" (deleted)"):
            unlinked += 1
            try:
                unlinked_inodes.add(os.stat("/proc/{}/fd/{}".format(pid, fd)).st_ino)
            except OSError:
                pass
        else:
            linked += 1
    return linked, unlinked, unlinked_inodes, other


def parent_and_cmdline(pid):
    try:
        with open("/proc/{}/stat".format(pid)) as f:
            stat = f.read()
        with open("/proc/{}/cmdline".format(pid), "rb") as f:
            cmdline = f.read().decode(errors="replace")
    except OSError:
        return None, ""
    return int(stat[stat.rindex(")") + 2:].split()[1]), cmdline


class Uwsgi:
    """The article's uWSGI: master + workers recycled every 20 requests, PID-named files (the library default)."""

    def __init__(self, directory, logs, workers):
        self.port = free_port()
        self.url = "http://127.0.0.1:{}".format(self.port)
        env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=directory, APP_IDENTITY="pid")
        env.pop("PYTHONPATH", None)
        self.proc = subprocess.Popen(
            ["uwsgi", "--plugin", "python3,http", "--http", "127.0.0.1:{}".format(self.port), "--master",
             "--processes", str(workers), "--max-requests", "20", "--min-worker-lifetime", "0",
             "--forkbomb-delay", "0", "--wsgi-file", os.path.join(APP_DIR, "app.py"), "--disable-logging",
             "--logto", os.path.join(logs, "uwsgi.log"), "--die-on-term", "--auto-procname"],
            env=env, cwd=APP_DIR, stdin=subprocess.DEVNULL)
        wait_http(self.url, self.proc)

    def worker_pids(self):
        """The master's worker processes (not the HTTP router), named by --auto-procname."""
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                parent, cmdline = parent_and_cmdline(int(entry))
                if parent == self.proc.pid and cmdline.startswith("uWSGI worker"):
                    pids.append(int(entry))
        return pids

    def kill(self, pid):
        """SIGKILLs pid if it is still one of this master's workers. The pidfd pins the process, so a PID reused
        between the listing and the signal is checked again, never signalled blindly."""
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            return False
        try:
            parent, cmdline = parent_and_cmdline(pid)
            if parent != self.proc.pid or not cmdline.startswith("uWSGI worker"):
                return False
            signal.pidfd_send_signal(fd, signal.SIGKILL)
            return True
        except ProcessLookupError:
            return False
        finally:
            os.close(fd)

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(15)


class Writer:
    """One Chorus writer (Chorus.TestChild paced): its confirmed count is read from its stdout until EOF."""

    def __init__(self, directory, pause_ms):
        env = dict(os.environ, CHORUS_VALUE_LAYOUT="8")
        env.pop("CHORUS_IDENTITY", None)
        self.proc = subprocess.Popen(["dotnet", TEST_CHILD_DLL, "paced", directory, str(pause_ms)], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, bufsize=1)
        self.confirmed = 0
        self.killed = False
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            if line.startswith("confirmed "):
                self.confirmed = int(line.split()[1])

    def close_input(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass


class Writers:
    """Keeps --writers Chorus writers running, replacing each one that dies; sums what they confirmed."""

    def __init__(self, directory, count, pause_ms):
        self.directory, self.count, self.pause_ms = directory, count, pause_ms
        self.lock = threading.Lock()
        self.live = []
        self.retired_confirmed = 0
        self.started = 0
        self.replacing = True
        for _ in range(count):
            self._start()

    def _start(self):
        self.live.append(Writer(self.directory, self.pause_ms))
        self.started += 1

    def confirmed(self):
        with self.lock:
            return self.retired_confirmed + sum(w.confirmed for w in self.live)

    def supervise(self):
        with self.lock:
            for writer in [w for w in self.live if w.proc.poll() is not None]:
                writer.reader.join(10)  # everything it printed before it died is acknowledged
                self.retired_confirmed += writer.confirmed
                writer.close_input()
                writer.proc.stdout.close()
                self.live.remove(writer)
            while self.replacing and len(self.live) < self.count:
                self._start()

    def kill(self, index):
        with self.lock:
            live = [w for w in self.live if w.proc.returncode is None]
            if not live:
                return False
            writer = live[index % len(live)]
            # Under the lock: supervise() cannot reap it (and free its PID) between the check and the signal.
            if writer.proc.poll() is not None:
                return False
            writer.proc.send_signal(signal.SIGKILL)
            writer.killed = True
            return True

    def stop(self):
        """Closes every writer's stdin (each prints its final count and exits), then collects them."""
        with self.lock:
            self.replacing = False
            for writer in self.live:
                writer.close_input()
        deadline = time.time() + 30
        while time.time() < deadline:
            self.supervise()
            with self.lock:
                if not self.live:
                    return 0
            time.sleep(0.05)
        forced = 0
        with self.lock:
            for writer in self.live:
                if writer.proc.poll() is None:
                    writer.proc.kill()
                    forced += 1
        self.supervise()
        return forced


class Load:
    """--rate requests/s on the uWSGI app from a few threads; counts acknowledged responses."""

    def __init__(self, url, rate, threads):
        self.url, self.rate, self.threads = url, rate, threads
        self.lock = threading.Lock()
        self.acknowledged = 0
        self.failed = 0
        self.failures = {}
        self.stopping = threading.Event()
        self.pool = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]
        for t in self.pool:
            t.start()

    def _run(self, index):
        interval = self.threads / self.rate
        paths = loadgen.PATHS
        next_at = time.monotonic() + random.random() * interval
        i = index
        while not self.stopping.is_set():
            path = paths[i % len(paths)]
            i += 1
            try:
                status, body = loadgen.get(self.url, path, 10)
                good = (status, body) == APP_RESPONSES[path]
                kind = None if good else "status {}".format(status)
            except (OSError, http.client.HTTPException) as e:
                good, kind = False, type(e).__name__
            with self.lock:
                if good:
                    self.acknowledged += 1
                else:
                    self.failed += 1
                    self.failures[kind] = self.failures.get(kind, 0) + 1
            next_at = max(next_at + interval, time.monotonic())
            self.stopping.wait(max(0.0, next_at - time.monotonic()))

    def count(self):
        with self.lock:
            return self.acknowledged

    def stop(self):
        self.stopping.set()
        for t in self.pool:
            t.join(30)


class Serve:
    def __init__(self, chorus, directory, logs, retention):
        self.log_path = os.path.join(logs, "serve.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            chorus_command(chorus, "serve", "--dir", directory, "--listen", "127.0.0.1:0", "--compact-every", "1s",
                           "--all-retention", retention),
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.time() + 60
        while True:
            with open(self.log_path) as f:
                first = f.readline()
            if " on http://" in first:
                self.url = first.split(" on ", 1)[1].strip().rsplit("/", 1)[0]
                break
            if self.proc.poll() is not None or time.time() > deadline:
                raise SystemExit("chorus serve did not start: " + open(self.log_path).read())
            time.sleep(0.1)
        wait_http(self.url, self.proc)

    def log_counts(self):
        with open(self.log_path) as f:
            text = f.read()
        return {
            "recovered": text.count("recovered an interrupted compaction"),
            "refused": text.count("compaction refused"),
            "folded_summaries": text.count("folded "),
            "startup_files_removed": text.count("died while starting to write"),
            "failed": sum(1 for line in text.splitlines() if "fail" in line.lower() or "exception" in line.lower()),
        }

    def stop(self):
        self.proc.terminate()
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(30)
        finally:
            self.log.close()


def directory_files(directory):
    db = damaged = working = gauge_all = 0
    for name in os.listdir(directory):
        if name.endswith(".db"):
            db += 1
            gauge_all += name.startswith("gauge_all_")
        elif name.endswith(".damaged"):
            damaged += 1
        elif ".chorus-" in name or name == "chorus-compact.journal" or name.endswith(".new"):
            working += 1
    return db, gauge_all, damaged, working


class Scraper:
    """Scrapes serve every 0.5 s: every scrape 200, at least what was acknowledged before it, nothing decreasing."""

    def __init__(self, serve, directory, load, writers, kills, violations, started):
        self.serve, self.directory, self.load, self.writers = serve, directory, load, writers
        self.kills, self.violations, self.started = kills, violations, started
        self.real_directory = os.path.realpath(directory)
        self.unlinked_history = collections.deque(maxlen=UNLINKED_SCRAPES + 1)
        self.rows = []
        self.previous = None
        self.decreases = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        next_at = time.monotonic()
        while not self.stopping.is_set():
            self.scrape_once()
            next_at = max(next_at + 0.5, time.monotonic())
            self.stopping.wait(max(0.0, next_at - time.monotonic()))

    def scrape_once(self):
        acknowledged_app, acknowledged_writers = self.load.count(), self.writers.confirmed()
        begun = time.monotonic()
        try:
            status, body = loadgen.get(self.serve.url, "/metrics", 30)
        except (OSError, http.client.HTTPException) as e:
            status, body = None, repr(e).encode()
        seconds = time.monotonic() - begun
        if status != 200:
            self.violations.add("scrape failed", "{}: {}".format(status, body[:300]))
            return
        samples = exposition.parse(body.decode())
        app, soak = exposition.total(samples, "app_requests_total"), exposition.total(samples, "soak_requests_total")
        if app < acknowledged_app:
            self.violations.add("acknowledged missing", "app_requests_total {} < {} acknowledged".format(app, acknowledged_app))
        if soak < acknowledged_writers:
            self.violations.add("acknowledged missing", "soak_requests_total {} < {} confirmed".format(soak, acknowledged_writers))
        if self.previous is not None:
            for key, before in self.previous.items():
                now = samples.get(key)
                if now is None or now < before:
                    self.decreases += 1
                    self.violations.add("decrease", "{}: {} -> {}".format(key, before, now))
        self.previous = {k: v for k, v in samples.items() if exposition.is_cumulative(k[0])}
        names_before = set(os.listdir(self.directory))
        db, gauge_all, damaged, working = directory_files(self.directory)
        rss, anon, file_backed, fds = proc_status(self.serve.proc.pid)
        fds_linked, fds_unlinked, unlinked_inodes, fds_other = descriptor_census(self.serve.proc.pid, self.real_directory)
        # Any name that existed while the descriptors were read: a file serve holds is one of them, unless leaked.
        entries = len(names_before | set(os.listdir(self.directory)))
        self.unlinked_history.append(unlinked_inodes)
        held = set.intersection(*self.unlinked_history) if len(self.unlinked_history) == UNLINKED_SCRAPES + 1 else set()
        self.rows.append({
            "t": round(time.time() - self.started, 2), "app": app, "soak": soak, "ack_app": acknowledged_app,
            "ack_writers": acknowledged_writers, "kills": self.kills(), "files": db, "gauge_all": gauge_all,
            "damaged": damaged, "working": working, "rss_kib": rss, "rss_anon_kib": anon, "rss_file_kib": file_backed,
            "fds": fds, "fds_dir": fds_linked, "fds_unlinked": fds_unlinked, "fds_unlinked_held": len(held),
            "fds_other": fds_other, "entries": entries, "scrape_ms": round(seconds * 1000, 1),
        })

    def stop(self):
        self.stopping.set()
        self.thread.join(60)


class Killer:
    """SIGKILLs a random live worker (uWSGI worker or Chorus writer) at random moments, --kill-rate a second on average."""

    def __init__(self, uwsgi, writers, total, rate, rng):
        self.uwsgi, self.writers, self.total, self.rate, self.rng = uwsgi, writers, total, rate, rng
        self.lock = threading.Lock()
        self.app_kills = 0
        self.writer_kills = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def count(self):
        with self.lock:
            return self.app_kills + self.writer_kills

    def _run(self):
        while self.count() < self.total:
            time.sleep(self.rng.uniform(0, 2.0 / self.rate))
            self.writers.supervise()
            pids = self.uwsgi.worker_pids()
            with self.writers.lock:
                live_writers = sum(1 for w in self.writers.live if w.proc.returncode is None)
            if not pids and not live_writers:
                continue
            # Either kind with even odds (a kind with nobody alive right now gives its turn to the other), then a
            # random one of them: uWSGI's workers are respawned faster than a writer's runtime starts.
            if pids and (not live_writers or self.rng.random() < 0.5):
                if self.uwsgi.kill(self.rng.choice(pids)):
                    with self.lock:
                        self.app_kills += 1
            elif self.writers.kill(self.rng.randrange(live_writers)):
                with self.lock:
                    self.writer_kills += 1


class CompactionKiller:
    """Starts `chorus compact` and SIGKILLs it after a random delay, until `total` runs died that way.

    Every tenth run is left to finish, to measure how long a run takes; the others are killed after a delay uniform
    over 1.2 x the median of those durations, so kills land anywhere from process start-up to the last unlink. What each kill left behind is classified:
    a journal (killed inside the protocol, steps 3-6), working files only, or nothing (a lower bound for the first
    two: serve may take the lock and recover the moment the killed process is gone)."""

    def __init__(self, chorus, directory, retention, total, seconds_between, rng):
        self.chorus, self.directory, self.retention = chorus, directory, retention
        self.total, self.seconds_between, self.rng = total, seconds_between, rng
        self.killed = 0
        self.outcomes = {"killed, journal left": 0, "killed, working files left": 0, "killed, nothing left": 0,
                         "finished": 0, "refused": 0, "failed": 0}
        self.refusals = {}
        self.recoveries = 0
        self.startup_files_removed = 0
        self.durations = []
        self.failures = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        started = time.monotonic()
        runs = 0
        while self.killed < self.total:
            wait = started + runs * self.seconds_between - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            runs += 1
            calibration = runs % 10 == 1
            window = 1.2 * statistics.median(self.durations[-20:]) if self.durations else 1.0
            delay = None if calibration else self.rng.uniform(0, window)
            begun = time.monotonic()
            proc = subprocess.Popen(chorus_command(self.chorus, "compact", "--dir", self.directory, "--all-retention",
                                                   self.retention),
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            try:
                out, _ = proc.communicate(timeout=delay)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                proc.communicate()
                self.killed += 1
                _, _, _, working = directory_files(self.directory)
                if os.path.exists(os.path.join(self.directory, "chorus-compact.journal")):
                    self.outcomes["killed, journal left"] += 1
                elif working:
                    self.outcomes["killed, working files left"] += 1
                else:
                    self.outcomes["killed, nothing left"] += 1
                continue
            text = out.decode(errors="replace")
            self.recoveries += text.count("Recovery:")
            self.startup_files_removed += text.count("died while starting to write")
            if proc.returncode == 0:
                self.outcomes["finished"] += 1
                if calibration:
                    self.durations.append(time.monotonic() - begun)
            elif "refused" in text:
                self.outcomes["refused"] += 1
                last = [line for line in text.splitlines() if "refused" in line][-1]
                reason = re.sub(r"\d+", "N", last.split("refused", 1)[1].strip(": "))[:120]
                self.refusals[reason] = self.refusals.get(reason, 0) + 1
            else:
                self.outcomes["failed"] += 1
                if len(self.failures) < 5:
                    self.failures.append("exit {}: {}".format(proc.returncode, text[-500:]))


def compact_until_done(chorus, directory, retention, seconds=60):
    """One complete `chorus compact` (retried while serve holds the lock); recovers any journal a kill left."""
    deadline = time.time() + seconds
    while True:
        result = subprocess.run(chorus_command(chorus, "compact", "--dir", directory, "--all-retention", retention),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if result.returncode == 0:
            return result.stdout.decode(errors="replace")
        if time.time() > deadline:
            raise SystemExit("chorus compact kept failing: " + result.stdout.decode(errors="replace"))
        time.sleep(0.3)


def chorus_scrape(chorus, directory):
    result = subprocess.run(chorus_command(chorus, "scrape", "--dir", directory), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, check=True)
    return exposition.parse(result.stdout.decode())


def python_collect(directory):
    """prometheus_client 0.16's own MultiProcessCollector (the system package, not the 0.21 test peer)."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    result = subprocess.run([PYTHON, os.path.join(APP_DIR, "collect.py"), directory], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
    if result.returncode != 0:
        return None, result.stderr.decode(errors="replace")[-1000:]
    return exposition.parse(result.stdout.decode()), None


def floor(values):
    """The 10th percentile: what is left right after a compaction, when the count swings between compactions."""
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 10]


def flatness(rows, key, level=statistics.median):
    """(level (median unless told) of the tenth of the samples starting half-way, level of the last tenth, their ratio,
    first-half max, second-half max)."""
    n = len(rows)
    tenth = max(1, n // 10)
    half = n // 2
    middle = level([r[key] for r in rows[half:half + tenth]])
    end = level([r[key] for r in rows[n - tenth:]])
    return {"mid": middle, "end": end, "ratio": round(end / middle, 3) if middle else None,
            "first_half_max": max(r[key] for r in rows[:half]), "second_half_max": max(r[key] for r in rows[half:])}


def descriptor_problems(rows, other_flatness):
    """serve's descriptors follow the files it keeps open, and those follow the directory's churn, so their total is not
    compared over time. A leak shows all the same: descriptors that point at no file of the directory grow (checked
    for flatness), descriptors on the directory's files outnumber its names, or a file unlinked from the directory stays
    open over several scrapes (every collection drops a kept file whose link count fell to 0)."""
    problems = []
    mid, end = other_flatness["mid"], other_flatness["end"]
    if end > mid * FLAT_LIMIT and end > mid + OTHER_FDS_SLACK:
        problems.append("descriptors outside the directory not flat: {} half-way, {} at the end".format(mid, end))
    over = [r for r in rows if r["fds_dir"] > r["entries"] + DIR_FDS_SLACK]
    if over:
        worst = max(over, key=lambda r: r["fds_dir"] - r["entries"])
        problems.append("{} samples with more descriptors on the directory's files than names + {} (worst at {} s: {} "
                        "for {} names)".format(len(over), DIR_FDS_SLACK, worst["t"], worst["fds_dir"], worst["entries"]))
    held = [r for r in rows if r["fds_unlinked_held"]]
    if held:
        problems.append("{} samples where unlinked files stayed open over {} scrapes (most: {} at {} s)".format(
            len(held), UNLINKED_SCRAPES, max(r["fds_unlinked_held"] for r in held), held[0]["t"]))
    if rows and rows[-1]["fds_unlinked"]:
        problems.append("{} unlinked files still open at the end".format(rows[-1]["fds_unlinked"]))
    return problems


def process_age_seconds(pid):
    """Seconds since process (or thread) pid started, or None if there is none."""
    try:
        with open("/proc/{}/stat".format(pid)) as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")


# MultiProcessStore's write check, and MappedDbFile's new file while it is sized (src/Chorus/Storage/StartupFileNames.cs).
STARTUP_FILE = re.compile(r"^(?:\.chorus-write-check-(\d+)-\d+|.+\.db\.(\d+)\.new)$")


def leftover_files(directory, live_pids):
    """(problems, kept for the PID-reuse grace): .db files that belong neither to an archive nor to a live writer, once
    the retention has passed, working files, and start-up files of dead writers. A dead PID's files whose PID now names
    a process younger than 60 s, and start-up files whose PID names a process again, are left by design
    (docs/compaction.md, ReusedPidGrace and "Start-up litter") and only counted."""
    problems, grace = [], []
    for name in sorted(os.listdir(directory)):
        startup = STARTUP_FILE.match(name)
        if startup:
            # A writer killed while starting; compaction's sweep removes it once its PID is gone (not while reused).
            if process_age_seconds(int(startup.group(1) or startup.group(2))) is not None:
                grace.append(name)
            else:
                problems.append("start-up file of a dead writer left: " + name)
        elif name == "chorus-compact.journal" or ".chorus-" in name:
            problems.append("working file left: " + name)
        elif name.endswith(".db"):
            identity = name[:-3].rsplit("_", 1)[1]
            if identity.startswith("archive") or (identity.isdigit() and int(identity) in live_pids):
                continue
            age = process_age_seconds(int(identity)) if identity.isdigit() else None
            if age is not None and age < 60:
                grace.append(name)
            else:
                problems.append("file of a dead writer left: " + name)
    return problems, grace


def main():
    parser = argparse.ArgumentParser(description="Random SIGKILLs of writers and compactors beside chorus serve.")
    parser.add_argument("--kills", type=int, default=10000, help="workers to SIGKILL in all")
    parser.add_argument("--compaction-kills", type=int, default=1000, help="`chorus compact` runs to SIGKILL")
    parser.add_argument("--kill-rate", type=float, default=10.0, help="worker kills a second, on average")
    parser.add_argument("--workers", type=int, default=4, help="uWSGI workers")
    parser.add_argument("--writers", type=int, default=4, help="Chorus writer processes")
    parser.add_argument("--rate", type=float, default=150.0, help="requests a second on the uWSGI app")
    parser.add_argument("--writer-pause-ms", type=int, default=5, help="pause between a Chorus writer's counts")
    parser.add_argument("--all-retention", default="5s",
                        help="serve's and compact's --all-retention (short, so the run shows boundedness)")
    parser.add_argument("--chorus", default=CHORUS_DLL, help="chorus.dll (run with dotnet) or a native chorus binary")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", default=os.path.join(HERE, "results.json"))
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    for path in (args.chorus, TEST_CHILD_DLL):
        if not os.path.exists(path):
            raise SystemExit("missing {}: build first (dotnet build Chorus.slnx -c Release)".format(path))
    retention_seconds = float(args.all_retention.rstrip("s"))

    rng = random.Random(args.seed)
    random.seed(args.seed)
    work = tempfile.mkdtemp(prefix="chorus-soak-")
    directory = os.path.join(work, "metrics")
    os.makedirs(directory)
    violations = Violations()
    started = time.time()
    uwsgi = serve = load = writers = scraper = None
    try:
        uwsgi = Uwsgi(directory, work, args.workers)
        serve = Serve(args.chorus, directory, work, args.all_retention)
        writers = Writers(directory, args.writers, args.writer_pause_ms)
        load = Load(uwsgi.url, args.rate, threads=4)
        killer_box = []
        scraper = Scraper(serve, directory, load, writers, lambda: killer_box[0].count() if killer_box else 0,
                          violations, started)
        killer = Killer(uwsgi, writers, args.kills, args.kill_rate, rng)
        killer_box.append(killer)
        compactions = CompactionKiller(args.chorus, directory, args.all_retention, args.compaction_kills,
                                       args.kills / args.kill_rate / max(1, args.compaction_kills),
                                       random.Random(args.seed + 1))
        last_report = 0
        while killer.thread.is_alive() or compactions.thread.is_alive():
            writers.supervise()
            time.sleep(0.05)
            if time.time() - last_report >= 30:
                last_report = time.time()
                row = scraper.rows[-1] if scraper.rows else {}
                print("{:.0f}s: kills {} (app {}, writers {}), compaction kills {}, files {}, rss {} KiB, fds {}, "
                      "violations {}".format(time.time() - started, killer.count(), killer.app_kills,
                                             killer.writer_kills, compactions.killed, row.get("files"),
                                             row.get("rss_kib"), row.get("fds"), violations.count), flush=True)
        soak_seconds = time.time() - started

        # Quiesce: no more load, every writer stopped cleanly, any interrupted compaction recovered.
        load.stop()
        forced_stops = writers.stop()
        compact_until_done(args.chorus, directory, args.all_retention)
        time.sleep(retention_seconds + 1.0)
        final_compaction = compact_until_done(args.chorus, directory, args.all_retention)
        time.sleep(1.0)
        scraper.stop()
        scraper.scrape_once()

        acknowledged_app, acknowledged_writers = load.count(), writers.confirmed()
        chorus_view = chorus_scrape(args.chorus, directory)
        python_view, python_error = python_collect(directory)
        served = scraper.rows[-1]
        merged_app = exposition.total(chorus_view, "app_requests_total")
        merged_writers = exposition.total(chorus_view, "soak_requests_total")
        if not acknowledged_app <= merged_app <= acknowledged_app + killer.app_kills:
            violations.add("bound", "app: acknowledged {} <= merged {} <= acknowledged + kills {} fails".format(
                acknowledged_app, merged_app, acknowledged_app + killer.app_kills))
        if not acknowledged_writers <= merged_writers <= acknowledged_writers + killer.writer_kills + forced_stops:
            violations.add("bound", "writers: acknowledged {} <= merged {} <= acknowledged + kills {} fails".format(
                acknowledged_writers, merged_writers, acknowledged_writers + killer.writer_kills + forced_stops))
        if (served["app"], served["soak"]) != (merged_app, merged_writers):
            violations.add("serve vs scrape", "serve {} / {}, chorus scrape {} / {}".format(
                served["app"], served["soak"], merged_app, merged_writers))
        if python_view is None:
            violations.add("python collector failed", python_error)
        else:
            for problem in exposition.differences(python_view, chorus_view):
                violations.add("python vs chorus", problem)
        live_pids = set(uwsgi.worker_pids()) | {uwsgi.proc.pid}
        leftovers, kept_for_grace = leftover_files(directory, live_pids)
        for problem in leftovers:
            violations.add("files not bounded", problem)
        flat = {key: flatness(scraper.rows, key) for key in ("rss_kib", "fds", "fds_other")}
        # The .db count is a sawtooth: every recycled uWSGI worker adds 4 files until the next compaction folds them, and
        # the compaction killer delays that at random. Files that compaction never removes raise the floor.
        flat["files"] = flatness(scraper.rows, "files", floor)
        for key in ("rss_kib", "files"):
            figures = flat[key]
            if figures["ratio"] is not None and figures["ratio"] > FLAT_LIMIT:
                violations.add("not flat", "{}: {} half-way, {} at the end".format(key, figures["mid"], figures["end"]))
        for problem in descriptor_problems(scraper.rows, flat["fds_other"]):
            violations.add("descriptors", problem)
        if serve.proc.poll() is not None:
            violations.add("serve died", "exit code {}".format(serve.proc.returncode))
        for failure in compactions.failures:
            violations.add("compaction failed", failure)
        if compactions.outcomes["failed"] > len(compactions.failures):
            violations.add("compaction failed", "{} more".format(compactions.outcomes["failed"] - len(compactions.failures)))

        summary = {
            "soak_seconds": round(soak_seconds, 1),
            "kills": killer.count(), "app_kills": killer.app_kills, "writer_kills": killer.writer_kills,
            "writers_started": writers.started, "forced_writer_stops": forced_stops,
            "acknowledged_app": acknowledged_app, "merged_app": merged_app,
            "acknowledged_writers": acknowledged_writers, "merged_writers": merged_writers,
            "load_failures": load.failures, "scrapes": len(scraper.rows), "decreases": scraper.decreases,
            "max_files": max(r["files"] for r in scraper.rows), "final_files": served["files"],
            "damaged_files": served["damaged"], "kept_for_pid_reuse_grace": len(kept_for_grace), "flat": flat,
            "descriptors": {
                "most_on_directory_files_beyond_names": max(r["fds_dir"] - r["entries"] for r in scraper.rows),
                "most_on_unlinked_files": max(r["fds_unlinked"] for r in scraper.rows),
                "most_unlinked_held_over_scrapes": max(r["fds_unlinked_held"] for r in scraper.rows),
                "on_unlinked_files_at_the_end": served["fds_unlinked"],
            },
            "scrape_ms_median": statistics.median(r["scrape_ms"] for r in scraper.rows),
            "scrape_ms_max": max(r["scrape_ms"] for r in scraper.rows),
            "compaction_kills": compactions.killed, "compaction_outcomes": compactions.outcomes,
            "compaction_failures": compactions.failures, "compaction_refusals": compactions.refusals,
            "recoveries_by_compact": compactions.recoveries,
            "startup_files_removed_by_compact": compactions.startup_files_removed,
            "compaction_median_seconds": round(statistics.median(compactions.durations), 3) if compactions.durations else None,
            "serve_log": serve.log_counts(), "final_compaction": final_compaction.strip().splitlines()[-1],
            "python_agrees": python_view is not None and not exposition.differences(python_view, chorus_view),
            "violations": violations.count, "violations_by_kind": violations.by_kind,
            "violation_samples": violations.samples,
        }
    finally:
        for part in (scraper, load):
            if part:
                part.stop()
        if writers:
            writers.stop()
        serve_exit = serve.stop() if serve else None
        if uwsgi:
            uwsgi.stop()
        if args.keep:
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)

    summary["serve_exit_code"] = serve_exit
    result = {
        "command": "bench/soak/soak.py " + " ".join(sys.argv[1:]),
        "chorus": os.path.relpath(args.chorus, REPO) if args.chorus.startswith(REPO) else os.path.basename(args.chorus),
        "machine": "{} cores, {} {}, load average at the end {}".format(
            os.cpu_count(), platform.system(), platform.release(), " ".join("%.1f" % x for x in os.getloadavg())),
        "summary": summary,
        "rows": scraper.rows,
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(summary, indent=1))
    if violations.count:
        print("soak: {} violation(s)".format(violations.count), file=sys.stderr)
        return 1
    print("soak: every invariant held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
