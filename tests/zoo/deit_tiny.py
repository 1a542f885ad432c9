"""timm DeiT-Tiny (ViT, patch 16) at img_size 64: 16 patches + class token, learned position
embeddings, pre-norm attention blocks with GELU MLPs. Random weights (seeded)."""

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
    return timm.create_model("deit_tiny_patch16_224", pretrained=False, img_size=SIZE,
                             num_classes=10)


def example_inputs() -> tuple[torch.Tensor, ...]:
    return (image(SIZE),)
