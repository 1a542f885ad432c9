"""A small keyword spotter: MFCC-like features (1 x 49 x 10) -> 12 keyword scores.

Two convolutions (the second depthwise-separable), average pooling over time
and frequency, a linear classifier and softmax: the shape of a DS-CNN, at a
size that builds and runs in seconds. Weights and the example input come from
fixed seeds, so every export is identical.
"""

import torch
from torch import nn


class KeywordSpotter(nn.Module):
    def __init__(self, keywords: int = 12, channels: int = 16) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, channels, kernel_size=(5, 3), stride=(2, 2), padding=(2, 1))
        self.depthwise = nn.Conv2d(channels, channels, 3, padding=1, groups=channels)
        self.pointwise = nn.Conv2d(channels, channels, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels, keywords)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.conv(features))
        x = torch.relu(self.pointwise(self.depthwise(x)))
        x = self.pool(x).flatten(1)
        return torch.softmax(self.classifier(x), dim=-1)


def model() -> nn.Module:
    torch.manual_seed(0)
    return KeywordSpotter().eval()


def example_inputs() -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(1)
    return (torch.randn(1, 1, 49, 10, generator=generator),)
