#!/usr/bin/env bash
# Benchmark of `tapegrad --points`: 1,000,000 points of a 22-operation expression, one run
# (parse once, then the engine's value and gradient at every point, 4096 points per graph
# of vectors, CSV out).
# Target: under 1 s on one core (pinned with taskset; on a loaded machine read the CPU
# time, user + sys, not the wall time, and take the median of the runs). The chunks are
# below the engine's 2^18-element threshold for threaded maps, so the run is single-threaded
# whatever RAYON_NUM_THREADS says. Usage: crates/cli/benches/cli_points.sh [POINTS]
set -euo pipefail
# From the workspace root, where `target/` is.
cd "$(dirname "$0")/../../.."
n=${1:-1000000}
expr='sin(x*y) + cos(x)/(1 + y^2) - tan(x/4)*exp(-y) + log(1 + x^2) + sqrt(abs(y) + 1)'
file=${TMPDIR:-/tmp}/tapegrad-points-$n.csv
if [ ! -s "$file" ]; then
  # Deterministic points in [-3, 3) with 6 decimals.
  awk -v n="$n" 'BEGIN { srand(1); print "x,y";
    for (i = 0; i < n; i++) printf "%.6f,%.6f\n", 6*rand()-3, 6*rand()-3 }' > "$file"
fi
cargo build --release --quiet -p tapegrad-cli
bin=target/release/tapegrad
echo "expression (22 operations): $expr"
echo "points: $n ($(du -h "$file" | cut -f1))"
if command -v hyperfine >/dev/null; then
  hyperfine --warmup 1 --runs 5 "taskset -c 0 $bin --points $file -- '$expr' > /dev/null"
else
  for run in 1 2 3 4 5; do
    /usr/bin/time -f "run $run: %e s wall, %U s user + %S s sys CPU, %M KB max RSS" \
      taskset -c 0 "$bin" --points "$file" -- "$expr" > /dev/null
  done
fi
