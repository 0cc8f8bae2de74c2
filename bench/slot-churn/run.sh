#!/usr/bin/env bash
# Slot files that do not only grow: one writer churning through label sets with removal (Chorus.TestChild churn:
# SERIES counter, histogram and max-gauge series per run, all removed again, labelled "r{run}-{i}" so every run
# uses new ones, plus two series that stay and count every run), restarted RUNS times on slot 0. Prints the slot's
# file sizes as the runs go and the totals at the end. With another build of Chorus.Core.dll given (one without the
# rewrite on handover, e.g. main before it), the same runs again with that build, for the comparison.
#
#   bench/slot-churn/run.sh [RUNS] [SERIES] [OTHER_CHORUS_CORE_DLL]     defaults 100 and 1000 (100,000 label sets)
#
# Needs the Release build (dotnet build Chorus.slnx -c Release).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
runs=${1:-100}
series=${2:-1000}
other=${3:-}
child_dir="$repo/tests/Chorus.TestChild/bin/Release/net10.0"
chorus="$repo/src/Chorus.Cli/bin/Release/net10.0/chorus.dll"
[ -f "$child_dir/Chorus.TestChild.dll" ] && [ -f "$chorus" ] || { echo "build first: dotnet build Chorus.slnx -c Release" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sizes() { (cd "$1" && stat -c '%n=%s' -- *_0.db | tr '\n' ' '); }
total() { stat -c %s -- "$1"/*_0.db | paste -sd+ | bc; }

measure() { # LABEL CHILD_DIR
  local dir="$work/$1" start end
  mkdir -p "$dir"
  start=$(date +%s%N)
  for run in $(seq 1 "$runs"); do
    dotnet "$2/Chorus.TestChild.dll" churn "$dir" "$series" "r$run" >/dev/null
    if [ "$run" = 1 ] || [ "$run" = "$runs" ] || [ $((run % 25)) = 0 ]; then
      printf '%-8s run %3d: %9d bytes  %s\n' "$1" "$run" "$(total "$dir")" "$(sizes "$dir")"
    fi
  done
  end=$(date +%s%N)
  printf '%-8s %d runs x %d label sets in %d s; files: %s\n' "$1" "$runs" "$series" $(((end - start) / 1000000000)) "$(ls "$dir" | tr '\n' ' ')"
  printf '%-8s removal sidecars: %s\n' "$1" "$(cd "$dir" && stat -c '%n=%s' -- *.removed | tr '\n' ' ')"
  dotnet "$chorus" scrape --dir "$dir" | grep -E '^churn_(series_total|requests_total\{id="stable"\}) ' | sed "s/^/$1   /"
}

measure rewrite "$child_dir"
if [ -n "$other" ]; then
  cp -r "$child_dir" "$work/other-child"
  cp "$other" "$work/other-child/Chorus.Core.dll"
  measure without "$work/other-child"
fi
