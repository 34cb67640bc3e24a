"""PyTorch reference of the Fig 31 training loop (seed 000 App. F), the same work as
src/train/wide.rs does for `inputgrad run seed000_fig31`: a one-hidden-layer ReLU net of width m in
the mean-field scaling f(x) = (1/m) Σ a_k relu(<r_k, x> + b_k), float64, on the d support points
(y e_j, y) of eq (2); each step runs ℓ∞ PGD (8 signed steps of ε/4 from the clean point, the
iterate with the smallest margin kept) and one full-batch GD step θ ← θ − lr·m·∇θ L on the
logistic loss of the perturbed points; every RECORD steps the clean and PGD-16 normalised margins.

Prints one JSON line: {"impl": "pytorch", "steps", "seconds", "steps_per_s", "margin", "attacked_margin"}.
Environment: BENCH_STEPS (200), BENCH_WIDTH (50000), BENCH_D (10), BENCH_EPS (0.35),
BENCH_THREADS (all cores), BENCH_RECORD (50).
"""
import json
import os
import time

import torch


def env(name, default, cast=int):
    v = os.environ.get(name, "")
    return cast(v) if v else default


def main():
    steps = env("BENCH_STEPS", 200)
    m = env("BENCH_WIDTH", 50000)
    d = env("BENCH_D", 10)
    eps = env("BENCH_EPS", 0.35, float)
    record = env("BENCH_RECORD", 50)
    lr = 1.0
    init_scale = 0.5
    torch.set_num_threads(env("BENCH_THREADS", os.cpu_count()))
    torch.manual_seed(0)
    dt = torch.float64
    xs, ys = [], []
    for j in range(d // 2):
        for y in (1.0, -1.0):
            x = torch.zeros(d, dtype=dt)
            x[j] = y
            xs.append(x)
            ys.append(y)
    x0 = torch.stack(xs)
    y = torch.tensor(ys, dtype=dt)
    std = init_scale / (d + 2) ** 0.5
    a = (torch.randn(m, dtype=dt) * std).requires_grad_()
    r = (torch.randn(m, d, dtype=dt) * std).requires_grad_()
    b = (torch.randn(m, dtype=dt) * std).requires_grad_()

    def f(x):
        return torch.relu(x @ r.T + b) @ a / m

    def pgd(steps_, step):
        x = x0.clone()
        best = x0.clone()
        best_m = torch.full_like(y, float("inf"))
        for it in range(steps_ + 1):
            x.requires_grad_(True)
            marg = y * f(x)
            (g,) = torch.autograd.grad(marg.sum(), x)
            with torch.no_grad():
                better = marg < best_m
                best_m = torch.where(better, marg, best_m)
                best[better] = x[better]
                if it == steps_:
                    break
                x = torch.max(torch.min(x - step * torch.sign(g), x0 + eps), x0 - eps)
        return best.detach()

    def normalized_margin(x):
        with torch.no_grad():
            s = (a * a + (r * r).sum(1) + b * b).mean()
            return float((y * f(x)).min() / s)

    history = []
    t0 = time.perf_counter()
    for step in range(steps):
        xa = pgd(8, eps / 4)
        loss = torch.nn.functional.softplus(-y * f(xa)).mean()
        ga, gr, gb = torch.autograd.grad(loss, (a, r, b))
        with torch.no_grad():
            a -= lr * m * ga
            r -= lr * m * gr
            b -= lr * m * gb
        if step % record == 0:
            history.append((normalized_margin(x0), normalized_margin(pgd(16, eps / 4))))
    seconds = time.perf_counter() - t0
    margin, attacked = normalized_margin(x0), normalized_margin(pgd(16, eps / 4))
    print(json.dumps({"impl": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(), "steps": steps, "seconds": seconds, "steps_per_s": steps / seconds, "margin": margin, "attacked_margin": attacked}))


if __name__ == "__main__":
    main()
