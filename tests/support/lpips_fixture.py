"""Writes the LPIPS reference fixtures of tests/lpips.rs (so the Rust tests need no Python):

    /work/pyenv/bin/python tests/support/lpips_fixture.py [OUT_DIR]   (default: tests/fixtures/lpips)

The reference is the `lpips` package itself (v0.1, net='alex'): `lpips.LPIPS(net='alex',
pretrained=True, pnet_rand=True)`, i.e. a randomly initialised torchvision AlexNet trunk (no
download) with the package's own linear heads. Then every trunk and head weight is REPLACED by a
closed formula the Rust test evaluates bit for bit (the formula of torch_resnet_fixture.py: integer
hashing to a dyadic u in [-1/2, 1/2), one multiplication in float64 by a correctly rounded scale,
rounding to float32):

    weight [O, C, k, k] of features.{0,3,6,8,10}:  u * 2/sqrt(C k k)
    bias [O]:                                      0.1 u
    head lin{l}.model.1.weight [1, C, 1, 1]:       (u + 1/2) * 2/sqrt(C)   (non-negative, as the
                                                   trained heads are: lpips clamps them at 0)

with u = u(n, kk), kk the key's index in KEYS. The heads reach the model through a real file:
heads.pth, written here in the legacy (non-zip) `torch.save` format of the official
`weights/v0.1/alex.pth` and read back with `torch.load` + `load_state_dict(strict=False)` exactly as
lpips loads its weights. The file is written by hand rather than by `torch.save`, whose legacy
format names storages by memory address (different bytes on every run); its structure is the
one `torch.serialization._legacy_save` writes (checked below by loading it with `torch.load`).

Image pairs (inputs in [-1, 1], lpips's range): x = 2 u(n, key), y = 2 ((1 - t) u(n, key) +
t u(n, key + 1)) with t in {1, 1/2, 1/8, 1/64, ...}: all exact in float32. Cases:

    rgb:   4 pairs of 3x64x64
    rect:  2 pairs of 3x36x52 (non-square: catches a swapped H/W)
    gray:  2 pairs of 1x32x32, given to lpips with ONE channel (its ScalingLayer broadcasts the
           channel to 3, which equals repeating it; asserted below)

AlexNet needs H, W >= 31 (checked below: 31 works, 30 fails in lpips). The JSON holds the formula,
the keys, the cases and, per case, the distances and the 5 per-layer terms, in float32 (lpips as
used) and float64 (the same network and images: the size of float32 rounding). Reruns write the
same bytes.
"""

import collections
import hashlib
import importlib.metadata
import io
import json
import math
import os
import pickle
import struct
import sys

import numpy as np
import torch

import lpips
import torchvision

MULT, KEY_MULT, OFFSET, MOD = 2654435761, 40503, 12345, 65536
# Backbone keys in torchvision's `alexnet().features` numbering, then the lpips heads.
CONVS = [(0, 3, 64, 11), (3, 64, 192, 5), (6, 192, 384, 3), (8, 384, 256, 3), (10, 256, 256, 3)]
BACKBONE = [k for i, c, o, kk in CONVS for k in ((f"features.{i}.weight", [o, c, kk, kk]), (f"features.{i}.bias", [o]))]
HEADS = [(f"lin{l}.model.1.weight", [1, o, 1, 1]) for l, (_, _, o, _) in enumerate(CONVS)]
KEYS = BACKBONE + HEADS
# features.{i} lives in lpips's `net.slice{s}.{i}`.
SLICE = {0: 1, 3: 2, 6: 3, 8: 4, 10: 5}
CASES = [("rgb", 4, (3, 64, 64), 20000), ("rect", 2, (3, 36, 52), 30000), ("gray", 2, (1, 32, 32), 40000)]
TS = [1.0, 0.5, 0.125, 0.015625]


def u(n, kk):
    i = np.arange(n, dtype=np.int64)
    return ((i * MULT + kk * KEY_MULT + OFFSET) % MOD).astype(np.float64) / MOD - 0.5


def fill(name, shape, kk):
    x = u(int(np.prod(shape)), kk)
    if name.startswith("lin"):
        v = (x + 0.5) * (2.0 / math.sqrt(shape[1]))
    elif len(shape) >= 2:
        v = x * (2.0 / math.sqrt(int(np.prod(shape[1:]))))
    else:
        v = 0.1 * x
    return torch.from_numpy(v.astype(np.float32).reshape(shape))


