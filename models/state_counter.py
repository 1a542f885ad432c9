"""Mutable state: a call counter and a running sum kept in buffers, updated in place on
every call. Their initial values (3 and 0.5s) are in the program."""

import torch
from torch import nn


class StateCounter(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("count", torch.tensor([3], dtype=torch.int64))
        self.register_buffer("total", torch.full((4,), 0.5))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        self.count.add_(1)
        self.total.add_(x)
        return self.count.clone(), self.total * 2.0


def model() -> nn.Module:
    return StateCounter().eval()


def example_inputs() -> tuple[torch.Tensor, ...]:
    return (torch.tensor([1.0, -2.0, 0.25, 4.0]),)
