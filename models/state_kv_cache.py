"""Mutable state: a small KV cache. Each call writes this step's key and value at the
next free position (index_put_ via `cache[:, pos] = ...`; `pos` is a buffer counting the
calls) and attends over the cache. Initial values (zero caches, pos 0) are in the program;
calling it N times matches N calls in PyTorch."""

import torch
from torch import nn

MAX_LEN = 6


class KVCache(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.k_proj = nn.Linear(4, 4)
        self.v_proj = nn.Linear(4, 4)
        self.register_buffer("k_cache", torch.zeros(1, MAX_LEN, 4))
        self.register_buffer("v_cache", torch.zeros(1, MAX_LEN, 4))
        self.register_buffer("pos", torch.zeros(1, dtype=torch.int64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (1, 1, 4), this step's input
        self.k_cache[:, self.pos] = self.k_proj(x)
        self.v_cache[:, self.pos] = self.v_proj(x)
        self.pos.add_(1)
        scores = torch.softmax(torch.bmm(x, self.k_cache.transpose(1, 2)), dim=-1)
        return torch.bmm(scores, self.v_cache)


def model() -> nn.Module:
    torch.manual_seed(0)
    return KVCache().eval()


def example_inputs() -> tuple[torch.Tensor, ...]:
    return (torch.tensor([[[0.5, -1.0, 0.25, 2.0]]]),)


def test_inputs() -> list[tuple[torch.Tensor, ...]]:
    return [(torch.tensor([[[-0.5, 1.0, 1.5, 0.0]]]),)]