def save_legacy(sd, path, location="cuda:0"):
    """`sd` in the legacy `torch.save` format (as `_legacy_save`: magic number, protocol version,
    sys info, the pickled dict with persistent storage ids, the sorted storage keys, then per
    storage its int64 element count and raw bytes), with storages keyed "0", "1", ... and the
    location tag of the official alex.pth (saved from a GPU)."""

    class Storage:
        def __init__(self, key, t):
            self.key, self.t = key, t

    class Tensor:
        def __init__(self, storage):
            self.storage = storage

        def __reduce__(self):
            t = self.storage.t
            return (torch._utils._rebuild_tensor_v2, (self.storage, 0, tuple(t.shape), t.stride(), False, collections.OrderedDict()))

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Storage):
                return ("storage", torch.FloatStorage, obj.key, location, obj.t.numel(), None)
            return None

    storages = [Storage(str(i), t.contiguous()) for i, t in enumerate(sd.values())]
    obj = collections.OrderedDict((k, Tensor(s)) for k, s in zip(sd.keys(), storages))
    ser = torch.serialization
    sys_info = {
        "protocol_version": ser.PROTOCOL_VERSION,
        "little_endian": sys.byteorder == "little",
        "type_sizes": {"short": ser.SHORT_SIZE, "int": ser.INT_SIZE, "long": ser.LONG_SIZE},
    }
    f = io.BytesIO()
    pickle.dump(ser.MAGIC_NUMBER, f, protocol=2)
    pickle.dump(ser.PROTOCOL_VERSION, f, protocol=2)
    pickle.dump(sys_info, f, protocol=2)
    Pickler(f, protocol=2).dump(obj)
    keys = sorted(s.key for s in storages)
    pickle.dump(keys, f, protocol=2)
    by_key = {s.key: s for s in storages}
    for k in keys:
        t = by_key[k].t
        f.write(struct.pack("<q", t.numel()))
        f.write(t.numpy().astype("<f4").tobytes())
    with open(path, "wb") as out:
        out.write(f.getvalue())
    back = torch.load(path, map_location="cpu")
    assert list(back.keys()) == list(sd.keys())
    for k, v in sd.items():
        assert back[k].dtype == torch.float32 and torch.equal(back[k], v), k


def image_pair(n_pairs, shape, key):
    d = int(np.prod(shape))
    xs, ys = [], []
    for p in range(n_pairs):
        a, b = u(d, key + 2 * p), u(d, key + 2 * p + 1)
        t = TS[p % len(TS)]
        xs.append(2.0 * a)
        ys.append(2.0 * ((1.0 - t) * a + t * b))
    as_t = lambda v: torch.from_numpy(np.stack(v).astype(np.float32).reshape(n_pairs, *shape))
    return as_t(xs), as_t(ys)


def build(heads_path):
    model = lpips.LPIPS(net="alex", pretrained=True, pnet_rand=True, verbose=False)
    sd = model.state_dict()
    for kk, (name, shape) in enumerate(BACKBONE):
        i = int(name.split(".")[1])
        target = f"net.slice{SLICE[i]}.{i}.{name.split('.')[2]}"
        assert list(sd[target].shape) == shape, (target, sd[target].shape, shape)
        sd[target] = fill(name, shape, kk)
    model.load_state_dict(sd, strict=True)
    # The heads through the file, as lpips loads weights/v0.1/alex.pth.
    heads = collections.OrderedDict((name, fill(name, shape, len(BACKBONE) + j)) for j, (name, shape) in enumerate(HEADS))
    save_legacy(heads, heads_path)
    model.load_state_dict(torch.load(heads_path, map_location="cpu"), strict=False)
    for l, (name, _) in enumerate(HEADS):
        assert torch.equal(model.lins[l].model[1].weight, heads[name]), name
    model.eval()
    return model


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "lpips"))
    os.makedirs(out, exist_ok=True)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    heads_path = os.path.join(out, "heads.pth")
    model = build(heads_path)
    # The same network in float64: how far float32 rounding alone moves lpips's own numbers.
    model64 = build(heads_path).double()
    cases = []
    with torch.no_grad():
        for s in (31, 30):
            try:
                model(torch.zeros(1, 3, s, s), torch.zeros(1, 3, s, s))
                ok = True
            except RuntimeError:
                ok = False
            assert ok == (s == 31), f"AlexNet's smallest input is 31x31 (size {s})"
        for name, n_pairs, shape, key in CASES:
            x, y = image_pair(n_pairs, shape, key)
            d, layers = model(x, y, retPerLayer=True)
            if shape[0] == 1:
                d3 = model(x.repeat(1, 3, 1, 1), y.repeat(1, 3, 1, 1))
                assert torch.equal(d, d3), "one channel broadcast by lpips = the channel repeated 3 times"
            d64, layers64 = model64(x.double(), y.double(), retPerLayer=True)
            cases.append({
                "name": name,
                "pairs": n_pairs,
                "shape": list(shape),
                "key": key,
                "t": [TS[p % len(TS)] for p in range(n_pairs)],
                "distance": d.double().reshape(-1).tolist(),
                "layers": [r.double().reshape(-1).tolist() for r in layers],
                "distance_f64": d64.reshape(-1).tolist(),
                "layers_f64": [r.reshape(-1).tolist() for r in layers64],
            })
    # Where the official weights come from, for the data store's registry entry: the heads file the
    # package ships (its md5 and keys) and torchvision's download URL of the AlexNet trunk.
    official = os.path.join(os.path.dirname(lpips.__file__), "weights", "v0.1", "alex.pth")
    with open(official, "rb") as f:
        official_bytes = f.read()
    official_sd = torch.load(official, map_location="cpu")
    fixture = {
        "official": {
            "heads_md5": hashlib.md5(official_bytes).hexdigest(),
            "heads_bytes": len(official_bytes),
            "heads_keys": [[k, list(v.shape)] for k, v in official_sd.items()],
            "alexnet_url": torchvision.models.AlexNet_Weights.IMAGENET1K_V1.url,
            "torchvision": torchvision.__version__,
        },
        "formula": {"mult": MULT, "key_mult": KEY_MULT, "offset": OFFSET, "mod": MOD},
        "torch": torch.__version__,
        "lpips": f"v0.1 net=alex (package {importlib.metadata.version('lpips')})",
        "keys": [[name, shape] for name, shape in KEYS],
        "cases": cases,
    }
    path = os.path.join(out, "alex.json")
    with open(path, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(f"wrote {path}")
    print(f"wrote {heads_path}")


if __name__ == "__main__":
    main()
