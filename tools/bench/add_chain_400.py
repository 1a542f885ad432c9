"""400 chained one-element float adds (see add_chain.py), as a model file."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
from add_chain import AddChain, inputs  # noqa: E402


def model() -> torch.nn.Module:
    return AddChain(400).eval()


def example_inputs() -> tuple[torch.Tensor, torch.Tensor]:
    return inputs()
