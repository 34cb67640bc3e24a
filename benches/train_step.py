#!/usr/bin/env python3
"""PyTorch reference for the training-engine benchmark (DESIGN.md habit 10: a benchmark is a ratio
against a reference measured in the same run). benches/train_side_by_side.sh runs it next to
examples/bench_train.rs, which does exactly the same four workloads with the same shapes:

  train_step   one SGD step (lr 0.1, momentum 0.9 without dampening, weight decay 5e-4) of the
               BlockMNIST MLP 1568 -> 3136 -> 3136 -> 2 (ReLU) on a batch of 256, mean cross-entropy
  input_grad   input gradients of the per-example cross-entropy of the same model for a batch of
               256 (evaluation mode, no parameter gradients): what PGD and attributions need
  pgd_at_step  one PGD-8 adversarial training step (seed 000: l-inf, eps 0.3, step eps/4, 8 steps,
               no random start, pixel box [0, 1], best iterate per example kept), then the SGD step
               on the adversarial batch
  wide_gd      one full-batch plain gradient-descent step (lr 0.1, no momentum, no weight decay) of
               a one-hidden-layer ReLU MLP d = 10 -> 50,000 -> 2 in the mean-field scaling
               (output divided by the width) on n = 1000 points (seed 000 Fig 31's setting)

plus `sgemm`: the best float32 matrix-product rate of this machine (torch.mm, same thread count),
GFLOP/s, over a few square and MLP-shaped products.

Each workload prints one JSON line: samples/s of the best of REPEATS timed repetitions after
WARMUP untimed ones. Sizes are overridable by environment variables (BENCH_BATCH, BENCH_IN,
BENCH_HIDDEN, BENCH_WIDE_N, BENCH_WIDE_D, BENCH_WIDE_WIDTH, BENCH_PGD_STEPS, BENCH_REPEATS,
BENCH_WARMUP, BENCH_THREADS, BENCH_WORKLOADS=comma list) so CI can smoke-test it quickly.

usage: train_step.py
"""
import json
import os
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    sys.stderr.write("PyTorch is not installed: `pip install torch` to run the reference side\n")
    sys.exit(3)


def env_int(name, default):
    v = os.environ.get(name, "")
    return int(v) if v else default


BATCH = env_int("BENCH_BATCH", 256)
D_IN = env_int("BENCH_IN", 1568)
HIDDEN = env_int("BENCH_HIDDEN", 3136)
WIDE_N = env_int("BENCH_WIDE_N", 1000)
WIDE_D = env_int("BENCH_WIDE_D", 10)
WIDE_M = env_int("BENCH_WIDE_WIDTH", 50_000)
PGD_STEPS = env_int("BENCH_PGD_STEPS", 8)
REPEATS = env_int("BENCH_REPEATS", 5)
WARMUP = env_int("BENCH_WARMUP", 2)
THREADS = env_int("BENCH_THREADS", 2)
WORKLOADS = [w for w in os.environ.get("BENCH_WORKLOADS", "sgemm,train_step,input_grad,pgd_at_step,wide_gd").split(",") if w]
EPS = 0.3  # seed 000 App. C.1's BlockMNIST l-inf budget


def mlp(d, widths, classes=2):
    layers, prev = [], d
    for w in widths:
        layers += [nn.Linear(prev, w), nn.ReLU()]
        prev = w
    layers.append(nn.Linear(prev, classes))
    return nn.Sequential(*layers)


def best_time(fn):
    for _ in range(WARMUP):
        fn()
    best = float("inf")
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def report(workload, samples, seconds, **extra):
    row = {"side": "pytorch", "workload": workload, "samples_per_s": samples / seconds, "seconds": seconds, "samples": samples}
    row.update(extra)
    print(json.dumps(row), flush=True)


def train_flops(n):
    """Matrix-product FLOPs of one training step of the MLP (forward, weight gradients, and input
    gradients of every layer but the first)."""
    dims = [D_IN, HIDDEN, HIDDEN, 2]
    mats = [dims[i] * dims[i + 1] for i in range(3)]
    return 2 * n * (2 * sum(mats) + sum(mats[1:]))


