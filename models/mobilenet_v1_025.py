"""MLPerf Tiny visual wake words: MobileNetV1 width 0.25, input 1x3x96x96, 2 classes.

Layer shapes follow MobileNetV1 (Howard et al. 2017, table 1) with every channel count scaled
by 0.25: a 3x3 stride-2 convolution to 8 channels, thirteen depthwise-separable blocks
(3x3 depthwise, 1x1 pointwise, batch norm and ReLU after each) up to 256 channels, global
average pooling and a 2-way classifier. Weights come from fixed seeds.
"""

import torch
from torch import nn

# (output channels at width 1.0, depthwise stride) of the 13 separable blocks
_BLOCKS = (
    [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)]
    + [(512, 1)] * 5
    + [(1024, 2), (1024, 1)]
)


def _bn(c: int) -> nn.BatchNorm2d:
    bn = nn.BatchNorm2d(c)
    with torch.no_grad():
        bn.running_mean.uniform_(-0.2, 0.2)
        bn.running_var.uniform_(0.5, 1.5)
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.1, 0.1)
    return bn


class MobileNetV1(nn.Module):
    def __init__(self, width: float = 0.25, classes: int = 2) -> None:
        super().__init__()
        c = int(32 * width)
        layers: list[nn.Module] = [nn.Conv2d(3, c, 3, 2, 1, bias=False), _bn(c), nn.ReLU()]
        for out, stride in _BLOCKS:
            o = int(out * width)
            layers += [
                nn.Conv2d(c, c, 3, stride, 1, groups=c, bias=False),
                _bn(c),
                nn.ReLU(),
                nn.Conv2d(c, o, 1, bias=False),
                _bn(o),
                nn.ReLU(),
            ]
            c = o
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


def model() -> nn.Module:
    torch.manual_seed(0)
    return MobileNetV1().eval()


def example_inputs() -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(1)
    return (torch.randn(1, 3, 96, 96, generator=generator),)
