"""scan: an RNN-like cell over a sequence, h' = tanh(h @ W + x_t), carrying h and stacking
every step's h (loop-carried tensor, one trip per sequence step); and map over the steps.
xs is (steps, 1, 4), h is (1, 4)."""

import torch
from torch import nn
from torch._higher_order_ops.map import map as map_rows
from torch._higher_order_ops.scan import scan


class LoopScan(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.randn(4, 4) * 0.5)

    def forward(self, xs: torch.Tensor, h0: torch.Tensor) -> tuple[torch.Tensor, ...]:
        def step(h: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            h2 = torch.tanh(h @ self.w + x)
            return h2, h2 * 1.0

        h, hs = scan(step, h0, xs)
        scaled = map_rows(lambda row, h: row * h, xs, h)
        return h, hs, scaled


def model() -> nn.Module:
    torch.manual_seed(0)
    return LoopScan().eval()


def example_inputs() -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(2)
    return (torch.randn(5, 1, 4, generator=g), torch.zeros(1, 4))


def test_inputs() -> list[tuple[torch.Tensor, ...]]:
    g = torch.Generator().manual_seed(3)
    return [(torch.randn(5, 1, 4, generator=g), torch.randn(1, 4, generator=g))]
