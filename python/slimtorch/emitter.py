"""Turn a core-ATen `ExportedProgram` into an ExecuTorch `Program` (schema dataclasses).

Every op becomes a KernelCall of its `.out` overload; pure views become view_copy, casts and
clones upstream's dim-order copies; ops whose inputs are all constants are evaluated at export
(constant folding, see FOLD_GROWTH); parameters, buffers, lifted and folded constants go to the
constant segment (identical bytes stored once); every other tensor is planned in
memory id 1 (see memory_planning.py). Buffers the model mutates are planned too, with their
initial value in the mutable data segment, and written back with `aten::copy_` at the end.
Higher-order ops (cond, while_loop, map, scan) become jumps over inlined subgraphs
(control_flow.py). Groups a backend took (backends/partitioner.py) become DelegateCalls: the
blob in a segment of its own (or inline), its named data in the program's named data.

Segments, in upstream's order: 0 constants, then the mutable data (when a buffer is
mutated), then one per distinct delegate blob, then one per distinct named-data value.
"""

from __future__ import annotations

import dataclasses
import operator
import re
import struct
import zlib
from dataclasses import dataclass
from typing import Any

import torch
from torch.export import ExportedProgram
from torch.export.graph_signature import InputKind, OutputKind
from torch.fx import Node
from torch.utils._pytree import treespec_dumps

from slimtorch import memory_planning, out_variants, passes, pte, schema
from slimtorch.backends import partitioner
from slimtorch.dtypes import scalar_type_of
from slimtorch.portable_ops import UPSTREAM_PORTABLE_OPS

aten = torch.ops.aten

# Python operators on SymInts -> executorch_prim::<name>.Scalar (upstream's primitive ops).
_SYM_OPS: dict[Any, str] = {
    operator.add: "add", operator.sub: "sub", operator.mul: "mul",
    operator.floordiv: "floordiv", operator.mod: "mod", operator.truediv: "truediv",
}
_MEMORY_FORMAT = {torch.contiguous_format: 0, torch.preserve_format: 1}
_LAYOUT = {torch.strided: 0}


# Key of the named data entry whose segment holds the segment checksum (runtime/program/program.h).
CHECKSUM_KEY = "slimtorch.segments_crc32"


class EmitError(Exception):
    """An op or graph construct this exporter cannot put in a program."""


@dataclass
class EmittedProgram:
    program: schema.Program
    constant_segment: bytes  # segment 0 data (empty when there are no constants)
    mutable_segment: bytes = b""  # segment 1: initial values of mutable buffers (if any)
    # Value index -> name of the graph node that made the tensor ("add_1", "split[1]"): what
    # memory planners and their errors call each tensor.
    value_names: dict[int, str] = dataclasses.field(default_factory=dict)
    # Delegate blobs stored as segments (the segments after the constant and mutable ones),
    # then the named data values, in segment order.
    delegate_segments: list[bytes] = dataclasses.field(default_factory=list)
    named_segments: list[bytes] = dataclasses.field(default_factory=list)

    def to_bytes(self, checksum: bool = False) -> bytes:
        """The .pte file. With `checksum`, one more segment holds the CRC-32 (zlib.crc32) of
        every other segment's bytes, named by a named_data entry CHECKSUM_KEY: slimtorch's
        runtime verifies it at load (runtime/program/checksum.cc); upstream's ignores it."""
        segments = [self.constant_segment]
        if self.program.mutable_data_segments:
            segments.append(self.mutable_segment)
        segments += self.delegate_segments
        segments += self.named_segments
        program = self.program
        if checksum:
            crc = 0
            for blob in segments:
                crc = zlib.crc32(blob, crc)
            entry = schema.NamedData(CHECKSUM_KEY, len(segments))
            program = dataclasses.replace(program, named_data=[*(program.named_data or []), entry])
            segments.append(struct.pack("<I", crc))
        return pte.write_pte(program, segments)


def source_line(node: Node, prefer_file: str | None = None) -> str:
    """'file:line: code' of the model source that created `node` (best effort)."""
    trace = node.meta.get("stack_trace") or ""
    frames = re.findall(r'File "([^"]+)", line (\d+), in [^\n]*\n\s*([^\n]*)', trace)
    if not frames:
        return "unknown source line"
    chosen = frames[-1]
    if prefer_file is not None:
        mine = [f for f in frames if f[0] == prefer_file]
        if mine:
            chosen = mine[-1]
    return f"{chosen[0]}:{chosen[1]}: {chosen[2].strip()}"


def _is_runtime_check(target: Any) -> bool:
    if not isinstance(target, torch._ops.OpOverload):
        return False
    name = target._schema.name.split("::")[-1]
    return name.startswith("_assert") or name.startswith("sym_constrain_range")


def _tensor_bytes(t: torch.Tensor) -> bytes:
    t = t.detach().cpu().contiguous()
    if t.numel() == 0:
        return b""
    return t.reshape(-1).view(torch.uint8).numpy().tobytes()


