#!/usr/bin/env bash
# Time to load the 60k MNIST training set (gzip IDX) and build 10-class BlockMNIST (56×28 float32
# images + signal masks): Rust (examples/bench_blockmnist.rs) against numpy reading the same files
# (benches/blockmnist_load.py), in the same run. Prints both times and the ratio (DESIGN.md habit 10).
#
# usage: benches/blockmnist_side_by_side.sh [DATA_DIR] [REPEATS]
#        DATA_DIR defaults to $INPUTGRAD_DATA, else ./data
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-${INPUTGRAD_DATA:-data}}"
REPEATS="${2:-5}"
if [ ! -f "$DATA/mnist/train-images-idx3-ubyte.gz" ]; then
  echo "MNIST is missing under $DATA/mnist: run \`inputgrad data fetch mnist --data-dir $DATA\`" >&2
  exit 2
fi
if ! python3 -c 'import numpy' 2>/dev/null; then
  echo "numpy is NOT installed: the reference side cannot run (pip install numpy). No ratio." >&2
  exit 3
fi
cargo build --release --quiet --example bench_blockmnist
RUST_OUT="$(target/release/examples/bench_blockmnist "$DATA" "$REPEATS")"
PY_OUT="$(python3 benches/blockmnist_load.py "$DATA" "$REPEATS")"
echo "$RUST_OUT"
echo "$PY_OUT"
python3 - "$RUST_OUT" "$PY_OUT" <<'PY'
import sys
def field(text, key):
    for line in text.splitlines():
        parts = line.split()
        if key in parts:
            return float(parts[parts.index(key) + 1])
    raise SystemExit(f"no {key} in output")
r, p = sys.argv[1], sys.argv[2]
rs, ps = field(r, "rust_seconds"), field(p, "numpy_seconds")
rc, pc = field(r, "checksum"), field(p, "checksum")
if abs(rc - pc) > 1e-6 * abs(pc) + 1.0:
    raise SystemExit(f"checksums differ: rust {rc} vs numpy {pc}: the two sides built different data")
if field(r, "signal_pixels") != field(p, "signal_pixels"):
    raise SystemExit("signal mask sizes differ")
print(f"ratio rust/numpy = {rs / ps:.3f}  (best of runs; below 1 means Rust is faster)")
PY
