"""One worker process of a seeded, random prometheus_client multiprocess workload.

Usage: /usr/bin/python3 write_workload.py SEED ROLE DIR [DEAD_PID ...]
       WORKLOAD_PID=N ...   writes as process N (a new process that reused a dead worker's PID: it opens N's files
                            and adds to what they hold, as prometheus_client does for a reused PID)

Every process started with the same SEED shares one catalogue of metrics (names, types, HELP,
label names, buckets, gauge modes); ROLE picks which of them this process touches and what it
records. The process writes its own `*_<pid>.db` files into DIR through the real library, then calls
`mark_process_dead(pid)` for each DEAD_PID (earlier, finished processes of the same run).

Values are chosen so that the merged result does not depend on the order the files are read in
(sums of non-negative numbers or of multiples of 0.25, NaN only where it is kept per process or
poisons a sum whatever the order, no NaN in min/max), so two readers must agree exactly.
"""
import math
import os
import random
import sys

if len(sys.argv) < 4:
    print("usage: write_workload.py SEED ROLE DIR [DEAD_PID ...]", file=sys.stderr)
    sys.exit(2)

SEED = int(sys.argv[1])
ROLE = int(sys.argv[2])
DIRECTORY = sys.argv[3]
DEAD_PIDS = [int(p) for p in sys.argv[4:]]

# The value class is chosen when prometheus_client.values is imported: set the directory first.
os.environ["PROMETHEUS_MULTIPROC_DIR"] = DIRECTORY
os.environ.pop("prometheus_multiproc_dir", None)

from prometheus_client import Counter, Gauge, Histogram, Summary  # noqa: E402
from prometheus_client import values  # noqa: E402
from prometheus_client.multiprocess import mark_process_dead  # noqa: E402

if os.environ.get("WORKLOAD_PID"):
    values.ValueClass = values.MultiProcessValue(process_identifier=lambda: int(os.environ["WORKLOAD_PID"]))

GAUGE_MODES = ["all", "liveall", "min", "livemin", "max", "livemax", "sum", "livesum"]
# Libraries with the 16-byte layout (>= 0.18) also keep the most recent value (by its timestamp).
MOST_RECENT_MODES = ["mostrecent", "livemostrecent"]
HAS_MOST_RECENT = "mostrecent" in getattr(Gauge, "_MULTIPROC_MODES", ())

LABEL_VALUES = [
    "GET", "POST", "200", "404", "", "null", "é", "日本", "🎉", "Ünïcödé-ß",
    'say "hi"', "back\\slash", "trailing\\", "line1\nline2", "tab\there", " spaced ",
    "/api/items/{id}", "mixed é \"q\" \\ 日本\n🎉", "a,b=c", "{}[]",
]

HELP_TEXTS = [
    "Plain help.", "", "Quotes \"inside\" help.", "Ends with a backslash \\",
    "Help with a backslash \\ and a newline\nsecond line.", "Ünïcode help: é, 日本, 🎉.",
    "Windows path C:\\temp\\new and a tab\tcharacter.",
]

# Values where a per-process gauge ('all'/'liveall') must keep every bit.
SPECIAL_PER_PROCESS = [math.nan, math.inf, -math.inf, -0.0, 5e-324, 1.7976931348623157e308, 1e21, 1e-7, 123456789.123]
# Values whose sum or min/max does not depend on the order of the files.
SPECIAL_SUM = [math.inf, -math.inf, math.nan]
SPECIAL_MIN_MAX = [math.inf, -math.inf, 1e300, -1e300]


def quarter(rng, low, high):
    """A random multiple of 0.25: sums of these are exact in any order."""
    return rng.randint(int(low * 4), int(high * 4)) / 4.0


def build_catalogue(rng):
    """Metric definitions shared by every process of one seed."""
    cat = []
    label_pool = ["method", "path", "code", "handler", "kind", "le_not", "region"]

    for i in range(rng.randint(3, 5)):
        labels = rng.sample(label_pool, rng.randint(0, 3))
        style = rng.choice(["plain", "total", "ns"])
        name = f"requests_{i}"
        kwargs = {}
        if style == "total":
            name = f"jobs_{i}_total"
        elif style == "ns":
            kwargs = {"namespace": "app", "subsystem": "io", "unit": "bytes"}
            name = f"read_{i}"
        cat.append(("counter", name, rng.choice(HELP_TEXTS), labels, kwargs))
    if rng.random() < 0.5:
        cat.append(("counter", "worker_restarts", rng.choice(HELP_TEXTS), ["pid"], {}))
    # Enough series in one file to make the library grow it past its first 64 KiB.
    cat.append(("counter", "wide_series", "One file grows past 64 KiB.", ["series"], {"wide": rng.randint(700, 1100)}))

    for mode in GAUGE_MODES + (MOST_RECENT_MODES if HAS_MOST_RECENT else []):
        for j in range(rng.randint(1, 2)):
            labels = rng.sample(label_pool, rng.randint(0, 2))
            cat.append(("gauge", f"{mode}_level_{j}", rng.choice(HELP_TEXTS), labels, {"multiprocess_mode": mode}))

    default_labels = rng.sample(label_pool, rng.randint(0, 2))
    cat.append(("histogram", "latency_seconds", rng.choice(HELP_TEXTS), default_labels, {}))
    cat.append(("histogram", "signed_delta", rng.choice(HELP_TEXTS), ["kind"],
                {"buckets": [-100.0, -1.5, -0.25, 0.0, 0.25, 1.0, 1e10, 2.5e12, math.inf], "quarters": True}))
    # Processes of odd and even roles use different bounds: the merge takes the union.
    cat.append(("histogram", "batch_size", rng.choice(HELP_TEXTS), ["handler"],
                {"buckets_by_parity": ([1, 2, 5, 10, 50, 100], [1, 3, 5, 25, 100, 1000, 1e6])}))

    cat.append(("summary", "payload_bytes", rng.choice(HELP_TEXTS), rng.sample(label_pool, rng.randint(0, 2)), {}))
    cat.append(("summary", "task_seconds", rng.choice(HELP_TEXTS), [], {}))
    if HAS_MOST_RECENT:
        # Created and never set: its entry has timestamp 0, so the family has no sample.
        cat.append(("gauge", "mostrecent_never_set", "Never set.", [], {"multiprocess_mode": "mostrecent", "never_set": True}))
    return cat


