"""my_ops::my_op on a float64 input, for the kernel's dtype check: my_op_kernels.cc supports
float32 only, so running this program fails at my_ops::my_op.out naming the argument."""

import importlib.util
import os
import sys

import torch
from torch import nn

# my_ops.py (beside this file) defines the custom op; import it once per process.
_NAME = "slimtorch_model_my_ops"
if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        _NAME, os.path.join(os.path.dirname(os.path.abspath(__file__)), "my_ops.py")
    )
    assert _spec is not None and _spec.loader is not None
    sys.modules[_NAME] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules[_NAME])


class Double(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(torch.ops.my_ops.my_op(x, 1.5))


def model() -> nn.Module:
    return Double().eval()


def example_inputs() -> tuple[torch.Tensor, ...]:
    return (torch.linspace(-2, 2, 6, dtype=torch.float64).reshape(2, 3),)
