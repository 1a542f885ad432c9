"""timm DeiT-Tiny (ViT, patch 16, width 192, 3 heads) at img_size 64: 16 patches + class token,
learned position embeddings, pre-norm attention blocks (fused scaled-dot-product attention) with
GELU MLPs. 4 of its 12 blocks: each exporter's passes cost time per node, and the blocks are all
alike. Random weights (seeded)."""

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
                             depth=4, num_classes=10)


def example_inputs() -> tuple[torch.Tensor, ...]:
    return (image(SIZE),)
