"""Chains of one-element float adds: the framework-tax benchmark's programs.

`AddChain(n)` computes x + y + y + ... (n adds), so its program is n KernelCall
instructions of aten::add.out on one-element tensors: the kernel body is tiny,
and what is left is the runtime's own cost per instruction. The model files
add_chain_200.py / add_chain_400.py (for the firmware build) wrap it.
"""

import torch
from torch import nn


class AddChain(nn.Module):
    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        for _ in range(self.n):
            x = x + y
        return x


def inputs() -> tuple[torch.Tensor, torch.Tensor]:
    return (torch.tensor([0.5]), torch.tensor([0.25]))
