#!/usr/bin/env python3
"""Reference for the BlockMNIST load-and-build benchmark (DESIGN.md habit 10: a ratio against a
reference measured in the same run).

Reads the 60k MNIST training IDX files (gzip) with numpy, builds 10-class BlockMNIST exactly as
src/data/block_mnist.rs does — N×1×56×28 float32 in [0, 1], signal block on top with p = 1/2, the
null patch (square + diagonals, same geometry) in the other block, a boolean signal mask — and
prints the best wall time of REPEATS runs plus a checksum (the sum of all pixels, which does not
depend on the placements, so it must agree with the Rust side).

usage: blockmnist_load.py DATA_DIR [REPEATS]
"""
import gzip
import struct
import sys
import time

try:
    import numpy as np
except ImportError:
    sys.stderr.write("numpy is not installed: `pip install numpy` to run the reference side\n")
    sys.exit(3)


def load_idx(path, ndim):
    with open(path, "rb") as f:
        data = gzip.decompress(f.read())
    zero, dtype, nd = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08 or nd != ndim:
        raise ValueError(f"{path}: bad IDX header")
    dims = struct.unpack(">" + "I" * nd, data[4 : 4 + 4 * nd])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def null_patch():
    # Same geometry as block_mnist::null_patch: square corners (4.5, 4.5)-(22.5, 22.5), diagonals,
    # pixels within distance 1 of a stroke.
    lo, hi = 4.5, 22.5
    segs = [((lo, lo), (lo, hi)), ((hi, lo), (hi, hi)), ((lo, lo), (hi, lo)),
            ((lo, hi), (hi, hi)), ((lo, lo), (hi, hi)), ((lo, hi), (hi, lo))]
    r, c = np.mgrid[0:28, 0:28].astype(np.float32)
    out = np.zeros((28, 28), np.uint8)
    for (a0, a1), (b0, b1) in segs:
        dx, dy = b0 - a0, b1 - a1
        t = np.clip(((r - a0) * dx + (c - a1) * dy) / (dx * dx + dy * dy), 0, 1)
        d = np.hypot(a0 + t * dx - r, a1 + t * dy - c)
        out[d <= 1.0] = 255
    return out


def build(images, labels, digits, seed):
    keep = np.isin(labels, digits)
    imgs = images[keep]
    lut = np.full(10, -1)
    lut[list(digits)] = np.arange(len(digits))
    y = lut[labels[keep]]
    n = imgs.shape[0]
    top = np.random.default_rng(seed).random(n) < 0.5
    sig = imgs.astype(np.float32) / np.float32(255.0)
    patch = null_patch().astype(np.float32) / np.float32(255.0)
    x = np.empty((n, 1, 56, 28), np.float32)
    x[top, 0, :28] = sig[top]
    x[top, 0, 28:] = patch
    x[~top, 0, :28] = patch
    x[~top, 0, 28:] = sig[~top]
    mask = np.zeros((n, 1, 56, 28), bool)
    mask[top, 0, :28] = True
    mask[~top, 0, 28:] = True
    return x, y, mask


def main():
    data_dir = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        images = load_idx(f"{data_dir}/mnist/train-images-idx3-ubyte.gz", 3)
        labels = load_idx(f"{data_dir}/mnist/train-labels-idx1-ubyte.gz", 1)
        x, y, mask = build(images, labels, list(range(10)), 0)
        best = min(best, time.perf_counter() - t0)
    print(f"numpy_seconds {best:.6f}")
    print(f"n {x.shape[0]} checksum {float(x.sum(dtype=np.float64)):.3f} signal_pixels {int(mask.sum())}")


if __name__ == "__main__":
    main()
