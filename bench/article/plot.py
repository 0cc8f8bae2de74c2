"""Plots bench/article/run.py's results: /metrics latency and .db files vs requests served.

    /usr/bin/python3 bench/article/plot.py bench/article/results.json docs/images/article-metrics-latency.png

Needs matplotlib (Debian: apt-get install -y python3-matplotlib).
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SERIES = [
    # (run, column, label, colour, style)
    ("pid", "python", "(a) Python alone (PID files)", "#d62728", "o-"),
    ("worker_id", "python", "(b) Python + uwsgi.worker_id recipe", "#ff7f0e", "s-"),
    ("pid", "chorus", "(c) chorus serve", "#1f77b4", "^-"),
    ("compact", "chorus_compact", "(d) chorus serve + compaction every 1 s", "#2ca02c", "D-"),
    ("compact", "python", "Python /metrics on the compacted directory", "#9467bd", "x:"),
]


def main():
    results_path, png_path = sys.argv[1], sys.argv[2]
    with open(results_path) as f:
        results = json.load(f)
    runs = results["runs"]

    fig, (latency, files) = plt.subplots(2, 1, figsize=(8, 7.5), sharex=True,
                                         gridspec_kw={"height_ratios": [3, 2]})
    for run, column, label, colour, style in SERIES:
        rows = [r for r in runs[run]["rows"] if column in r]
        latency.plot([r["requests"] for r in rows], [r[column] * 1000 for r in rows], style,
                     color=colour, label=label, markersize=4)
    latency.set_yscale("log")
    latency.set_ylabel("/metrics latency, ms (median of 5, log)")
    latency.set_title("uWSGI, 4 workers, --max-requests 20: /metrics latency vs requests served")
    latency.grid(True, which="both", alpha=0.3)
    latency.legend(fontsize=8, loc="upper left")

    for run, label, colour in [("pid", "PID files ((a), (c))", "#d62728"),
                               ("worker_id", "worker_id recipe (b)", "#ff7f0e"),
                               ("compact", "PID files + compaction (d)", "#2ca02c")]:
        rows = runs[run]["rows"]
        files.plot([r["requests"] for r in rows], [r["files"] for r in rows], "-", color=colour, label=label)
    files.set_ylabel(".db files in the directory")
    files.set_xlabel("requests served")
    files.grid(True, alpha=0.3)
    files.legend(fontsize=8, loc="upper left")

    fig.text(0.99, 0.005, results.get("machine", "") + "; " + results.get("command", ""),
             ha="right", va="bottom", fontsize=6, color="#555555")
    fig.tight_layout(rect=(0, 0.015, 1, 1))
    fig.savefig(png_path, dpi=80, pil_kwargs={"optimize": True})
    print("wrote", png_path)


if __name__ == "__main__":
    main()
