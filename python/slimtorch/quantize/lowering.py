"""Lowering a converted PT2E graph (q/dq around float ATen ops) to upstream's `cortex_m::` ops.

Input: the GraphModule torchao's convert_pt2e returns. Every quantized tensor there is a
`quantized_decomposed.quantize_per_tensor` node feeding `dequantize_per_tensor` nodes; weights
are int8 constants (get_attr) under `dequantize_per_channel` / `dequantize_per_tensor`; a bias
is an int32 constant under a dequantize. A float op `f` whose inputs are dequantized int8
tensors and whose output (or that of the relu/relu6/hardtanh/clamp fused after it) goes to one
quantize node is replaced by one `cortex_m::` node computing that quantize node's int8 result
from the int8 inputs, with every parameter computed here (ops.py has the schemas; qparams.py the
fixed-point rule). The dequantize/quantize nodes it no longer needs die.

Layout, as upstream's Cortex-M flow has it: convolution, depthwise and pooling results are int8
NCHW-sized channels-last tensors (their fake implementations say so, and the emitter writes
dim_order [0, 2, 3, 1]); convolution weights OHWI, depthwise weights [1, kH, kW, Cout], a
convolution with one input channel is a depthwise one with depth_multiplier = Cout. A view
(flatten/reshape) of a channels-last tensor whose spatial size is not 1x1 first gets a copy to
the contiguous layout (aten.clone with contiguous_format, emitted as
dim_order_ops::_clone_dim_order).

What is left: quantize_per_tensor nodes become cortex_m::quantize_per_tensor (the program input
is float32, quantized inside), dequantize_per_tensor nodes cortex_m::dequantize_per_tensor
(float outputs, and the inputs of ops not lowered). Ops the lowering does not know stay float
ATen ops between them, with their weights dequantized at export; `LoweringReport.float_ops`
names them.

Scratch buffers are `aten.empty.memory_format([n], dtype=uint8)` nodes: the emitter plans them
as uint8 tensors (no instruction). Sizes: im2col rows for a convolution that is not 1x1
stride 1 unpadded (see scratch_bytes), 0 bytes otherwise.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.fx import GraphModule, Node

from slimtorch.quantize import ops, qparams
from slimtorch.quantize.patterns import (
    ADDS,
    CONVS,
    FUSED_ACTIVATIONS,
    LINEARS,
    MULS,
)

aten = torch.ops.aten
qd = torch.ops.quantized_decomposed

Q = (qd.quantize_per_tensor.default,)
DQ = (qd.dequantize_per_tensor.default,)
DQ_CHANNEL = (qd.dequantize_per_channel.default,)

# im2col scratch: rows of kH*kW*Cin int8 bytes, as many output pixels as fit in this many
# bytes (at least SCRATCH_MIN_ROWS rows, at most one per output pixel). More rows per matrix
# multiply are faster with Helium, and cost RAM: ResNet-8 on the M55 (QEMU -icount, Helium
# kernels) ran 6.00 M instructions with a 1 KB cap, 5.28 M with 4 KB, 5.11 M with 8 KB and
# 5.03 M with 16 KB, its planned RAM 29% of the float program's at 8 KB, 33% at 16 KB
# (MobileNetV1 and DS-CNN: within 0.6% across those caps).
SCRATCH_CAP_BYTES = 8 * 1024
SCRATCH_MIN_ROWS = 4

# Ops whose int8 result is the int8 input reinterpreted (shape ops sharing qparams).
_RESHAPES = (aten.flatten.using_ints, aten.view.default, aten.reshape.default,
             aten.squeeze.dim, aten.squeeze.dims, aten.squeeze.default, aten.unsqueeze.default)
_IDENTITIES = (aten.dropout.default, aten.dropout_.default, aten.contiguous.default,
               aten.clone.default)


class LoweringError(Exception):
    """The converted graph has a form the lowering cannot handle."""


@dataclass
class QParams:
    scale: float
    zero_point: int


@dataclass
class LoweringReport:
    lowered: dict[str, int] = field(default_factory=dict)  # cortex_m op -> count
    float_ops: list[str] = field(default_factory=list)  # ops left in float, with source line


def scratch_bytes(kh: int, kw: int, cin: int, out_pixels: int, stride: tuple[int, int],
                  padding: tuple[int, int]) -> int:
    """Scratch of a non-depthwise convolution: 0 for 1x1 stride-1 unpadded (one matrix
    multiply over the NHWC rows), else im2col rows of kh*kw*cin bytes."""
    if kh == kw == 1 and stride == (1, 1) and padding == (0, 0):
        return 0
    row = kh * kw * cin
    rows = min(out_pixels, max(SCRATCH_MIN_ROWS, SCRATCH_CAP_BYTES // row))
    return row * max(rows, 1)


def _arg(n: Node, i: int, name: str, default: Any) -> Any:
    if len(n.args) > i:
        return n.args[i]
    return n.kwargs.get(name, default)


def _pair(v: Any, default: int) -> tuple[int, int]:
    if v is None:
        return (default, default)
    if isinstance(v, int):
        return (v, v)
    items = [int(x) for x in v]
    if not items:
        return (default, default)
    return (items[0], items[0]) if len(items) == 1 else (items[0], items[1])


class _Lowering:
    def __init__(self, gm: GraphModule, model_file: str | None) -> None:
        self.gm = gm
        self.graph = gm.graph
        self.model_file = model_file
        self.report = LoweringReport()
        self.contiguous: set[Node] = set()  # 4-D int8 nodes in the contiguous layout
        self.shapes: dict[Node, tuple[int, ...]] = {}
        self.counter = 0

    # ------------------------------------------------------------ helpers
    def _shape(self, n: Any) -> tuple[int, ...] | None:
        if not isinstance(n, Node):
            return None
        val = n.meta.get("val")
        if isinstance(val, torch.Tensor):
            return tuple(int(s) for s in val.shape)
        if n in self.shapes:
            return self.shapes[n]
        if n.op == "call_function" and n.target in Q + DQ:  # inserted by convert_pt2e
            return self._shape(n.args[0])
        return None

    def _is_channels_last(self, n: Node) -> bool:
        """True for 4-D int8 activations: the lowered program keeps every one channels-last
        (the spatial cortex_m ops' results; the program input, exported channels-last; the
        quantized results of float ops, copied to channels-last in _finish_quant_nodes),
        except the views the reshape lowering makes (self.contiguous)."""
        shape = self._shape(n)
        return shape is not None and len(shape) == 4 and n not in self.contiguous

    @staticmethod
    def _layouts_differ(shape: tuple[int, ...] | None) -> bool:
        """Whether channels-last and contiguous memory differ for a tensor of `shape`."""
        return shape is not None and len(shape) == 4 and shape[1] > 1 and shape[2] * shape[3] > 1

    def _clone(self, n: Node, memory_format: torch.memory_format) -> Node:
        """A layout copy (emitted as dim_order_ops::_clone_dim_order)."""
        c = self.graph.call_function(aten.clone.default, (n,), {"memory_format": memory_format})
        shape = self._shape(n)
        if shape is not None:
            self.shapes[c] = shape
        if memory_format == torch.contiguous_format:
            self.contiguous.add(c)
        self.report.lowered["layout copies"] = self.report.lowered.get("layout copies", 0) + 1
        return c

    def _constant(self, n: Any) -> torch.Tensor | None:
        if isinstance(n, Node) and n.op == "get_attr":
            t = getattr(self.gm, str(n.target), None)
            return t if isinstance(t, torch.Tensor) else None
        return None

    def _add_constant(self, t: torch.Tensor, hint: str) -> Node:
        self.counter += 1
        name = f"_slimtorch_{hint}_{self.counter}"
        self.gm.register_buffer(name, t.contiguous())
        return self.graph.get_attr(name)

    def _input(self, a: Any) -> tuple[Node, QParams] | None:
        """(int8 node, qparams) when `a` is dequantize_per_tensor of an int8 activation."""
        if not (isinstance(a, Node) and a.op == "call_function" and a.target in DQ):
            return None
        src = a.args[0]
        if not isinstance(src, Node) or src.op == "get_attr":
            return None
        if a.args[5] != torch.int8:
            return None
        return src, QParams(float(a.args[1]), int(a.args[2]))  # type: ignore[arg-type]

    def _weight(self, a: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
        """(int values, scales [C] or [1], zero points) of a dequantized constant."""
        if not (isinstance(a, Node) and a.op == "call_function"):
            return None
        data = self._constant(a.args[0])
        if data is None:
            return None
        if a.target in DQ_CHANNEL:
            scales, zps = self._constant(a.args[1]), self._constant(a.args[2])
            if scales is None or zps is None or int(a.args[3]) != 0:  # type: ignore[arg-type]
                return None
            return data, scales.double(), zps.to(torch.int64)
        if a.target in DQ:
            return (data, torch.tensor([float(a.args[1])], dtype=torch.float64),  # type: ignore[arg-type]
                    torch.tensor([int(a.args[2])]))  # type: ignore[arg-type]
        return None

    def _output(self, n: Node) -> tuple[Node, QParams, Node | None] | None:
        """(quantize node, its qparams, fused activation or None) of float op `n`."""
        act: Node | None = None
        last = n
        if len(n.users) == 1:
            user = next(iter(n.users))
            if user.op == "call_function" and user.target in FUSED_ACTIVATIONS:
                act, last = user, user
        if len(last.users) != 1:
            return None
        q = next(iter(last.users))
        if not (q.op == "call_function" and q.target in Q and q.args[5] == torch.int8):
            return None
        return q, QParams(float(q.args[1]), int(q.args[2])), act  # type: ignore[arg-type]

    def _activation_range(self, act: Node | None, out: QParams) -> tuple[int, int]:
        lo, hi = qparams.INT8_MIN, qparams.INT8_MAX
        if act is None:
            return lo, hi
        if act.target in (aten.relu.default, aten.relu_.default):
            fmin, fmax = 0.0, None
        elif act.target == aten.relu6.default:
            fmin, fmax = 0.0, 6.0
        elif act.target in (aten.hardtanh.default, aten.hardtanh_.default):
            fmin, fmax = float(_arg(act, 1, "min_val", -1.0)), float(_arg(act, 2, "max_val", 1.0))
        else:  # clamp
            a, b = _arg(act, 1, "min", None), _arg(act, 2, "max", None)
            fmin = None if a is None else float(a)
            fmax = None if b is None else float(b)
        if fmin is not None:
            lo = qparams.quantize_value(fmin, out.scale, out.zero_point)
        if fmax is not None:
            hi = qparams.quantize_value(fmax, out.scale, out.zero_point)
        return lo, hi

    def _replace(self, q: Node, target: Any, args: tuple[Any, ...], name: str,
                 shape: tuple[int, ...] | None, channels_last: bool) -> Node:
        with self.graph.inserting_before(q):
            new = self.graph.call_function(target, args)
        q.replace_all_uses_with(new)
        self.report.lowered[name] = self.report.lowered.get(name, 0) + 1
        if shape is not None:
            self.shapes[new] = shape
        if not channels_last and shape is not None and len(shape) == 4:
            self.contiguous.add(new)
        return new

    def _scratch(self, nbytes: int) -> Node:
        return self.graph.call_function(
            aten.empty.memory_format, ([nbytes],), {"dtype": torch.uint8})

    # ------------------------------------------------------------ patterns
    def conv(self, n: Node) -> bool:
        x, out = self._input(n.args[0]), self._output(n)
        w = self._weight(n.args[1])
        if x is None or out is None or w is None:
            return False
        b_arg = _arg(n, 2, "bias", None)
        bias = None
        if b_arg is not None:
            bw = self._weight(b_arg)
            if bw is None:
                return False
            bias = bw[0].to(torch.int32)
        padding_arg = _arg(n, 4, "padding", 0)
        if isinstance(padding_arg, str):
            return False
        stride, padding = _pair(_arg(n, 3, "stride", 1), 1), _pair(padding_arg, 0)
        dilation, groups = _pair(_arg(n, 5, "dilation", 1), 1), int(_arg(n, 6, "groups", 1))
        (xin, xq), (q, oq, act) = x, out
        wt, wscale, wzp = w
        if wt.dim() != 4 or bool((wzp != 0).any()):
            return False
        cout, cin_g, kh, kw = wt.shape
        in_shape = self._shape(xin)
        if in_shape is None or len(in_shape) != 4:
            return False
        cin = in_shape[1]
        depthwise = cin_g == 1 and groups == cin and cout % cin == 0
        if groups != 1 and not depthwise:
            return False  # grouped convolution: no cortex_m operator
        scales = wscale.expand(cout) if wscale.numel() == 1 else wscale
        mults, shifts = zip(*(qparams.quantize_multiplier(xq.scale * float(s) / oq.scale)
                              for s in scales), strict=True)
        lo, hi = self._activation_range(act, oq)
        oh = (in_shape[2] + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
        ow = (in_shape[3] + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
        out_shape = (in_shape[0], cout, oh, ow)
        with self.graph.inserting_before(q):
            m_node = self._add_constant(torch.tensor(mults, dtype=torch.int32), "multipliers")
            s_node = self._add_constant(torch.tensor(shifts, dtype=torch.int32), "shifts")
            if depthwise or cin == 1:
                # [Cout, 1, kH, kW] -> [1, kH, kW, Cout]; one input channel: depthwise with
                # depth_multiplier = Cout (upstream does the same).
                w_node = self._add_constant(wt.permute(1, 2, 3, 0).contiguous(), "weight_ihwo")
                if bias is None:  # the depthwise kernels read a bias per channel
                    bias = torch.zeros(cout, dtype=torch.int32)
                b_node = self._add_constant(bias, "bias")
                scratch = self._scratch(0)
                args: tuple[Any, ...] = (
                    xin, w_node, b_node, list(stride), list(padding), list(dilation),
                    cout // cin, -xq.zero_point, oq.zero_point, m_node, s_node, lo, hi, scratch)
                target, name = ops.op("quantized_depthwise_conv2d"), "quantized_depthwise_conv2d"
            else:
                w_node = self._add_constant(wt.permute(0, 2, 3, 1).contiguous(), "weight_ohwi")
                b_node = None if bias is None else self._add_constant(bias, "bias")
                scratch = self._scratch(scratch_bytes(kh, kw, cin, oh * ow, stride, padding))
                args = (xin, w_node, b_node, list(stride), list(padding), list(dilation),
                        -xq.zero_point, oq.zero_point, m_node, s_node, lo, hi, scratch)
                target, name = ops.op("quantized_conv2d"), "quantized_conv2d"
        self._replace(q, target, args, name, out_shape, channels_last=True)
        return True

    def linear(self, n: Node) -> bool:
        x, out, w = self._input(n.args[0]), self._output(n), self._weight(n.args[1])
        if x is None or out is None or w is None:
            return False
        (xin, xq), (q, oq, act) = x, out
        wt, wscale, wzp = w
        if wt.dim() != 2 or wscale.numel() != 1 or int(wzp[0]) != 0:
            return False  # quantized_linear: per-tensor symmetric weights only
        b_arg = _arg(n, 2, "bias", None)
        bias = torch.zeros(wt.shape[0], dtype=torch.int64)
        if b_arg is not None:
            bw = self._weight(b_arg)
            if bw is None:
                return False
            bias = bw[0].to(torch.int64)
        in_shape = self._shape(xin)
        if in_shape is not None and self._is_channels_last(xin) and len(in_shape) == 4:
            return False
        input_offset = -xq.zero_point
        # CMSIS-NN's MVE fully connected reads kernel_sum[n] = bias[n] + input_offset *
        # sum_k w[n][k] instead of the bias (weights symmetric: no filter-offset terms).
        kernel_sum = (bias + input_offset * wt.to(torch.int64).sum(dim=1)).reshape(1, -1)
        mult, shift = qparams.quantize_multiplier(xq.scale * float(wscale[0]) / oq.scale)
        lo, hi = self._activation_range(act, oq)
        shape = None if in_shape is None else (*in_shape[:-1], int(wt.shape[0]))
        with self.graph.inserting_before(q):
            w_node = self._add_constant(wt.to(torch.int8), "weight")
            ks_node = self._add_constant(kernel_sum.to(torch.int32), "kernel_sum")
        self._replace(q, ops.op("quantized_linear"),
                      (xin, w_node, None, ks_node, input_offset, 0, oq.zero_point, [mult],
                       [shift], hi, lo), "quantized_linear", shape, channels_last=False)
        return True

    def add_or_mul(self, n: Node) -> bool:
        a, b, out = self._input(n.args[0]), self._input(n.args[1]), self._output(n)
        if a is None or b is None or out is None:
            return False
        (an, aq), (bn, bq), (q, oq, act) = a, b, out
        sa, sb = self._shape(an), self._shape(bn)
        if sa is None or sa != sb:
            return False  # broadcasting: stays float
        if self._is_channels_last(an) != self._is_channels_last(bn) and len(sa) == 4 \
                and sa[1] > 1 and sa[2] * sa[3] > 1:
            return False  # operands in different layouts
        cl = self._is_channels_last(an)
        if n.target in MULS:
            if act is not None:
                return False  # quantized_mul has no activation range
            mult, shift = qparams.quantize_multiplier(aq.scale * bq.scale / oq.scale)
            self._replace(q, ops.op("quantized_mul"),
                          (an, aq.zero_point, bn, bq.zero_point, oq.zero_point, mult, shift),
                          "quantized_mul", sa, cl)
            return True
        twice_max = 2 * max(aq.scale, bq.scale)
        am, ash = qparams.quantize_multiplier(aq.scale / twice_max)
        bm, bsh = qparams.quantize_multiplier(bq.scale / twice_max)
        om, osh = qparams.quantize_multiplier(
            twice_max / (oq.scale * (1 << qparams.ADD_LEFT_SHIFT)))
        # The operands, each below 2^(20+8-1) after their rescale, summed and shifted left
        # by osh must stay inside int32 (arm_nn_requantize's left shift does not saturate).
        if osh > 0 and 255 * (1 << qparams.ADD_LEFT_SHIFT) * (1 << osh) >= 2**31:
            return False
        lo, hi = self._activation_range(act, oq)
        self._replace(q, ops.op("quantized_add"),
                      (an, aq.zero_point, am, ash, bn, bq.zero_point, bm, bsh, oq.zero_point,
                       om, osh, lo, hi), "quantized_add", sa, cl)
        return True

    def _same_qparams(self, n: Node) -> tuple[Node, QParams, Node, tuple[int, ...]] | None:
        x, out = self._input(n.args[0]), self._output(n)
        if x is None or out is None or out[2] is not None:
            return None
        (xin, xq), (q, oq, _) = x, out
        if abs(xq.scale - oq.scale) > 1e-12 * xq.scale or xq.zero_point != oq.zero_point:
            return None
        shape = self._shape(xin)
        if shape is None:
            return None
        return xin, xq, q, shape

    def avg_pool(self, n: Node) -> bool:
        found = self._same_qparams(n)
        if found is None:
            return False
        xin, xq, q, shape = found
        if len(shape) != 4:
            return False
        h, w = shape[2], shape[3]
        keepdim = True
        if n.target == aten.avg_pool2d.default:
            kernel = _pair(n.args[1], 1)
            stride = _pair(_arg(n, 2, "stride", None) or kernel, 1)
            padding = _pair(_arg(n, 3, "padding", 0), 0)
            ceil_mode = bool(_arg(n, 4, "ceil_mode", False))
            count_include_pad = bool(_arg(n, 5, "count_include_pad", True))
            if _arg(n, 6, "divisor_override", None) is not None:
                return False
        elif n.target == aten.adaptive_avg_pool2d.default:
            oh, ow = _pair(n.args[1], 1)
            if h % oh or w % ow:
                return False  # uneven windows: stays float
            kernel = stride = (h // oh, w // ow)
            padding, ceil_mode, count_include_pad = (0, 0), False, False
        else:  # mean.dim over H and W
            dims = sorted(int(d) % 4 for d in n.args[1])  # type: ignore[union-attr]
            if dims != [2, 3]:
                return False
            keepdim = bool(_arg(n, 2, "keepdim", False))
            kernel = stride = (h, w)
            padding, ceil_mode, count_include_pad = (0, 0), False, False
        if ceil_mode:
            return False  # partial windows: stays float
        oh_ = (h + 2 * padding[0] - kernel[0]) // stride[0] + 1
        ow_ = (w + 2 * padding[1] - kernel[1]) // stride[1] + 1
        mult, shift = qparams.quantize_multiplier(xq.scale)
        src = xin
        with self.graph.inserting_before(q):
            if count_include_pad and padding != (0, 0):
                # Padded taps count as zeros: pad with the zero point first (NHWC order).
                pre = post = [0, padding[0], padding[1], 0]
                src = self.graph.call_function(ops.op("pad"), (xin, pre, post, xq.zero_point))
                self.report.lowered["pad"] = self.report.lowered.get("pad", 0) + 1
                self.shapes[src] = (shape[0], shape[1], h + 2 * padding[0], w + 2 * padding[1])
                padding = (0, 0)
            scratch = self._scratch(0)
        new = self._replace(q, ops.op("quantized_avg_pool2d"),
                            (src, list(kernel), list(stride), list(padding), ceil_mode,
                             xq.zero_point, mult, shift, scratch),
                            "quantized_avg_pool2d", (shape[0], shape[1], oh_, ow_), True)
        if not keepdim:
            with self.graph.inserting_after(new):
                view = self.graph.call_function(aten.view.default, (new, [shape[0], shape[1]]))
            new.replace_all_uses_with(view, delete_user_cb=lambda u: u is not view)
            self.shapes[view] = (shape[0], shape[1])
        return True

    def max_pool(self, n: Node) -> bool:
        found = self._same_qparams(n)
        if found is None:
            return False
        xin, xq, q, shape = found
        kernel = _pair(n.args[1], 1)
        stride = _pair(_arg(n, 2, "stride", None) or kernel, 1)
        padding = _pair(_arg(n, 3, "padding", 0), 0)
        dilation = _pair(_arg(n, 4, "dilation", 1), 1)
        ceil_mode = bool(_arg(n, 5, "ceil_mode", False))
        if ceil_mode or dilation != (1, 1) or len(shape) != 4:
            return False  # upstream's reference takes neither
        oh = (shape[2] + 2 * padding[0] - kernel[0]) // stride[0] + 1
        ow = (shape[3] + 2 * padding[1] - kernel[1]) // stride[1] + 1
        self._replace(q, ops.op("quantized_max_pool2d"),
                      (xin, list(kernel), list(stride), list(padding), list(dilation),
                       ceil_mode, xq.zero_point, xq.zero_point, qparams.INT8_MIN,
                       qparams.INT8_MAX), "quantized_max_pool2d",
                      (shape[0], shape[1], oh, ow), True)
        return True

    def reshape(self, n: Node) -> bool:
        found = self._same_qparams(n)
        if found is None:
            return False
        xin, _, q, shape = found
        out_val = n.meta.get("val")
        if not isinstance(out_val, torch.Tensor):
            return False
        out_shape = tuple(int(s) for s in out_val.shape)
        if n.target in _IDENTITIES:
            q.replace_all_uses_with(xin)
            return True
        src = xin
        with self.graph.inserting_before(q):
            if self._is_channels_last(xin) and self._layouts_differ(shape):
                # The int8 bytes are NHWC: a view needs the logical (contiguous) order first.
                src = self._clone(xin, torch.contiguous_format)
            new = self.graph.call_function(aten.view.default, (src, list(out_shape)))
            self.shapes[new] = out_shape
            self.contiguous.add(new)
            if self._layouts_differ(out_shape):  # 4-D again: back to channels-last
                new = self._clone(new, torch.channels_last)
        q.replace_all_uses_with(new)
        return True

    # ------------------------------------------------------------ driver
    def run(self) -> LoweringReport:
        patterns: list[tuple[tuple[Any, ...], Callable[[Node], bool]]] = [
            (CONVS, self.conv), (LINEARS, self.linear), (ADDS + MULS, self.add_or_mul),
            ((aten.avg_pool2d.default, aten.adaptive_avg_pool2d.default, aten.mean.dim),
             self.avg_pool),
            ((aten.max_pool2d.default,), self.max_pool),
            (_RESHAPES + _IDENTITIES, self.reshape),
        ]
        for n in list(self.graph.nodes):
            if n.op != "call_function":
                continue
            for targets, fn in patterns:
                if n.target in targets:
                    fn(n)
                    break
        self.graph.eliminate_dead_code()
        self._finish_quant_nodes()
        self.graph.eliminate_dead_code()
        self._collect_float_ops()
        self.graph.lint()
        self.gm.recompile()
        return self.report

    def _finish_quant_nodes(self) -> None:
        """Remaining q/dq -> cortex_m ops; remaining dequantized constants -> float constants."""
        for n in list(self.graph.nodes):
            if n.op != "call_function":
                continue
            if n.target in DQ + DQ_CHANNEL and self._constant(n.args[0]) is not None:
                w = self._weight(n)
                if w is None:
                    raise LoweringError(f"cannot read the quantized constant {n.name}")
                data, scales, zps = w
                if n.target in DQ_CHANNEL:
                    view = [-1] + [1] * (data.dim() - 1)
                    f = (data.double() - zps.reshape(view)) * scales.reshape(view)
                else:
                    f = (data.double() - int(zps[0])) * float(scales[0])
                with self.graph.inserting_before(n):
                    const = self._add_constant(f.float(), "dequantized")
                n.replace_all_uses_with(const)
            elif n.target in Q + DQ:
                if n.args[5] != torch.int8:
                    raise LoweringError(f"{n.name}: only int8 activations are supported, got "
                                        f"{n.args[5]}")
                name = "quantize_per_tensor" if n.target in Q else "dequantize_per_tensor"
                src = n.args[0]
                assert isinstance(src, Node)
                args = tuple(n.args)
                shape = self._shape(src)
                # Float ops (portable kernels) take contiguous tensors, the int8 ops
                # channels-last ones: copy the int8 side across where the layouts differ.
                to_float_op = n.target in DQ and any(u.op != "output" for u in n.users)
                if to_float_op and self._is_channels_last(src) and self._layouts_differ(shape):
                    with self.graph.inserting_before(n):
                        args = (self._clone(src, torch.contiguous_format), *args[1:])
                with self.graph.inserting_before(n):
                    new = self.graph.call_function(ops.op(name), args)
                n.replace_all_uses_with(new)
                if shape is not None:
                    self.shapes[new] = shape
                if n.target in Q and src.op != "placeholder" and self._layouts_differ(shape):
                    with self.graph.inserting_after(new):
                        cl = self._clone(new, torch.channels_last)
                    new.replace_all_uses_with(cl, delete_user_cb=lambda u, cl=cl: u is not cl)
                self.report.lowered[name] = self.report.lowered.get(name, 0) + 1
            elif n.target in DQ_CHANNEL:
                raise LoweringError(f"{n.name}: per-channel dequantize of a non-constant")

    def _collect_float_ops(self) -> None:
        from slimtorch.emitter import source_line

        for n in self.graph.nodes:
            if n.op != "call_function" or n.target is operator.getitem:
                continue
            target = n.target
            if isinstance(target, torch._ops.OpOverload) and target.namespace == "cortex_m":
                continue
            if target in (aten.empty.memory_format, aten.view.default, aten.clone.default):
                continue
            if isinstance(target, torch._ops.OpOverload):
                name = f"{target._schema.name}"
            else:
                name = str(target)
            self.report.float_ops.append(f"{name} ({source_line(n, self.model_file)})")


def lower(gm: GraphModule, model_file: str | None = None) -> LoweringReport:
    """Lowers `gm` (convert_pt2e's result) in place; returns what was lowered and what not."""
    return _Lowering(gm, model_file).run()
