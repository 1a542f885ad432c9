"""Dynamic shapes with bounds: an MLP over a batch of 1 to 8 rows (Dim('batch', max=8)).
Memory is planned for 8 rows; the runtime runs any batch size within the bound."""

import torch
from torch import nn


class DynamicMLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(6, 8)
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.relu(self.fc1(x))) + 0.5


def model() -> nn.Module:
    torch.manual_seed(0)
    return DynamicMLP().eval()


def example_inputs() -> tuple[torch.Tensor, ...]:
    return (torch.randn(4, 6, generator=torch.Generator().manual_seed(1)),)


def dynamic_shapes() -> tuple[dict[int, torch.export.Dim], ...]:
    return ({0: torch.export.Dim("batch", min=1, max=8)},)


def test_inputs() -> list[tuple[torch.Tensor, ...]]:
    g = torch.Generator().manual_seed(2)
    return [(torch.randn(1, 6, generator=g),), (torch.randn(8, 6, generator=g),),
            (torch.randn(3, 6, generator=g),)]
