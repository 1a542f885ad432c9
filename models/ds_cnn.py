"""MLPerf Tiny keyword spotting: DS-CNN (small), input 1x1x49x10 (MFCC frames x coefficients).

Layer shapes follow the MLPerf Tiny reference (`kws/keras_model.py`, ds_cnn small): a 10x4
stride-2 convolution to 64 channels, four depthwise-separable blocks (3x3 depthwise + 1x1
pointwise, 64 channels, batch norm and ReLU after each), average pooling over the remaining
25x5 map and a 12-way classifier. Weights and batch-norm statistics come from fixed seeds.
"""

import torch
from torch import nn


def _bn(c: int) -> nn.BatchNorm2d:
    bn = nn.BatchNorm2d(c)
    with torch.no_grad():  # non-trivial statistics, so batch norm is really exercised
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 1.5)
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.2, 0.2)
    return bn


class DSCNN(nn.Module):
    def __init__(self, channels: int = 64, blocks: int = 4, classes: int = 12) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.Conv2d(1, channels, (10, 4), stride=(2, 2), padding=(5, 1)),
            _bn(channels),
            nn.ReLU(),
        ]
        for _ in range(blocks):
            layers += [
                nn.Conv2d(channels, channels, 3, padding=1, groups=channels),
                _bn(channels),
                nn.ReLU(),
                nn.Conv2d(channels, channels, 1),
                _bn(channels),
                nn.ReLU(),
            ]
        self.features = nn.Sequential(*layers)
        self.pool = nn.AvgPool2d((25, 5))
        self.fc = nn.Linear(channels, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.features(x))
        return self.fc(torch.flatten(x, 1))


def model() -> nn.Module:
    torch.manual_seed(0)
    return DSCNN().eval()


def example_inputs() -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(1)
    return (torch.randn(1, 1, 49, 10, generator=generator),)
