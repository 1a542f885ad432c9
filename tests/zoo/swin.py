"""timm Swin Transformer, a two-stage tiny configuration at 64x64: 4x4 windows, shifted windows
(roll + attention mask), relative position bias looked up through its index table, patch
merging. Random weights (seeded)."""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zoo_common import image  # noqa: E402  (first: the torchvision shim)

# isort: split

from timm.models.swin_transformer import SwinTransformer  # noqa: E402

SIZE = 64


def model() -> torch.nn.Module:
    torch.manual_seed(0)
    return SwinTransformer(img_size=SIZE, patch_size=4, window_size=4, embed_dim=32,
                           depths=(2, 2), num_heads=(2, 4), num_classes=10)


def example_inputs() -> tuple[torch.Tensor, ...]:
    return (image(SIZE),)
