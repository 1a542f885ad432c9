"""A pre-norm transformer encoder block over token ids: embedding (vocabulary 256) plus learned
positions, layer norm, 4-head self-attention, residual, layer norm, GELU feed-forward (4x
width), residual, final layer norm. Sequence 32, width 64. Input: 1x32 int64 token ids.
Weights come from fixed seeds.
"""

import math

import torch
from torch import nn

VOCAB, SEQ, WIDTH, HEADS = 256, 32, 64, 4


class TransformerBlock(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, WIDTH)
        self.pos = nn.Parameter(torch.randn(SEQ, WIDTH) * 0.1)
        self.ln1 = nn.LayerNorm(WIDTH)
        self.qkv = nn.Linear(WIDTH, 3 * WIDTH)
        self.proj = nn.Linear(WIDTH, WIDTH)
        self.ln2 = nn.LayerNorm(WIDTH)
        self.ff1 = nn.Linear(WIDTH, 4 * WIDTH)
        self.ff2 = nn.Linear(4 * WIDTH, WIDTH)
        self.ln_out = nn.LayerNorm(WIDTH)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embed(tokens) + self.pos  # [B, S, W]
        b, s, w = x.shape
        hd = w // HEADS
        q, k, v = self.qkv(self.ln1(x)).split(w, dim=-1)
        q = q.reshape(b, s, HEADS, hd).transpose(1, 2)  # [B, H, S, hd]
        k = k.reshape(b, s, HEADS, hd).transpose(1, 2)
        v = v.reshape(b, s, HEADS, hd).transpose(1, 2)
        att = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(hd), dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, s, w)
        x = x + self.proj(y)
        x = x + self.ff2(nn.functional.gelu(self.ff1(self.ln2(x))))
        return self.ln_out(x)


def model() -> nn.Module:
    torch.manual_seed(0)
    return TransformerBlock().eval()


def example_inputs() -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(1)
    return (torch.randint(0, VOCAB, (1, SEQ), generator=generator),)
