"""A model too big for the mps3-an547 (tests/memory/test_too_big_build.py): a Linear on 2048
rows of 256 floats plans 2 MiB of input and 2 MiB of output, live at once; SRAM has 2 MiB."""

import torch


def model() -> torch.nn.Module:
    return torch.nn.Linear(256, 256)


def example_inputs() -> tuple[torch.Tensor, ...]:
    return (torch.randn(2048, 256),)
