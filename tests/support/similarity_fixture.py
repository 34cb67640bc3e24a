"""Writes the SSIM reference fixture of tests/seed004_similarity.rs (so the Rust test needs no Python):

    python tests/support/similarity_fixture.py [OUT_DIR]     (default: tests/fixtures/similarity)

Pairs of images (seeded numpy draws, stored in the file) with scikit-image's
structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
data_range=R, channel_axis=0) — the SSIM of Wang et al. (2004) as seed 004-style map comparisons
use it. Reruns write the same bytes.
"""

import json
import os
import sys

import numpy as np
import skimage
from skimage.metrics import structural_similarity


def pair(rng, shape, kind):
    a = rng.uniform(-1.0, 1.0, size=shape)
    if kind == "noisy":
        b = np.clip(a + rng.normal(0.0, 0.3, size=shape), -1.0, 1.0)
    elif kind == "smooth":
        # A smooth map and a shifted, rescaled copy: high but not perfect similarity.
        c, h, w = shape
        yy, xx = np.meshgrid(np.linspace(-1, 1, h), np.linspace(-1, 1, w), indexing="ij")
        a = np.stack([np.sin(3 * xx + k) * np.cos(2 * yy) for k in range(c)])
        b = 0.8 * np.roll(a, 1, axis=2) + 0.05
    else:
        b = rng.uniform(-1.0, 1.0, size=shape)
    return a, b


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "fixtures", "similarity")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(2024)
    cases = []
    for shape, kind, data_range in [((1, 28, 28), "noisy", 2.0), ((1, 56, 28), "independent", 2.0), ((3, 16, 20), "smooth", 2.0), ((1, 11, 13), "noisy", 1.5)]:
        a, b = pair(rng, shape, kind)
        s = structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=data_range, channel_axis=0)
        cases.append({"shape": list(shape), "kind": kind, "data_range": data_range, "a": [float(v) for v in a.ravel()], "b": [float(v) for v in b.ravel()], "ssim": float(s)})
    doc = {"generator": "tests/support/similarity_fixture.py", "skimage": skimage.__version__, "numpy": np.__version__, "cases": cases}
    with open(os.path.join(out, "ssim.json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
