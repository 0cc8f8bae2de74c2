"""A bounded load generator: exactly N GETs, a few threads, one connection per request.

    /usr/bin/python3 loadgen.py --url http://127.0.0.1:PORT --requests 1000 [--threads 4] [--timeout 10]

Prints one JSON line: {"sent": N, "responses": R, "errors": E, "by_status": {...}, "seconds": S}.
The path mix is fixed (/, /api/items, /api/users, /missing -> 404, /error -> 500), so runs are comparable.
Import it to drive load in chunks: run(url, n, threads) returns the same dict.
"""

import argparse
import http.client
import json
import threading
import time
from urllib.parse import urlsplit

PATHS = ["/", "/api/items", "/api/users", "/", "/api/items", "/missing", "/", "/api/users", "/error", "/"]


def get(url, path, timeout):
    """One GET on a new connection; returns (status, body bytes)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def run(url, requests, threads=4, timeout=10.0, paths=PATHS):
    lock = threading.Lock()
    state = {"next": 0, "responses": 0, "errors": 0, "by_status": {}, "error_samples": []}

    def worker():
        while True:
            with lock:
                i = state["next"]
                if i >= requests:
                    return
                state["next"] = i + 1
            try:
                status, _ = get(url, paths[i % len(paths)], timeout)
            except (OSError, http.client.HTTPException) as e:
                with lock:
                    state["errors"] += 1
                    if len(state["error_samples"]) < 5:
                        state["error_samples"].append(repr(e))
                continue
            with lock:
                state["responses"] += 1
                state["by_status"][str(status)] = state["by_status"].get(str(status), 0) + 1

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, threads))]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return {"sent": requests, "responses": state["responses"], "errors": state["errors"],
            "by_status": state["by_status"], "error_samples": state["error_samples"],
            "seconds": round(time.perf_counter() - started, 3)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()
    print(json.dumps(run(args.url, args.requests, args.threads, args.timeout)), flush=True)


if __name__ == "__main__":
    main()
