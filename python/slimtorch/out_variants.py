"""Mapping core-ATen ops to the `.out` kernels an ExecuTorch program calls.

Views become copies (`view` -> `view_copy`, `permute` -> `permute_copy`, ...), then every
functional op is replaced by the overload of the same op whose schema equals it plus
keyword-only mutable `out` tensors.
"""

from __future__ import annotations

import torch

aten = torch.ops.aten

# Ops whose copy form is not simply `<name>_copy.<overload>`.
_EXPLICIT_COPY: dict[torch._ops.OpOverload, torch._ops.OpOverload] = {
    aten.view.default: aten.view_copy.default,
    aten._unsafe_view.default: aten.view_copy.default,
    aten.reshape.default: aten.view_copy.default,
}


# Pure views (same elements, same order, a new shape) are emitted (emitter.py) as
# aten::view_copy.out with the result's static sizes: one kernel (a memcpy) serves them all.
# Upstream goes further: a static view that is not a graph output becomes
# executorch_prim::et_view, elided when planned, its tensor value sharing its base's
# allocation. Doing that here needs the alias to survive replanning (`slimtorch export
# --memory`, plan_program) and the inspect statistics, which see only the program, and care
# with loop state copied back in place; left for later. With dynamic sizes the op keeps its
# own *_copy kernel (its sizes are not known at export).
PURE_VIEWS = frozenset({
    aten.alias.default, aten.alias_copy.default, aten.squeeze.default, aten.squeeze.dim,
    aten.squeeze.dims, aten.squeeze_copy.default, aten.squeeze_copy.dim,
    aten.squeeze_copy.dims, aten.unsqueeze.default, aten.unsqueeze_copy.default,
    aten.view.default, aten.view_copy.default, aten._unsafe_view.default,
    aten.reshape.default, aten.as_strided.default, aten.as_strided_copy.default,
})


def is_view(op: torch._ops.OpOverload) -> bool:
    """True when the op's result aliases an input without writing it (a view)."""
    return any(
        r.alias_info is not None and not r.alias_info.is_write for r in op._schema.returns
    )


def copy_variant(op: torch._ops.OpOverload) -> torch._ops.OpOverload:
    """The non-aliasing form of `op` (itself when it is not a view)."""
    if op in _EXPLICIT_COPY:
        return _EXPLICIT_COPY[op]
    if not is_view(op):
        return op
    name = op._schema.name.split("::")[-1]
    packet = getattr(aten, name + "_copy", None)
    overload = op._overloadname
    if packet is not None and overload in packet.overloads():
        return getattr(packet, overload)
    return op


def out_arguments(schema: torch._C.FunctionSchema) -> list[torch._C.Argument]:
    """The keyword-only arguments the op writes (its `out` tensors)."""
    return [
        a for a in schema.arguments
        if a.kwarg_only and a.alias_info is not None and a.alias_info.is_write
    ]


def is_out_variant(schema: torch._C.FunctionSchema) -> bool:
    return bool(out_arguments(schema))


# Keyword-only tensor-factory arguments that an out variant drops (the out tensor has them).
_FACTORY_KWARGS = {"dtype", "layout", "device", "pin_memory"}


def out_variant(op: torch._ops.OpOverload) -> torch._ops.OpOverload | None:
    """The `.out` overload matching functional `op` argument for argument, or None.

    Factory ops (`full`, `scalar_tensor`, `arange`...) match without their keyword-only
    dtype/layout/device/pin_memory arguments, which the out tensor carries.
    """
    schema = op._schema
    if is_out_variant(schema):
        return op
    return _find_out(op, drop=set()) or _find_out(op, drop=_FACTORY_KWARGS)


def _find_out(op: torch._ops.OpOverload, drop: set[str]) -> torch._ops.OpOverload | None:
    schema = op._schema
    args = [a for a in schema.arguments if not (a.kwarg_only and a.name in drop)]
    want = [(a.name, str(a.type)) for a in args]
    want_types = [str(a.type) for a in args]
    name = schema.name.split("::")[-1]
    namespace = schema.name.split("::")[0]
    packet = getattr(getattr(torch.ops, namespace), name)
    by_type: torch._ops.OpOverload | None = None
    for overload in packet.overloads():
        candidate = getattr(packet, overload)
        cs = candidate._schema
        outs = out_arguments(cs)
        if not outs or len(outs) != max(len(schema.returns), 1):
            continue
        out_names = {a.name for a in outs}
        rest = [a for a in cs.arguments if a.name not in out_names]
        if [(a.name, str(a.type)) for a in rest] == want:
            return candidate
        if by_type is None and [str(a.type) for a in rest] == want_types:
            by_type = candidate
    return by_type


def suggested_out_schema(op: torch._ops.OpOverload) -> str | None:
    """The `.out` overload a custom op needs, as `torch.library.define` arguments:
    '"my_ops::my_op.out", "(Tensor x, float alpha, *, Tensor(a!) out) -> Tensor(a!)"'.
    None when the op returns something other than tensors (no out variant can say it)."""
    schema = op._schema
    if not schema.returns or any(str(r.type) != "Tensor" for r in schema.returns):
        return None
    text = str(schema)
    args = text[text.index("(") + 1 : text.rindex(") ->")].strip()
    letters = "abcdefghijklmnopqrstuvwxyz"
    if len(schema.returns) == 1:
        outs, returns = ["Tensor(a!) out"], "Tensor(a!)"
    else:
        outs = [f"Tensor({letters[i]}!) out{i}" for i in range(len(schema.returns))]
        returns = "(" + ", ".join(f"Tensor({letters[i]}!)" for i in range(len(outs))) + ")"
    star = "" if any(a.kwarg_only for a in schema.arguments) else "*, "
    joined = ", ".join(outs)
    arg_list = f"{args}, {star}{joined}" if args else f"*, {joined}"
    return f'"{schema.name}.out", "({arg_list}) -> {returns}"'
