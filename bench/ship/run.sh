#!/usr/bin/env bash
# The builds a user can choose, measured as users run them: a whole `chorus scrape` process over a
# prometheus_client directory, against a whole Python process running prometheus_client's collector over the
# same directory, in the same run (the ratio is the figure; machines are noisy).
#
#   bench/ship/run.sh [FILES]            default 10000
#
# Builds: native = artifacts/bin/linux-x64/chorus (scripts/pack.sh; NativeAOT, what ships), r2r = a ReadyToRun
# framework-dependent publish, jit = the plain framework-dependent build (what `dotnet tool` gives off linux-x64).
# Also: start-up on an empty directory, and the median peak RSS of each.
# Env: RUNS (hyperfine runs, default 10), RSS_RUNS (default 5), WORK (generated directories, reused),
# OUT (results; default bench/ship/results/<UTC timestamp>). Needs hyperfine, GNU time, /usr/bin/python3 with
# python3-prometheus-client.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
files=${1:-10000}
RUNS=${RUNS:-10}
RSS_RUNS=${RSS_RUNS:-5}
WORK=${WORK:-$(mktemp -d)}
OUT=${OUT:-$repo/bench/ship/results/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$WORK" "$OUT"
PY=/usr/bin/python3
collect="$repo/tests/Chorus.IntegrationTests/python/collect.py"

native="$repo/artifacts/bin/linux-x64/chorus"
[ -x "$native" ] || { echo "missing $native: run bash scripts/pack.sh first" >&2; exit 1; }
dotnet build src/Chorus.Cli -c Release -v q -nologo >/dev/null
jit="$repo/src/Chorus.Cli/bin/Release/net10.0/chorus.dll"
r2r_dir="$WORK/chorus-r2r"
dotnet publish src/Chorus.Cli -c Release -r linux-x64 --self-contained false -p:PublishAot=false \
  -p:PublishReadyToRun=true -o "$r2r_dir" -v q -nologo >/dev/null
r2r="$r2r_dir/chorus.dll"
dotnet_host=$(command -v dotnet)

dir="$WORK/f$files"
if [ ! -d "$dir" ] || [ "$(find "$dir" -name '*.db' | wc -l)" -ne "$files" ]; then
  rm -rf "$dir"
  $PY bench/scrape/gen_dir.py "$dir" "$files" >&2
fi
empty="$WORK/empty"
mkdir -p "$empty"

{
  echo "date_utc=$(date -u +%FT%TZ)"
  echo "commit=$(git rev-parse --short HEAD) $(git status --porcelain | grep -q . && echo dirty || echo clean)"
  echo "native=$("$native" --version)"
  echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') x $(nproc)"
  echo "python=$($PY --version 2>&1) prometheus_client=$($PY -c 'import importlib.metadata as m; print(m.version("prometheus_client"))')"
  echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
} > "$OUT/machine.txt"

# Same output from every build (and the page cache warm for all of them).
"$native" scrape --dir "$dir" > "$OUT/native.txt"
"$dotnet_host" "$jit" scrape --dir "$dir" | cmp - "$OUT/native.txt"
"$dotnet_host" "$r2r" scrape --dir "$dir" | cmp - "$OUT/native.txt"
$PY "$collect" "$dir" > "$OUT/python.txt"

hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$OUT/scrape.json" \
  -n native "$native scrape --dir $dir" \
  -n r2r "$dotnet_host $r2r scrape --dir $dir" \
  -n jit "$dotnet_host $jit scrape --dir $dir" \
  -n python "$PY $collect $dir" > "$OUT/scrape.txt"
hyperfine -N --warmup 2 --runs "$((RUNS * 3))" --export-json "$OUT/startup.json" \
  -n native "$native scrape --dir $empty" \
  -n r2r "$dotnet_host $r2r scrape --dir $empty" \
  -n jit "$dotnet_host $jit scrape --dir $empty" \
  -n python "$PY $collect $empty" > "$OUT/startup.txt"

median_rss_kib() {
  local values=()
  for _ in $(seq "$RSS_RUNS"); do values+=("$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n1)"); done
  printf '%s\n' "${values[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
{
  echo "native $(median_rss_kib "$native" scrape --dir "$dir")"
  echo "r2r $(median_rss_kib "$dotnet_host" "$r2r" scrape --dir "$dir")"
  echo "jit $(median_rss_kib "$dotnet_host" "$jit" scrape --dir "$dir")"
  echo "python $(median_rss_kib "$PY" "$collect" "$dir")"
} > "$OUT/rss.txt"
echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.txt"

$PY - "$OUT" "$files" <<'PYEOF' | tee "$OUT/summary.md"
import json, sys
out, files = sys.argv[1], sys.argv[2]
scrape = {r["command"]: r for r in json.load(open(f"{out}/scrape.json"))["results"]}
start = {r["command"]: r for r in json.load(open(f"{out}/startup.json"))["results"]}
rss = dict(line.split() for line in open(f"{out}/rss.txt"))
machine = dict(line.rstrip("\n").split("=", 1) for line in open(f"{out}/machine.txt"))
py = scrape["python"]["median"]
print(f"{files} files, {machine['date_utc']}, {machine['commit']}, load {machine['load_before']} -> {machine['load_after']}")
print()
print("| build | whole `chorus scrape` (median) | × Python | start-up, empty dir (median) | peak RSS |")
print("|---|---|---|---|---|")
for name in ["native", "r2r", "jit", "python"]:
    s = scrape[name]["median"]
    ratio = "1" if name == "python" else f"{py / s:.1f}×"
    print(f"| {name} | {s * 1000:.0f} ms (min {scrape[name]['min'] * 1000:.0f}) | {ratio} | {start[name]['median'] * 1000:.1f} ms | {int(rss[name]) / 1024:.0f} MiB |")
PYEOF
echo "results in $OUT" >&2
