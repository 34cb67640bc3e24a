"""Captum side of the attribution benchmark (benches/attribution_side_by_side.sh): the workloads of
examples/bench_attribution.rs — Integrated Gradients (Gauss-Legendre, 64 steps, zero baseline)
and SmoothGrad (50 samples, stdev 0.15) of the predicted logit for a batch of BlockMNIST-shaped
inputs on seed 000's MLP (1568 -> 3136 -> 3136 -> 2) and the Madry CNN — with the same thread
count, one JSON line per (model, workload) with examples/s and the process's peak resident memory.

Captum evaluates all steps x examples at once unless told otherwise, which for the CNN needs tens
of GiB (captum#245, #538, #1350); here `internal_batch_size` / `nt_samples_batch_size` are set so
that one evaluation covers BENCH_CAPTUM_ROWS rows (default 512), as a user avoiding that would.
"""

import json
import os
import resource
import time
import warnings

import torch
from torch import nn
from captum.attr import IntegratedGradients, NoiseTunnel, Saliency

warnings.filterwarnings("ignore")
IG_STEPS, SG_SAMPLES, SG_SIGMA = 64, 50, 0.15
C, H, W, K = 1, 56, 28, 2


class Mlp(nn.Module):
    def __init__(self, d, widths, k):
        super().__init__()
        dims = [d] + widths
        self.hidden = nn.ModuleList([nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:])])
        self.out = nn.Linear(dims[-1], k)

    def forward(self, x):
        h = x.reshape(x.shape[0], -1)
        for layer in self.hidden:
            h = torch.relu(layer(h))
        return self.out(h)


class MadryCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(C, 32, 5, padding=2)
        self.conv2 = nn.Conv2d(32, 64, 5, padding=2)
        self.fc1 = nn.Linear(64 * (H // 4) * (W // 4), 1024)
        self.fc2 = nn.Linear(1024, K)

    def forward(self, x):
        z = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        z = torch.max_pool2d(torch.relu(self.conv2(z)), 2)
        return self.fc2(torch.relu(self.fc1(z.reshape(z.shape[0], -1))))


def main():
    threads = int(os.environ.get("BENCH_THREADS", os.cpu_count()))
    torch.set_num_threads(threads)
    batch = int(os.environ.get("BENCH_BATCH", 256))
    repeats = max(1, int(os.environ.get("BENCH_REPEATS", 1)))
    rows = int(os.environ.get("BENCH_CAPTUM_ROWS", 512))
    torch.manual_seed(1)
    x = torch.rand(batch, C, H, W)
    for name in os.environ.get("BENCH_MODELS", "mlp,cnn").split(","):
        model = {"mlp": lambda: Mlp(C * H * W, [2 * C * H * W] * 2, K), "cnn": MadryCnn}[name]().eval()
        for p in model.parameters():
            p.requires_grad_(False)
        with torch.no_grad():
            target = model(x).argmax(1)
        for wl in os.environ.get("BENCH_WORKLOADS", "ig,smoothgrad").split(","):
            if wl == "ig":
                ig = IntegratedGradients(model)
                run = lambda: ig.attribute(x, baselines=0.0, target=target, n_steps=IG_STEPS, method="gausslegendre", internal_batch_size=rows)
            else:
                nt = NoiseTunnel(Saliency(model))
                run = lambda: nt.attribute(x, nt_type="smoothgrad", nt_samples=SG_SAMPLES, stdevs=SG_SIGMA, target=target, abs=False,
                                           nt_samples_batch_size=max(1, rows // batch))
            run()
            best = float("inf")
            for _ in range(repeats):
                t0 = time.perf_counter()
                run()
                best = min(best, time.perf_counter() - t0)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(json.dumps({"side": "captum", "model": name, "workload": wl, "batch": batch, "examples_per_s": batch / best, "seconds": best,
                              "peak_rss_mib": peak, "rows_per_evaluation": rows, "threads": torch.get_num_threads(), "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
