"""The ATen ops (torch.export's graph) the int8 quantizer annotates and the lowering matches:
one list for both (quantizer.py, lowering.py). No torchao import here, so that the lowering
and the CLI load without it and `--quantize int8` can say torchao is missing."""

from __future__ import annotations

import torch

aten = torch.ops.aten

CONVS = (aten.conv2d.default, aten.conv2d.padding)
LINEARS = (aten.linear.default,)
# Activations a convolution, linear or add absorbs as activation_min / activation_max.
FUSED_ACTIVATIONS = (
    aten.relu.default, aten.relu_.default, aten.relu6.default, aten.hardtanh.default,
    aten.hardtanh_.default, aten.clamp.default,
)
ADDS = (aten.add.Tensor, aten.add_.Tensor)
MULS = (aten.mul.Tensor, aten.mul_.Tensor)
# Ops whose output has the quantization of their (first) input.
SHARED_OUTPUT = (
    aten.avg_pool2d.default, aten.adaptive_avg_pool2d.default, aten.mean.dim,
    aten.max_pool2d.default, aten.flatten.using_ints, aten.view.default, aten.reshape.default,
    aten.squeeze.dim, aten.squeeze.dims, aten.squeeze.default, aten.unsqueeze.default,
    aten.dropout.default, aten.dropout_.default, aten.contiguous.default, aten.clone.default,
    aten.permute.default, aten.transpose.int,
)
CATS = (aten.cat.default, aten.concat.default)
