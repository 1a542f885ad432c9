"""MobileNetV2 (Sandler et al. 2018, table 2): inverted residual blocks, depthwise
convolutions, ReLU6, linear bottlenecks.

Width 0.35 at 1x3x96x96 by default (tests on the host and the Cortex-M55), with a 2-class head
as in the microcontroller person-detection use of this size (a 1000-class head alone would be
5 MB of weights). The host benchmark sets SLIMTORCH_MOBILENET_V2=1.0 for width 1.0 at
1x3x224x224 with the ImageNet 1000-class head (the variable takes `<width>` or
`<width>x<resolution>`, e.g. `0.5x128`). Weights come from fixed seeds.
"""

import os

import torch
from torch import nn

# (expansion t, output channels c, repeats n, first stride s) at width 1.0
_SETTINGS = [
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
]


def _config() -> tuple[float, int]:
    spec = os.environ.get("SLIMTORCH_MOBILENET_V2", "0.35x96")
    width, _, res = spec.partition("x")
    w = float(width)
    return w, int(res) if res else (224 if w == 1.0 else 96)


def _divisible(v: float, divisor: int = 8) -> int:
    # torchvision's rounding of scaled channel counts
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


def _bn(c: int) -> nn.BatchNorm2d:
    bn = nn.BatchNorm2d(c)
    with torch.no_grad():
        bn.running_mean.uniform_(-0.1, 0.1)
        bn.running_var.uniform_(0.8, 1.2)
        bn.weight.uniform_(0.5, 1.0)
        bn.bias.uniform_(-0.1, 0.1)
    return bn


def _conv_bn(
    cin: int, cout: int, k: int, stride: int, groups: int = 1, act: bool = True
) -> list[nn.Module]:
    layers: list[nn.Module] = [
        nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
        _bn(cout),
    ]
    if act:
        layers.append(nn.ReLU6())
    return layers


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = cin * expand
        layers: list[nn.Module] = []
        if expand != 1:
            layers += _conv_bn(cin, hidden, 1, 1)
        layers += _conv_bn(hidden, hidden, 3, stride, groups=hidden)
        layers += _conv_bn(hidden, cout, 1, 1, act=False)
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        return x + y if self.residual else y


class MobileNetV2(nn.Module):
    def __init__(self, width: float, classes: int = 1000) -> None:
        super().__init__()
        cin = _divisible(32 * width)
        last = _divisible(1280 * max(1.0, width))
        layers: list[nn.Module] = _conv_bn(3, cin, 3, 2)
        for t, c, n, s in _SETTINGS:
            cout = _divisible(c * width)
            for i in range(n):
                layers.append(InvertedResidual(cin, cout, s if i == 0 else 1, t))
                cin = cout
        layers += _conv_bn(cin, last, 1, 1)
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(last, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = torch.mean(x, dim=(2, 3))
        return self.classifier(x)


def model() -> nn.Module:
    torch.manual_seed(0)
    width, res = _config()
    return MobileNetV2(width, classes=1000 if res == 224 else 2).eval()


def example_inputs() -> tuple[torch.Tensor, ...]:
    _, res = _config()
    generator = torch.Generator().manual_seed(1)
    return (torch.randn(1, 3, res, res, generator=generator),)
