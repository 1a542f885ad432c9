"""while_loop with a data-dependent trip count and loop-carried tensors: doubles x and
accumulates it until the step counter reaches n (an input), i.e. n trips.

Upstream ExecuTorch's exporter refuses while_loop; slimtorch emits it as a JumpFalse
back-edge for its own runtime.
"""

import torch
from torch import nn
from torch._higher_order_ops.while_loop import while_loop


class LoopWhile(nn.Module):
    def forward(self, x: torch.Tensor, n: torch.Tensor) -> tuple[torch.Tensor, ...]:
        def cond_fn(i: torch.Tensor, x: torch.Tensor, acc: torch.Tensor) -> torch.Tensor:
            return i < n

        def body_fn(i: torch.Tensor, x: torch.Tensor,
                    acc: torch.Tensor) -> tuple[torch.Tensor, ...]:
            return i + 1, x * 2.0, acc + x

        i0 = n - n  # a 0 counter of n's dtype and shape
        return tuple(while_loop(cond_fn, body_fn, (i0, x, x * 0.0)))


def model() -> nn.Module:
    return LoopWhile().eval()


def example_inputs() -> tuple[torch.Tensor, ...]:
    return (torch.tensor([1.0, -0.5, 0.25]), torch.tensor(3))


def test_inputs() -> list[tuple[torch.Tensor, ...]]:
    return [
        (torch.tensor([0.5, 2.0, -1.0]), torch.tensor(0)),  # no trip
        (torch.tensor([0.5, 2.0, -1.0]), torch.tensor(1)),
        (torch.tensor([1.5, -0.125, 3.0]), torch.tensor(7)),
    ]
