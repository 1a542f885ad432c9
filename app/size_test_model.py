"""A model with no operators (it returns its input): the program //app:size_test embeds.

Its program has one value, one input, one output and no instructions, so an
image that runs it holds the runtime core alone: loading and verification,
method init and the execute loop, with no kernels.
"""

import torch
from torch import nn


class Identity(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def model() -> nn.Module:
    return Identity().eval()


def example_inputs() -> tuple[torch.Tensor, ...]:
    return (torch.ones(4),)
