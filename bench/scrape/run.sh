#!/usr/bin/env bash
# Scrape of a prometheus_client directory: Chorus vs Python, same directories, one run.
#
#   bench/scrape/run.sh [FILES ...]        default: 1000 5000 10000
#
# Env: RUNS (hyperfine runs per command, default 10), RSS_RUNS (default 5), REPEAT (in-process
# iterations, default 10), WORK (where the generated directories are kept and reused; default a
# temp dir), OUT (results directory; default bench/scrape/results/<UTC timestamp>).
# Needs: /usr/bin/python3 with Debian's python3-prometheus-client, hyperfine, GNU time, strace.
# Prints a markdown table (also written to $OUT/summary.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 5000 10000)
RUNS=${RUNS:-10}
RSS_RUNS=${RSS_RUNS:-5}
REPEAT=${REPEAT:-10}
WORK=${WORK:-$(mktemp -d)}
OUT=${OUT:-$repo/bench/scrape/results/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$WORK" "$OUT"
PY=/usr/bin/python3
collect="$repo/tests/Chorus.IntegrationTests/python/collect.py"

echo "building (Release)..." >&2
dotnet build src/Chorus.Cli -c Release -v q -nologo 2>&1 | grep -E "error|Warn|Elapsed" >&2 || true
dotnet build bench/Chorus.Benchmarks -c Release -v q -nologo 2>&1 | grep -E " error |Elapsed" >&2 || true
# The whole-process figures are for chorus as it ships: published ReadyToRun (precompiled, so a one-shot run
# barely JITs). The plain `dotnet build` output (JIT only) is measured beside it as chorus-jit.
published="$WORK/chorus-r2r"
dotnet publish src/Chorus.Cli -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
  -o "$published" -v q -nologo 2>&1 | grep -E " error " >&2 || true
chorus="$published/chorus.dll"
chorus_jit="$repo/src/Chorus.Cli/bin/Release/net10.0/chorus.dll"
bench="$repo/bench/Chorus.Benchmarks/bin/Release/net10.0/Chorus.Benchmarks.dll"
dotnet_host=$(command -v dotnet)

{
  echo "date_utc=$(date -u +%FT%TZ)"
  echo "commit=$(git rev-parse --short HEAD) $(git status --porcelain | grep -q . && echo dirty || echo clean)"
  echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') x $(nproc)"
  echo "kernel=$(uname -r)"
  echo "dotnet=$(dotnet --version)"
  echo "python=$($PY --version 2>&1) prometheus_client=$($PY -c 'import importlib.metadata as m; print(m.version("prometheus_client"))')"
  echo "hyperfine=$(hyperfine --version)"
  echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
} > "$OUT/machine.txt"

median_rss_kib() { # command... -> median peak RSS in KiB over RSS_RUNS runs
  local values=()
  for _ in $(seq "$RSS_RUNS"); do
    values+=("$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n1)")
  done
  printf '%s\n' "${values[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

for files in "${sizes[@]}"; do
  dir="$WORK/f$files"
  if [ ! -d "$dir" ] || [ "$(find "$dir" -name '*.db' | wc -l)" -ne "$files" ]; then
    rm -rf "$dir"
    $PY bench/scrape/gen_dir.py "$dir" "$files" >&2
  fi
  echo "== $files files: $dir" >&2
  # Warm the page cache and record both outputs (sizes, and a semantic check by the caller if wanted).
  $PY "$collect" "$dir" > "$OUT/python-$files.txt"
  dotnet "$chorus" scrape --dir "$dir" > "$OUT/chorus-$files.txt" 2> "$OUT/chorus-$files.stderr"

  hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$OUT/hyperfine-$files.json" \
    -n chorus "$dotnet_host $chorus scrape --dir $dir" \
    -n chorus-jit "$dotnet_host $chorus_jit scrape --dir $dir" \
    -n python "$PY $collect $dir" > "$OUT/hyperfine-$files.txt"

  echo "chorus_rss_kib=$(median_rss_kib "$dotnet_host" "$chorus" scrape --dir "$dir")" > "$OUT/rss-$files.txt"
  echo "python_rss_kib=$(median_rss_kib "$PY" "$collect" "$dir")" >> "$OUT/rss-$files.txt"

  dotnet "$bench" scrape-timing --dir "$dir" --repeat "$REPEAT" > "$OUT/inproc-chorus-$files.json"
  $PY bench/scrape/py_collect_timing.py "$dir" "$REPEAT" > "$OUT/inproc-python-$files.json"

  # Where a whole chorus process spends its system calls (counts and kernel time, all threads).
  strace -f -c -o "$OUT/strace-$files.txt" "$dotnet_host" "$chorus" scrape --dir "$dir" > /dev/null 2>&1 || true
done

echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.txt"
$PY bench/scrape/summarize.py "$OUT" "${sizes[@]}" | tee "$OUT/summary.md"
echo "results in $OUT" >&2
