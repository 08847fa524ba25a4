#!/bin/bash
# rnn_step, interleaved: tapegrad (2 and 1 threads) and PyTorch (2 and 1 threads) in turn,
# three rounds, each line the harness's TSV row. From the repository root:
#   cargo build --release --example peers_bench
#   bash benchmarks/rnn_step_rounds.sh > benchmarks/rnn_step-<stamp>.tsv
# Env: BENCH_DIR (the harness, default ../shared/bench), PEERS_VENV (its Python venv).
set -u
TG="$(pwd)/target/release/examples/peers_bench"
PY="${PEERS_VENV:-$HOME/.cache/tapegrad-peers-venv}/bin/python"
cd "${BENCH_DIR:-../shared/bench}"
for r in 1 2 3; do
  echo "# round $r $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  PEERS_WORKLOADS=rnn_step "$TG"
  PEERS_WORKLOADS=rnn_step PEERS_VARIANT=1thr RAYON_NUM_THREADS=1 "$TG"
  PEERS_WORKLOADS=rnn_step "$PY" bench_torch.py 2>/dev/null | grep rnn_step
  PEERS_WORKLOADS=rnn_step PEERS_TORCH_THREADS=1 "$PY" bench_torch.py 2>/dev/null | grep rnn_step
done
