"""MACs of a program (slimtorch/macs.py) against the layer shapes of the PyTorch model.

The reference is computed from the modules themselves: a convolution costs out elements x
in_channels / groups x kH x kW, a linear out elements x in_features, a bmm out elements x K.
"""

from __future__ import annotations

import pytest
import torch

from slimtorch import macs, pte


class Net(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.depthwise = torch.nn.Conv2d(8, 8, 3, stride=2, groups=8)
        self.pointwise = torch.nn.Conv2d(8, 16, 1)
        self.fc = torch.nn.Linear(16 * 3 * 3, 10)
        self.norms = torch.nn.ModuleList(torch.nn.BatchNorm2d(c) for c in (8, 8, 16))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # conv, batch norm, ReLU: the pattern upstream's Cortex-M quantizer lowers whole
        for conv, norm in zip((self.conv, self.depthwise, self.pointwise), self.norms,
                              strict=True):
            x = torch.relu(norm(conv(x)))
        return self.fc(x.flatten(1))


def reference_macs(net: Net, x: torch.Tensor) -> int:
    total = 0

    def conv_hook(m: torch.nn.Conv2d, _: object, out: torch.Tensor) -> None:
        nonlocal total
        kh, kw = m.kernel_size
        total += out.numel() * (m.in_channels // m.groups) * kh * kw

    def linear_hook(m: torch.nn.Linear, _: object, out: torch.Tensor) -> None:
        nonlocal total
        total += out.numel() * m.in_features

    for m in net.modules():
        if isinstance(m, torch.nn.Conv2d):
            m.register_forward_hook(conv_hook)
        elif isinstance(m, torch.nn.Linear):
            m.register_forward_hook(linear_hook)
    with torch.no_grad():
        net(x)
    return total


def _net() -> tuple[Net, tuple[torch.Tensor]]:
    torch.manual_seed(0)
    return Net().eval(), (torch.randn(1, 3, 8, 8),)


def test_slimtorch_float_program() -> None:
    from slimtorch import exporter
    from slimtorch.model_file import LoadedModel

    net, inputs = _net()
    loaded = LoadedModel(path="Net", module=net, example_inputs=inputs, dynamic_shapes=None)
    program = pte.read_pte(exporter.export_model(loaded).to_bytes())
    assert macs.total_macs(program) == reference_macs(net, inputs[0])


def test_upstream_float_program() -> None:
    pytest.importorskip("executorch.exir", reason="needs upstream executorch==1.5.1")
    from slimtorch.upstream import export_program

    net, inputs = _net()
    program = pte.read_pte(export_program(net, inputs))
    assert macs.total_macs(program) == reference_macs(net, inputs[0])
    assert set(macs.program_macs(program)) == {"aten::convolution", "aten::addmm"}


def test_upstream_cortex_m_int8_program() -> None:
    pytest.importorskip("executorch.backends.cortex_m", reason="needs upstream executorch==1.5.1")
    pytest.importorskip("tosa_serializer", reason="upstream's Cortex-M flow imports tosa-tools")
    from slimtorch.upstream import export_cortex_m_program

    net, inputs = _net()
    cl = torch.channels_last  # the flow lowers convolutions of channels-last activations
    calibration = [(torch.randn(1, 3, 8, 8).to(memory_format=cl),) for _ in range(4)]
    data, _ = export_cortex_m_program(net, (inputs[0].to(memory_format=cl),), calibration)
    program = pte.read_pte(data)
    assert macs.total_macs(program) == reference_macs(net, inputs[0])
    assert {"cortex_m::quantized_conv2d", "cortex_m::quantized_depthwise_conv2d",
            "cortex_m::quantized_linear"} <= set(macs.program_macs(program))
