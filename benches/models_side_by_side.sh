#!/usr/bin/env bash
# Image-model throughput, Rust (examples/bench_models.rs) against PyTorch (benches/model_step.py):
# one SGD training step and one batch of input gradients of the ResNets on BlockMNIST-shaped
# inputs, the same shapes and optimiser on both sides, in one command (DESIGN.md habit 10: a
# benchmark is a ratio against a reference measured in the same run). The two sides alternate
# model by model, so a change in machine load between them skews one ratio, not all.
#
# On a GPU machine (`--cuda`) it builds the Rust side with `--features cuda` and runs both sides
# on the GPU (BENCH_DEVICE, default cuda:0), float32 with TF32 off on PyTorch's side (see
# benches/model_step.py); each side synchronises the device before a timing ends.
#
# With BENCH_ROUNDS > 1 the whole alternation is repeated and the table gives the median over
# rounds of the per-round ratio and its range (a VM's speed drifts over minutes).
#
# usage: benches/models_side_by_side.sh [--cuda] [REPEATS]
#   --cuda    build with `--features cuda` and run both sides on BENCH_DEVICE (default cuda:0)
#   REPEATS   timed repetitions per workload, best taken (default 5, after 2 warm-up runs)
# environment: BENCH_MODELS (comma list: resnet18-imagenet, resnet18-cifar, resnet50-imagenet,
#   resnet50-cifar; default the two ResNet18 stems), BENCH_WORKLOADS (train_step,input_grad),
#   BENCH_BATCH (default 64), BENCH_ROUNDS (default 1), PYTHON (default python3; must import
#   torch), BENCH_THREADS (CPU threads of both sides; default all cores).
set -euo pipefail
cd "$(dirname "$0")/.."
FEATURES=()
DEVICE=cpu
if [ "${1:-}" = "--cuda" ]; then
  FEATURES=(--features cuda)
  DEVICE="${BENCH_DEVICE:-cuda:0}"
  shift
fi
export BENCH_DEVICE="$DEVICE"
export BENCH_REPEATS="${1:-${BENCH_REPEATS:-5}}"
export BENCH_WARMUP="${BENCH_WARMUP:-2}"
export BENCH_MODELS="${BENCH_MODELS:-resnet18-imagenet,resnet18-cifar}"
PYTHON="${PYTHON:-python3}"
THREADS="${BENCH_THREADS:-$(nproc)}"
export BENCH_THREADS="$THREADS" RAYON_NUM_THREADS="$THREADS"
if ! "$PYTHON" -c 'import torch' 2>/dev/null; then
  echo "PyTorch is NOT importable by $PYTHON: the reference side cannot run (set PYTHON=...). No ratio." >&2
  exit 3
fi
cargo build --release --quiet "${FEATURES[@]}" --example bench_models
RUST=target/release/examples/bench_models
OUT="$(mktemp)"
trap 'rm -f "$OUT"' EXIT
ROUNDS="${BENCH_ROUNDS:-1}"
IFS=, read -r -a MODELS <<<"$BENCH_MODELS"
for round in $(seq 1 "$ROUNDS"); do
  for m in "${MODELS[@]}"; do
    BENCH_MODELS=$m "$RUST" | sed "s/^{/{\"round\":$round,/" | tee -a "$OUT"
    BENCH_MODELS=$m "$PYTHON" benches/model_step.py | sed "s/^{/{\"round\":$round,/" | tee -a "$OUT"
  done
done
"$PYTHON" - "$OUT" "${FEATURES[*]:-default}" "$DEVICE" "$THREADS" "$BENCH_REPEATS" "$ROUNDS" "${BENCH_BATCH:-64}" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
build, device, threads, repeats, rounds, batch = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]), sys.argv[7]
def per_round(side, m, w):
    return [next(r["samples_per_s"] for r in rows if r["side"] == side and r["model"] == m and r["workload"] == w and r["round"] == k)
            for k in range(1, rounds + 1)]
pairs = list(dict.fromkeys((r["model"], r["workload"]) for r in rows))  # first-seen order
torch_version = next(r.get("torch", "?") for r in rows if r["side"] == "pytorch")
print()
print(f"Rust build: {build}; device: {device}; CPU threads: {threads}; batch {batch}, 1x56x28 inputs, 2 classes; "
      f"samples/s of the best of {repeats} timed runs after warm-up; {rounds} round(s), medians over rounds; PyTorch {torch_version}")
print()
print("| model | workload | Rust samples/s | PyTorch samples/s | Rust / PyTorch | range over rounds |")
print("|---|---|---:|---:|---:|---:|")
for m, w in pairs:
    r, p = per_round("rust", m, w), per_round("pytorch", m, w)
    ratios = [a / b for a, b in zip(r, p)]
    print(f"| {m} | {w} | {statistics.median(r):,.1f} | {statistics.median(p):,.1f} | {statistics.median(ratios):.2f} | {min(ratios):.2f}–{max(ratios):.2f} |")
PY
