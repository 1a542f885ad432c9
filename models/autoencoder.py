"""MLPerf Tiny anomaly detection: the fully-connected autoencoder, input 1x640.

Layer shapes follow the MLPerf Tiny reference (`anomaly_detection/keras_model.py`): 640 ->
128 -> 128 -> 128 -> 128 -> 8 -> 128 -> 128 -> 128 -> 128 -> 640, every hidden layer dense +
batch norm + ReLU, the output layer dense only. Weights come from fixed seeds.
"""

import torch
from torch import nn


def _bn(c: int) -> nn.BatchNorm1d:
    bn = nn.BatchNorm1d(c)
    with torch.no_grad():
        bn.running_mean.uniform_(-0.2, 0.2)
        bn.running_var.uniform_(0.5, 1.5)
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.1, 0.1)
    return bn


class AutoEncoder(nn.Module):
    def __init__(self, dim: int = 640, hidden: int = 128, code: int = 8) -> None:
        super().__init__()
        widths = [dim, hidden, hidden, hidden, hidden, code, hidden, hidden, hidden, hidden]
        layers: list[nn.Module] = []
        for a, b in zip(widths[:-1], widths[1:], strict=True):
            layers += [nn.Linear(a, b), _bn(b), nn.ReLU()]
        layers.append(nn.Linear(hidden, dim))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def model() -> nn.Module:
    torch.manual_seed(0)
    return AutoEncoder().eval()


def example_inputs() -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(1)
    return (torch.randn(1, 640, generator=generator),)
