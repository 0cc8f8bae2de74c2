"""Turn one bench/scrape/run.sh results directory into the markdown table of docs/benchmarks.md.

Usage: /usr/bin/python3 summarize.py OUT FILES...
"""
import json
import os
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def kv(path):
    result = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.strip().split("=", 1)
                result[k] = v
    return result


def main():
    out, sizes = sys.argv[1], sys.argv[2:]
    machine = kv(os.path.join(out, "machine.txt"))
    print("Machine: " + "; ".join(f"{k} {v}" for k, v in machine.items()))
    print()
    print("| .db files | output lines (chorus / python) | whole process chorus, median (min) s | whole process python, median (min) s "
          "| process ratio | process CPU (user+sys) chorus / python s | CPU ratio | peak RSS chorus / python MiB | chorus cold merge ms | python collect() s | cold merge ratio | cold merge CPU chorus ms / python s | cold merge CPU ratio "
          "| chorus cold merge+exposition ms | python generate_latest() s | cold merge+exposition ratio | chorus warm merge+exposition ms | whole process chorus-jit (plain build), median s / CPU s |")
    print("|" + "---:|" * 18)
    for files in sizes:
        hf = {r["command"]: r for r in load(os.path.join(out, f"hyperfine-{files}.json"))["results"]}
        rss = kv(os.path.join(out, f"rss-{files}.txt"))
        chorus_in = load(os.path.join(out, f"inproc-chorus-{files}.json"))
        python_in = load(os.path.join(out, f"inproc-python-{files}.json"))
        lines = []
        for who in ("chorus", "python"):
            with open(os.path.join(out, f"{who}-{files}.txt"), "rb") as f:
                lines.append(f.read().count(b"\n"))
        c, p, j = hf["chorus"], hf["python"], hf.get("chorus-jit")
        jit = f"{j['median']:.3f} / {j['user'] + j['system']:.3f}" if j else "-"
        merge = chorus_in["cold_families_only_median_ms"]
        cold = chorus_in["cold_median_ms"]
        warm = chorus_in["warm_median_ms"]
        collect = python_in["collect_median_s"]
        # generate_latest() runs collect() itself, then formats: it is the counterpart of Chorus's Collect().
        expose = python_in["generate_latest_median_s"]
        print(f"| {int(files):,} | {lines[0]:,} / {lines[1]:,} | {c['median']:.3f} ({c['min']:.3f}) | {p['median']:.3f} ({p['min']:.3f}) "
              f"| {p['median'] / c['median']:.1f}x | {c['user'] + c['system']:.3f} / {p['user'] + p['system']:.3f} "
              f"| {(p['user'] + p['system']) / (c['user'] + c['system']):.1f}x | {int(rss['chorus_rss_kib']) / 1024:.1f} / {int(rss['python_rss_kib']) / 1024:.1f} "
              f"| {merge:.1f} | {collect:.3f} | {collect * 1000 / merge:.1f}x "
              f"| {chorus_in['cold_families_only_cpu_median_ms']:.1f} / {python_in['collect_cpu_median_s']:.3f} "
              f"| {python_in['collect_cpu_median_s'] * 1000 / chorus_in['cold_families_only_cpu_median_ms']:.1f}x "
              f"| {cold:.1f} | {expose:.3f} | {expose * 1000 / cold:.1f}x | {warm:.1f} | {jit} |")
    print()
    print("Cold-pass stage breakdown (Files primitives only, single thread; medians, wall ms / CPU ms):")
    print()
    stages = ["list_ms", "open_read_close_ms", "scan_entries_ms", "hash_keys_and_read_values_ms", "parse_distinct_keys_ms", "parse_every_key_ms"]
    print("| .db files | entries | distinct keys | MB read | " + " | ".join(s[:-3] for s in stages) + " |")
    print("|" + "---:|" * (4 + len(stages)))
    for files in sizes:
        j = load(os.path.join(out, f"inproc-chorus-{files}.json"))
        print(f"| {int(files):,} | {int(j['stage_entries']):,} | {int(j['stage_distinct_keys']):,} | {j['stage_bytes_read'] / 1e6:.1f} | "
              + " | ".join(f"{j['stage_' + s]:.1f} / {j['stage_' + s[:-3] + '_cpu_ms']:.1f}" for s in stages) + " |")


if __name__ == "__main__":
    main()
