"""Which ops a program calls: the decomposition table between torch.export and emission.

Decisions (each checked by tests/test_export_passes.py):

- **Preserved ops.** PyTorch's core-ATen table decomposes some ops into several simpler ones
  although upstream ExecuTorch's portable library has a kernel for the op itself (one call,
  one output buffer instead of a chain of temporaries). `PRESERVED_OPS` lists them; they are
  removed from the table, as upstream's to_edge would keep an op a partitioner asks for.
  Only ops whose `.out` overload is in upstream's portable set qualify, so that upstream's
  runtime can still run every program: `hardswish`, `hardsigmoid`, `silu`... have slimtorch
  kernels but no upstream portable kernel, so they are still decomposed (into clamp/mul/div,
  which both runtimes have). Layout ops (t, transpose, squeeze, unsqueeze) are not kept:
  their decompositions are single permute/view copies already.
- **Decomposed beyond core ATen.** An ATen op whose `.out` kernel is not in upstream's
  portable set is refused by upstream's runtime at load_method (error 0x14). Every such op
  that PyTorch has a decomposition for is decomposed too (e.g. `linalg_vector_norm`, which
  weight norm calls and core ATen keeps; upstream's to_edge adds the same decomposition). An
  op with neither a kernel nor a decomposition is an export error raised by the emitter,
  naming the op and the source line (unless constant folding evaluates it at export).
"""

from __future__ import annotations

import functools

import torch
from torch._decomp import decomposition_table as _ALL_DECOMPOSITIONS
from torch.export import ExportedProgram, default_decompositions

from slimtorch import out_variants
from slimtorch.portable_ops import UPSTREAM_PORTABLE_OPS

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

# Ops the emitter writes under another name than their `.out` overload (emitter.py).
_EMITTED_AS: dict[torch._ops.OpOverload, str] = {
    aten._to_copy.default: "dim_order_ops::_to_dim_order_copy.out",
    aten.clone.default: "dim_order_ops::_clone_dim_order.out",
    aten.t.default: "aten::permute_copy.out",
}


def emitted_name(op: torch._ops.OpOverload) -> str | None:
    """`namespace::name.overload` of the kernel the emitter calls for `op` (pure views are
    emitted as view_copy: emitter._PURE_VIEWS), or None when `op` has no out variant."""
    if op in _EMITTED_AS:
        return _EMITTED_AS[op]
    from slimtorch.emitter import _PURE_VIEWS  # the emitter imports this module

    if op in _PURE_VIEWS:
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


def decomposition_table() -> dict[torch._ops.OpOverload, object]:
    """Core ATen, minus PRESERVED_OPS, plus every decomposable op upstream has no kernel for."""
    table = default_decompositions()
    for op in PRESERVED_OPS:
        table.pop(op, None)
    for op, fn in _beyond_core().items():
        if op not in table:
            table[op] = fn
    return table  # type: ignore[return-value]


def decompose(ep: ExportedProgram) -> ExportedProgram:
    """`ep` in the op set slimtorch emits (see the module doc)."""
    return ep.run_decompositions(decomposition_table())  # type: ignore[arg-type]
