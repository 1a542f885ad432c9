"""torchvision EfficientNet-B0 on a 64x64 image: SiLU, sigmoid squeeze-excitation, depthwise
convolutions. Random weights (seeded); batch norms calibrated on seeded images."""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zoo_common import calibrated_cnn, image  # noqa: E402  (first: the torchvision shim)

# isort: split

import torchvision  # noqa: E402

SIZE = 64


def model() -> torch.nn.Module:
    torch.manual_seed(0)
    return calibrated_cnn(torchvision.models.efficientnet_b0(num_classes=100), SIZE)


def example_inputs() -> tuple[torch.Tensor, ...]:
    return (image(SIZE),)
