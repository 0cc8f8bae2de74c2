#!/usr/bin/env bash
# Runs the cross-compiled artifacts/bin/linux-arm64/chorus (from `CHORUS_ARM64=1 bash scripts/pack.sh`) under qemu
# user emulation and checks that it prints what the linux-x64 executable prints: `chorus --version`, and `chorus
# scrape`, `inspect` and `doctor` of samples/python-multiproc (a directory Python's prometheus_client wrote), which
# go through the raw Linux calls (open flags, getdents64, struct stat) whose values differ on arm64.
# Installs qemu-user-static when missing. Exits 1 on any difference.
set -euo pipefail
cd "$(dirname "$0")/.."

arm64=artifacts/bin/linux-arm64/chorus
x64=artifacts/bin/linux-x64/chorus
for binary in "$arm64" "$x64"; do
  [ -x "$binary" ] || { echo "missing $binary: run CHORUS_ARM64=1 bash scripts/pack.sh first" >&2; exit 2; }
done

if ! command -v qemu-aarch64-static >/dev/null; then
  echo "Installing qemu-user-static"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq qemu-user-static >/dev/null
fi

# The executable is dynamically linked against glibc: the multiarch libc6:arm64 that pack.sh's prerequisites
# bring provides /lib/ld-linux-aarch64.so.1; otherwise the cross toolchain's copy under /usr/aarch64-linux-gnu.
if [ ! -e /lib/ld-linux-aarch64.so.1 ]; then
  export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu
fi

if command -v file >/dev/null; then file "$arm64"; fi
status=0
compare() {
  local expected actual
  # doctor's own timing line differs between runs (and is slow under emulation).
  expected=$("$x64" "$@" 2>&1 | grep -v '(measured)'; echo "exit code ${PIPESTATUS[0]}")
  actual=$(qemu-aarch64-static "$arm64" "$@" 2>&1 | grep -v '(measured)'; echo "exit code ${PIPESTATUS[0]}")
  if [ "$expected" = "$actual" ]; then
    echo "same output: chorus $* ($(($(printf '%s\n' "$actual" | wc -l) - 1)) lines, $(printf '%s\n' "$actual" | tail -n 1))"
  else
    echo "DIFFERENT output: chorus $*" >&2
    diff <(printf '%s\n' "$expected") <(printf '%s\n' "$actual") | head -n 20 >&2 || true
    status=1
  fi
}
compare --version
compare scrape --dir samples/python-multiproc
compare inspect samples/python-multiproc/counter_4215.db
compare doctor --dir samples/python-multiproc
exit $status
