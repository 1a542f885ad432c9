"""A small float MLP: Linear(16, 32) -> ReLU -> Linear(32, 4) -> softmax.

The reference model of the demo, the tests and the size checks. Weights and
the example input come from fixed seeds, so every export is identical.
"""

import torch
from torch import nn


class MLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(16, 32)
        self.fc2 = nn.Linear(32, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = torch.relu(self.fc1(x))
        return torch.softmax(self.fc2(hidden), dim=-1)


def model() -> nn.Module:
    torch.manual_seed(0)
    return MLP().eval()


def example_inputs() -> tuple[torch.Tensor, ...]:
    # Batch 2, so no dimension of the computation is degenerate.
    generator = torch.Generator().manual_seed(1)
    return (torch.randn(2, 16, generator=generator),)
