"""torchvision LR-ASPP (MobileNetV3-Large backbone) segmentation on a 64x64 image: adaptive
average pooling, sigmoid gating, bilinear upsampling (align_corners=False) back to the input size.

Random weights (seeded); batch norms calibrated on seeded images. The model returns a dict: the
zoo runs its "out" entry.
"""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zoo_common import Output, calibrated_cnn, image  # noqa: E402  (first: the torchvision shim)

# isort: split

import torchvision  # noqa: E402

SIZE = 64


def model() -> torch.nn.Module:
    torch.manual_seed(0)
    seg = torchvision.models.segmentation.lraspp_mobilenet_v3_large(
        weights=None, weights_backbone=None, num_classes=4
    )
    return Output(calibrated_cnn(seg, SIZE), ("input",), "out")


def example_inputs() -> tuple[torch.Tensor, ...]:
    return (image(SIZE),)
