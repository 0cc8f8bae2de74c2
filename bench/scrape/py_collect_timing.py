"""Time Python's in-process merge of a multiprocess directory, as python-baseline.md section A did.

Usage: /usr/bin/python3 py_collect_timing.py DIR [REPEATS]

Prints one JSON line: median/min wall seconds (and median CPU seconds) of `list(MultiProcessCollector.collect())` and of
`generate_latest(registry)` over REPEATS runs (default 10), plus ru_maxrss in MiB.
"""
import json
import resource
import statistics
import sys
import time

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector


def main():
    directory = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    registry = CollectorRegistry()
    collector = MultiProcessCollector(registry, path=directory)
    collect_times, collect_cpu, expose_times = [], [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        families = list(collector.collect())
        collect_times.append(time.perf_counter() - start)
        collect_cpu.append(time.process_time() - start_cpu)
        start = time.perf_counter()
        output = generate_latest(registry)
        expose_times.append(time.perf_counter() - start)
    print(json.dumps({
        "families": len(families),
        "output_bytes": len(output),
        "collect_median_s": statistics.median(collect_times),
        "collect_min_s": min(collect_times),
        "collect_cpu_median_s": statistics.median(collect_cpu),
        "generate_latest_median_s": statistics.median(expose_times),
        "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "repeats": repeats,
    }))


if __name__ == "__main__":
    main()
