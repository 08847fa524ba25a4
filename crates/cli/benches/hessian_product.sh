#!/usr/bin/env bash
# Benchmark of `tapegrad --hessian` on many variables: the product v0*v1*…*v(N-1) at all
# ones (issue 14's case, N = 2,500: a 2,500 × 2,500 Hessian, 50 MB of f64, printed as a
# 41 MB table). Targets: at most 200 MB of memory (max RSS) and 3 s. Five runs; on a
# loaded machine read the CPU time (user + sys) and take the median.
# Usage: crates/cli/benches/hessian_product.sh [N]
set -euo pipefail
# From the workspace root, where `target/` is.
cd "$(dirname "$0")/../../.."
n=${1:-2500}
dir=${TMPDIR:-/tmp}
expr_file=$dir/tapegrad-product-$n.txt
at_file=$dir/tapegrad-product-$n-at.txt
awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "%sv%d", (i ? "*" : ""), i; print "" }' \
  > "$expr_file"
awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "%sv%d=1", (i ? "," : ""), i; print "" }' \
  > "$at_file"
cargo build --release --quiet -p tapegrad-cli
bin=target/release/tapegrad
echo "expression: the product of $n variables, --hessian, at all ones"
for run in 1 2 3 4 5; do
  /usr/bin/time -f "run $run: %e s wall, %U s user + %S s sys CPU, %M KB max RSS" \
    "$bin" --file "$expr_file" --at "$(cat "$at_file")" --hessian > /dev/null
done
echo "the same with --json (a 72 MB object)"
for run in 1 2 3 4 5; do
  /usr/bin/time -f "json run $run: %e s wall, %U s user + %S s sys CPU, %M KB max RSS" \
    "$bin" --file "$expr_file" --at "$(cat "$at_file")" --hessian --json > /dev/null
done
