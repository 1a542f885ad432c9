"""Two independent branches of similar cost, joined at the end: the model of the asynchronous
delegate benchmark (tools/bench/async_delegate.py, issue 15 part 4).

  image branch (XNNPACK takes all of it): DEPTH x (3x3 convolution + ReLU) over a
      1 x CHANNELS x SIZE x SIZE image, global average pool, linear -> 1 x CHANNELS;
  sequence branch (slimtorch's XNNPACK partitioner leaves all of it to the portable kernels:
      Debian's XNNPACK has no batch matrix multiply, transpose, tanh, layer norm or sum):
      BLOCKS x (a = tanh(h @ h^T); h = layer_norm(a @ h)) over 1 x SEQ x WIDTH, sum over the
      sequence -> 1 x WIDTH;
  join: torch.cat of the two (concatenation: also left to the portable kernels, so the delegate
      depends on nothing the sequence branch computes and the two can overlap).

The branches take separate inputs (image, sequence), so no instruction of the sequence branch
touches a tensor of the delegate. forward() computes the image branch first, so its DelegateCall
comes before the sequence branch's instructions. Model-file contract: model(), example_inputs();
SLIMTORCH_TWO_BRANCH=image or =sequence makes the file one branch alone (what the benchmark
times as "branch alone"; default: both).
"""

from __future__ import annotations

import os

import torch
from torch import nn

CHANNELS, SIZE, DEPTH = 32, 32, 5
SEQ, WIDTH, BLOCKS = 96, 64, 6


class ImageBranch(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv2d(3 if i == 0 else CHANNELS, CHANNELS, 3, padding=1) for i in range(DEPTH)
        )
        self.fc = nn.Linear(CHANNELS, CHANNELS)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        h = image
        for conv in self.convs:
            h = torch.relu(conv(h))
        return self.fc(h.mean(dim=(2, 3)))


class SequenceBranch(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.norms = nn.ModuleList(nn.LayerNorm(WIDTH) for _ in range(BLOCKS))

    def forward(self, seq: torch.Tensor) -> torch.Tensor:
        h = seq
        for norm in self.norms:
            a = torch.tanh(torch.bmm(h, h.transpose(1, 2)))
            h = norm(torch.bmm(a, h))
        return h.sum(dim=1)


class TwoBranch(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.image = ImageBranch()
        self.sequence = SequenceBranch()

    def forward(self, image: torch.Tensor, seq: torch.Tensor) -> torch.Tensor:
        a = self.image(image)  # first: the delegate starts before the portable branch
        b = self.sequence(seq)
        return torch.cat([a, b], dim=1)


def image_input() -> torch.Tensor:
    return torch.randn(1, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(1))


def sequence_input() -> torch.Tensor:
    return torch.randn(1, SEQ, WIDTH, generator=torch.Generator().manual_seed(2)) * 0.2


def _part() -> str:
    part = os.environ.get("SLIMTORCH_TWO_BRANCH", "both")
    if part not in ("both", "image", "sequence"):
        raise ValueError(f"SLIMTORCH_TWO_BRANCH={part!r}: give both, image or sequence")
    return part


def model() -> nn.Module:
    torch.manual_seed(0)
    whole = TwoBranch().eval()  # the same weights whichever part is asked for
    return {"both": whole, "image": whole.image, "sequence": whole.sequence}[_part()]


def example_inputs() -> tuple[torch.Tensor, ...]:
    return {
        "both": (image_input(), sequence_input()),
        "image": (image_input(),),
        "sequence": (sequence_input(),),
    }[_part()]
