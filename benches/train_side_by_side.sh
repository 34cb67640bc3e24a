#!/usr/bin/env bash
# Training-engine throughput, Rust (examples/bench_train.rs) against PyTorch (benches/train_step.py)
# on the same four workloads with the same shapes, in one command (DESIGN.md habit 10: a benchmark
# is a ratio against a reference measured in the same run). The two sides alternate workload by
# workload, so a change in machine load between them skews one ratio, not all.
#
# Prints a Markdown table of samples/s and the ratio Rust/PyTorch, the machine's best float32
# matrix-product rate (torch.mm, same thread count) and the fraction of it the training step
# reaches.
#
# With BENCH_ROUNDS > 1 the whole alternation is repeated and the table gives, per workload, the
# median over rounds of the per-round ratio and its range: this VM's speed drifts by ±25 % over
# minutes, so one round's ratio is one draw.
#
# usage: benches/train_side_by_side.sh [--blas | --flex] [REPEATS]
#   --blas    build the Rust side with `--features blas` (system OpenBLAS: apt-get install libopenblas-dev)
#   --flex    build the Rust side with `--features flex` (CPU backend burn-flex instead of burn-ndarray)
#   REPEATS   timed repetitions per workload, best taken (default 5, after 2 warm-up runs)
# environment: BENCH_HEAP=system runs the Rust side with glibc's allocator defaults instead of the
#   binary's kept-buffer setting (src/train/heap.rs); MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=...
#   in the environment give both sides the same kept-buffer behaviour;
#   BENCH_ROUNDS (default 1) rounds of the alternation; PYTHON (default python3) must import torch; BENCH_THREADS (default: all cores) is
#   the thread count of both sides; BENCH_BATCH, BENCH_HIDDEN, ... shrink the workloads (see
#   benches/train_step.py).
set -euo pipefail
cd "$(dirname "$0")/.."
FEATURES=()
case "${1:-}" in
  --blas) FEATURES=(--features blas); shift ;;
  --flex) FEATURES=(--features flex); shift ;;
esac
export BENCH_REPEATS="${1:-${BENCH_REPEATS:-5}}"
export BENCH_WARMUP="${BENCH_WARMUP:-2}"
PYTHON="${PYTHON:-python3}"
THREADS="${BENCH_THREADS:-$(nproc)}"
export BENCH_THREADS="$THREADS" RAYON_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS"
if ! "$PYTHON" -c 'import torch' 2>/dev/null; then
  echo "PyTorch is NOT importable by $PYTHON: the reference side cannot run (set PYTHON=...). No ratio." >&2
  exit 3
fi
cargo build --release --quiet "${FEATURES[@]}" --example bench_train
RUST=target/release/examples/bench_train
OUT="$(mktemp)"
trap 'rm -f "$OUT"' EXIT
ROUNDS="${BENCH_ROUNDS:-1}"
for round in $(seq 1 "$ROUNDS"); do
  for w in sgemm train_step input_grad pgd_at_step wide_gd; do
    BENCH_WORKLOADS=$w "$RUST" | sed "s/^{/{\"round\":$round,/" | tee -a "$OUT"
    BENCH_WORKLOADS=$w "$PYTHON" benches/train_step.py | sed "s/^{/{\"round\":$round,/" | tee -a "$OUT"
  done
done
"$PYTHON" - "$OUT" "${FEATURES[*]:-default}" "$THREADS" "$BENCH_REPEATS" "$ROUNDS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
build, threads, repeats, rounds = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
# One value per round; the median over rounds for the table.
per_round = lambda side, w, key: [next(r for r in rows if r["side"] == side and r["workload"] == w and r["round"] == k)[key] for k in range(1, rounds + 1)]
get = lambda side, w: {key: statistics.median(per_round(side, w, key)) for key in ("samples_per_s", "gflops") if key in next(r for r in rows if r["side"] == side and r["workload"] == w)}
names = {
    "train_step": "(1) SGD step, MLP 1568-3136-3136-2, batch 256",
    "input_grad": "(2) input gradients, same MLP, batch 256",
    "pgd_at_step": "(3) PGD-8 adversarial training step, batch 256",
    "wide_gd": "(4) full-batch GD, mean-field MLP 10-50000-2, n = 1000",
}
print()
print(f"Rust build: {build}; threads: {threads}; samples/s of the best of {repeats} timed runs after warm-up; "
      f"{rounds} round(s), medians over rounds")
print()
print("| workload | Rust samples/s | PyTorch samples/s | Rust / PyTorch | range over rounds |")
print("|---|---:|---:|---:|---:|")
for w, name in names.items():
    r, p = get("rust", w), get("pytorch", w)
    ratios = [a / b for a, b in zip(per_round("rust", w, "samples_per_s"), per_round("pytorch", w, "samples_per_s"))]
    print(f"| {name} | {r['samples_per_s']:,.0f} | {p['samples_per_s']:,.0f} | {statistics.median(ratios):.2f} | {min(ratios):.2f}–{max(ratios):.2f} |")
peak = get("pytorch", "sgemm")["gflops"]
own = get("rust", "sgemm")["gflops"]
step = get("rust", "train_step")["gflops"]
torch_step = get("pytorch", "train_step")["gflops"]
print()
print(f"sgemm, torch.mm on {threads} threads (the machine's reference rate): {peak:.0f} GFLOP/s; "
      f"the Rust engine's own matmul: {own:.0f} GFLOP/s")
heap = next(r for r in rows if r["side"] == "rust" and "heap" in r)["heap"]
print(f"Rust side's heap: {heap} (Kept: glibc keeps freed buffers, as the inputgrad binary does, src/train/heap.rs; "
      f"BENCH_HEAP=system: glibc's defaults; UserSettings: the MALLOC_* variables in the environment, which PyTorch's side sees too)")
print(f"(1) reaches {step:.0f} GFLOP/s = {step / peak:.0%} of torch.mm's rate (PyTorch's own step: {torch_step:.0f} GFLOP/s = {torch_step / peak:.0%})")
PY
