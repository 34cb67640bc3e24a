"""Reference attributions from Captum for tests/attribution_captum.rs.

Usage (from the repository root; needs `pip install torch captum numpy`):

    python3 tests/support/captum_reference.py tests/fixtures/captum

Builds three models in plain PyTorch with exactly the layers of the toolkit's zoo — a ReLU MLP
(36 -> 32 -> 16 -> 3 on 1x6x6 inputs), the Madry CNN (1x8x8) and a CIFAR-stem ResNet18 (3x8x8) —
with weights that both sides compute from a hash of the state-dict key (below), so no weights are
committed; runs Captum's methods on four inputs and writes, into OUT:

* manifest.json: per model its architecture, input shape, classes, the state-dict keys with
  shapes and weight rule, and the cases (method, parameters, target, file names);
* <model>_x.npy (inputs [N, C, H, W] float32), <model>_y.npy (labels), <model>_bg.npy (the
  background set of the SHAP methods), <model>_u.npy (a given baseline), the noise and draws
  given to NoiseTunnel and GradientShap, and one <model>_<case>.npy per attribution ([N, C*H*W]);
* mlp.pt: the MLP's state dict as `torch.save` writes it (a small real file for the loader).

Weights: for key k and flat index i, z = splitmix64(fnv1a64(k) XOR i) and u = (z >> 40) / 2^24
in [0, 1). Dense and conv tensors ("signed"): (2u - 1) * 2^e with e = -round(log2(sqrt(fan_in)));
BN weight and running_var ("positive"): 0.5 + u; BN bias and running_mean: (2u - 1) * 2^-2. Every
value has at most 24 significant bits, so f32 holds it exactly on both sides.

Captum's random draws (NoiseTunnel's torch.normal, GradientShap's np.random.choice and
np.random.uniform) are replaced during each call by the arrays written next to the results, so
the Rust side can replay the same draws. The script reruns cleanly: it overwrites OUT's files and
uses fixed seeds.
"""

import json
import math
import os
import sys
from unittest import mock

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

import warnings

import captum
from captum.attr import (
    DeepLift,
    DeepLiftShap,
    GradientShap,
    GuidedBackprop,
    InputXGradient,
    IntegratedGradients,
    LRP,
    NoiseTunnel,
    Occlusion,
    Saliency,
)
from captum.attr._utils.lrp_rules import Alpha1_Beta0_Rule

warnings.filterwarnings("ignore")  # Captum warns about hooks on every call.

MASK64 = (1 << 64) - 1
N = 4
IG_STEPS = 16
NT_SAMPLES = 8
NT_SIGMA = 0.1
SHAP_SAMPLES = 8
SHAP_SIGMA = 0.05
BACKGROUND = 5


def fnv1a64(key):
    h = 0xCBF29CE484222325
    for b in key.encode("utf-8"):
        h ^= b
        h = (h * 0x100000001B3) & MASK64
    return h


def uniform_by_key(key, n):
    """u_i = (splitmix64(fnv1a64(key) ^ i) >> 40) / 2^24 for i < n, as float64 (exact)."""
    with np.errstate(over="ignore"):
        z = np.uint64(fnv1a64(key)) ^ np.arange(n, dtype=np.uint64)
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float64) / float(1 << 24)


def fill_weights(model):
    """Sets every tensor of the state dict from the key hash; returns [[key, shape, kind, exp]]."""
    sd = model.state_dict()
    keys = []
    for key, t in sd.items():
        if key.endswith("num_batches_tracked"):
            continue
        owner = key.rsplit(".", 1)[0]
        is_bn = (owner + ".running_mean") in sd
        leaf = key.rsplit(".", 1)[1]
        if is_bn and leaf in ("weight", "running_var"):
            kind, exp = "positive", 0
        elif is_bn:
            kind, exp = "signed", -2
        else:
            w = sd[owner + ".weight"]
            fan_in = int(np.prod(w.shape[1:]))
            kind, exp = "signed", -int(round(math.log2(math.sqrt(fan_in))))
        u = uniform_by_key(key, t.numel())
        v = 0.5 + u if kind == "positive" else (2.0 * u - 1.0) * 2.0**exp
        t.copy_(torch.from_numpy(v.reshape(tuple(t.shape)).astype(np.float32)))
        keys.append([key, list(t.shape), kind, exp])
    model.load_state_dict(sd)
    return keys


class Mlp(nn.Module):
    """The zoo's MLP on flattened inputs: hidden.{i} with separate ReLU modules, then out."""

    def __init__(self, d, widths, k):
        super().__init__()
        dims = [d] + widths
        self.hidden = nn.ModuleList([nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:])])
        self.acts = nn.ModuleList([nn.ReLU() for _ in widths])
        self.out = nn.Linear(dims[-1], k)

    def forward(self, x):
        h = x.reshape(x.shape[0], -1)
        for layer, act in zip(self.hidden, self.acts):
            h = act(layer(h))
        return self.out(h)


