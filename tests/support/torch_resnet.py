"""A torchvision-style ResNet in plain PyTorch (imported by torch_resnet_fixture.py, which writes
the fixtures tests/models_conv.rs reads; run alone it writes a reference of its own).

Usage: python torch_resnet.py OUT_DIR DEPTH STEM CLASSES C H W BATCH SEED
  DEPTH in {18, 50}, STEM in {cifar, imagenet}.

Writes OUT_DIR/resnet.pt (`torch.save(model.state_dict())`, keys exactly as torchvision's
resnet18/resnet50), resnet_extra.pt / resnet_missing.pt (one key added / removed), and
OUT_DIR/reference.json ({"x": [[...]], "logits": [[...]]}, inputs
flattened C*H*W per example, logits in eval mode). The module tree mirrors
torchvision.models.resnet (BasicBlock, Bottleneck v1.5, downsample = Sequential(conv1x1, BN)),
written out so the test needs torch only. BN affine parameters and running statistics are
randomised so that eval-mode BN is not the identity and a mis-mapped key changes the logits.
"""

import json
import sys

import torch
from torch import nn


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, c_in, width, stride, downsample):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, width, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(width, width, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.downsample = downsample

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + idt)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, c_in, width, stride, downsample):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, width * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(width * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + idt)


class ResNet(nn.Module):
    def __init__(self, depth, stem, classes, c):
        super().__init__()
        block, counts = {18: (BasicBlock, [2, 2, 2, 2]), 50: (Bottleneck, [3, 4, 6, 3])}[depth]
        if stem == "cifar":
            self.conv1 = nn.Conv2d(c, 64, 3, 1, 1, bias=False)
            self.maxpool = nn.Identity()
        else:
            self.conv1 = nn.Conv2d(c, 64, 7, 2, 3, bias=False)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        c_in = 64
        for i, (width, n) in enumerate(zip([64, 128, 256, 512], counts)):
            blocks = []
            for b in range(n):
                stride = 2 if i > 0 and b == 0 else 1
                ds = None
                if stride != 1 or c_in != width * block.expansion:
                    ds = nn.Sequential(
                        nn.Conv2d(c_in, width * block.expansion, 1, stride, bias=False),
                        nn.BatchNorm2d(width * block.expansion),
                    )
                blocks.append(block(c_in, width, stride, ds))
                c_in = width * block.expansion
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c_in, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for i in range(1, 5):
            x = getattr(self, f"layer{i}")(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


def main():
    out, depth, stem, classes, c, h, w, batch, seed = sys.argv[1:]
    depth, classes, c, h, w, batch, seed = map(int, (depth, classes, c, h, w, batch, seed))
    torch.manual_seed(seed)
    model = ResNet(depth, stem, classes, c)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.num_batches_tracked.fill_(7)
    model.eval()
    x = torch.randn(batch, c, h, w)
    with torch.no_grad():
        logits = model(x)
    sd = model.state_dict()
    torch.save(sd, f"{out}/resnet.pt")
    # Two broken variants for the loader's error messages: one key too many, one key too few.
    torch.save({**sd, "extra.weight": torch.zeros(3)}, f"{out}/resnet_extra.pt")
    torch.save({k: v for k, v in sd.items() if k != "layer2.0.downsample.1.running_var"}, f"{out}/resnet_missing.pt")
    with open(f"{out}/reference.json", "w") as f:
        json.dump({"x": x.reshape(batch, -1).double().tolist(), "logits": logits.double().tolist()}, f)


if __name__ == "__main__":
    main()