# Constant folding (`_Emitter._fold_constant`): a node whose every input is a constant
# (parameters, buffers the model does not mutate, lifted constants, literal scalars and lists,
# and results folded before it; a factory op with static sizes has no tensor inputs at all, and
# full_like/zeros_like/ones_like of a static-shaped tensor read only its shape) is
# evaluated at export by running its ATen op in PyTorch, and its result becomes a constant:
# no instruction runs and no planned memory holds it. Attention masks, position ids (arange),
# relative-position indices, weight norm of parameters and every Linear's weight transpose
# fold this way. Never folded:
# - ops that draw random numbers or return uninitialised memory (_NEVER_FOLD, and every op
#   tagged nondeterministic_seeded): folding would freeze one draw into the program;
# - ops that write an argument (mutable buffers and user inputs are not constants anyway);
# - results with symbolic (dynamic) sizes, or that are not tensors (SymInts, scalars);
# - results much larger than what they read (expand/full/repeat of a big shape): flash is
#   dearer than an instruction. A result is kept as an instruction when its bytes exceed both
#   FOLD_GROWTH times the bytes of the constants it reads and FOLD_MIN_BYTES.
FOLD_GROWTH = 4
FOLD_MIN_BYTES = 64 * 1024
_NEVER_FOLD = frozenset({
    "bernoulli", "dropout", "native_dropout", "rand", "rand_like", "randn", "randn_like",
    "randint", "randint_like", "randperm", "normal", "uniform", "exponential", "geometric",
    "log_normal", "cauchy", "multinomial", "poisson", "empty", "empty_like", "empty_strided",
    "new_empty", "new_empty_strided", "_empty_dim_order", "rrelu_with_noise",
})

# Ops whose result is uninitialised memory of a static shape: emitted as a planned tensor.
_UNINITIALISED = frozenset({aten.empty.memory_format})

# Ops whose first argument is read for its shape and dtype only.
_SHAPE_ONLY = frozenset({
    aten.full_like.default, aten.zeros_like.default, aten.ones_like.default,
})

# Casts and clones, emitted as upstream's exporter emits them (to_edge's dim-order ops):
# dim_order_ops::_to_dim_order_copy.out / _clone_dim_order.out(self, *, non_blocking,
# dim_order, out), dim_order = the contiguous order of the result.
_DIM_ORDER_OPS = {
    aten._to_copy.default: ("dim_order_ops::_to_dim_order_copy", "out"),
    aten.clone.default: ("dim_order_ops::_clone_dim_order", "out"),
}


def _is_contiguous_as_strided(node: Node) -> bool:
    """as_strided(self, size, stride, offset) that reads self's elements in order."""
    args = list(node.args) + [None] * 4
    size, stride, offset = args[1], args[2], node.kwargs.get("storage_offset", args[3])
    if offset not in (None, 0) or not isinstance(size, list | tuple):
        return False
    src = node.args[0].meta.get("val") if isinstance(node.args[0], Node) else None
    if not isinstance(src, torch.Tensor) or src.numel() != int(torch.Size(size).numel()):
        return False
    expect, acc = [], 1
    for d in reversed(size):
        expect.append(acc)
        acc *= int(d)
    return [int(x) for x in stride] == expect[::-1] or int(torch.Size(size).numel()) <= 1


def _dim_order(t: torch.Tensor) -> list[int]:
    """The order of `t`'s dimensions in memory, outermost first: [0, 2, 3, 1] for a 4-D value
    laid out channels-last and not also contiguous (the int8 activations of `--quantize
    int8`), the contiguous order otherwise. A tensor whose memory is the same either way
    (C == 1, or H == W == 1) is written contiguous, which every kernel reads."""
    contiguous = list(range(t.dim()))
    try:
        if t.dim() == 4 and not t.is_contiguous() and \
                t.is_contiguous(memory_format=torch.channels_last):
            return [0, 2, 3, 1]
    except (RuntimeError, TypeError, ValueError):  # symbolic strides
        pass
    return contiguous


def _nbytes(t: torch.Tensor) -> int:
    return t.numel() * t.element_size()


def _static_tensors(val: Any) -> list[torch.Tensor] | None:
    """The tensor results of a node, or None when one is not a tensor or has symbolic sizes."""
    results = list(val) if isinstance(val, list | tuple) else [val]
    if not results or not all(isinstance(r, torch.Tensor) for r in results):
        return None
    if any(not isinstance(s, int) for r in results for s in r.shape):
        return None
    return results


def _foldable_op(op: Any) -> bool:
    if not isinstance(op, torch._ops.OpOverload):
        return False
    if op._schema.name.split("::")[-1] in _NEVER_FOLD or _is_runtime_check(op):
        return False
    if torch.Tag.nondeterministic_seeded in op.tags:
        return False
    return not any(a.alias_info is not None and a.alias_info.is_write
                   for a in op._schema.arguments)


