"""Plot warm /metrics latency against the number of .db files from serve_latency.py's table output.

Usage: /usr/bin/python3 bench/serve/plot_growth.py RESULTS.md OUT.png

RESULTS.md holds the lines serve_latency.py printed (one table row per server and size); the plot shows the warm
median of chorus serve and of Python + uWSGI on a log scale, one line each.
"""
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def rows(path):
    series = {}
    with open(path) as lines:
        for line in lines:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 4 or not cells[0].replace(",", "").isdigit():
                continue
            series.setdefault(cells[1], []).append((int(cells[0].replace(",", "")), float(cells[3].replace(",", ""))))
    return series


def main():
    if len(sys.argv) != 3:
        print("usage: plot_growth.py RESULTS.md OUT.png", file=sys.stderr)
        return 2
    figure, axes = plt.subplots(figsize=(7, 4.2))
    for server, points in sorted(rows(sys.argv[1]).items()):
        points.sort()
        axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=server)
        for files, ms in points:
            axes.annotate(f"{ms:,.1f} ms", (files, ms), textcoords="offset points", xytext=(4, 6), fontsize=8)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel(".db files (all writers dead)")
    axes.set_ylabel("warm /metrics, median ms (5 s idle before each)")
    axes.set_title("Warm scrape cost against dead files")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(sys.argv[2], dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main())