def bench_sgemm():
    best = 0.0
    shapes = [(2048, 2048, 2048), (BATCH, HIDDEN, HIDDEN), (HIDDEN, BATCH, HIDDEN), (HIDDEN, HIDDEN, BATCH)]
    for m, k, n in shapes:
        a = torch.rand(m, k)
        b = torch.rand(k, n)
        t = best_time(lambda: torch.mm(a, b))
        best = max(best, 2 * m * k * n / t / 1e9)
    print(json.dumps({"side": "pytorch", "workload": "sgemm", "gflops": best}), flush=True)


def data(n, d, classes=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, d, generator=g), torch.randint(0, classes, (n,), generator=g)


def bench_train_step():
    torch.manual_seed(0)
    model = mlp(D_IN, [HIDDEN, HIDDEN])
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, dampening=0.0, weight_decay=5e-4)
    x, y = data(BATCH, D_IN)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    t = best_time(step)
    report("train_step", BATCH, t, gflops=train_flops(BATCH) / t / 1e9)


def input_gradient(model, x, y):
    """Per-example input gradients of the cross-entropy and the losses (evaluation mode)."""
    x = x.detach().requires_grad_(True)
    losses = F.cross_entropy(model(x), y, reduction="none")
    (g,) = torch.autograd.grad(losses.sum(), x)
    return g, losses.detach()


def bench_input_grad():
    torch.manual_seed(0)
    model = mlp(D_IN, [HIDDEN, HIDDEN]).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    x, y = data(BATCH, D_IN)
    report("input_grad", BATCH, best_time(lambda: input_gradient(model, x, y)))


def pgd(model, x, y):
    """Seed 000's training attack, as src/train/attack.rs: l-inf, step eps/4, PGD_STEPS steps from
    x, projection onto the ball and [0, 1], the best iterate per example (highest loss) kept."""
    alpha = EPS / 4
    cur, best_x, best_l = x, None, None
    for _ in range(PGD_STEPS):
        g, l = input_gradient(model, cur, y)
        if best_x is None:
            best_x, best_l = cur, l
        else:
            better = l > best_l
            best_l = torch.where(better, l, best_l)
            best_x = torch.where(better[:, None], cur, best_x)
        cur = (x + (cur + alpha * g.sign() - x).clamp(-EPS, EPS)).clamp(0.0, 1.0)
    with torch.no_grad():
        l = F.cross_entropy(model(cur), y, reduction="none")
    better = l > best_l
    return torch.where(better[:, None], cur, best_x)


def bench_pgd_at_step():
    torch.manual_seed(0)
    model = mlp(D_IN, [HIDDEN, HIDDEN])
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, dampening=0.0, weight_decay=5e-4)
    x, y = data(BATCH, D_IN)

    def step():
        # The attack differentiates a copy with detached parameters (no parameter gradients).
        for p in model.parameters():
            p.requires_grad_(False)
        adv = pgd(model, x, y)
        for p in model.parameters():
            p.requires_grad_(True)
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(adv), y)
        loss.backward()
        opt.step()
        return loss.item()

    report("pgd_at_step", BATCH, best_time(step))


class MeanField(nn.Module):
    """f(x) = (1/m) sum_k a_k relu(<w_k, x> + b_k) + c, as src/model/mlp.rs with mean_field = true."""

    def __init__(self, d, m, classes=2):
        super().__init__()
        self.hidden = nn.Linear(d, m)
        self.out = nn.Linear(m, classes)
        nn.init.normal_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        self.m = m

    def forward(self, x):
        return self.out(F.relu(self.hidden(x))) / self.m


def bench_wide_gd():
    torch.manual_seed(0)
    model = MeanField(WIDE_D, WIDE_M)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = data(WIDE_N, WIDE_D)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    report("wide_gd", WIDE_N, best_time(step))


def main():
    torch.set_num_threads(THREADS)
    for w in WORKLOADS:
        {"sgemm": bench_sgemm, "train_step": bench_train_step, "input_grad": bench_input_grad,
         "pgd_at_step": bench_pgd_at_step, "wide_gd": bench_wide_gd}[w]()


if __name__ == "__main__":
    main()
