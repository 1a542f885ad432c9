"""The DS-CNN of models/ds_cnn.py at 4 channels and one depthwise-separable block: the same
operators (convolution, depthwise convolution, batch norm, ReLU, average pooling, linear) and the
same input, in a program small enough (a few KB) for the bit-flip sweep to flip every bit of it.
"""

import importlib.util
from pathlib import Path

import torch
from torch import nn

_spec = importlib.util.spec_from_file_location(
    "slimtorch_models_ds_cnn", Path(__file__).resolve().parents[2] / "models" / "ds_cnn.py"
)
assert _spec is not None and _spec.loader is not None
_ds_cnn = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_ds_cnn)


def model() -> nn.Module:
    torch.manual_seed(0)
    return _ds_cnn.DSCNN(channels=4, blocks=1, classes=3).eval()


def example_inputs() -> tuple[torch.Tensor, ...]:
    return _ds_cnn.example_inputs()
