"""Lowering one partition (slimtorch's core-ATen subgraph) to an XNNPACK XN01 graph.

Float32 only. Every fx value becomes an XNNPACK tensor value (`_Val`) that is stored either in
its logical (row-major, NCHW for 4-d) order or, for 4-d tensors that convolution and pooling
produce or read, channels-last (NHWC). A consumer asks for the order it needs (`_nhwc` /
`_rowmajor`), which adds one `XNNStaticTranspose` the first time: runtime inputs are
transposed NCHW->NHWC right at the delegate's boundary when a convolution reads them, and 4-d
outputs NHWC->NCHW before they leave, as upstream's delegate does. Constants are folded here
(weight permutes, batch norm into the preceding convolution / fully connected layer) and stored
in the program's named data under their sha256 (upstream 1.5.1's choice) or, on request, in
the blob's own constant section.
"""

from __future__ import annotations

import hashlib
import operator
from dataclasses import dataclass
from typing import Any

import torch

from slimtorch.backends.xnnpack import schema as xs
from slimtorch.backends.xnnpack.serialize import pack_constants, serialize_blob

aten = torch.ops.aten
INF = float("inf")
TO_NHWC = [0, 2, 3, 1]
TO_NCHW = [0, 3, 1, 2]

UNARY = {
    aten.sigmoid.default: "XNNSigmoid",
    aten.hardswish.default: "XNNHardswish",
    aten.abs.default: "XNNAbs",
    aten.neg.default: "XNNNegate",
    aten.floor.default: "XNNFloor",
    aten.ceil.default: "XNNCeiling",
    aten.sqrt.default: "XNNSquareRoot",
}
BINARY = {
    aten.add.Tensor: "XNNAdd",
    aten.sub.Tensor: "XNNSubtract",
    aten.mul.Tensor: "XNNMultiply",
    aten.div.Tensor: "XNNDiv",
    aten.maximum.default: "XNNMaximum",
    aten.minimum.default: "XNNMinimum",
}
CLAMPS = (aten.relu.default, aten.hardtanh.default, aten.clamp.default)
BATCH_NORM = aten._native_batch_norm_legit_no_training.default
FUSE_INTO = (
    "XNNConv2d",
    "XNNDepthwiseConv2d",
    "XNNFullyConnected",
    "XNNAdd",
    "XNNSubtract",
    "XNNMultiply",
    "XNNDiv",
    "XNNAvgPooling2d",
    "XNNMaxPooling2d",
)


class XnnLowerError(ValueError):
    """A partition holds a node this lowering cannot express (the message names it)."""


@dataclass
class _Val:
    id: int
    shape: tuple[int, ...]  # logical (PyTorch) shape
    nhwc: bool = False  # stored channels-last (4-d only)

    @property
    def dims(self) -> list[int]:
        s = self.shape
        return [s[0], s[2], s[3], s[1]] if self.nhwc else list(s)


def clamp_range(node: torch.fx.Node) -> tuple[float, float]:
    """(min, max) of a relu / hardtanh / clamp node."""
    if node.target == aten.relu.default:
        return 0.0, INF
    if node.target == aten.hardtanh.default:
        lo = node.args[1] if len(node.args) > 1 else node.kwargs.get("min_val", -1.0)
        hi = node.args[2] if len(node.args) > 2 else node.kwargs.get("max_val", 1.0)
        return float(lo), float(hi)  # type: ignore[arg-type]
    lo = node.args[1] if len(node.args) > 1 else node.kwargs.get("min")
    hi = node.args[2] if len(node.args) > 2 else node.kwargs.get("max")
    return (-INF if lo is None else float(lo)), (INF if hi is None else float(hi))  # type: ignore[arg-type]


def _f32(t: torch.Tensor) -> bytes:
    return t.detach().to(torch.float32).contiguous().numpy().tobytes()


