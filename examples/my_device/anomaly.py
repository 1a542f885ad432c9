"""A small anomaly detector: an autoencoder over 64 sensor features, with this project's custom
operator (my_ops::soft_threshold, my_ops.py) sparsifying its bottleneck.

The application reports the reconstruction; a large error between input and reconstruction
flags an anomaly. Weights and the example input come from fixed seeds.
"""

import my_ops  # noqa: F401  (defines torch.ops.my_ops.soft_threshold)
import torch
from torch import nn


class AnomalyDetector(nn.Module):
    def __init__(self, features: int = 64, hidden: int = 32, code: int = 8) -> None:
        super().__init__()
        self.encode = nn.Sequential(nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, code))
        self.decode = nn.Sequential(nn.Linear(code, hidden), nn.ReLU(), nn.Linear(hidden, features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        code = torch.ops.my_ops.soft_threshold(self.encode(x), 0.05)
        return self.decode(code)


def model() -> nn.Module:
    torch.manual_seed(0)
    return AnomalyDetector().eval()


def example_inputs() -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(2)
    return (torch.randn(1, 64, generator=generator),)