def label_sets(rng, labels, count):
    return [tuple(rng.choice(LABEL_VALUES) for _ in labels) for _ in range(count)]


def child(metric, labels, values):
    return metric.labels(*values) if labels else metric


def run_counter(rng, name, help_text, labels, kwargs):
    wide = kwargs.pop("wide", None)
    metric = Counter(name, help_text, labels, **kwargs)
    if wide is not None:
        if ROLE % 3 != 0:
            return
        for k in range(wide):
            metric.labels(f"series-{k:05d}-{'x' * 40}").inc(k % 7)
        return
    for values in label_sets(rng, labels, rng.randint(1, 4)):
        c = child(metric, labels, values)
        for _ in range(rng.randint(0, 5)):
            c.inc(rng.choice([1, 2.5, rng.uniform(0, 1000), rng.randint(0, 10**9)]))


def run_gauge(rng, name, help_text, labels, kwargs):
    never_set = kwargs.pop("never_set", False)
    mode = kwargs["multiprocess_mode"]
    metric = Gauge(name, help_text, labels, **kwargs)
    if never_set:
        return
    for values in label_sets(rng, labels, rng.randint(1, 3)):
        g = child(metric, labels, values)
        action = rng.random()
        if action < 0.15:
            continue  # created, never changed: value 0
        if mode in ("all", "liveall"):
            g.set(rng.choice(SPECIAL_PER_PROCESS) if rng.random() < 0.4 else rng.uniform(-1e6, 1e6))
            if rng.random() < 0.3:
                g.inc(quarter(rng, -10, 10))
        elif mode in ("sum", "livesum"):
            if rng.random() < 0.08:
                g.set(rng.choice(SPECIAL_SUM))
            else:
                g.set(quarter(rng, -1000, 1000))
                for _ in range(rng.randint(0, 3)):
                    g.inc(quarter(rng, 0, 50))
                    g.dec(quarter(rng, 0, 50))
        else:
            g.set(rng.choice(SPECIAL_MIN_MAX) if rng.random() < 0.15 else rng.uniform(-1e4, 1e4))


def run_histogram(rng, name, help_text, labels, kwargs):
    quarters = kwargs.pop("quarters", False)
    by_parity = kwargs.pop("buckets_by_parity", None)
    if by_parity is not None:
        kwargs["buckets"] = by_parity[ROLE % 2]
    metric = Histogram(name, help_text, labels, **kwargs)
    for values in label_sets(rng, labels, rng.randint(1, 3)):
        h = child(metric, labels, values)
        for _ in range(rng.randint(0, 12)):
            if quarters:
                h.observe(quarter(rng, -200, 200))
            else:
                h.observe(rng.choice([rng.uniform(0, 20), rng.randint(0, 2000), 0.005, 1.0]))


def run_summary(rng, name, help_text, labels, kwargs):
    metric = Summary(name, help_text, labels, **kwargs)
    for values in label_sets(rng, labels, rng.randint(1, 3)):
        s = child(metric, labels, values)
        for _ in range(rng.randint(0, 6)):
            s.observe(rng.uniform(0, 5000))


RUNNERS = {"counter": run_counter, "gauge": run_gauge, "histogram": run_histogram, "summary": run_summary}


def main():
    catalogue = build_catalogue(random.Random(SEED))
    rng = random.Random(SEED * 100003 + ROLE)
    for kind, name, help_text, labels, kwargs in catalogue:
        # Not every process uses every metric, as in a real app; the wide counter decides by role itself.
        if "wide" not in kwargs and "never_set" not in kwargs and rng.random() < 0.25:
            continue
        RUNNERS[kind](rng, name, help_text, labels, dict(kwargs))
    for pid in DEAD_PIDS:
        mark_process_dead(pid, DIRECTORY)
    print(os.environ.get("WORKLOAD_PID") or os.getpid())


main()
