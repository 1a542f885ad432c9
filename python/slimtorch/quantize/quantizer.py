"""slimtorch's PT2E quantizer: int8 annotations for torchao's prepare_pt2e / convert_pt2e.

What it asks for (issue 13), matching what upstream's `cortex_m::` operators compute with:
- activations: int8 per tensor, affine ([-128, 127], a zero point), min/max observed;
- convolution weights: int8 symmetric per output channel ([-127, 127], zero point 0);
- linear weights: int8 symmetric PER TENSOR. Reason: upstream's `quantized_linear` reference
  (ops/operators.py) requantizes every output with `requantize_multipliers[0]` alone (CMSIS-NN's
  arm_fully_connected_s8 takes one multiplier), so per-channel linear weights would be computed
  wrongly by that operator. The alternative, a per-channel linear lowered as a 1x1
  `quantized_conv2d` over a [N, K, 1, 1] view, would need two layout copies around every linear
  for what is, in the models here (classifier heads, the autoencoder's 128-wide layers), a small
  accuracy gain; per tensor keeps linear on the operator built for it.
- bias: int32, scale = input scale * weight scale (per channel for convolutions), zero point 0.

Patterns (torch.export's ATen graph, after prepare_pt2e folded batch norm into convolutions):
conv2d (depthwise included) and linear, each with a following relu / relu6 / hardtanh / clamp
fused (the activation's output carries the quantization, the lowering turns it into
activation_min/max); add (+ relu); mul; avg_pool2d, adaptive_avg_pool2d, mean over H and W, and
max_pool2d (output shares the input's quantization: the operators have one zero point and
scale for both); flatten / view / reshape / squeeze / unsqueeze / dropout / identity-like ops
(share the input's quantization); cat (inputs and output share one quantization). Anything
else stays float: prepare_pt2e puts dequantize before it and quantize after it.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch.fx import Node
from torchao.quantization.pt2e import observer as obs
from torchao.quantization.pt2e.quantizer import (
    DerivedQuantizationSpec,
    QuantizationAnnotation,
    QuantizationSpec,
    QuantizationSpecBase,
    Quantizer,
    SharedQuantizationSpec,
)

from slimtorch.quantize.patterns import (
    ADDS,
    CATS,
    CONVS,
    FUSED_ACTIVATIONS,
    LINEARS,
    MULS,
    SHARED_OUTPUT,
)

aten = torch.ops.aten

ACTIVATION = QuantizationSpec(
    dtype=torch.int8, quant_min=-128, quant_max=127, qscheme=torch.per_tensor_affine,
    observer_or_fake_quant_ctr=obs.MinMaxObserver.with_args(eps=2**-16),
)
CONV_WEIGHT = QuantizationSpec(
    dtype=torch.int8, quant_min=-127, quant_max=127, qscheme=torch.per_channel_symmetric,
    ch_axis=0, observer_or_fake_quant_ctr=obs.PerChannelMinMaxObserver.with_args(eps=2**-16),
)
LINEAR_WEIGHT = QuantizationSpec(
    dtype=torch.int8, quant_min=-127, quant_max=127, qscheme=torch.per_tensor_symmetric,
    observer_or_fake_quant_ctr=obs.MinMaxObserver.with_args(eps=2**-16),
)



def _bias_qparams(observers: list[obs.ObserverBase]) -> tuple[torch.Tensor, torch.Tensor]:
    act, weight = observers
    act_scale, _ = act.calculate_qparams()
    w_scale, _ = weight.calculate_qparams()
    scale = (act_scale * w_scale).to(torch.float32)
    return scale, torch.zeros(scale.shape, dtype=torch.int32)


def _bias_spec(x: Node, w: Node, node: Node, per_channel: bool) -> DerivedQuantizationSpec:
    return DerivedQuantizationSpec(
        derived_from=[(x, node), (w, node)], derive_qparams_fn=_bias_qparams,
        dtype=torch.int32, quant_min=-(2**31), quant_max=2**31 - 1,
        qscheme=torch.per_channel_symmetric if per_channel else torch.per_tensor_symmetric,
        ch_axis=0 if per_channel else None,
    )


def _is_float_tensor(n: object) -> bool:
    if not isinstance(n, Node):
        return False
    val = n.meta.get("val")
    return isinstance(val, torch.Tensor) and val.dtype.is_floating_point


def _annotated(n: Node) -> bool:
    a = n.meta.get("quantization_annotation")
    return isinstance(a, QuantizationAnnotation) and a._annotated


def _annotate(n: Node, inputs: dict[Node, QuantizationSpecBase | None],
              output: QuantizationSpecBase | None) -> None:
    n.meta["quantization_annotation"] = QuantizationAnnotation(
        input_qspec_map=inputs, output_qspec=output, _annotated=True)


def fused_activation(n: Node) -> Node | None:
    """The relu/relu6/hardtanh/clamp that alone reads `n` (and can be folded into it)."""
    if len(n.users) != 1:
        return None
    user = next(iter(n.users))
    if user.op != "call_function" or user.target not in FUSED_ACTIVATIONS:
        return None
    if user.target == aten.clamp.default:
        lo = user.args[1] if len(user.args) > 1 else user.kwargs.get("min")
        hi = user.args[2] if len(user.args) > 2 else user.kwargs.get("max")
        if not all(v is None or isinstance(v, int | float) for v in (lo, hi)):
            return None
    return user


class SlimtorchQuantizer(Quantizer):
    """int8 per-tensor activations, per-channel conv weights, per-tensor linear weights."""

    def annotate(self, model: torch.fx.GraphModule) -> torch.fx.GraphModule:
        for n in model.graph.nodes:
            if n.op != "call_function" or _annotated(n):
                continue
            if n.target in CONVS or n.target in LINEARS:
                self._annotate_weighted(n)
            elif n.target in ADDS or n.target in MULS:
                self._annotate_binary(n)
            elif n.target in SHARED_OUTPUT:
                x = n.args[0]
                if _is_float_tensor(x):
                    assert isinstance(x, Node)
                    _annotate(n, {x: ACTIVATION}, SharedQuantizationSpec((x, n)))
            elif n.target in CATS:
                self._annotate_cat(n)
        return model

    def _annotate_weighted(self, n: Node) -> None:
        x, w = n.args[0], n.args[1]
        b = n.args[2] if len(n.args) > 2 else n.kwargs.get("bias")
        if not (_is_float_tensor(x) and _is_float_tensor(w)):
            return
        assert isinstance(x, Node) and isinstance(w, Node)
        conv = n.target in CONVS
        inputs: dict[Node, QuantizationSpecBase | None] = {
            x: ACTIVATION, w: CONV_WEIGHT if conv else LINEAR_WEIGHT}
        if isinstance(b, Node):
            inputs[b] = _bias_spec(x, w, n, per_channel=conv)
        self._annotate_with_activation(n, inputs)

    def _annotate_with_activation(self, n: Node,
                                  inputs: dict[Node, QuantizationSpecBase | None]) -> None:
        act = fused_activation(n)
        if act is None:
            _annotate(n, inputs, ACTIVATION)
        else:  # the activation's output is the quantized one; n's stays float, unobserved
            _annotate(n, inputs, None)
            _annotate(act, {}, ACTIVATION)

    def _annotate_binary(self, n: Node) -> None:
        a, b = n.args[0], n.args[1]
        if not (_is_float_tensor(a) and _is_float_tensor(b)):
            return  # a scalar operand: stays float
        if n.kwargs.get("alpha", 1) != 1:
            return
        assert isinstance(a, Node) and isinstance(b, Node)
        inputs: dict[Node, QuantizationSpecBase | None] = {a: ACTIVATION, b: ACTIVATION}
        if n.target in ADDS:
            self._annotate_with_activation(n, inputs)
        else:
            _annotate(n, inputs, ACTIVATION)

    def _annotate_cat(self, n: Node) -> None:
        tensors = n.args[0]
        if not isinstance(tensors, Iterable):
            return
        tensors = list(tensors)
        if not tensors or not all(_is_float_tensor(t) for t in tensors):
            return
        first = tensors[0]
        shared = SharedQuantizationSpec((first, n))
        inputs: dict[Node, QuantizationSpecBase | None] = {first: ACTIVATION}
        for t in tensors[1:]:
            inputs[t] = shared
        _annotate(n, inputs, shared)

    def validate(self, model: torch.fx.GraphModule) -> None:
        return None
