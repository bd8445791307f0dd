#!/usr/bin/env bash
# Run `make test` N times in a row on a fresh clone, beside a running `mihub demo`, and stop at
# the first failure. It proves the suite is green every time, not most times (issue 11).
#   scripts/loop_tests.sh [RUNS] [CLONE_DIR] [LOG_DIR]
# Each run's full output goes to LOG_DIR/runN.log; LOG_DIR/summary.txt gets one line per run
# (exit code, wall seconds, pytest's summary line, load average).
set -uo pipefail
runs=${1:-20}
src=$(cd "$(dirname "$0")/.." && pwd)
clone=${2:-/tmp/mihub-loop}
logs=${3:-/tmp/mihub-loop-logs}
rm -rf "$clone" && git clone --quiet "$src" "$clone" || exit 1
mkdir -p "$logs" && : > "$logs/summary.txt"
cd "$clone" || exit 1
make --no-print-directory .venv/.installed-stamp mosquitto >"$logs/install.log" 2>&1 || {
  echo "install failed: see $logs/install.log"; exit 1; }
setsid .venv/bin/mihub demo >"$logs/demo.log" 2>&1 &
demo=$!
trap 'kill -- -"$demo" 2>/dev/null' EXIT
for _ in $(seq 50); do grep -q "pair this browser" "$logs/demo.log" && break; sleep 0.2; done
echo "commit $(git rev-parse --short HEAD), demo pid $demo: $(head -1 "$logs/demo.log")" \
  | tee -a "$logs/summary.txt"
for i in $(seq "$runs"); do
  start=$(date +%s)
  make --no-print-directory test >"$logs/run$i.log" 2>&1
  rc=$?
  line=$(grep -E '^=+ .*(passed|failed|error).* =+$' "$logs/run$i.log" | tail -1)
  echo "run $i: rc=$rc $(( $(date +%s) - start ))s $line load $(cut -d' ' -f1-3 /proc/loadavg)" \
    | tee -a "$logs/summary.txt"
  kill -0 "$demo" 2>/dev/null || { echo "the demo died: see $logs/demo.log" | tee -a "$logs/summary.txt"; exit 1; }
  [ "$rc" = 0 ] || exit "$rc"
done
echo "$runs runs in a row passed beside a running demo" | tee -a "$logs/summary.txt"
