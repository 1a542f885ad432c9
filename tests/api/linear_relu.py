"""A model file whose core-ATen graph has mm followed by add (x @ w + b): the pattern
fuse_mm_add.py fuses into addmm."""

import torch


class LinearRelu(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.w = torch.nn.Parameter(torch.randn(8, 6, generator=g))
        self.b = torch.nn.Parameter(torch.randn(6, generator=g))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x @ self.w + self.b) * 2.0


def model() -> torch.nn.Module:
    return LinearRelu()


def example_inputs() -> tuple[torch.Tensor]:
    return (torch.randn(4, 8, generator=torch.Generator().manual_seed(1)),)
