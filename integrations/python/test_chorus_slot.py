"""Tests for chorus_slot with the real prometheus_client. Run: /usr/bin/python3 -m unittest test_chorus_slot

Every scenario runs in fresh interpreters (prometheus_client's value class is per-process state) on a
temporary directory, and reads the result with prometheus_client's own MultiProcessCollector.
Every wait is bounded.
"""

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 20

PRELUDE = textwrap.dedent("""\
    import os, sys, time, signal
    import chorus_slot
    assert chorus_slot.install()
    from prometheus_client import Counter, Gauge, Histogram
    requests = Counter("app_requests", "Requests served.")
    in_progress = Gauge("app_in_progress", "Requests in flight.", multiprocess_mode="livesum")
    handled = Gauge("app_handled", "Requests handled by this process.")
    def say(*words):
        # One write(2) per line: forked processes share the pipe, and print() writes in pieces.
        os.write(1, (" ".join(map(str, words)) + "\\n").encode())
    def wait_for(path):
        deadline = time.time() + 15
        while not os.path.exists(path):
            if time.time() > deadline:
                sys.exit("timed out waiting for " + path)
            time.sleep(0.01)
    """)


class ChorusSlotTests(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="chorus-slot-test-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=self.dir, PYTHONPATH=HERE)
        self.env.pop("prometheus_multiproc_dir", None)
        self.procs = []
        self.addCleanup(self._kill_all)

    def _kill_all(self):
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)  # the scenario's forked children too
            except ProcessLookupError:
                pass
            p.wait(TIMEOUT)
            for stream in (p.stdin, p.stdout):
                if stream:
                    stream.close()

    def run_py(self, body):
        """Runs PRELUDE + body to completion; returns stdout lines."""
        out = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(body)], env=self.env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout.split()

    def start_py(self, body):
        p = subprocess.Popen([sys.executable, "-c", PRELUDE + textwrap.dedent(body)], env=self.env,
                             stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True,
                             start_new_session=True)
        self.procs.append(p)
        return p

    def wait_file(self, name):
        deadline = time.time() + TIMEOUT
        while not os.path.exists(os.path.join(self.dir, name)):
            self.assertLess(time.time(), deadline, "timed out waiting for " + name)
            time.sleep(0.01)

    def samples(self):
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.dir)
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for family in registry.collect() for s in family.samples}

    def db_files(self):
        return sorted(n for n in os.listdir(self.dir) if n.endswith(".db"))

    def slot_held(self, n):
        fd = os.open(os.path.join(self.dir, "chorus-slot-{}.lock".format(n)), os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return False
        except BlockingIOError:
            return True
        finally:
            os.close(fd)

    def test_files_are_named_after_the_lowest_free_slot(self):
        out = self.run_py("""
            requests.inc()
            print(chorus_slot.slot(), os.getpid())
            """)
        self.assertEqual(out[0], "0")
        self.assertEqual(self.db_files(), ["counter_0.db", "gauge_all_0.db"], "live gauges go at a normal exit")
        self.assertNotIn(out[1], "".join(self.db_files()))
        self.assertFalse(self.slot_held(0), "the kernel drops the lease when the process exits")

    def test_processes_alive_together_get_distinct_slots(self):
        holders = [self.start_py("""
            requests.inc()
            print(chorus_slot.slot(), flush=True)
            sys.stdin.readline()
            """) for _ in range(3)]
        slots = sorted(int(p.stdout.readline()) for p in holders)
        self.assertEqual(slots, [0, 1, 2])
        self.assertTrue(all(self.slot_held(n) for n in slots))
        for p in holders:
            p.stdin.close()
            self.assertEqual(p.wait(TIMEOUT), 0)
        self.assertEqual(self.samples()[("app_requests_total", ())], 3.0)

    def test_successor_continues_counters_and_files_stay_bounded(self):
        for _ in range(5):
            self.run_py("requests.inc(2)")
        self.assertEqual(self.samples()[("app_requests_total", ())], 10.0)
        self.assertEqual(self.db_files(), ["counter_0.db", "gauge_all_0.db"])

    def test_install_and_fork_take_no_slot_until_a_metric_is_created(self):
        out = subprocess.run([sys.executable, "-c", textwrap.dedent("""
            import os, chorus_slot
            chorus_slot.install()
            from prometheus_client import Counter
            pid = os.fork()
            if pid == 0:
                os._exit(0)
            os.waitpid(pid, 0)
            print(len([n for n in os.listdir(os.environ["PROMETHEUS_MULTIPROC_DIR"]) if n.endswith(".lock")]))
            Counter("c", "A label-less metric creates its value, hence its file, at construction.")
            print(chorus_slot.slot())
            """)], env=self.env, stdout=subprocess.PIPE, timeout=TIMEOUT, text=True)
        self.assertEqual(out.stdout.split(), ["0", "0"])
        self.assertEqual(self.db_files(), ["counter_0.db"])

    def test_forked_child_takes_its_own_slot_on_first_use_and_leaves_the_parents(self):
        out = self.run_py("""
            requests.inc()
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                # Untouched yet: the child holds no slot of its own, and closing the inherited
                # descriptor must not have released the parent's lock.
                os.write(w, b"x")
                requests.inc(10)
                print("child", chorus_slot.slot(), flush=True)
                os._exit(0)
            os.read(r, 1)
            _, status = os.waitpid(pid, 0)
            assert status == 0, status
            print("parent", chorus_slot.slot())
            requests.inc()
            """)
        self.assertEqual(out[:4], ["child", "1", "parent", "0"])
        self.assertEqual(self.samples()[("app_requests_total", ())], 12.0)
        self.assertIn("counter_1.db", self.db_files())

    def test_child_does_not_reuse_the_slot_its_parent_held_when_the_parent_is_gone(self):
        # The child inherits the value class's cached identifier (the parent's slot). Were it to take that
        # same number after the parent died, prometheus_client would keep the parent's cached values and
        # write them over what the parent stored after the fork.
        out = self.run_py("""
            requests.inc()
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.read(r, 1)  # parent has exited
                deadline = time.time() + 15
                while os.getppid() == PARENT and time.time() < deadline:
                    time.sleep(0.01)
                requests.inc(100)
                print(chorus_slot.slot(), flush=True)
                os._exit(0)
            requests.inc(5)
            print(pid, flush=True)
            os.write(w, b"x")
            """.replace("PARENT", "os.getpid()"))
        child = int(out[0])
        deadline = time.time() + TIMEOUT
        while os.path.exists("/proc/{}".format(child)) and time.time() < deadline:
            time.sleep(0.01)
        self.wait_file("counter_1.db")
        deadline = time.time() + TIMEOUT
        while self.samples().get(("app_requests_total", ())) != 106.0 and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.samples()[("app_requests_total", ())], 106.0)

    def test_sigkilled_worker_in_progress_gauge_is_zero_after_a_new_process_takes_its_slot(self):
        # A pre-fork server in miniature: the master imports the app (creating its metrics) and forks 3 workers;
        # worker 1 dies by SIGKILL in the middle of a "request" with in_progress at 1. Control goes
        # through marker files (not .db, so collectors ignore them).
        master = self.start_py("""
            d = os.environ["PROMETHEUS_MULTIPROC_DIR"]
            def worker(i):
                requests.inc()
                handled.set(1)
                say("slot", i, chorus_slot.slot())
                open(os.path.join(d, "took-{}".format(i)), "w").close()
                if i == 1:
                    in_progress.inc()
                    open(os.path.join(d, "in-request"), "w").close()
                    time.sleep(60)
                    in_progress.dec()
                wait_for(os.path.join(d, "stop"))
                os._exit(0)
            workers = []
            for i in range(3):
                pid = os.fork()
                if pid == 0:
                    worker(i)
                workers.append(pid)
            wait_for(os.path.join(d, "in-request"))
            # A worker that took its slot after the kill would reap the killed one's live gauge first.
            for i in (0, 2):
                wait_for(os.path.join(d, "took-{}".format(i)))
            os.kill(workers[1], signal.SIGKILL)
            os.waitpid(workers[1], 0)
            say("killed")
            wait_for(os.path.join(d, "replace"))
            pid = os.fork()
            if pid == 0:
                worker(3)
            for pid in (workers[0], workers[2], pid):
                os.waitpid(pid, 0)
            """)
        lines = [self.read_line(master) for _ in range(4)]
        self.assertIn("killed", lines)  # the other workers may print after it
        slots = {l.split()[1]: int(l.split()[2]) for l in lines if l.startswith("slot")}
        self.assertEqual(sorted(slots.values()), [1, 2, 3], "the master created the metrics: it holds slot 0")
        killed_slot = slots["1"]
        # Until a process takes a slot, Python's collector still sums the dead worker's live gauge...
        self.assertEqual(self.samples()[("app_in_progress", ())], 1.0)
        self.assertFalse(self.slot_held(killed_slot), "the kernel dropped the killed worker's lease")
        open(os.path.join(self.dir, "replace"), "w").close()
        self.assertEqual(self.read_line(master), "slot 3 {}".format(killed_slot), "lowest free slot")
        # ...and once one does, the stale live gauge is gone while counters and 'all' gauges stay.
        samples = self.samples()
        self.assertEqual(samples[("app_in_progress", ())], 0.0)
        self.assertEqual(samples[("app_requests_total", ())], 4.0)
        self.assertEqual(samples[("app_handled", (("pid", str(killed_slot)),))], 1.0)
        open(os.path.join(self.dir, "stop"), "w").close()
        self.assertEqual(master.wait(TIMEOUT), 0)

    def read_line(self, proc):
        line = proc.stdout.readline()
        self.assertTrue(line, "the process ended early (exit code {})".format(proc.poll()))
        return line.strip()

    def test_taking_a_slot_reaps_live_gauges_of_other_ownerless_slots_only(self):
        holders = [self.start_py("""
            in_progress.inc()
            print(chorus_slot.slot(), flush=True)
            sys.stdin.readline()
            """) for _ in range(2)]
        slots = [int(p.stdout.readline()) for p in holders]
        self.assertEqual(sorted(slots), [0, 1])
        killed = subprocess.run(
            [sys.executable, "-c", PRELUDE + "in_progress.inc(); handled.set(7); requests.inc(); "
             "print(chorus_slot.slot(), flush=True); os.kill(os.getpid(), signal.SIGKILL)"],
            env=self.env, stdout=subprocess.PIPE, text=True, timeout=TIMEOUT)
        self.assertEqual((killed.returncode, killed.stdout.strip()), (-signal.SIGKILL, "2"))
        self.assertEqual(self.samples()[("app_in_progress", ())], 3.0)
        # Free slot 1, so the next process takes slot 1 and must clear slot 2 (ownerless, killed) but not
        # slot 0 (alive).
        holder_of_1 = holders[slots.index(1)]
        holder_of_1.stdin.close()
        self.assertEqual(holder_of_1.wait(TIMEOUT), 0)
        self.assertEqual(self.run_py("requests.inc(); print(chorus_slot.slot())"), ["1"])
        samples = self.samples()
        self.assertEqual(samples[("app_in_progress", ())], 1.0, "only the live holder of slot 0 counts")
        self.assertNotIn("gauge_livesum_2.db", self.db_files())
        self.assertEqual(samples[("app_requests_total", ())], 2.0, "counters of ownerless slots are kept")
        self.assertEqual(samples[("app_handled", (("pid", "2"),))], 7.0, "non-live gauges are kept")
        for p in holders:
            if p.poll() is None:
                p.stdin.close()
                self.assertEqual(p.wait(TIMEOUT), 0)

    def test_normal_exit_removes_own_live_gauges_but_keeps_counters(self):
        self.run_py("""
            in_progress.inc()
            requests.inc()
            handled.set(3)
            pid = os.fork()
            if pid == 0:
                os._exit(0)  # a child that never took a slot must not remove its parent's files
            os.waitpid(pid, 0)
            assert os.path.exists(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "gauge_livesum_0.db"))
            """)
        self.assertEqual(self.db_files(), ["counter_0.db", "gauge_all_0.db"])
        samples = self.samples()
        self.assertEqual(samples[("app_requests_total", ())], 1.0)
        self.assertEqual(samples[("app_handled", (("pid", "0"),))], 3.0)
        self.assertNotIn(("app_in_progress", ()), samples)

    def test_a_slot_only_being_probed_is_waited_for_not_skipped(self):
        # Liveness probes hold the lock shared for a moment; skipping such a slot would push processes onto
        # ever higher numbers. Here a probe holds slot 0 for 20 ms exactly when the process takes its slot.
        out = subprocess.run([sys.executable, "-c", textwrap.dedent("""
            import fcntl, os, time, chorus_slot
            chorus_slot.install()
            from prometheus_client import Counter
            path = os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "chorus-slot-0.lock")
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                fd = os.open(path, os.O_RDWR | os.O_CREAT)
                fcntl.flock(fd, fcntl.LOCK_SH)
                os.write(w, b"x")
                time.sleep(0.02)
                os._exit(0)
            os.read(r, 1)
            Counter("c", "Created while the probe holds slot 0.").inc()
            print(chorus_slot.slot())
            os.waitpid(pid, 0)
            """)], env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT, text=True)
        self.assertEqual(out.stdout.split(), ["0"], out.stderr)

    def test_lock_is_not_inherited_across_exec(self):
        self.run_py("""
            import fcntl
            requests.inc()
            assert chorus_slot.slot() == 0
            code = ("import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); "
                    "fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB); print('free')")
            path = os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "chorus-slot-0.lock")
            sys.stdout.flush()
            os.execv(sys.executable, [sys.executable, "-c", code, path])
            """)

    def test_install_without_a_directory_changes_nothing(self):
        env = dict(self.env)
        env.pop("PROMETHEUS_MULTIPROC_DIR")
        out = subprocess.run([sys.executable, "-c", "import chorus_slot; from prometheus_client import values; "
                              "before = values.ValueClass; print(chorus_slot.install(), values.ValueClass is before, "
                              "chorus_slot.slot())"], env=env, stdout=subprocess.PIPE, text=True, timeout=TIMEOUT)
        self.assertEqual(out.stdout.split(), ["False", "True", "None"])

    def test_multiprocessing_pool_workers_each_take_a_slot(self):
        out = self.run_py("""
            import multiprocessing
            def work(n):
                requests.inc()
                time.sleep(0.05)
                return chorus_slot.slot()
            with multiprocessing.get_context("fork").Pool(3) as pool:
                slots = pool.map(work, range(30), chunksize=1)
            print(len(set(slots)), max(slots))
            """)
        distinct, highest = int(out[0]), int(out[1])
        self.assertLessEqual(distinct, 3)
        self.assertLessEqual(highest, 3, "lowest free slot: the parent holds 0, three live workers 1..3")
        self.assertEqual(self.samples()[("app_requests_total", ())], 30.0)


if __name__ == "__main__":
    unittest.main()
