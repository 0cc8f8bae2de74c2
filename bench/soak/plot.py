"""Plots bench/soak/soak.py's results over time: kills and (merged - acknowledged), files, serve's memory and descriptors.

    /usr/bin/python3 bench/soak/plot.py bench/soak/results.json docs/images/soak.png

Needs matplotlib (Debian: apt-get install -y python3-matplotlib).
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    results_path, png_path = sys.argv[1], sys.argv[2]
    with open(results_path) as f:
        results = json.load(f)
    rows, summary = results["rows"], results["summary"]
    t = [r["t"] / 60 for r in rows]

    fig, (counts, files, memory) = plt.subplots(3, 1, figsize=(8, 8.5), sharex=True)
    counts.plot(t, [r["app"] - r["ack_app"] for r in rows], "-", color="#d62728", lw=0.8,
                label="uWSGI app: merged − acknowledged")
    counts.plot(t, [r["soak"] - r["ack_writers"] for r in rows], "-", color="#1f77b4", lw=0.8,
                label="Chorus writers: merged − confirmed")
    counts.set_ylabel("counts not yet acknowledged\n(must stay ≥ 0)")
    counts.set_ylim(bottom=min(0, *(r["app"] - r["ack_app"] for r in rows)))
    kills = counts.twinx()
    kills.plot(t, [r["kills"] for r in rows], "--", color="#555555", lw=1, label="workers SIGKILLed (right)")
    kills.set_ylabel("workers SIGKILLed")
    lines = counts.get_legend_handles_labels()[0] + kills.get_legend_handles_labels()[0]
    counts.legend(lines, [line.get_label() for line in lines], fontsize=8, loc="upper left")
    counts.set_title("Soak: {:,} worker kills, {:,} `chorus compact` kills, {:,} scrapes, {} decreases".format(
        summary["kills"], summary["compaction_kills"], summary["scrapes"], summary["decreases"]), fontsize=10)
    counts.grid(True, alpha=0.3)

    files.plot(t, [r["files"] for r in rows], "-", color="#2ca02c", lw=0.8, label=".db files")
    files.plot(t, [r["gauge_all"] for r in rows], "-", color="#9467bd", lw=0.8,
               label="of which gauge_all (kept for --all-retention)")
    files.set_ylabel("files in the directory")
    files.grid(True, alpha=0.3)
    files.legend(fontsize=8, loc="upper left")

    memory.plot(t, [r["rss_kib"] / 1024 for r in rows], "-", color="#ff7f0e", lw=0.8, label="serve RSS, MiB")
    memory.plot(t, [r["rss_anon_kib"] / 1024 for r in rows], "-", color="#8c564b", lw=0.8, label="of which anonymous")
    memory.set_ylabel("MiB")
    memory.set_ylim(bottom=0)
    fds = memory.twinx()
    fds.plot(t, [r["fds"] for r in rows], "-", color="#17becf", lw=0.8, label="serve open descriptors (right)")
    fds.set_ylabel("descriptors")
    fds.set_ylim(bottom=0)
    lines = memory.get_legend_handles_labels()[0] + fds.get_legend_handles_labels()[0]
    memory.legend(lines, [line.get_label() for line in lines], fontsize=8, loc="lower right")
    memory.set_xlabel("minutes")
    memory.grid(True, alpha=0.3)

    fig.text(0.99, 0.005, results.get("machine", "") + "; " + results.get("command", ""),
             ha="right", va="bottom", fontsize=6, color="#555555")
    fig.tight_layout(rect=(0, 0.015, 1, 1))
    fig.savefig(png_path, dpi=80, pil_kwargs={"optimize": True})


if __name__ == "__main__":
    main()
