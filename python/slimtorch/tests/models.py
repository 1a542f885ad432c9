"""Small models used by several tests (module + example inputs)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class TwoOutputs(nn.Module):
    def forward(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return x + y, (x * y).sum()


class ConvNet(nn.Module):
    """Conv, batch norm, pooling, split/cat (multi-output ops), views, a buffer."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4 * 4 * 4, 5)
        self.register_buffer("scale", torch.tensor(2.0))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        y = F.max_pool2d(F.relu(self.bn(self.conv(x))), 2)
        a, b = torch.split(y, 2, dim=1)
        y = torch.cat([b, a], dim=1) * self.scale
        return self.fc(y.flatten(1)), y.mean(dim=(2, 3), keepdim=True), y.transpose(1, 2)[:, 1:3]


class Misc(nn.Module):
    """Scalars in tensor slots, dtype casts, factories, int inputs, layer norm, indexing."""

    def forward(self, x: torch.Tensor, i: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return (
            x.sum(-1),
            x.argmax(dim=1),
            torch.where(x > 0, x, 0.5),
            x.to(torch.float64),
            x.unsqueeze(0).expand(2, -1, -1),
            i + 3,
            F.layer_norm(x, (x.shape[-1],)),
            x[i],
        )


def two_outputs() -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    g = torch.Generator().manual_seed(2)
    return TwoOutputs(), (torch.randn(2, 3, generator=g), torch.randn(2, 3, generator=g))


def conv_net() -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    torch.manual_seed(3)
    m = ConvNet().eval()
    with torch.no_grad():  # non-trivial batch-norm statistics
        m.bn.running_mean.uniform_(-0.5, 0.5)
        m.bn.running_var.uniform_(0.5, 2.0)
    return m, (torch.randn(2, 3, 8, 8, generator=torch.Generator().manual_seed(4)),)


def misc() -> tuple[nn.Module, tuple[torch.Tensor, ...]]:
    x = torch.randn(3, 5, generator=torch.Generator().manual_seed(5))
    return Misc(), (x, torch.tensor([0, 2]))
