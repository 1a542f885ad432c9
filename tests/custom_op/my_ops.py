"""A model with a custom operator: Linear(8, 16) -> my_ops::my_op -> ReLU -> Linear(16, 4).

`my_ops::my_op(x, alpha) = x / (1 + alpha * |x|)` (a scaled softsign), defined with torch.library:
the functional schema, the out variant `my_ops::my_op.out` (the one instruction the program
calls), a Python reference kernel for each (PyTorch eager runs it: the io dir's expected
outputs) and a fake kernel so torch.export can trace shapes. The device kernel is
my_op_kernels.cc, listed in custom_ops.yaml.
"""

import torch
from torch import nn

if not hasattr(torch.ops.my_ops, "my_op"):  # a second import of this file defines nothing
    torch.library.define("my_ops::my_op", "(Tensor x, float alpha) -> Tensor")
    torch.library.define(
        "my_ops::my_op.out", "(Tensor x, float alpha, *, Tensor(a!) out) -> Tensor(a!)"
    )

    # CompositeExplicitAutograd: torch.export keeps the op whole (an implicit kernel would be
    # traced through and decomposed).
    @torch.library.impl("my_ops::my_op", "CompositeExplicitAutograd")
    def _my_op(x: torch.Tensor, alpha: float) -> torch.Tensor:
        return x / (1 + alpha * x.abs())

    @torch.library.register_fake("my_ops::my_op")
    def _my_op_fake(x: torch.Tensor, alpha: float) -> torch.Tensor:
        return torch.empty_like(x)

    @torch.library.impl("my_ops::my_op.out", "CompositeExplicitAutograd")
    def _my_op_out(x: torch.Tensor, alpha: float, *, out: torch.Tensor) -> torch.Tensor:
        out.copy_(x / (1 + alpha * x.abs()))
        return out


class CustomOpModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = torch.ops.my_ops.my_op(self.fc1(x), 1.5)
        return self.fc2(torch.relu(hidden))


def model() -> nn.Module:
    torch.manual_seed(0)
    return CustomOpModel().eval()


def example_inputs() -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(1)
    return (torch.randn(2, 8, generator=generator),)