class _Emitter:
    def __init__(self, ep: ExportedProgram, model_file: str | None) -> None:
        self.ep = ep
        self.model_file = model_file
        self.values: list[schema.EValue] = []
        self.operators: list[schema.Operator] = []
        self.op_index: dict[tuple[str, str], int] = {}
        self.instructions: list[schema.Instruction] = []
        self.node_values: dict[Node, Any] = {}  # value index, or list of them for multi-output
        self.constants: list[bytes] = []
        self.planned: list[int] = []  # value indices of tensors that need planned memory
        self.node: Node | None = None
        self.mutable: list[bytes] = []  # initial values of mutable buffers (data_buffer_idx k)
        self.buffer_values: dict[str, int] = {}  # mutated buffer name -> its value index
        self.constant_data: dict[int, torch.Tensor] = {}  # constant value index -> its tensor
        self.value_names: dict[int, str] = {}  # tensor value index -> graph node name
        self._names_used: dict[str, int] = {}  # node name -> tensors named after it so far
        self.memories: tuple[memory_planning.Memory, ...] | None = None  # None: one memory
        self.planner: memory_planning.Planner | None = None  # None: plan_hierarchy
        self.fold_constants = True
        self.kernels = UPSTREAM_PORTABLE_OPS  # ATen kernels the program may call (passes.py)
        # Channels-last values get dim order [0, 2, 3, 1] (the int8 programs' activations);
        # otherwise every planned tensor is contiguous, as the portable kernels write their
        # outputs (a float graph's permuted views have channels-last-looking strides too).
        self.channels_last = False
        self.delegate_inline = False  # blobs in Program.backend_delegate_data, not segments
        self.delegates: list[schema.BackendDelegate] = []
        self.delegate_blobs: dict[bytes, int] = {}  # distinct blob -> its index among them
        self.named_data: dict[str, bytes] = {}  # named data of every delegate, by key

    # --------------------------------------------------------------- values
    def _dim_order(self, t: torch.Tensor) -> list[int]:
        return _dim_order(t) if self.channels_last else list(range(t.dim()))

    def _add(self, val: schema.KernelValue) -> int:
        self.values.append(schema.EValue(val))
        return len(self.values) - 1

    def _error(self, message: str, fix: str) -> EmitError:
        where = ""
        if self.node is not None:
            where = f" (node {self.node.name}, {source_line(self.node, self.model_file)})"
        model = f"{self.model_file}: " if self.model_file else ""
        return EmitError(f"{model}{message}{where}. {fix}")

    def _sizes(self, t: torch.Tensor) -> tuple[list[int], bool]:
        """(sizes, dynamic): symbolic sizes become their upper bound (DYNAMIC_BOUND)."""
        sizes = []
        dynamic = False
        for s in t.shape:
            if isinstance(s, torch.SymInt):
                bound = s.node.shape_env.bound_sympy(s.node.expr).upper
                try:
                    upper: int | None = int(bound)
                except (TypeError, ValueError, OverflowError, AttributeError):
                    upper = None  # int_oo: no max given
                if upper is None or upper >= 2**62:
                    raise self._error(
                        f"tensor dimension {s} has no upper bound",
                        "Give every dynamic dimension a max, e.g. Dim('batch', max=8), in "
                        "dynamic_shapes(); planned memory is sized for the maximum",
                    )
                sizes.append(upper)
                dynamic = True
            else:
                sizes.append(int(s))
        return sizes, dynamic

    def _tensor_value(self, t: torch.Tensor, data_buffer_idx: int = 0,
                      planned: bool = True) -> int:
        """A Tensor value shaped like `t`. data_buffer_idx > 0 with planned=False is a
        constant; planned=False alone is a value with no storage of its own (a MoveCall
        destination, e.g. a cond result)."""
        if not isinstance(t, torch.Tensor):
            raise self._error(f"expected a tensor result, got {type(t).__name__}",
                              "Only tensor-valued ops are supported")
        sizes, dynamic = self._sizes(t)
        try:
            st = scalar_type_of(t.dtype)
        except ValueError as e:
            raise self._error(str(e), "Cast to a supported dtype in the model") from None
        tensor = schema.Tensor(
            scalar_type=st, storage_offset=0, sizes=sizes,
            # Constant and mutable data are stored contiguous (_tensor_bytes).
            dim_order=self._dim_order(t) if data_buffer_idx == 0 else list(range(len(sizes))),
            requires_grad=False, data_buffer_idx=data_buffer_idx,
            shape_dynamism=int(schema.TensorShapeDynamism.DYNAMIC_BOUND if dynamic
                               else schema.TensorShapeDynamism.STATIC),
        )
        index = self._add(tensor)
        if self.node is not None:
            k = self._names_used.get(self.node.name, 0)
            self._names_used[self.node.name] = k + 1
            self.value_names[index] = self.node.name if k == 0 else f"{self.node.name}[{k}]"
        if planned and data_buffer_idx == 0:
            self.planned.append(index)
        return index

    def _constant_tensor(self, t: torch.Tensor) -> int:
        self.constants.append(_tensor_bytes(t))
        index = self._tensor_value(t, data_buffer_idx=len(self.constants), planned=False)
        self.constant_data[index] = t
        return index

    def _fold_constant(self, node: Node) -> bool:
        """Evaluates `node` at export when every input is a constant (see FOLD_GROWTH and
        _NEVER_FOLD above for what is not folded); its results become constants."""
        if not self.fold_constants or not _foldable_op(node.target):
            return False
        results = _static_tensors(node.meta.get("val"))
        if results is None:
            return False
        # full_like(x, v) and friends read only x's (static) shape and dtype: x need not be
        # a constant, a stand-in of its shape serves.
        shape_only = node.args[0] if node.target in _SHAPE_ONLY else None
        stand_in = None
        if isinstance(shape_only, Node):
            stand_in = _static_tensors(shape_only.meta.get("val"))
            if stand_in is None:
                return False
        inputs = [a for a in node.all_input_nodes if a is not shape_only]
        if not all(isinstance(self.node_values.get(a), int)
                   and self.node_values[a] in self.constant_data for a in inputs):
            return False
        read = sum(_nbytes(self.constant_data[self.node_values[a]]) for a in inputs)
        made = sum(_nbytes(r) for r in results)
        if made > FOLD_GROWTH * read and made > FOLD_MIN_BYTES:
            return False  # cheaper to compute on the device than to store

        def constant(a: Node) -> torch.Tensor:
            if a is shape_only and stand_in is not None:
                return torch.zeros(stand_in[0].shape, dtype=stand_in[0].dtype)
            return self.constant_data[self.node_values[a]]

        args, kwargs = torch.fx.node.map_arg((node.args, node.kwargs), constant)
        with torch.no_grad():
            result = node.target(*args, **kwargs)  # type: ignore[operator]
        if isinstance(result, list | tuple):
            self.node_values[node] = [self._constant_tensor(r.contiguous()) for r in result]
        else:
            self.node_values[node] = self._constant_tensor(result.contiguous())
        return True

    def _mutable_tensor(self, t: torch.Tensor, name: str) -> int:
        """A planned tensor whose initial value is kept in the mutable data segment."""
        self.mutable.append(_tensor_bytes(t))
        index = self._tensor_value(t)
        tensor = self.values[index].val
        assert isinstance(tensor, schema.Tensor)
        tensor.data_buffer_idx = len(self.mutable)
        tensor.extra_tensor_info = schema.ExtraTensorInfo(
            mutable_data_segments_idx=0, fully_qualified_name=name)
        return index

    def _node_tensor(self, v: Any) -> int:
        if isinstance(v, Node):
            idx = self.node_values.get(v)
            if isinstance(idx, int):
                return idx
            raise self._error(f"argument {v.name} is not a single tensor", "Unsupported graph")
        if isinstance(v, torch.Tensor):  # a literal tensor in the graph: make it a constant
            return self._constant_tensor(v)
        if isinstance(v, bool | int | float):  # scalar in a Tensor slot: a 0-dim constant
            return self._constant_tensor(torch.tensor(v))
        raise self._error(f"expected a tensor argument, got {v!r}", "Unsupported argument")

    def _int_value(self, v: Any) -> int:
        if isinstance(v, Node):
            idx = self.node_values.get(v)
            if isinstance(idx, int):
                return idx
        if isinstance(v, torch.dtype):
            return self._add(schema.Int(scalar_type_of(v)))
        if isinstance(v, torch.memory_format):
            if v not in _MEMORY_FORMAT:
                raise self._error(f"memory format {v} is not supported",
                                  "Use torch.contiguous_format")
            return self._add(schema.Int(_MEMORY_FORMAT[v]))
        if isinstance(v, torch.layout):
            return self._add(schema.Int(_LAYOUT.get(v, 0)))
        if isinstance(v, bool | int):
            return self._add(schema.Int(int(v)))
        raise self._error(f"expected an integer argument, got {v!r}", "Unsupported argument")

    def _arg_value(self, arg: torch._C.Argument, v: Any) -> int:
        t = str(arg.type)
        optional = t.startswith("Optional[")
        if optional:
            t = t[len("Optional["):-1]
        if v is None and (optional or t in ("Device", "Layout")):
            return self._add(schema.Null())
        if t == "Tensor":
            return self._node_tensor(v)
        if t == "List[Tensor]":
            return self._add(schema.TensorList([self._node_tensor(x) for x in v]))
        if t == "List[Optional[Tensor]]":
            return self._add(schema.OptionalTensorList(
                [-1 if x is None else self._node_tensor(x) for x in v]))
        if t in ("List[int]", "List[SymInt]"):
            if isinstance(v, int):
                v = [v] * (arg.N or 1)
            return self._add(schema.IntList([self._int_value(x) for x in v]))
        if t == "List[float]":
            return self._add(schema.DoubleList([float(x) for x in v]))
        if t == "List[bool]":
            return self._add(schema.BoolList([bool(x) for x in v]))
        if t in ("int", "SymInt"):
            return self._int_value(v)
        if t in ("float", "SymFloat"):
            return self._add(schema.Double(float(v)))
        if t in ("bool", "SymBool"):
            return self._add(schema.Bool(bool(v)))
        if t == "number":
            if isinstance(v, Node):  # a SymInt computed on the device (arange(x.shape[0]))
                return self._int_value(v)
            if isinstance(v, bool):
                return self._add(schema.Bool(v))
            if isinstance(v, int):
                return self._add(schema.Int(v))
            if isinstance(v, float):
                return self._add(schema.Double(v))
        if t == "str":
            return self._add(schema.String(str(v)))
        if t == "ScalarType":  # e.g. cortex_m::quantize_per_tensor's dtype
            return self._int_value(v)
        if t == "Device":
            return self._add(schema.Null())
        raise self._error(f"argument {arg.name} of type {arg.type} = {v!r} cannot be emitted",
                          "This argument type is not supported yet")

    # ---------------------------------------------------------------- nodes
    def _operator(self, op: torch._ops.OpOverload | tuple[str, str]) -> int:
        if isinstance(op, tuple):
            name, overload = op
        else:
            name, overload = op._schema.name, op._schema.overload_name
        key = (name, overload)
        if key not in self.op_index:
            self.op_index[key] = len(self.operators)
            self.operators.append(schema.Operator(name=name, overload=overload))
        return self.op_index[key]

    def _bind(self, op: torch._ops.OpOverload, node: Node) -> dict[str, Any]:
        bound: dict[str, Any] = {}
        positional = [a for a in op._schema.arguments if not a.kwarg_only]
        for a, v in zip(positional, node.args, strict=False):
            bound[a.name] = v
        bound.update(node.kwargs)
        for a in op._schema.arguments:
            if a.name not in bound and a.has_default_value():
                bound[a.name] = a.default_value
        return bound

    def _emit_sym(self, node: Node) -> None:
        """Integer shape arithmetic of dynamic shapes, computed on the device."""
        out = self._add(schema.Int(0))
        self.node_values[node] = out
        if node.target == aten.sym_size.int:
            op: tuple[str, str] = ("aten::sym_size", "int")
            args = [self._node_tensor(node.args[0]), self._int_value(node.args[1])]
        else:
            op = ("executorch_prim::" + _SYM_OPS[node.target], "Scalar")
            args = [self._int_value(a) for a in node.args]
        self.instructions.append(schema.Instruction(
            schema.KernelCall(op_index=self._operator(op), args=[*args, out])))

    def _emit_dim_order_copy(self, node: Node, op: tuple[str, str]) -> None:
        """_to_copy / clone as upstream emits them: [self, non_blocking, dim_order, out, out]."""
        memory_format = node.kwargs.get("memory_format")
        val = node.meta.get("val")
        if memory_format not in (None, torch.contiguous_format, torch.preserve_format) and not (
                memory_format == torch.channels_last and val.dim() == 4):
            raise self._error(f"memory format {memory_format} is not supported",
                              "Use torch.contiguous_format (or channels_last for 4-D tensors)")
        out = self._tensor_value(val)
        self.node_values[node] = out
        # The dim order of the result (out's, as the dim-order copy kernels require).
        order = self._add(schema.IntList([self._int_value(d) for d in self._dim_order(val)]))
        args = [self._node_tensor(node.args[0]),
                self._add(schema.Bool(bool(node.kwargs.get("non_blocking", False)))),
                order, out, out]
        self.instructions.append(schema.Instruction(
            schema.KernelCall(op_index=self._operator(op), args=args)))

    def _emit_call(self, node: Node) -> None:
        op = node.target
        assert isinstance(op, torch._ops.OpOverload)
        val = node.meta.get("val")
        if op in _DIM_ORDER_OPS:
            self._emit_dim_order_copy(node, _DIM_ORDER_OPS[op])
            return
        if op == aten.t.default:  # t == permute_copy with reversed dims (1-D: identity)
            ndim = len(node.args[0].meta["val"].shape)  # type: ignore[union-attr]
            functional = aten.permute_copy.default
            bound: dict[str, Any] = {"self": node.args[0], "dims": list(range(ndim))[::-1]}
        elif (op in out_variants.PURE_VIEWS and _static_tensors(val) is not None
              and (op not in (aten.as_strided.default, aten.as_strided_copy.default)
                   or _is_contiguous_as_strided(node))):
            functional = aten.view_copy.default
            bound = {"self": node.args[0], "size": [int(s) for s in val.shape]}
        else:
            functional = out_variants.copy_variant(op)
            bound = self._bind(op, node)
        out_op = out_variants.out_variant(functional)
        if out_op is None and op.namespace != "aten":
            suggested = out_variants.suggested_out_schema(op)
            define = (f"torch.library.define({suggested}) with a reference kernel "
                      "(torch.library.impl) beside the op" if suggested else
                      "an .out overload whose keyword-only Tensor(a!) arguments receive "
                      "the results")
            raise self._error(
                f"custom op {op._schema.name}.{op._overloadname} has no out variant: a "
                "program calls every op through its .out overload, which writes into "
                "planned memory",
                f"Define {define}, and list {op._schema.name}.out in your custom_ops.yaml "
                "with its kernel (README, \"Custom operators\")",
            )
        if out_op is None:
            raise self._error(
                f"op {op._schema.name}.{op._overloadname} has no out variant",
                "Rewrite the model to avoid it, or register a custom op with an .out "
                "overload and a kernel",
            )
        emitted = f"{out_op._schema.name}.{out_op._overloadname}"
        if out_op.namespace == "aten" and emitted not in self.kernels:
            raise self._error(
                f"op {op._schema.name}.{op._overloadname} (emitted as {emitted}) has no kernel "
                "in upstream ExecuTorch's portable library and PyTorch has no decomposition "
                "for it, so upstream's runtime would refuse the program",
                "Rewrite that line with ops the portable library has (upstream's "
                "kernels/portable/functions.yaml; slimtorch.portable_ops lists them), or make "
                "it a custom op (torch.library) with an .out overload and a kernel",
            )
        results = val if isinstance(val, list | tuple) else [val]
        result_values = [self._tensor_value(r) for r in results]
        self.node_values[node] = (
            result_values if isinstance(val, list | tuple) else result_values[0]
        )
        schema_ = out_op._schema
        outs = out_variants.out_arguments(schema_)
        args: list[int] = []
        remaining = list(result_values)
        for a in schema_.arguments:
            if any(a.name == o.name for o in outs):
                if str(a.type) == "List[Tensor]":
                    idx = self._add(schema.TensorList(remaining))
                    remaining = []
                else:
                    idx = remaining.pop(0)
                args.append(idx)
                continue
            if a.name in bound:
                v = bound[a.name]
            elif a.has_default_value():
                v = a.default_value
            else:
                raise self._error(f"op {schema_.name}.{schema_.overload_name} argument {a.name} "
                                  "has no value", "Unsupported op form")
            args.append(self._arg_value(a, v))
        # The return value follows the args, as upstream emits it: the out tensor for a
        # single result, one TensorList of all out tensors for several (or a Tensor[] out).
        if isinstance(val, list | tuple):
            args.append(self._add(schema.TensorList(list(result_values))))
        else:
            args.append(result_values[0])
        self.instructions.append(
            schema.Instruction(schema.KernelCall(op_index=self._operator(out_op), args=args))
        )

    def _emit_delegate(self, node: Node) -> None:
        """DelegateCall{delegate_index, args = inputs then outputs} (upstream's convention);
        the outputs are planned tensors like any op's results. The blob's location is fixed
        in emit(), once the segments before the delegates' are known."""
        info = node.meta.get(partitioner.META_KEY)
        if not isinstance(info, partitioner.Delegate):
            raise self._error("a delegate node has no preprocessed backend data",
                              "Delegate nodes are made by slimtorch.backends.partitioner")
        index = len(self.delegates)
        if info.partition.index != index:
            raise self._error(f"delegate {info.partition.index} is emitted as delegate {index}",
                              "The partitioner numbers delegates in graph order")
        args = [self._node_tensor(a) for a in node.args]
        outs = [self._tensor_value(v) for v in node.meta["val"]]
        self.node_values[node] = outs
        pre = info.preprocessed
        blob = bytes(pre.blob)
        k = self.delegate_blobs.setdefault(blob, len(self.delegate_blobs))
        for key, value in pre.named_data.items():
            if self.named_data.setdefault(key, bytes(value)) != value:
                raise self._error(
                    f"backend {info.backend.name!r} gives named data {key!r} two different "
                    "values", "Named data keys must name one value (e.g. its sha256)")
        self.delegates.append(schema.BackendDelegate(
            id=info.backend.backend_id,
            processed=schema.BackendDelegateDataReference(int(schema.DataLocation.SEGMENT), k),
            compile_specs=[schema.CompileSpec(key, bytes(value))
                           for key, value in pre.compile_specs]))
        self.instructions.append(schema.Instruction(
            schema.DelegateCall(delegate_index=index, args=[*args, *outs])))

    def _delegate_data(self, first_segment: int) -> tuple[list[bytes], list[bytes],
                                                         list[schema.NamedData]]:
        """(delegate segments, named-data segments, named data entries); sets each delegate's
        blob reference: inline index, or segment `first_segment` + its distinct-blob index."""
        blobs = list(self.delegate_blobs)
        for d in self.delegates:
            assert d.processed is not None
            if self.delegate_inline:
                d.processed.location = int(schema.DataLocation.INLINE)
            else:
                d.processed.index += first_segment
        base = first_segment + (0 if self.delegate_inline else len(blobs))
        values: dict[bytes, int] = {}  # equal values under two keys share a segment
        entries = []
        for key, value in self.named_data.items():
            seg = values.setdefault(value, len(values))
            entries.append(schema.NamedData(key, base + seg))
        return ([] if self.delegate_inline else blobs), list(values), entries

    def _emit_placeholders(self) -> list[int]:
        sig = self.ep.graph_signature
        placeholders = [n for n in self.ep.graph.nodes if n.op == "placeholder"]
        user_inputs: list[int] = []
        mutated = set(sig.buffers_to_mutate.values())
        for node, spec in zip(placeholders, sig.input_specs, strict=True):
            self.node = node
            if spec.kind == InputKind.BUFFER and spec.target in mutated:
                t = self.ep.state_dict.get(spec.target)
                if t is None:
                    t = self.ep.constants.get(spec.target)  # non-persistent buffer
                if not isinstance(t, torch.Tensor):
                    raise self._error(f"mutable buffer {spec.target} has no tensor data",
                                      "Register the buffer with a tensor value")
                self.node_values[node] = self._mutable_tensor(t, spec.target)
                self.buffer_values[str(spec.target)] = self.node_values[node]
            elif spec.kind in (InputKind.PARAMETER, InputKind.BUFFER,
                               InputKind.CONSTANT_TENSOR):
                target = spec.target
                t = self.ep.state_dict.get(target) if target in self.ep.state_dict else None
                if t is None:
                    t = self.ep.constants.get(target)  # type: ignore[assignment]
                if not isinstance(t, torch.Tensor):
                    raise self._error(f"constant {target} has no tensor data",
                                      "Only tensor parameters/buffers are supported")
                self.node_values[node] = self._constant_tensor(t)
            elif spec.kind == InputKind.USER_INPUT:
                val = node.meta.get("val")
                if isinstance(val, torch.Tensor):
                    self.node_values[node] = self._tensor_value(val)
                else:
                    self.node_values[node] = self._int_value(val)
                user_inputs.append(self.node_values[node])
            else:
                raise self._error(f"input kind {spec.kind.name} is not supported",
                                  "Remove custom objects / tokens from the model")
        return user_inputs

    def _emit_outputs(self, node: Node) -> list[int]:
        sig = self.ep.graph_signature
        outs = []
        for spec, arg in zip(sig.output_specs, node.args[0], strict=True):  # type: ignore[arg-type]
            if spec.kind == OutputKind.BUFFER_MUTATION and str(spec.target) in self.buffer_values:
                # Write the new value back into the buffer's planned bytes, which keep it
                # until the next call (the buffer is live for the whole method).
                buf = self.buffer_values[str(spec.target)]
                src = self._node_tensor(arg)
                if src != buf:
                    self.emit_copy_(buf, src)
                continue
            if spec.kind != OutputKind.USER_OUTPUT:
                raise self._error(
                    f"output kind {spec.kind.name} is not supported",
                    "Return tensors; only buffers (register_buffer) may be updated in place")
            if isinstance(arg, Node):
                outs.append(self._node_tensor(arg))
            elif isinstance(arg, bool | int | float) or arg is None:
                outs.append(self._arg_value_const(arg))
            else:
                raise self._error(f"output {arg!r} is not supported", "Return tensors")
        return outs

    def _arg_value_const(self, v: Any) -> int:
        if v is None:
            return self._add(schema.Null())
        if isinstance(v, bool):
            return self._add(schema.Bool(v))
        if isinstance(v, int):
            return self._add(schema.Int(v))
        return self._add(schema.Double(float(v)))

    def emit_copy_(self, dst: int, src: int) -> None:
        """aten::copy_(dst, src, non_blocking=False) -> dst, as upstream emits it."""
        self.instructions.append(schema.Instruction(schema.KernelCall(
            op_index=self._operator(("aten::copy_", "")),
            args=[dst, src, self._add(schema.Bool(False)), dst])))

    def emit_nodes(self, graph: torch.fx.Graph) -> Node | None:
        """Emits every node of `graph` except placeholders (bound by the caller) and the
        output node, which is returned."""
        from slimtorch import control_flow

        output: Node | None = None
        for node in graph.nodes:
            self.node = node
            if node.op == "placeholder":
                continue
            if node.op == "output":
                output = node
            elif node.op == "get_attr":
                continue  # subgraphs of higher-order ops: read by the op that uses them
            elif node.op == "call_function" and node.target is operator.getitem:
                src = self.node_values[node.args[0]]
                self.node_values[node] = src[node.args[1]]
            elif node.op == "call_function" and (
                node.target == aten.sym_size.int or node.target in _SYM_OPS
            ):
                self._emit_sym(node)
            elif node.op == "call_function" and _is_runtime_check(node.target):
                continue  # export-time assertions: nothing to run on the device
            elif node.op == "call_function" and node.target is partitioner.delegate_call:
                self._emit_delegate(node)
            elif node.op == "call_function" and node.target in _UNINITIALISED and \
                    _static_tensors(node.meta.get("val")) is not None:
                # Uninitialised memory (scratch buffers of int8 kernels): a planned tensor
                # is exactly that, so no instruction runs.
                self.node_values[node] = self._tensor_value(node.meta["val"])
            elif node.op == "call_function" and isinstance(node.target, torch._ops.OpOverload):
                if not self._fold_constant(node):
                    self._emit_call(node)
            elif node.op == "call_function" and isinstance(
                    node.target, torch._ops.HigherOrderOperator):
                control_flow.emit_higher_order(self, node)
            else:
                raise self._data_dependent_error(graph, node) or self._error(
                    f"graph node {node.op} {node.target} is not supported",
                    "Use torch.cond, while_loop, map or scan for control flow, and ATen ops",
                )
        return output

    def _data_dependent_error(self, graph: torch.fx.Graph, node: Node) -> EmitError | None:
        """When `node` computes with a size only known at run time (an unbacked symbol, u0),
        the error blames the construct that made that size (torch.nonzero, a torch.cond whose
        branches return different shapes, ...) at its source line, not `node` (torch.export's
        shape checks on it, e.g. `u0 >= 0`, are what reach the emitter first)."""
        from torch.fx.experimental.symbolic_shapes import free_unbacked_symbols

        def unbacked(n: Node) -> set[Any]:
            try:
                return set(free_unbacked_symbols(n.meta.get("val")))
            except Exception:
                return set()

        wanted = unbacked(node)
        for arg in node.all_input_nodes:
            wanted |= unbacked(arg)
        if not wanted:
            return None
        origin = next((n for n in graph.nodes if n.op == "call_function"
                       and n.target not in _SYM_OPS and unbacked(n) & wanted), None)
        if origin is None:
            return None
        where = source_line(origin, self.model_file)
        model = f"{self.model_file}: " if self.model_file else ""
        val = origin.meta.get("val")
        shapes = [list(t.shape) for t in torch.utils._pytree.tree_leaves(val)
                  if isinstance(t, torch.Tensor)]
        shown = ", ".join(str(sh).replace("'", "") for sh in shapes)
        name = getattr(origin.target, "__name__", str(origin.target))
        if name == "cond":
            return EmitError(
                f"{model}torch.cond ({where}): its two branches return tensors of different "
                f"shapes, so the result's shape ({shown}) is only known at run time. An "
                "ExecuTorch program plans every tensor's memory at export: make both branches "
                "return the same shape (pad, slice or reshape inside the branch)")
        schema_name = getattr(getattr(origin.target, "_schema", None), "name", name)
        op = "torch." + str(schema_name).split("::")[-1]
        return EmitError(
            f"{model}{op} ({where}) returns a tensor whose shape ({shown}) depends on the "
            "input's values. An ExecuTorch program plans every tensor's memory at export: "
            "compute with a fixed shape instead (a boolean mask with torch.where(mask, x, 0) "
            "or multiplication, or torch.topk for a fixed number of elements)")

    def emit(self) -> EmittedProgram:
        inputs = self._emit_placeholders()
        output = self.emit_nodes(self.ep.graph)
        assert output is not None
        self.node = output
        outputs = self._emit_outputs(output)
        self.node = None
        self._drop_unread_constants(inputs, outputs)
        segment, offsets = pte.pack_constants(self.constants)
        mutable_segment, mutable_offsets = pte.pack_constants(self.mutable)
        plan = schema.ExecutionPlan(
            name="forward",
            container_meta_type=schema.ContainerMetadata(
                treespec_dumps(self.ep.call_spec.in_spec),
                treespec_dumps(self.ep.call_spec.out_spec),
            ),
            values=self.values, inputs=inputs, outputs=outputs,
            chains=[schema.Chain(inputs=[], outputs=[], instructions=self.instructions)],
            operators=self.operators, delegates=[],
            non_const_buffer_sizes=[0],
        )
        plan.delegates = self.delegates
        self._plan(plan)
        blob_segments, named_segments, named = self._delegate_data(2 if self.mutable else 1)
        program = schema.Program(
            version=0, execution_plan=[plan], constant_buffer=[],
            backend_delegate_data=[schema.BackendDelegateInlineData(b)
                                   for b in self.delegate_blobs] if self.delegate_inline else [],
            segments=[], constant_segment=schema.SubsegmentOffsets(0, offsets),
            mutable_data_segments=(
                [schema.SubsegmentOffsets(1, mutable_offsets)] if self.mutable else None),
            named_data=named or None,
        )
        return EmittedProgram(program, segment, mutable_segment, self.value_names,
                              blob_segments, named_segments)

    def _drop_unread_constants(self, inputs: list[int], outputs: list[int]) -> None:
        """Constants no instruction reads (a weight whose transpose was folded into a constant
        of its own) are not stored: their values become None and the constant segment keeps
        the rest, renumbered in order. Constants with identical bytes (a weight tied to two
        layers, the same mask folded twice) share one data buffer: each keeps its own tensor
        value (dtype and sizes may differ), all with the same data_buffer_idx."""
        used: set[int] = set(inputs) | set(outputs)
        for ins in self.instructions:
            used.update(memory_planning.touched_values(ins))
        for idx in list(used):
            v = self.values[idx].val
            if isinstance(v, schema.TensorList | schema.OptionalTensorList):
                used.update(i for i in v.items if i >= 0)
        kept: list[bytes] = []
        buffer_of: dict[bytes, int] = {}  # bytes -> data_buffer_idx: identical data stored once
        for idx in self.constant_data:  # creation order, which is data_buffer_idx order
            tensor = self.values[idx].val
            assert isinstance(tensor, schema.Tensor)
            if idx in used:
                data = self.constants[tensor.data_buffer_idx - 1]
                if data not in buffer_of:
                    kept.append(data)
                    buffer_of[data] = len(kept)
                tensor.data_buffer_idx = buffer_of[data]
            else:
                self.values[idx] = schema.EValue(schema.Null())
        self.constants = kept

    def _plan(self, plan: schema.ExecutionPlan) -> None:
        # One memory (id 1) by default; `memories` (slimtorch export --memory) for a hierarchy.
        memory_planning.plan_method(plan, self.memories, planned=self.planned,
                                    planner=self.planner, names=self.value_names)


