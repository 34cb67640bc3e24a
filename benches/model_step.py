#!/usr/bin/env python3
"""PyTorch reference for the image-model benchmark (DESIGN.md habit 10: a benchmark is a ratio
against a reference measured in the same run). benches/models_side_by_side.sh runs it next to
examples/bench_models.rs, which does the same work with the same shapes:

  train_step  one SGD step (lr 0.02, momentum 0.9 without dampening, weight decay 5e-4) of the
              mean cross-entropy, batch norm in training mode
  input_grad  per-example input gradients of the cross-entropy in evaluation mode, no parameter
              gradients (what PGD and the attributions need)

for the torchvision-style ResNets of tests/support/torch_resnet.py (the module tree whose
state dicts src/model/pytorch.rs loads) on BlockMNIST-shaped inputs: 1 x 56 x 28, 2 classes,
uniform pixels in [0, 1). Models: BENCH_MODELS, a comma list of resnet18-imagenet,
resnet18-cifar, resnet50-imagenet, resnet50-cifar (default the two ResNet18 stems).

Each (model, workload) prints one JSON line: samples/s of the best of BENCH_REPEATS timed runs
after BENCH_WARMUP untimed ones, each run ending with the device synchronised. BENCH_DEVICE is
cpu (default; BENCH_THREADS threads) or cuda[:N]. float32 throughout: on a GPU, TF32 is off for
convolutions and products (PyTorch turns it on for cuDNN's convolutions by default; burn's f32
backend computes in f32) unless BENCH_TF32=1; each row records which.

usage: model_step.py
"""
import json
import os
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    sys.stderr.write("PyTorch is not installed: `pip install torch` to run the reference side\n")
    sys.exit(3)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "tests", "support")]
from torch_resnet import ResNet  # noqa: E402
from train_step import env_int  # noqa: E402


BATCH = env_int("BENCH_BATCH", 64)
H = env_int("BENCH_H", 56)
W = env_int("BENCH_W", 28)
REPEATS = env_int("BENCH_REPEATS", 5)
WARMUP = env_int("BENCH_WARMUP", 2)
THREADS = env_int("BENCH_THREADS", 2)
TF32 = os.environ.get("BENCH_TF32", "0") == "1"
DEVICE = os.environ.get("BENCH_DEVICE", "") or "cpu"
MODELS = [m for m in (os.environ.get("BENCH_MODELS", "") or "resnet18-imagenet,resnet18-cifar").split(",") if m]
WORKLOADS = [w for w in (os.environ.get("BENCH_WORKLOADS", "") or "train_step,input_grad").split(",") if w]
LR = 0.02  # the README's quick-scale ResNet rate (BlockMNIST, batch 64)
CHANNELS, CLASSES = 1, 2
ARCHS = {
    "resnet18-imagenet": (18, "imagenet"),
    "resnet18-cifar": (18, "cifar"),
    "resnet50-imagenet": (50, "imagenet"),
    "resnet50-cifar": (50, "cifar"),
}


def sync():
    if DEVICE.startswith("cuda"):
        torch.cuda.synchronize(DEVICE)


def best_time(fn):
    def run():
        t0 = time.perf_counter()
        fn()
        sync()
        return time.perf_counter() - t0

    for _ in range(WARMUP):
        run()
    return min(run() for _ in range(max(REPEATS, 1)))


def main():
    for m in MODELS:
        if m not in ARCHS:
            sys.exit(f"BENCH_MODELS: unknown model {m!r} ({', '.join(ARCHS)})")
    for w in WORKLOADS:
        if w not in ("train_step", "input_grad"):
            sys.exit(f"BENCH_WORKLOADS: unknown workload {w!r} (train_step, input_grad)")
    if DEVICE.startswith("cuda"):
        if not torch.cuda.is_available():
            sys.exit(f"BENCH_DEVICE={DEVICE}: this PyTorch sees no GPU")
        torch.backends.cudnn.allow_tf32 = TF32
        torch.backends.cuda.matmul.allow_tf32 = TF32
    elif DEVICE != "cpu":
        sys.exit(f"BENCH_DEVICE={DEVICE}: expected cpu or cuda[:N]")
    torch.set_num_threads(THREADS)
    g = torch.Generator().manual_seed(1)
    x = torch.rand(BATCH, CHANNELS, H, W, generator=g).to(DEVICE)
    y = torch.randint(0, CLASSES, (BATCH,), generator=g).to(DEVICE)
    for name in MODELS:
        depth, stem = ARCHS[name]
        for workload in WORKLOADS:
            torch.manual_seed(0)
            model = ResNet(depth, stem, CLASSES, CHANNELS).to(DEVICE)
            if workload == "train_step":
                model.train()
                opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9, dampening=0.0, weight_decay=5e-4)

                def step():
                    opt.zero_grad(set_to_none=True)
                    loss = F.cross_entropy(model(x), y)
                    loss.backward()
                    opt.step()
                    return loss.item()

                t = best_time(step)
            else:
                model.eval()
                for p in model.parameters():
                    p.requires_grad_(False)

                def grad():
                    xa = x.detach().requires_grad_(True)
                    losses = F.cross_entropy(model(xa), y, reduction="none")
                    (gx,) = torch.autograd.grad(losses.sum(), xa)
                    return gx

                t = best_time(grad)
            row = {"side": "pytorch", "device": DEVICE, "model": name, "workload": workload,
                   "samples_per_s": BATCH / t, "seconds": t, "samples": BATCH,
                   "torch": torch.__version__, "tf32": TF32 if DEVICE != "cpu" else None}
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
