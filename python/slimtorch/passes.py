"""Which ops a program calls: the decomposition table between torch.export and emission.

Decisions (each checked by tests/test_export_passes.py):

- **Preserved ops.** PyTorch's core-ATen table decomposes some ops into several simpler ones
  although upstream ExecuTorch's portable library has a kernel for the op itself (one call,
  one output buffer instead of a chain of temporaries). `PRESERVED_OPS` lists them; they are
  removed from the table, as upstream's to_edge would keep an op a partitioner asks for.
  Only ops whose `.out` overload is in upstream's portable set qualify, so that upstream's
  runtime can still run every program: `hardswish` has a slimtorch kernel but no upstream
  portable kernel, so it is decomposed (into clamp/mul/div, which both runtimes have) unless
  the program is for slimtorch's runtime alone (`SLIMTORCH_ONLY_OPS`, runtime="slimtorch").
  Layout ops (t, transpose, squeeze, unsqueeze) are not kept: their decompositions are
  single permute/view copies already.
- **Decomposed beyond core ATen.** An ATen op whose `.out` kernel is not in upstream's
  portable set is refused by upstream's runtime at load_method (error 0x14). Every such op
  that PyTorch has a decomposition for is decomposed too (e.g. `linalg_vector_norm`, which
  weight norm calls and core ATen keeps; upstream's to_edge adds the same decomposition). An
  op with neither a kernel nor a decomposition is an export error raised by the emitter,
  naming the op and the source line (unless constant folding evaluates it at export).
- **Custom ops** (torch.library, not ATen) with an `.out` overload are never decomposed: the
  program calls their out variant as one instruction, whose kernel the user brings
  (custom_ops.yaml; README "Custom operators").
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Iterator

import torch
from torch._decomp import decomposition_table as _ALL_DECOMPOSITIONS
from torch.export import ExportedProgram, default_decompositions

from slimtorch import out_variants
from slimtorch.portable_ops import UPSTREAM_PORTABLE_OPS

_LEAFSPEC_WARNING = r"`isinstance\(treespec, LeafSpec\)` is deprecated"


@contextlib.contextmanager
def quiet_treespec_copy() -> Iterator[None]:
    """Around a deep copy of torch.export objects: torch 2.13's pytree specs, when copied,
    warn (FutureWarning) about torch's own deprecated `isinstance(treespec, LeafSpec)` check,
    on every export and with nothing a user can change. Only that warning is silenced, and
    only inside the block."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_LEAFSPEC_WARNING, category=FutureWarning)
        yield

aten = torch.ops.aten

# Ops the core-ATen table would decompose that upstream's portable library runs whole
# (each one's emitted .out overload is in UPSTREAM_PORTABLE_OPS: a test checks it).
PRESERVED_OPS: tuple[torch._ops.OpOverload, ...] = (
    aten.glu.default,
    aten.logit.default,
    aten.masked_fill.Scalar,
    aten.pixel_shuffle.default,
    aten.pixel_unshuffle.default,
    aten.reflection_pad1d.default,
    aten.reflection_pad2d.default,
    aten.reflection_pad3d.default,
    aten.replication_pad1d.default,
    aten.replication_pad2d.default,
    aten.replication_pad3d.default,
    aten.roll.default,
    aten.rsub.Scalar,
    aten.select_scatter.default,
    aten.stack.default,
    aten.tril.default,
    aten.unbind.int,
    aten.var.dim,
    aten.floor_divide.default,
    aten.fill.Scalar,
    aten.fill.Tensor,
)

# Ops slimtorch's portable library runs whole but upstream's has no kernel for. They are kept
# whole only for programs meant for slimtorch's runtime alone (runtime="slimtorch":
# `slimtorch export --runtime slimtorch`, `executorch_model(..., runtime = "slimtorch")`): one
# kernel call instead of clamp arithmetic, in a program that upstream's runtime refuses. By
# default (runtime="any") they are decomposed, so that both runtimes run every program.
SLIMTORCH_ONLY_OPS: tuple[torch._ops.OpOverload, ...] = (aten.hardswish.default,)

# What a program is for: "any" runtime (upstream's portable op set) or "slimtorch" only.
RUNTIMES = ("any", "slimtorch")

# Ops the emitter writes under another name than their `.out` overload (emitter.py).
_EMITTED_AS: dict[torch._ops.OpOverload, str] = {
    aten._to_copy.default: "dim_order_ops::_to_dim_order_copy.out",
    aten.clone.default: "dim_order_ops::_clone_dim_order.out",
    aten.t.default: "aten::permute_copy.out",
}


