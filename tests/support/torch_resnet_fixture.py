"""Writes the PyTorch reference fixtures of tests/models_conv.rs (so the Rust tests need no Python):

    python tests/support/torch_resnet_fixture.py [OUT_DIR]     (default: tests/fixtures/torch)

For ResNet18 with the CIFAR stem and ResNet50 with the ImageNet stem (5 classes, 3 examples of
3x16x16), every state-dict tensor and the inputs are filled by a closed formula that the Rust test
evaluates identically (integer hashing to a dyadic u in [-1/2, 1/2), then one multiplication in
float64 by a correctly rounded scale, then rounding to float32), so the fixture holds only the key
list, the eval-mode logits and the input gradient of the summed logits. The module tree is
tests/support/torch_resnet.py's (torchvision's key names). Also writes mlp.pt, a real `torch.save`
file of a small MLP, and mlp.json with its logits, for the loader's file path. Reruns write the
same bytes.
"""

import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_resnet import ResNet  # noqa: E402

MULT, KEY_MULT, OFFSET, MOD = 2654435761, 40503, 12345, 65536
INPUT_KEY = 10000
CLASSES, SHAPE, BATCH = 5, (3, 16, 16), 3


def u(n, kk):
    i = np.arange(n, dtype=np.int64)
    return ((i * MULT + kk * KEY_MULT + OFFSET) % MOD).astype(np.float64) / MOD - 0.5


def fill(name, shape, kk):
    n = int(np.prod(shape)) if shape else 1
    x = u(n, kk)
    if len(shape) >= 2:
        v = x * (2.0 / math.sqrt(int(np.prod(shape[1:]))))
    elif name.endswith("running_var"):
        v = 1.0 + 0.5 * (x + 0.5)
    elif name.endswith("weight"):
        v = 1.0 + 0.5 * x
    else:
        v = 0.1 * x
    return torch.from_numpy(v.astype(np.float32).reshape(shape))


def reference(depth, stem):
    model = ResNet(depth, stem, CLASSES, SHAPE[0])
    sd = model.state_dict()
    keys = []
    new = {}
    for kk, (name, t) in enumerate(sd.items()):
        shape = list(t.shape)
        if name.endswith("num_batches_tracked"):
            new[name] = torch.zeros_like(t)
            keys.append([name, shape, "int"])
            continue
        new[name] = fill(name, shape, kk)
        keys.append([name, shape, "float"])
    model.load_state_dict(new)
    model.eval()
    n = BATCH * int(np.prod(SHAPE))
    x = torch.from_numpy((u(n, INPUT_KEY) * 2.0).astype(np.float32).reshape(BATCH, *SHAPE)).requires_grad_(True)
    logits = model(x)
    logits.sum().backward()
    return {
        "depth": depth,
        "stem": stem,
        "classes": CLASSES,
        "shape": list(SHAPE),
        "batch": BATCH,
        "formula": {"mult": MULT, "key_mult": KEY_MULT, "offset": OFFSET, "mod": MOD, "input_key": INPUT_KEY},
        "torch": torch.__version__,
        "keys": keys,
        "logits": logits.detach().double().reshape(BATCH, -1).tolist(),
        "input_gradient": x.grad.double().reshape(BATCH, -1).tolist(),
    }


def mlp_file(out):
    """A real `torch.save` file for the loader's pickle path: an MLP 6 -> 4 -> 3 (keys as
    `load_pytorch` maps them: hidden.0.*, out.*), with its logits on the formula's inputs."""
    shapes = [("hidden.0.weight", [4, 6]), ("hidden.0.bias", [4]), ("out.weight", [3, 4]), ("out.bias", [3])]
    sd = {name: fill(name, shape, kk) for kk, (name, shape) in enumerate(shapes)}
    torch.save(sd, os.path.join(out, "mlp.pt"))
    x = torch.from_numpy((u(2 * 6, INPUT_KEY) * 2.0).astype(np.float32).reshape(2, 6))
    h = torch.relu(x @ sd["hidden.0.weight"].T + sd["hidden.0.bias"])
    logits = h @ sd["out.weight"].T + sd["out.bias"]
    with open(os.path.join(out, "mlp.json"), "w") as f:
        json.dump({"x": x.double().tolist(), "logits": logits.double().tolist()}, f)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "torch")
    os.makedirs(out, exist_ok=True)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    for depth, stem in [(18, "cifar"), (50, "imagenet")]:
        path = os.path.join(out, f"resnet{depth}_{stem}.json")
        with open(path, "w") as f:
            json.dump(reference(depth, stem), f)
        print(f"wrote {path}")
    mlp_file(out)
    print(f"wrote {os.path.join(out, 'mlp.pt')}")


if __name__ == "__main__":
    main()
