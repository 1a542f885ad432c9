"""slimtorch's XNNPACK backend (Python side): which nodes it takes, and their lowering to
upstream's XNNPACK delegate blob (the `XH00` header and the `XN01` graph of upstream's
`backends/xnnpack/serialization/schema.fbs`), which upstream's runtime and slimtorch's
`backends/xnnpack` runtime backend both execute.

`supports` accepts only what `preprocess` lowers and what Debian's XNNPACK (2022-02) builds:
float32 fully connected / convolution (depthwise when groups == channels) with constant
weights (a following batch norm folded in), relu / hardtanh / clamp (fused into the producer
when possible), add / sub / mul / div / maximum / minimum, sigmoid, hardswish, leaky_relu, elu,
abs, neg, floor, ceil, sqrt, softmax on the last dim, max / avg pooling, mean over H,W, view,
constant_pad_nd, bilinear upsampling. Everything else (bmm, gelu, tanh, exp, cat, slice,
permutes of activations, int8, dynamic shapes) stays on the portable kernels.
"""

from __future__ import annotations

import operator
from typing import Any

import torch

from slimtorch.backends import Partition, Preprocessed
from slimtorch.backends.xnnpack.lower import (
    BATCH_NORM,
    BINARY,
    CLAMPS,
    UNARY,
    XnnLowerError,
    preprocess_partition,
)
from slimtorch.backends.xnnpack.serialize import (
    XnnBlobError,
    XnnGraphSummary,
    parse_blob,
    read_blob,
    serialize_blob,
)

aten = torch.ops.aten
MAX_RANK = 4


def _val(x: Any) -> Any:
    return x.meta.get("val") if isinstance(x, torch.fx.Node) else None


def _static_f32(x: Any, max_rank: int = MAX_RANK) -> bool:
    """A float32 tensor value of static shape and rank <= max_rank."""
    v = _val(x)
    if not isinstance(v, torch.Tensor) or v.dtype != torch.float32 or v.dim() > max_rank:
        return False
    return all(isinstance(d, int) for d in v.shape)


def _is_constant(x: Any, ep: torch.export.ExportedProgram) -> bool:
    """A parameter, (unmutated) buffer or lifted constant of `ep`, or a node computed only from
    such (a weight's permute)."""
    if not isinstance(x, torch.fx.Node):
        return False
    if x.op == "get_attr":
        return True
    if x.op == "placeholder":
        sig = ep.graph_signature
        return (
            x.name in sig.inputs_to_parameters
            or x.name in sig.inputs_to_lifted_tensor_constants
            or (
                x.name in sig.inputs_to_buffers
                and sig.inputs_to_buffers[x.name] not in sig.buffers_to_mutate.values()
            )
        )
    if x.op == "call_function" and x.target in (aten.permute.default, aten.t.default):
        return _is_constant(x.args[0], ep)
    return False


def _arg(node: torch.fx.Node, i: int, name: str, default: Any) -> Any:
    if len(node.args) > i:
        return node.args[i]
    return node.kwargs.get(name, default)


def _getitems_only_first(node: torch.fx.Node) -> bool:
    return bool(node.users) and all(
        u.target == operator.getitem and u.args[1] == 0 for u in node.users
    )