class MadryCnn(nn.Module):
    """model/cnn.rs: conv 5x5 (32, pad 2), ReLU, pool 2, conv 5x5 (64, pad 2), ReLU, pool 2, fc 1024, ReLU, fc K."""

    def __init__(self, c, h, w, k):
        super().__init__()
        self.conv1 = nn.Conv2d(c, 32, 5, padding=2)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(32, 64, 5, padding=2)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(64 * (h // 4) * (w // 4), 1024)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(1024, k)

    def forward(self, x):
        z = self.pool1(self.relu1(self.conv1(x)))
        z = self.pool2(self.relu2(self.conv2(z)))
        z = z.reshape(z.shape[0], -1)
        return self.fc2(self.relu3(self.fc1(z)))


class BasicBlock(nn.Module):
    def __init__(self, c_in, width, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, width, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(width, width, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.relu_out = nn.ReLU()
        self.downsample = None
        if stride != 1 or c_in != width:
            self.downsample = nn.Sequential(nn.Conv2d(c_in, width, 1, stride, bias=False), nn.BatchNorm2d(width))

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        out = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        return self.relu_out(out + idt)


class ResNet18(nn.Module):
    """model/resnet.rs with the CIFAR stem (torchvision's keys; one ReLU module per use)."""

    def __init__(self, c, k):
        super().__init__()
        self.conv1 = nn.Conv2d(c, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        layers, c_in = [], 64
        for i, width in enumerate([64, 128, 256, 512]):
            blocks = []
            for b in range(2):
                stride = 2 if i > 0 and b == 0 else 1
                blocks.append(BasicBlock(c_in, width, stride))
                c_in = width
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, k)

    def forward(self, x):
        z = self.relu(self.bn1(self.conv1(x)))
        z = self.layer4(self.layer3(self.layer2(self.layer1(z))))
        return self.fc(self.avgpool(z).reshape(x.shape[0], -1))


def flat(t):
    return t.detach().reshape(t.shape[0], -1).numpy().astype(np.float32)


class Writer:
    def __init__(self, out, name):
        self.out, self.name, self.cases = out, name, []

    def save(self, suffix, array):
        fname = f"{self.name}_{suffix}.npy"
        np.save(os.path.join(self.out, fname), np.ascontiguousarray(array))
        return fname

    def case(self, label, method, attr, **params):
        self.cases.append({"label": label, "method": method, "file": self.save(label, flat(attr)), **params})


def run_model(out, name, model, shape, k, spec, seed, lrp):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    keys = fill_weights(model)
    model.eval()
    c, h, w = shape
    d = c * h * w
    x = torch.from_numpy(rng.random((N, c, h, w), dtype=np.float32))
    y = torch.from_numpy(rng.integers(0, k, N))
    u = torch.from_numpy(rng.random((N, c, h, w), dtype=np.float32))
    bg = torch.from_numpy(rng.random((BACKGROUND, c, h, w), dtype=np.float32))
    pred = model(x).argmax(1)
    wr = Writer(out, name)
    files = {"x": wr.save("x", x.numpy()), "y": wr.save("y", y.numpy().astype(np.int64)), "u": wr.save("u", flat(u)), "bg": wr.save("bg", flat(bg)),
             "logits": wr.save("logits", model(x).detach().numpy())}

    # Saliency of every target (abs=False: Captum's default takes the magnitude).
    sal = Saliency(model)
    wr.case("saliency_logit_predicted", "saliency", sal.attribute(x, target=pred, abs=False), target="logit:predicted")
    wr.case("saliency_logit_true", "saliency", sal.attribute(x, target=y, abs=False), target="logit:true")
    wr.case("saliency_logit_2", "saliency", sal.attribute(x, target=2, abs=False), target="logit:2")
    prob = Saliency(lambda z: F.softmax(model(z), 1))
    wr.case("saliency_probability_true", "saliency", prob.attribute(x, target=y, abs=False), target="probability:true")
    loss = Saliency(lambda z: F.cross_entropy(model(z), y, reduction="none"))
    wr.case("saliency_loss", "saliency", loss.attribute(x, abs=False), target="loss")
    wr.case("saliency_sum_logits", "saliency", Saliency(lambda z: model(z).sum(1)).attribute(x, abs=False), target="sum-logits")
    wr.case("saliency_logsumexp", "saliency", Saliency(lambda z: torch.logsumexp(model(z), 1)).attribute(x, abs=False), target="logsumexp")
    wr.case("input_x_gradient", "input_x_gradient", InputXGradient(model).attribute(x, target=pred), target="logit:predicted")

    # Integrated Gradients, every rule, zero baseline; Gauss-Legendre from a given baseline.
    ig = IntegratedGradients(model)
    for rule, cap in [("left", "riemann_left"), ("right", "riemann_right"), ("middle", "riemann_middle"), ("trapezoid", "riemann_trapezoid"), ("gauss_legendre", "gausslegendre")]:
        a = ig.attribute(x, baselines=0.0, target=pred, n_steps=IG_STEPS, method=cap)
        wr.case(f"ig_{rule}", "integrated_gradients", a, target="logit:predicted", rule=rule, steps=IG_STEPS, baseline="zero")
    a = ig.attribute(x, baselines=u, target=pred, n_steps=IG_STEPS, method="gausslegendre")
    wr.case("ig_gauss_legendre_given", "integrated_gradients", a, target="logit:predicted", rule="gauss_legendre", steps=IG_STEPS, baseline="given")

    # NoiseTunnel around Saliency with given noise (rows i*n + j, as repeat_interleave lays them out).
    noise = torch.from_numpy(rng.standard_normal((N * NT_SAMPLES, c, h, w)).astype(np.float32) * np.float32(NT_SIGMA))
    files["nt_noise"] = wr.save("nt_noise", noise.reshape(N, NT_SAMPLES * d).numpy())
    for kind in ["smoothgrad", "smoothgrad_sq", "vargrad"]:
        with mock.patch("torch.normal", lambda mean, std: noise.clone()):
            a = NoiseTunnel(Saliency(model)).attribute(x, nt_type=kind, nt_samples=NT_SAMPLES, stdevs=NT_SIGMA, target=pred, abs=False)
        wr.case(f"noise_{kind}", "noise", a, target="logit:predicted", kind=kind, samples=NT_SAMPLES)

    # GradientShap with given draws.
    idx = rng.integers(0, BACKGROUND, N * SHAP_SAMPLES)
    alpha = rng.random(N * SHAP_SAMPLES, dtype=np.float32)
    gnoise = torch.from_numpy(rng.standard_normal((N * SHAP_SAMPLES, c, h, w)).astype(np.float32) * np.float32(SHAP_SIGMA))
    files["shap_index"] = wr.save("shap_index", idx.astype(np.int64))
    files["shap_alpha"] = wr.save("shap_alpha", alpha)
    files["shap_noise"] = wr.save("shap_noise", flat(gnoise))
    with mock.patch("numpy.random.choice", lambda n, size: idx.copy()), mock.patch("numpy.random.uniform", lambda lo, hi, size: alpha.astype(np.float64)), mock.patch(
        "torch.normal", lambda mean, std: gnoise.clone()
    ):
        a = GradientShap(model).attribute(x, baselines=bg, n_samples=SHAP_SAMPLES, stdevs=SHAP_SIGMA, target=pred)
    wr.case("gradient_shap", "gradient_shap", a, target="logit:predicted", samples=SHAP_SAMPLES)

    # DeepLIFT (zero and given baselines), DeepSHAP, Guided Backprop.
    wr.case("deeplift_zero", "deeplift", DeepLift(model).attribute(x, baselines=0.0, target=pred), target="logit:predicted", baseline="zero")
    wr.case("deeplift_given", "deeplift", DeepLift(model).attribute(x, baselines=u, target=pred), target="logit:predicted", baseline="given")
    wr.case("deep_shap", "deep_shap", DeepLiftShap(model).attribute(x, baselines=bg, target=pred), target="logit:predicted")
    wr.case("guided_backprop", "guided_backprop", GuidedBackprop(model).attribute(x, target=pred), target="logit:predicted")

    # LRP: epsilon rule everywhere; z+ on Linear and Conv2d (Alpha1-Beta0 with the bias zeroed).
    if lrp:
        wr.case("lrp_epsilon", "lrp", LRP(model).attribute(x, target=pred), target="logit:predicted", rule="epsilon")
        for m in model.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                m.rule = Alpha1_Beta0_Rule(set_bias_to_zero=True)
        wr.case("lrp_zplus", "lrp", LRP(model).attribute(x, target=pred), target="logit:predicted", rule="z_plus")
        for m in model.modules():
            if hasattr(m, "rule"):
                del m.rule

    # Occlusion: 3x3 patches over all channels, stride 2, filled with 0.
    a = Occlusion(model).attribute(x, sliding_window_shapes=(c, 3, 3), strides=(c, 2, 2), baselines=0.0, target=pred)
    wr.case("occlusion", "occlusion", a, target="logit:predicted", window=3, stride=2, fill=0.0)

    return {"name": name, "spec": spec, "input": [c, h, w], "classes": k, "keys": keys, "files": files, "cases": wr.cases}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/captum"
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    k = 3
    relu = "relu"
    mlp = Mlp(36, [32, 16], k)
    models = [
        run_model(out, "mlp", mlp, (1, 6, 6), k, {"kind": "mlp", "hidden": [32, 16], "activation": relu, "mean_field": False}, 1, True),
        run_model(out, "cnn", MadryCnn(1, 8, 8, k), (1, 8, 8), k, {"kind": "madry_cnn", "activation": relu}, 2, True),
        run_model(out, "resnet18", ResNet18(3, k), (3, 8, 8), k, {"kind": "res_net", "depth": "R18", "stem": "cifar", "activation": relu}, 3, False),
    ]
    torch.save(mlp.state_dict(), os.path.join(out, "mlp.pt"))
    manifest = {
        "generator": "tests/support/captum_reference.py",
        "torch": torch.__version__,
        "captum": captum.__version__,
        "numpy": np.__version__,
        "examples": N,
        "models": models,
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"wrote {out}: {sum(len(m['cases']) for m in models)} cases over {len(models)} models")


if __name__ == "__main__":
    main()
