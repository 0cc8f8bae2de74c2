#!/usr/bin/env bash
# Coverage-guided fuzzing of Chorus's parsers with AFL++ and SharpFuzz.
#
#   bench/fuzz/run.sh [SECONDS] [TARGET ...]     default: 60 s each, every target (db directory key accept webconfig removed)
#
# Builds bench/Chorus.Fuzz, instruments Chorus.Core.dll and Chorus.AspNetCore.dll with SharpFuzz (the
# SharpFuzz.CommandLine tool, installed into the output folder), then runs afl-fuzz on each target for SECONDS,
# two at a time (one per core), from the seed corpus in bench/fuzz/corpus/TARGET. Prints executions, crashes and
# hangs per target and exits 1 if any target found a crash or a hang (the inputs are in OUT/findings/TARGET).
# Env: OUT (default bench/fuzz/out), JOBS (targets at once, default 2). Installs afl++ with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(db directory key accept webconfig removed)
OUT=${OUT:-bench/fuzz/out}
JOBS=${JOBS:-2}

if ! command -v afl-fuzz >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq afl++ >/dev/null
fi

rm -rf "$OUT/bin" "$OUT/findings"
mkdir -p "$OUT/bin" "$OUT/findings"
dotnet publish bench/Chorus.Fuzz -c Release -o "$OUT/bin" -v quiet -nologo >/dev/null
[ -x "$OUT/tools/sharpfuzz" ] || dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$OUT/tools" >/dev/null
for assembly in Chorus.Core.dll Chorus.AspNetCore.dll; do
  "$OUT/tools/sharpfuzz" "$OUT/bin/$assembly" >/dev/null
done

# afl-fuzz drives a .NET process, not an afl-cc binary: skip its binary check and its CPU governor check.
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_SHUFFLE_QUEUE=1 AFL_FAST_CAL=1
run_target() {
  local target=$1
  timeout $((seconds + 120)) afl-fuzz -i "bench/fuzz/corpus/$target" -o "$OUT/findings/$target" -V "$seconds" \
    -t 10000 -m none -- "$OUT/bin/Chorus.Fuzz" "$target" > "$OUT/findings/$target.log" 2>&1 || true
}
running=0
for target in "${targets[@]}"; do
  run_target "$target" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait

status=0
total=0
printf '%-10s %12s %9s %7s %6s\n' target executions per_sec crashes hangs
for target in "${targets[@]}"; do
  stats="$OUT/findings/$target/default/fuzzer_stats"
  if [ ! -f "$stats" ]; then
    echo "$target: afl-fuzz did not start; see $OUT/findings/$target.log" >&2
    tail -n 20 "$OUT/findings/$target.log" >&2
    status=1
    continue
  fi
  execs=$(awk -F' *: *' '$1=="execs_done"{print $2}' "$stats")
  speed=$(awk -F' *: *' '$1=="execs_per_sec"{print $2}' "$stats")
  crashes=$(awk -F' *: *' '$1=="saved_crashes"||$1=="unique_crashes"{print $2}' "$stats" | head -n1)
  hangs=$(awk -F' *: *' '$1=="saved_hangs"||$1=="unique_hangs"{print $2}' "$stats" | head -n1)
  printf '%-10s %12s %9s %7s %6s\n' "$target" "$execs" "$speed" "$crashes" "$hangs"
  total=$((total + execs))
  if [ "${crashes:-0}" -gt 0 ] || [ "${hangs:-0}" -gt 0 ]; then
    status=1
  fi
done
echo "total executions: $total"
exit "$status"
