"""PyTorch side of the DiffROAR retraining-cell benchmark (benches/diffroar_side_by_side.sh).

Reads the masked top-k and bottom-k Fashion-MNIST sets that examples/bench_diffroar_cell.rs wrote
into BENCH_DIR and retrains the same cell: for each width W in BENCH_WIDTHS, a fresh MLP
784 -> W -> W -> 10 (ReLU) on each set with SGD (lr 0.1, momentum 0.9, weight decay 5e-4, lr x0.75
every 20 epochs), batch 256, reshuffled every epoch, BENCH_EPOCHS epochs, evaluating the validation
and the test split after every epoch and keeping the test accuracy of the best validation epoch.
One JSON line per width: seconds of the best of BENCH_REPEATS timed cells after one untimed, with
the same thread count as the Rust side.
"""

import json
import os
import time

import numpy as np
import torch
from torch import nn


def mlp(w):
    return nn.Sequential(nn.Linear(784, w), nn.ReLU(), nn.Linear(w, w), nn.ReLU(), nn.Linear(w, 10))


def load(d, name):
    x = torch.from_numpy(np.load(os.path.join(d, f"{name}_x.npy")))
    y = torch.from_numpy(np.load(os.path.join(d, f"{name}_y.npy")))
    return x, y


@torch.no_grad()
def accuracy(model, x, y, batch=1000):
    correct = 0
    for i in range(0, len(y), batch):
        correct += (model(x[i : i + batch]).argmax(1) == y[i : i + batch]).sum().item()
    return correct / len(y)


def pred_power(w, sets, epochs, seed):
    (xtr, ytr), (xva, yva), (xte, yte) = sets
    torch.manual_seed(seed)
    model = mlp(w)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=20, gamma=0.75)
    loss_fn = nn.CrossEntropyLoss()
    best = (-1.0, 0.0)
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(ytr))
        for i in range(0, len(ytr), 256):
            idx = perm[i : i + 256]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(xtr[idx]), ytr[idx]).backward()
            opt.step()
        sched.step()
        model.eval()
        v, t = accuracy(model, xva, yva), accuracy(model, xte, yte)
        if v > best[0]:
            best = (v, t)
    return best[1]


def main():
    threads = int(os.environ.get("BENCH_THREADS", os.cpu_count()))
    torch.set_num_threads(threads)
    d = os.environ["BENCH_DIR"]
    epochs = int(os.environ.get("BENCH_EPOCHS", 8))
    repeats = max(1, int(os.environ.get("BENCH_REPEATS", 1)))
    widths = [int(w) for w in os.environ.get("BENCH_WIDTHS", "256 1568").split()]
    sets = {s: [load(d, f"{s}_{split}") for split in ("train", "val", "test")] for s in ("top", "bottom")}
    for w in widths:
        cell = lambda: [pred_power(w, sets[s], epochs, 8) for s in ("top", "bottom")]
        cell()
        best, accs = float("inf"), None
        for _ in range(repeats):
            t0 = time.perf_counter()
            accs = cell()
            best = min(best, time.perf_counter() - t0)
        print(json.dumps({"side": "torch", "width": w, "epochs": epochs, "train": len(sets["top"][0][1]), "seconds": best,
                          "top_accuracy": accs[0], "bottom_accuracy": accs[1], "threads": threads, "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
