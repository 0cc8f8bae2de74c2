"""Keep a multiprocess directory changing while a reader scrapes it.

Usage: /usr/bin/python3 churn.py DIR SECONDS

For at most SECONDS (the caller may kill it sooner), adds new
label sets to a counter at about 1,000 a second up to 8,000 (so `counter_<pid>.db` keeps growing and is
doubled past 64 KiB several times while readers list and read it), then keeps changing values; a livesum
gauge moves all along. Prints "ready" once its files exist.
"""
import os
import sys
import time

if len(sys.argv) != 3:
    print("usage: churn.py DIR SECONDS", file=sys.stderr)
    sys.exit(2)

os.environ["PROMETHEUS_MULTIPROC_DIR"] = sys.argv[1]
deadline = time.monotonic() + float(sys.argv[2])

from prometheus_client import Counter, Gauge  # noqa: E402

churn = Counter("churn_series", "Series added while readers scrape.", ["n"])
busy = Gauge("churn_busy", "Moves while readers scrape.", multiprocess_mode="livesum")
churn.labels("0").inc()
print("ready", flush=True)

MAX_SERIES = 8000
n = 1
while time.monotonic() < deadline:
    if n < MAX_SERIES:
        churn.labels(str(n)).inc()
        n += 1
        if n % 50 == 0:
            time.sleep(0.05)
    else:
        churn.labels(str(n % MAX_SERIES)).inc()
        time.sleep(0.01)
    busy.set(n % 7)
