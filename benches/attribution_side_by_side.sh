#!/usr/bin/env bash
# Attribution throughput and peak memory, Rust (examples/bench_attribution.rs) against Captum
# (benches/attribution_captum.py): Integrated Gradients (Gauss–Legendre, 64 steps) and SmoothGrad
# (50 samples) for a batch of 256 BlockMNIST-shaped inputs on seed 000's MLP and the Madry CNN,
# with the same CPU thread count, in one command (DESIGN.md habit 10). Each (side, model,
# workload) runs in its own process, so each peak resident memory is that workload's alone; the
# Rust side runs once per memory budget in BENCH_BUDGETS_MIB (default "1024 256") to show the
# budget bounding its peak.
#
# usage: benches/attribution_side_by_side.sh [REPEATS]
# environment: PYTHON (default python3; must import torch and captum), BENCH_THREADS (default all
#   cores), BENCH_MODELS (mlp,cnn), BENCH_WORKLOADS (ig,smoothgrad), BENCH_BATCH (256),
#   BENCH_CAPTUM_ROWS (rows per Captum evaluation, default 512), BENCH_BUDGETS_MIB.
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_REPEATS="${1:-${BENCH_REPEATS:-1}}"
PYTHON="${PYTHON:-python3}"
THREADS="${BENCH_THREADS:-$(nproc)}"
export BENCH_THREADS="$THREADS" RAYON_NUM_THREADS="$THREADS"
BUDGETS="${BENCH_BUDGETS_MIB:-1024 256}"
if ! "$PYTHON" -c 'import torch, captum' 2>/dev/null; then
  echo "torch and captum are NOT importable by $PYTHON: the reference side cannot run (set PYTHON=...). No ratio." >&2
  exit 3
fi
cargo build --release --quiet --example bench_attribution
RUST=target/release/examples/bench_attribution
OUT="$(mktemp)"
trap 'rm -f "$OUT"' EXIT
IFS=, read -r -a MODELS <<<"${BENCH_MODELS:-mlp,cnn}"
IFS=, read -r -a WORKLOADS <<<"${BENCH_WORKLOADS:-ig,smoothgrad}"
for m in "${MODELS[@]}"; do
  for w in "${WORKLOADS[@]}"; do
    for b in $BUDGETS; do
      BENCH_MODELS=$m BENCH_WORKLOADS=$w BENCH_MEMORY_MIB=$b "$RUST" | tee -a "$OUT"
    done
    BENCH_MODELS=$m BENCH_WORKLOADS=$w "$PYTHON" benches/attribution_captum.py | tee -a "$OUT"
  done
done
"$PYTHON" - "$OUT" "$THREADS" "$BENCH_REPEATS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
threads, repeats = sys.argv[2], sys.argv[3]
cap = {(r["model"], r["workload"]): r for r in rows if r["side"] == "captum"}
torch_v = next((r["torch"] for r in cap.values()), "?")
print()
print(f"CPU threads: {threads}; batch {rows[0]['batch']} of 1x56x28, target the predicted logit; best of {repeats} timed run(s) after one untimed; "
      f"Captum with {next(iter(cap.values()))['rows_per_evaluation']} rows per evaluation; PyTorch {torch_v}")
print()
print("| model | workload | Rust budget MiB | Rust ex/s | Captum ex/s | Rust / Captum | Rust peak RSS MiB | Captum peak RSS MiB |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for r in rows:
    if r["side"] != "rust":
        continue
    c = cap[(r["model"], r["workload"])]
    print(f"| {r['model']} | {r['workload']} | {r['memory_budget_mib']} | {r['examples_per_s']:.1f} | {c['examples_per_s']:.1f} | "
          f"{r['examples_per_s'] / c['examples_per_s']:.2f} | {r['peak_rss_mib']:.0f} | {c['peak_rss_mib']:.0f} |")
PY