class XnnpackBackend:
    """slimtorch's XNNPACK delegate. `constants_in`: "named" (upstream 1.5.1's choice: the
    program's named data under sha256 keys, shared between delegates) or "blob" (the blob's own
    constant section)."""

    name = "xnnpack"
    backend_id = "XnnpackBackend"

    def __init__(self, constants_in: str = "named") -> None:
        if constants_in not in ("named", "blob"):
            raise ValueError(f"constants_in={constants_in!r}: use 'named' or 'blob'")
        self.constants_in = constants_in

    def supports(self, node: torch.fx.Node, ep: torch.export.ExportedProgram) -> bool:
        try:
            return self._supports(node, ep)
        except (AttributeError, IndexError, KeyError, TypeError, ValueError):
            return False  # an unexpected argument form: leave the node to the portable kernels

    def _supports(self, node: torch.fx.Node, ep: torch.export.ExportedProgram) -> bool:
        if node.op != "call_function":
            return False
        t, a = node.target, node.args
        if t == operator.getitem:
            src = a[0]
            return (
                a[1] == 0
                and isinstance(src, torch.fx.Node)
                and src.target in (BATCH_NORM, aten.max_pool2d_with_indices.default)
                and self._supports(src, ep)
            )
        if t in (aten.permute.default, aten.t.default):  # a weight's transpose only
            return (
                _is_constant(a[0], ep)
                and _static_f32(node, 2)
                and all(
                    (u.target == aten.addmm.default and u.args[2] is node)
                    or (u.target == aten.mm.default and u.args[1] is node)
                    for u in node.users
                )
            )
        if t == BATCH_NORM:  # folded into the convolution / fully connected layer before it
            src = a[0]
            return (
                isinstance(src, torch.fx.Node)
                and len(src.users) == 1
                and src.target
                in (
                    aten.convolution.default,
                    aten.addmm.default,
                    aten.mm.default,
                    aten.linear.default,
                )
                and self._supports(src, ep)
                and _getitems_only_first(node)
                and all(x is None or _is_constant(x, ep) for x in a[1:5])
            )
        if t == aten.max_pool2d_with_indices.default:  # (values, indices): indices unused
            ceil = _arg(node, 5, "ceil_mode", False)
            return (
                _static_f32(a[0])
                and _val(a[0]).dim() == 4
                and not ceil
                and _getitems_only_first(node)
            )
        if not _static_f32(node) or not all(
            _static_f32(x) for x in node.all_input_nodes if isinstance(_val(x), torch.Tensor)
        ):
            return False
        if _val(node).dim() == 0:  # XNNPACK 2022's 0-d tensors are not worth the risk
            return False
        if t == aten.addmm.default:
            return (
                _arg(node, 3, "beta", 1) == 1
                and _arg(node, 4, "alpha", 1) == 1
                and _is_constant(a[0], ep)
                and _is_constant(a[2], ep)
                and _val(a[0]).numel() == _val(a[2]).shape[1]
            )
        if t == aten.mm.default:
            return _is_constant(a[1], ep) and _val(a[0]).dim() == 2
        if t == aten.linear.default:
            bias = a[2] if len(a) > 2 else None
            return (
                _val(a[0]).dim() >= 2
                and _is_constant(a[1], ep)
                and (bias is None or _is_constant(bias, ep))
            )
        if t == aten.convolution.default:
            bias = a[2]
            return (
                _val(a[0]).dim() == 4
                and _val(a[1]).dim() == 4
                and _is_constant(a[1], ep)
                and (bias is None or _is_constant(bias, ep))
                and not a[6]
                and len(a[3]) == 2
                and len(a[4]) == 2
                and len(a[5]) == 2
            )
        if t in CLAMPS:
            return all(isinstance(x, (int, float)) or x is None for x in a[1:3])
        if t in UNARY:
            return True
        if t == aten.leaky_relu.default:
            return True
        if t == aten.elu.default:
            return _arg(node, 2, "scale", 1) == 1 and _arg(node, 3, "input_scale", 1) == 1
        if t in BINARY:
            if t in (aten.add.Tensor, aten.sub.Tensor) and node.kwargs.get("alpha", 1) != 1:
                return False
            if t == aten.div.Tensor and node.kwargs.get("rounding_mode") is not None:
                return False
            return all(isinstance(x, (int, float)) or _static_f32(x) for x in a[:2])
        if t == aten._softmax.default:
            rank = _val(a[0]).dim()
            return not a[2] and a[1] in (-1, rank - 1)
        if t == aten.avg_pool2d.default:
            padding = list(_arg(node, 3, "padding", [0, 0]))
            return (
                _val(a[0]).dim() == 4
                and not _arg(node, 4, "ceil_mode", False)
                and (not any(padding) or not _arg(node, 5, "count_include_pad", True))
                and _arg(node, 6, "divisor_override", None) is None
            )
        if t == aten.mean.dim:
            rank = _val(a[0]).dim()
            return rank == 4 and sorted(d % 4 for d in a[1]) == [2, 3]
        if t in (aten.view.default, aten._unsafe_view.default, aten.reshape.default):
            return True
        if t == aten.upsample_bilinear2d.vec:  # output = input * scale exactly (or by size)
            x, out = _val(a[0]), _val(node)
            scales = a[3] if len(a) > 3 else None
            if x.dim() != 4:
                return False
            if scales is None:
                return True
            return all(
                o == i * sc for o, i, sc in zip(out.shape[2:], x.shape[2:], scales, strict=True)
            )
        if t == aten.constant_pad_nd.default:
            return all(p >= 0 for p in a[1]) and isinstance(_arg(node, 2, "value", 0), (int, float))
        return False

    def preprocess(self, partition: Partition) -> Preprocessed:
        blob, named = preprocess_partition(partition, self.constants_in)
        return Preprocessed(blob=blob, named_data=named)


backend = XnnpackBackend()

__all__ = [
    "XnnBlobError",
    "XnnGraphSummary",
    "XnnLowerError",
    "XnnpackBackend",
    "backend",
    "parse_blob",
    "read_blob",
    "serialize_blob",
]