def emitted_name(op: torch._ops.OpOverload) -> str | None:
    """`namespace::name.overload` of the kernel the emitter calls for `op` (pure views are
    emitted as view_copy: out_variants.PURE_VIEWS), or None when `op` has no out variant."""
    if op in _EMITTED_AS:
        return _EMITTED_AS[op]
    if op in out_variants.PURE_VIEWS:
        return "aten::view_copy.out"
    try:
        out = out_variants.out_variant(out_variants.copy_variant(op))
    except (AttributeError, RuntimeError):
        return None
    if out is None:
        return None
    return f"{out._schema.name}.{out._overloadname}"


def has_upstream_kernel(op: torch._ops.OpOverload) -> bool:
    """True when `op` is not an ATen op (custom ops bring their kernels) or upstream's portable
    library has the kernel it is emitted as."""
    if op.namespace != "aten":
        return True
    return emitted_name(op) in UPSTREAM_PORTABLE_OPS


@functools.cache
def _beyond_core() -> dict[torch._ops.OpOverload, object]:
    """Decompositions of ATen ops that have an out variant but no upstream portable kernel."""
    extra: dict[torch._ops.OpOverload, object] = {}
    for op, fn in _ALL_DECOMPOSITIONS.items():
        if not isinstance(op, torch._ops.OpOverload) or op.namespace != "aten":
            continue
        if op in PRESERVED_OPS or out_variants.is_out_variant(op._schema):
            continue
        if any(a.alias_info is not None and a.alias_info.is_write for a in op._schema.arguments):
            continue  # in-place ops: functionalization has removed them
        name = emitted_name(op)
        if name is not None and name not in UPSTREAM_PORTABLE_OPS:
            extra[op] = fn
    return extra


def _check_runtime(runtime: str) -> None:
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {', '.join(RUNTIMES)}, not {runtime!r}")


def emittable_kernels(runtime: str = "any") -> frozenset[str]:
    """ATen kernels a program for `runtime` may call: upstream's portable set, plus
    SLIMTORCH_ONLY_OPS' kernels for runtime="slimtorch"."""
    _check_runtime(runtime)
    if runtime == "any":
        return UPSTREAM_PORTABLE_OPS
    extra = {emitted_name(op) for op in SLIMTORCH_ONLY_OPS}
    return UPSTREAM_PORTABLE_OPS | {name for name in extra if name is not None}


def decomposition_table(runtime: str = "any") -> dict[torch._ops.OpOverload, object]:
    """Core ATen, minus PRESERVED_OPS, plus every decomposable op upstream has no kernel for;
    for runtime="slimtorch" also minus SLIMTORCH_ONLY_OPS."""
    _check_runtime(runtime)
    table = default_decompositions()
    for op in PRESERVED_OPS:
        table.pop(op, None)
    for op, fn in _beyond_core().items():
        if op not in table:
            table[op] = fn
    if runtime == "slimtorch":
        for op in SLIMTORCH_ONLY_OPS:
            table.pop(op, None)
    for op in _custom_ops_kept_whole(table):
        table.pop(op, None)
    return table  # type: ignore[return-value]


def _custom_ops_kept_whole(
    table: dict[torch._ops.OpOverload, object],
) -> list[torch._ops.OpOverload]:
    """Custom ops (not ATen) that have an `.out` overload: one instruction calling the user's
    kernel (custom_ops.yaml), never decomposed, even when their Python reference is a
    CompositeImplicitAutograd kernel, which the table would otherwise trace through. Reading
    the table lists the custom ops registered so far (the model file's, imported before
    export). A custom op without an out variant stays decomposable: its decomposition is then
    the only way to emit it."""
    kept = []
    for op in list(table):
        if not isinstance(op, torch._ops.OpOverload) or op.namespace == "aten":
            continue
        try:
            if out_variants.out_variant(op) is not None:
                kept.append(op)
        except (AttributeError, RuntimeError):
            continue
    return kept


def decompose(ep: ExportedProgram, runtime: str = "any") -> ExportedProgram:
    """`ep` in the op set slimtorch emits for `runtime` (see the module doc)."""
    with quiet_treespec_copy():  # run_decompositions deep-copies the module call graph
        return ep.run_decompositions(decomposition_table(runtime))  # type: ignore[arg-type]


