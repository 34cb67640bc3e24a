#!/usr/bin/env bash
# Fig 31's training loop (seed 000 App. F: width 50,000, d = 10, PGD-8 ℓ∞ adversarial full-batch GD,
# float64), Rust (examples/bench_fig31.rs, the loop of `inputgrad run seed000_fig31`) against
# PyTorch (benches/fig31_train.py), alternating, best of REPEATS each; prints steps/s and the ratio
# (DESIGN.md habit 10: a ratio against a reference measured in the same command).
#
# usage: benches/fig31_side_by_side.sh [REPEATS]      (default 3)
# environment: PYTHON (default python3) must import torch; BENCH_THREADS (default: all cores);
#   BENCH_STEPS (default 200), BENCH_WIDTH (50000).
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS="${1:-3}"
PYTHON="${PYTHON:-python3}"
THREADS="${BENCH_THREADS:-$(nproc)}"
export BENCH_THREADS="$THREADS" RAYON_NUM_THREADS="$THREADS"
if ! "$PYTHON" -c 'import torch' 2>/dev/null; then
  echo "PyTorch is NOT importable by $PYTHON: the reference side cannot run (set PYTHON=...). No ratio." >&2
  exit 3
fi
cargo build --release --quiet --example bench_fig31
OUT="$(mktemp)"
trap 'rm -f "$OUT"' EXIT
for _ in $(seq "$REPEATS"); do
  target/release/examples/bench_fig31 | tee -a "$OUT"
  "$PYTHON" benches/fig31_train.py | tee -a "$OUT"
done
"$PYTHON" - "$OUT" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
best = {}
for r in rows:
    if r["impl"] not in best or r["steps_per_s"] > best[r["impl"]]["steps_per_s"]:
        best[r["impl"]] = r
rs, py = best["rust"], best["pytorch"]
print(f"| loop | threads | Rust steps/s | PyTorch {py.get('torch', '')} steps/s | ratio |")
print("|---|---|---|---|---|")
print(f"| Fig 31 PGD-8 AT step, m = 50,000 | {rs['threads']} | {rs['steps_per_s']:.2f} | {py['steps_per_s']:.2f} | {rs['steps_per_s'] / py['steps_per_s']:.2f}x |")
PY
