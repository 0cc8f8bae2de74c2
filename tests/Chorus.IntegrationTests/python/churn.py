"""Keep a multiprocess directory changing while a reader scrapes it.

Usage: /usr/bin/python3 churn.py DIR SECONDS

For at most SECONDS (the caller may kill it sooner), adds new
label sets to a counter (so `counter_<pid>.db` keeps growing and is doubled past 64 KiB while readers
list and read it) and moves a livesum gauge. Prints "ready" once its files exist, then one line per
thousand series.
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

n = 1
while time.monotonic() < deadline and n < 200_000:
    churn.labels(str(n)).inc()
    busy.set(n % 7)
    n += 1
    if n % 1000 == 0:
        print(n, flush=True)
        time.sleep(0.01)
