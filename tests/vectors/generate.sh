#!/usr/bin/env bash
# Regenerates the committed vectors with the real peers: v8/ with Debian 12's prometheus_client 0.16
# (/usr/bin/python3, 8-byte layout) and v16/ with Debian trixie's 0.21.1 (16-byte layout, fetched by
# ../peers/fetch-prometheus-client-0.21.sh, put on PYTHONPATH). For each seed, 4 Python processes run
# one after another (../Chorus.IntegrationTests/python/write_workload.py, roles 0-3; the last two
# declare an earlier one dead), then the same library's MultiProcessCollector writes seed-S.expected.txt.
# Usage: tests/vectors/generate.sh   (rewrites tests/vectors/v8 and tests/vectors/v16)
set -euo pipefail
cd "$(dirname "$0")"

python=/usr/bin/python3
scripts=../Chorus.IntegrationTests/python
../peers/fetch-prometheus-client-0.21.sh
newest="$(cd ../peers/prometheus_client-0.21/usr/lib/python3/dist-packages && pwd)"

# Each layout must really be the library's own: 0.16 writes 8-byte values, 0.21 16-byte ones.
[ "$("$python" -c 'import prometheus_client.mmap_dict as m; print(hasattr(m, "_pack_two_doubles"))')" = False ] || { echo "v8 writer is not 0.16" >&2; exit 1; }
[ "$(PYTHONPATH="$newest" "$python" -c 'import prometheus_client.mmap_dict as m; print(hasattr(m, "_pack_two_doubles"))')" = True ] || { echo "v16 writer is not 0.21" >&2; exit 1; }

write_vector() {
  local layout=$1 pythonpath=$2 seed=$3
  local dir="$layout/seed-$seed"
  rm -rf "$dir" "$dir.expected.txt"
  mkdir -p "$dir"
  local pids=()
  for role in 0 1 2 3; do
    local dead=()
    # Role 2 declares role 0 dead, role 3 declares role 1 dead (mark_process_dead, as a gunicorn hook would).
    if [ "$role" -ge 2 ]; then dead=("${pids[$((role - 2))]}"); fi
    pids+=("$(PYTHONPATH="$pythonpath" "$python" "$scripts/write_workload.py" "$seed" "$role" "$dir" "${dead[@]}")")
  done
  PYTHONPATH="$pythonpath" "$python" "$scripts/collect.py" "$dir" > "$dir.expected.txt"
  echo "$dir: pids ${pids[*]}, $(ls "$dir" | wc -l) files"
}

for seed in 1 2 3 4 5 6; do
  write_vector v8 "" "$seed"
  write_vector v16 "$newest" "$seed"
done

