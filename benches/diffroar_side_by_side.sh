#!/usr/bin/env bash
# One DiffROAR retraining cell (seed000_diffroar_fmnist: retrain a fresh MLP on the top-k and on
# the bottom-k unmasked Fashion-MNIST set, validation and test evaluated every epoch), Rust
# (examples/bench_diffroar_cell.rs) against PyTorch (benches/diffroar_cell_torch.py) on the same
# masked data, model, epochs, batch and thread count, in one command (DESIGN.md habit 10). Widths
# 256 (the quick scale) and 1568 (the paper's 2 × 784) show what the quick width saves.
#
# usage: benches/diffroar_side_by_side.sh [REPEATS]
# environment: INPUTGRAD_DATA (must hold fashion-mnist), PYTHON (default python3; must import
#   torch and numpy), BENCH_THREADS (default all cores), BENCH_WIDTHS ("256 1568"),
#   BENCH_EPOCHS (8), BENCH_TRAIN (15000), BENCH_TEST (5000).
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_REPEATS="${1:-${BENCH_REPEATS:-1}}"
PYTHON="${PYTHON:-python3}"
THREADS="${BENCH_THREADS:-$(nproc)}"
export BENCH_THREADS="$THREADS" RAYON_NUM_THREADS="$THREADS"
if ! "$PYTHON" -c 'import torch, numpy' 2>/dev/null; then
  echo "torch and numpy are NOT importable by $PYTHON: the reference side cannot run (set PYTHON=...). No ratio." >&2
  exit 3
fi
cargo build --release --quiet --example bench_diffroar_cell
BENCH_DIR="$(mktemp -d)"
OUT="$(mktemp)"
trap 'rm -rf "$BENCH_DIR" "$OUT"' EXIT
export BENCH_DIR
target/release/examples/bench_diffroar_cell | tee -a "$OUT"
"$PYTHON" benches/diffroar_cell_torch.py | tee -a "$OUT"
"$PYTHON" - "$OUT" "$THREADS" "$BENCH_REPEATS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
threads, repeats = sys.argv[2], sys.argv[3]
torch_rows = {r["width"]: r for r in rows if r["side"] == "torch"}
rust = [r for r in rows if r["side"] == "rust"]
print()
print(f"CPU threads: {threads}; one cell = two retrainings of {rust[0]['epochs']} epochs on {rust[0]['train']} masked images "
      f"(k = 20 %), validation and test evaluated every epoch; best of {repeats} timed cell(s) after one untimed; "
      f"PyTorch {next(iter(torch_rows.values()))['torch']}")
print()
print("| MLP width | Rust s/cell | PyTorch s/cell | PyTorch time / Rust time | Rust top/bottom acc | PyTorch top/bottom acc |")
print("|---:|---:|---:|---:|---|---|")
for r in rust:
    t = torch_rows[r["width"]]
    print(f"| {r['width']} | {r['seconds']:.1f} | {t['seconds']:.1f} | {t['seconds'] / r['seconds']:.2f} | "
          f"{r['top_accuracy']:.3f} / {r['bottom_accuracy']:.3f} | {t['top_accuracy']:.3f} / {t['bottom_accuracy']:.3f} |")
PY
