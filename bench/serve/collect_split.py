"""Where a warm /metrics scrape's time goes: the client's latency against the collection time `chorus serve` reports.

Usage: /usr/bin/python3 bench/serve/collect_split.py DIR [LIVE]   (env: N scrapes, default 6; IDLE seconds, default 5)

Starts LIVE live prometheus_client workers (bench/serve/live_writer.py) on DIR, then `chorus serve` on DIR, makes 4 scrapes
that are not counted, then N scrapes each after IDLE seconds without any request. For each it prints the client's
latency and the server's own `chorus_scrape_duration_seconds` (the reader's collection, written into that response),
so what the HTTP exchange and the machine's scheduling add is the difference. DIR is written to by the live workers.
The chorus CLI must be built first: dotnet build src/Chorus.Cli -c Release.
"""
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHORUS = os.path.join(REPO, "src", "Chorus.Cli", "bin", "Release", "net10.0", "chorus.dll")
LIVE_WRITER = os.path.join(REPO, "bench", "serve", "live_writer.py")
N = int(os.environ.get("N", "6"))
IDLE = float(os.environ.get("IDLE", "5"))


def scrape(url):
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        body = response.read()
    elapsed = time.perf_counter() - started
    match = re.search(rb"^chorus_scrape_duration_seconds ([0-9.eE+-]+)$", body, re.MULTILINE)
    return elapsed * 1000, float(match.group(1)) * 1000 if match else float("nan")


def main():
    directory = sys.argv[1]
    live = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=directory)
    writers = [subprocess.Popen(["/usr/bin/python3", LIVE_WRITER], env=env) for _ in range(live)]
    server = None
    try:
        time.sleep(5)
        server = subprocess.Popen(["dotnet", CHORUS, "serve", "--dir", directory, "--listen", "127.0.0.1:0"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        url = re.search(r"https?://[^\s/]+", server.stdout.readline()).group(0) + "/metrics"
        for _ in range(4):
            scrape(url)
        rows = []
        for _ in range(N):
            time.sleep(IDLE)
            rows.append(scrape(url))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        for writer in writers:
            writer.terminate()
            writer.wait(timeout=30)
    print(f"live={live} client median {statistics.median(r[0] for r in rows):.2f} ms, collection median "
          f"{statistics.median(r[1] for r in rows):.3f} ms; each client/collection ms: "
          + " ".join(f"{c:.2f}/{s:.3f}" for c, s in rows))


if __name__ == "__main__":
    main()