class Lowerer:
    def __init__(self, partition: Any, constants_in: str = "named") -> None:
        self.p = partition
        self.constants_in = constants_in
        self.values: list[xs.XValue] = []
        self.nodes: list[xs.XNode] = []
        self.const_data: list[bytes] = []
        self.env: dict[torch.fx.Node, Any] = {}  # fx node -> _Val, or torch.Tensor (constant)
        self.other_layout: dict[int, _Val] = {}  # value id -> the same tensor in the other order
        self.done: set[torch.fx.Node] = set()
        self.handle = 0

    # ------------------------------------------------------------------ values and nodes
    def _value(
        self,
        shape: tuple[int, ...],
        nhwc: bool = False,
        const: bytes | None = None,
        external: int | None = None,
        flags: int = 0,
    ) -> _Val:
        v = _Val(len(self.values), tuple(int(d) for d in shape), nhwc and len(shape) == 4)
        idx = 0
        if const is not None:
            self.const_data.append(const)
            idx = len(self.const_data)
        self.values.append(
            xs.XValue(
                xs.XNNTensorValue(
                    datatype=xs.XNNDatatype.fp32,
                    num_dims=len(v.dims),
                    dims=v.dims,
                    constant_buffer_idx=idx,
                    external_id=xs.NO_ID if external is None else external,
                    flags=flags,
                    id_out=v.id,
                )
            )
        )
        return v

    def _const(self, t: torch.Tensor) -> _Val:
        return self._value(tuple(t.shape), const=_f32(t))

    def _node(self, op: str, minmax: tuple[float, float] | None = None, **fields: Any) -> None:
        mm = xs.OutputMinMax(*minmax) if minmax is not None else None
        self.nodes.append(xs.XNode(xs.NODE[op](**fields), self.handle, mm))

    def _transpose(self, v: _Val, to_nhwc: bool) -> _Val:
        out = self._value(v.shape, nhwc=to_nhwc)
        perm = TO_NHWC if to_nhwc else TO_NCHW
        self.nodes.append(xs.XNode(xs.XNNStaticTranspose(4, perm, v.id, out.id), 0xFFFF))
        return out

    def _in_order(self, v: _Val, nhwc: bool) -> _Val:
        if len(v.shape) != 4 or v.nhwc == nhwc:
            return v
        if v.id not in self.other_layout:
            w = self._transpose(v, nhwc)
            self.other_layout[v.id] = w
            self.other_layout[w.id] = v
        return self.other_layout[v.id]

    def _nhwc(self, v: _Val) -> _Val:
        return self._in_order(v, True)

    def _rowmajor(self, v: _Val) -> _Val:
        return self._in_order(v, False)

    def _arg(self, a: Any) -> Any:
        if isinstance(a, torch.fx.Node):
            return self.env[a]
        return a

    def _val(self, a: Any, what: str) -> _Val:
        x = self._arg(a)
        if isinstance(x, torch.Tensor):
            return self._const(x)
        if not isinstance(x, _Val):
            raise XnnLowerError(f"{what}: expected a tensor, got {x!r}")
        return x

    # ------------------------------------------------------------------ fusion
    def _sole_user(self, node: torch.fx.Node) -> torch.fx.Node | None:
        users = list(node.users)
        if len(users) == 1 and users[0] not in self.outputs and users[0].op == "call_function":
            return users[0]
        return None

    def _absorb_clamp(
        self, node: torch.fx.Node
    ) -> tuple[torch.fx.Node, tuple[float, float] | None]:
        """The last node of a clamp fused into `node`'s producer, and the clamp's range."""
        if node in self.outputs:
            return node, None
        user = self._sole_user(node)
        if user is not None and user.target in CLAMPS and user.args[0] is node:
            self.done.add(user)
            return user, clamp_range(user)
        return node, None

    def _absorb_batch_norm(
        self,
        node: torch.fx.Node,
        w: torch.Tensor,
        b: torch.Tensor | None,
    ) -> tuple[torch.fx.Node, torch.Tensor, torch.Tensor | None]:
        """Fold a following batch norm (its getitem 0) into weight `w` (output channels first)."""
        if node in self.outputs:
            return node, w, b
        bn = self._sole_user(node)
        if bn is None or bn.target != BATCH_NORM:
            return node, w, b
        gamma, beta, mean, var = (self._arg(a) for a in bn.args[1:5])
        eps = float(bn.args[6])  # type: ignore[arg-type]
        if not all(isinstance(t, torch.Tensor) or t is None for t in (gamma, beta, mean, var)):
            return node, w, b
        getters = [u for u in bn.users if u.target == operator.getitem]
        if len(getters) != len(bn.users) or [u.args[1] for u in getters] != [0]:
            return node, w, b
        c = w.shape[0]
        scale = (gamma if gamma is not None else torch.ones(c)) / torch.sqrt(var + eps)
        shift = (beta if beta is not None else torch.zeros(c)) - mean * scale
        w = w * scale.reshape([-1] + [1] * (w.dim() - 1))
        b = shift if b is None else b * scale + shift
        self.done.update((bn, getters[0]))
        return getters[0], w, b

    # ------------------------------------------------------------------ the graph
    def lower(self) -> tuple[xs.XNNGraph, dict[str, bytes], bytes]:
        gm = self.p.graph_module
        out_node = next(n for n in gm.graph.nodes if n.op == "output")
        args = out_node.args[0]
        out_args = list(args) if isinstance(args, (list, tuple)) else [args]
        self.outputs = {a for a in out_args if isinstance(a, torch.fx.Node)}
        placeholders = {n.name: n for n in gm.graph.nodes if n.op == "placeholder"}
        input_ids = []
        for k, name in enumerate(self.p.inputs):
            n = placeholders[name]
            v = self._value(tuple(n.meta["val"].shape), external=k, flags=xs.FLAG_EXTERNAL_INPUT)
            self.env[n] = v
            input_ids.append(v.id)
        for name, t in self.p.constants.items():
            self.env[placeholders[name]] = t
        for i, node in enumerate(gm.graph.nodes):
            if node.op != "call_function" or node in self.done:
                continue
            self.handle = i
            self._lower_node(node)
        output_ids = []
        for k, a in enumerate(out_args):
            v = self._rowmajor(self._val(a, "delegate output"))
            tv = self.values[v.id].xvalue_union
            if tv.flags or tv.constant_buffer_idx:  # an input, a constant or a repeated output:
                copy = self._value(v.shape)  # an external value of its own, by an identity clamp
                self._node("XNNClamp", (-INF, INF), input_id=v.id, output_id=copy.id)
                v, tv = copy, self.values[copy.id].xvalue_union
            tv.flags = xs.FLAG_EXTERNAL_OUTPUT
            tv.external_id = len(input_ids) + k
            output_ids.append(v.id)
        named: dict[str, bytes] = {}
        entries = [xs.ConstantDataOffset(0, 0, "")]
        section = b""
        if self.constants_in == "named":
            for data in self.const_data:
                key = hashlib.sha256(data).hexdigest()
                named[key] = data
                entries.append(xs.ConstantDataOffset(xs.NAMED_OFFSET, len(data), key))
        else:
            section, offsets = pack_constants(self.const_data)
            entries += [
                xs.ConstantDataOffset(o, len(d), None)
                for o, d in zip(offsets, self.const_data, strict=True)
            ]
        graph = xs.XNNGraph(
            version=xs.VERSION,
            xnodes=self.nodes,
            xvalues=self.values,
            num_externs=len(input_ids) + len(output_ids),
            input_ids=input_ids,
            output_ids=output_ids,
            constant_data=entries,
        )
        return graph, named, section

    def _lower_node(self, node: torch.fx.Node) -> None:
        t = node.target
        args = node.args
        if (
            all(
                not isinstance(a, torch.fx.Node) or isinstance(self.env.get(a), torch.Tensor)
                for a in node.all_input_nodes
            )
            and t != operator.getitem
        ):
            # constant folding (a weight's permute, ...): evaluate with the real tensors
            real = [self._arg(a) for a in args]
            self.env[node] = t(*real, **node.kwargs)  # type: ignore[operator]
            return
        if t == operator.getitem:
            src = self.env[args[0]]  # type: ignore[index]
            self.env[node] = src[args[1]] if isinstance(src, (list, tuple)) else src
            return
        if t in (aten.addmm.default, aten.mm.default, aten.linear.default):
            return self._fully_connected(node)
        if t == aten.convolution.default:
            return self._convolution(node)
        if t in CLAMPS:
            x = self._val(args[0], str(node))
            out = self._value(x.shape, x.nhwc)
            self._node("XNNClamp", clamp_range(node), input_id=x.id, output_id=out.id)
            self.env[node] = out
            return
        if t in UNARY:
            x = self._val(args[0], str(node))
            out = self._value(x.shape, x.nhwc)
            self._node(UNARY[t], input_id=x.id, output_id=out.id)
            self.env[node] = out
            return
        if t == aten.leaky_relu.default:
            x = self._val(args[0], str(node))
            out = self._value(x.shape, x.nhwc)
            slope = float(args[1]) if len(args) > 1 else 0.01  # type: ignore[arg-type]
            self.nodes.append(xs.XNode(xs.XNNLeakyReLU(slope, x.id, out.id), self.handle))
            self.env[node] = out
            return
        if t == aten.elu.default:
            x = self._val(args[0], str(node))
            out = self._value(x.shape, x.nhwc)
            alpha = float(args[1]) if len(args) > 1 else 1.0  # type: ignore[arg-type]
            self.nodes.append(xs.XNode(xs.XNNELU(alpha, x.id, out.id), self.handle))
            self.env[node] = out
            return
        if t in BINARY:
            return self._binary(node)
        if t == aten._softmax.default:
            x = self._rowmajor(self._val(args[0], str(node)))
            out = self._value(x.shape)
            self._node("XNNSoftmax", input_id=x.id, output_id=out.id)
            self.env[node] = out
            return
        if t in (aten.max_pool2d_with_indices.default, aten.avg_pool2d.default):
            return self._pool(node)
        if t == aten.mean.dim:
            x = self._nhwc(self._val(args[0], str(node)))
            n, c = x.shape[0], x.shape[1]
            keep = bool(args[2]) if len(args) > 2 else bool(node.kwargs.get("keepdim", False))
            pooled = self._value((n, c, 1, 1), nhwc=True)
            self._node(
                "XNNGlobalAvgPooling2d", input_id=x.id, output_id=pooled.id, flags=xs.FLAG_KEEP_DIMS
            )
            if keep:
                self.env[node] = pooled
            else:  # [N,1,1,C] in NHWC is [N,C] row-major
                out = self._value((n, c))
                self.nodes.append(
                    xs.XNode(xs.XNNStaticReshape(2, [n, c], pooled.id, out.id), self.handle)
                )
                self.env[node] = out
            return
        if t in (aten.view.default, aten._unsafe_view.default, aten.reshape.default):
            x = self._rowmajor(self._val(args[0], str(node)))
            shape = tuple(node.meta["val"].shape)
            out = self._value(shape)
            self.nodes.append(
                xs.XNode(xs.XNNStaticReshape(len(shape), list(shape), x.id, out.id), self.handle)
            )
            self.env[node] = out
            return
        if t == aten.upsample_bilinear2d.vec:
            x = self._nhwc(self._val(args[0], str(node)))
            shape = tuple(node.meta["val"].shape)
            out = self._value(shape, nhwc=True)
            flags = xs.FLAG_ALIGN_CORNERS if args[2] else 0
            self.nodes.append(
                xs.XNode(
                    xs.XNNStaticResizeBilinear2D(shape[2], shape[3], x.id, out.id, flags),
                    self.handle,
                )
            )
            self.env[node] = out
            return
        if t == aten.constant_pad_nd.default:
            x = self._val(args[0], str(node))
            pad = list(args[1])  # type: ignore[arg-type]
            r = len(x.shape)
            pre, post = [0] * r, [0] * r
            for k in range(len(pad) // 2):
                pre[r - 1 - k], post[r - 1 - k] = pad[2 * k], pad[2 * k + 1]
            if x.nhwc:
                pre, post = [pre[i] for i in TO_NHWC], [post[i] for i in TO_NHWC]
            shape = tuple(node.meta["val"].shape)
            out = self._value(shape, x.nhwc)
            value = float(args[2]) if len(args) > 2 else 0.0  # type: ignore[arg-type]
            self.nodes.append(
                xs.XNode(xs.XNNStaticConstantPad(pre, post, value, x.id, out.id), self.handle)
            )
            self.env[node] = out
            return
        raise XnnLowerError(
            f"XNNPACK cannot lower node {node.name} ({t}); its supports() should have refused it"
        )

    def _fully_connected(self, node: torch.fx.Node) -> None:
        t, args = node.target, node.args
        if t == aten.addmm.default:
            bias, x, wt = (self._arg(a) for a in args[:3])
            w = wt.t() if isinstance(wt, torch.Tensor) else None
        elif t == aten.mm.default:
            bias, x, wt = None, self._arg(args[0]), self._arg(args[1])
            w = wt.t() if isinstance(wt, torch.Tensor) else None
        else:
            x, w = self._arg(args[0]), self._arg(args[1])
            bias = self._arg(args[2]) if len(args) > 2 else None
        if not isinstance(w, torch.Tensor):
            raise XnnLowerError(f"{node.name}: the fully connected weight is not a constant")
        if bias is not None and not isinstance(bias, torch.Tensor):
            raise XnnLowerError(f"{node.name}: the fully connected bias is not a constant")
        if bias is not None:
            bias = bias.reshape(-1)
        x = self._rowmajor(self._val(x, node.name))
        last, w, bias = self._absorb_batch_norm(node, w, bias)
        last, minmax = self._absorb_clamp(last)
        fw = self._const(w)
        fb = self._const(bias) if bias is not None else None
        out = self._value(tuple(last.meta["val"].shape))
        self._node(
            "XNNFullyConnected",
            minmax,
            input1_id=x.id,
            filter_id=fw.id,
            bias_id=fb.id if fb is not None else xs.NO_ID,
            output_id=out.id,
        )
        self.env[last] = out

    def _convolution(self, node: torch.fx.Node) -> None:
        a = node.args
        x = self._nhwc(self._val(a[0], node.name))
        w, b = self._arg(a[1]), self._arg(a[2])
        stride, padding, dilation = a[3], a[4], a[5]
        groups = int(a[8])  # type: ignore[arg-type]
        last, w, b = self._absorb_batch_norm(node, w, b)
        last, minmax = self._absorb_clamp(last)
        cout, cin_g, kh, kw = w.shape
        cin = x.shape[1]
        depthwise = cin_g == 1 and groups == cin
        if depthwise:  # XNNPACK's depthwise filter is 1HWO
            fw = self._const(w.permute(1, 2, 3, 0))
        else:  # OHWI
            fw = self._const(w.permute(0, 2, 3, 1))
        fb = self._const(b) if b is not None else None
        out = self._value(tuple(last.meta["val"].shape), nhwc=True)
        ph, pw = padding  # type: ignore[misc]
        self._node(
            "XNNDepthwiseConv2d" if depthwise else "XNNConv2d",
            minmax,
            padding_top=ph,
            padding_right=pw,
            padding_bottom=ph,
            padding_left=pw,
            kernel_height=kh,
            kernel_width=kw,
            subsampling_height=stride[0],  # type: ignore[index]
            subsampling_width=stride[1],
            dilation_height=dilation[0],  # type: ignore[index]
            dilation_width=dilation[1],
            group_input_channels=cin_g,  # type: ignore[index]
            group_output_channels=cout // groups,
            groups=groups,
            input1_id=x.id,
            filter_id=fw.id,
            bias_id=fb.id if fb is not None else xs.NO_ID,
            output_id=out.id,
        )
        self.env[last] = out

    def _binary(self, node: torch.fx.Node) -> None:
        a, b = (self._arg(x) for x in node.args[:2])
        shape = tuple(node.meta["val"].shape)
        vals = [x for x in (a, b) if isinstance(x, _Val)]
        nhwc = (
            len(shape) == 4 and all(len(v.shape) == 4 for v in vals) and any(v.nhwc for v in vals)
        )

        def operand(x: Any) -> _Val:
            if isinstance(x, _Val):
                return self._in_order(x, nhwc)
            t = x if isinstance(x, torch.Tensor) else torch.tensor(float(x))
            if t.numel() == 1:
                return self._const(t.reshape(1))
            if nhwc:
                t4 = t.reshape([1] * (4 - t.dim()) + list(t.shape))
                return self._value(tuple(t4.shape), nhwc=True, const=_f32(t4.permute(TO_NHWC)))
            return self._const(t)

        va, vb = operand(a), operand(b)
        last, minmax = (
            self._absorb_clamp(node)
            if BINARY[node.target] in FUSE_INTO  # type: ignore[index]
            else (node, None)
        )
        out = self._value(shape, nhwc)
        self._node(
            BINARY[node.target],
            minmax,
            input1_id=va.id,
            input2_id=vb.id,  # type: ignore[index]
            output_id=out.id,
        )
        self.env[last] = out

    def _pool(self, node: torch.fx.Node) -> None:
        a = node.args
        x = self._nhwc(self._val(a[0], node.name))
        kernel = list(a[1])  # type: ignore[arg-type]
        stride = list(a[2]) if len(a) > 2 and a[2] else kernel  # type: ignore[arg-type]
        padding = list(a[3]) if len(a) > 3 else [0, 0]  # type: ignore[arg-type]
        if len(padding) == 1:
            padding = padding * 2
        is_max = node.target == aten.max_pool2d_with_indices.default
        dilation = list(a[4]) if is_max and len(a) > 4 else [1, 1]  # type: ignore[arg-type]
        last: torch.fx.Node = node
        if is_max:
            getters = [u for u in node.users if u.target == operator.getitem]
            if [u.args[1] for u in getters] != [0] or len(getters) != len(node.users):
                raise XnnLowerError(f"{node.name}: max_pool2d's indices are used")
            last = getters[0]
            self.done.add(last)
        last, minmax = self._absorb_clamp(last)
        val = node.meta["val"]
        shape = tuple((val[0] if isinstance(val, (list, tuple)) else val).shape)
        out = self._value(shape, nhwc=True)
        self._node(
            "XNNMaxPooling2d" if is_max else "XNNAvgPooling2d",
            minmax,
            padding_top=padding[0],
            padding_right=padding[1],
            padding_bottom=padding[0],
            padding_left=padding[1],
            pooling_height=kernel[0],
            pooling_width=kernel[1],
            stride_height=stride[0],
            stride_width=stride[1],
            dilation_height=dilation[0],
            dilation_width=dilation[1],
            input_id=x.id,
            output_id=out.id,
            flags=xs.FLAG_KEEP_DIMS,
        )
        self.env[last] = out


def preprocess_partition(
    partition: Any,
    constants_in: str = "named",
) -> tuple[bytes, dict[str, bytes]]:
    """The XH00 blob of `partition` and the named data it refers to."""
    graph, named, section = Lowerer(partition, constants_in).lower()
    return serialize_blob(graph, section), named


__all__ = ["Lowerer", "XnnLowerError", "clamp_range", "preprocess_partition"]
