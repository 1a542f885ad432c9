"""A loop inside a cond: when sum(x) > 0, a while_loop halves x until no element is >= 1
(a data-dependent trip count) and counts the trips; otherwise x is negated (count -1)."""

import torch
from torch import nn
from torch._higher_order_ops.while_loop import while_loop


class LoopInCond(nn.Module):
    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        def halve_until_small(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            steps = x.sum() * 0.0
            out = while_loop(lambda s, y: (y >= 1.0).sum() > 0, lambda s, y: (s + 1.0, y * 0.5),
                             (steps, x))
            return out[1], out[0]

        def negate(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            return x * -1.0, x.sum() * 0.0 - 1.0

        return torch.cond(x.sum() > 0, halve_until_small, negate, (x,))


def model() -> nn.Module:
    return LoopInCond().eval()


def example_inputs() -> tuple[torch.Tensor, ...]:
    return (torch.tensor([3.0, 0.5, 1.0]),)  # 2 trips


def test_inputs() -> list[tuple[torch.Tensor, ...]]:
    return [
        (torch.tensor([-3.0, 0.5, 1.0]),),  # cond false
        (torch.tensor([0.25, 0.5, 0.125]),),  # cond true, no trip
        (torch.tensor([40.0, 2.0, 1.0]),),  # 6 trips
    ]
