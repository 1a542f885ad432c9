"""timm ConvNeXt-Atto at 64x64: patchify stem, 7x7 depthwise convolutions, layer norm over
channels (channels-last permutes and LayerNorm2d), layer scale, GELU. Random weights (seeded)."""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zoo_common import image  # noqa: E402  (first: the torchvision shim)

# isort: split

import timm  # noqa: E402

SIZE = 64


def model() -> torch.nn.Module:
    torch.manual_seed(0)
    return timm.create_model("convnext_atto", pretrained=False, num_classes=10)


def example_inputs() -> tuple[torch.Tensor, ...]:
    return (image(SIZE),)