def _constant_placeholders(ep: ExportedProgram) -> dict[torch.fx.Node, torch.Tensor]:
    """Placeholder -> tensor, for parameters, lifted constants and buffers never mutated."""
    from torch.export.graph_signature import InputKind

    mutated = set(ep.graph_signature.buffers_to_mutate.values())
    placeholders = [n for n in ep.graph.nodes if n.op == "placeholder"]
    found: dict[torch.fx.Node, torch.Tensor] = {}
    for node, spec in zip(placeholders, ep.graph_signature.input_specs, strict=True):
        if spec.kind not in (InputKind.PARAMETER, InputKind.BUFFER, InputKind.CONSTANT_TENSOR):
            continue
        if spec.target in mutated:
            continue
        t = ep.state_dict.get(spec.target)  # type: ignore[arg-type]
        if t is None:
            t = ep.constants.get(spec.target)  # type: ignore[arg-type,assignment]
        if isinstance(t, torch.Tensor):
            found[node] = t
    return found


def _is_transpose_2d(node: torch.fx.Node) -> bool:
    if node.op != "call_function":
        return False
    if node.target == aten.t.default:
        return True
    return node.target == aten.permute.default and list(node.args[1]) == [1, 0]  # type: ignore[arg-type]


def share_tied_embeddings(ep: ExportedProgram) -> int:
    """Tied embedding and LM head: store the weight once, transposed.

    The LM head reads W^T (a permute that constant folding turns into a constant of its own)
    and the embedding reads W, so a tied weight would be stored twice (W and W^T; dedup of
    identical bytes cannot help: the bytes differ). When a constant 2-D weight is both
    transposed and read by aten.embedding (indices of static shape), the embedding is
    rewritten to read the transposed copy: embedding(W, i) ==
    view(permute(index_select(W^T, 1, view(i, [-1])), [1, 0]), i.shape + [D]). Folding then
    stores W^T once (both permutes fold to the same bytes) and drops W; the device gathers n
    columns and transposes an [D, n] result instead of reading rows (small, for n tokens).
    Mutates `ep`'s graph; returns how many embeddings were rewritten. Only sensible with
    constant folding on."""
    constants = _constant_placeholders(ep)

    def key(node: torch.fx.Node) -> tuple[int, tuple[int, ...], torch.dtype]:
        t = constants[node]
        return (t.untyped_storage().data_ptr() + t.storage_offset() * t.element_size(),
                tuple(t.shape), t.dtype)

    transposed = {key(n.args[0]) for n in ep.graph.nodes  # type: ignore[arg-type]
                  if _is_transpose_2d(n) and n.args[0] in constants}
    graph = ep.graph
    rewritten = 0
    for node in list(graph.nodes):
        if node.op != "call_function" or node.target != aten.embedding.default:
            continue
        weight, indices = node.args[0], node.args[1]
        if weight not in constants or key(weight) not in transposed:  # type: ignore[arg-type]
            continue
        w, idx, out = weight.meta.get("val"), indices.meta.get("val"), node.meta.get("val")  # type: ignore[union-attr]
        if not all(isinstance(v, torch.Tensor) for v in (w, idx, out)) or w.dim() != 2:
            continue
        if any(not isinstance(s, int) for s in (*idx.shape, *out.shape)):
            continue  # dynamic token count: keep the plain embedding
        n, d = idx.numel(), w.shape[1]

        def meta(shape: tuple[int, ...] | list[int], dtype: torch.dtype) -> torch.Tensor:
            return torch.empty(shape, dtype=dtype, device="meta")

        with graph.inserting_before(node):
            steps = [
                (aten.permute.default, (weight, [1, 0]), (d, w.shape[0]), w.dtype),
                (aten.view.default, (indices, [-1]), (n,), idx.dtype),
                (aten.index_select.default, (None, 1, None), (d, n), w.dtype),
                (aten.permute.default, (None, [1, 0]), (n, d), w.dtype),
                (aten.view.default, (None, list(out.shape)), tuple(out.shape), w.dtype),
            ]
            made: list[torch.fx.Node] = []
            for target, args, shape, dtype in steps:
                if target == aten.index_select.default:
                    args = (made[0], 1, made[1])
                elif args[0] is None:
                    args = (made[-1], *args[1:])
                new = graph.call_function(target, args)
                new.meta["val"] = meta(shape, dtype)
                new.meta["stack_trace"] = node.meta.get("stack_trace")
                made.append(new)
        node.replace_all_uses_with(made[-1])
        graph.erase_node(node)
        rewritten += 1
    if rewritten:
        graph.lint()
    return rewritten