def emit_program(ep: ExportedProgram, model_file: str | None = None,
                 fold_constants: bool = True, runtime: str = "any",
                 channels_last: bool = False,
                 memories: tuple[memory_planning.Memory, ...] | None = None,
                 planner: memory_planning.Planner | None = None,
                 delegate_inline: bool = False) -> EmittedProgram:
    """Emit a decomposed (core ATen) ExportedProgram as an ExecuTorch program.

    fold_constants: evaluate every op whose inputs are all constants at export time (see
    FOLD_GROWTH); off gives the plain instruction stream upstream ExecuTorch's default flow
    emits (one instruction per graph op). runtime: "any" (upstream's portable op set) or
    "slimtorch" (also the ops only slimtorch has kernels for: passes.SLIMTORCH_ONLY_OPS).
    channels_last: give channels-last values the dim order [0, 2, 3, 1] (the int8 lowering's
    programs); off, every planned tensor is contiguous. memories: fastest first (default one
    unbounded memory); planner: a memory_planning.Planner (default plan_hierarchy), its
    result verified (memory_planning.verify_plan). delegate_inline: store delegate blobs in
    Program.backend_delegate_data instead of segments (the default, as upstream's)."""
    emitter = _Emitter(ep, model_file)
    emitter.delegate_inline = delegate_inline
    emitter.memories = memories
    emitter.planner = planner
    emitter.channels_last = channels_last
    emitter.fold_constants = fold_constants
    emitter.kernels = passes.emittable_kernels(runtime)
    return emitter.emit()
