"""Adapters between the registry's boxed calling convention and typed custom op kernels.

A user writes a custom op kernel with the types its schema names (runtime/kernel/custom_op.h):

    // my_ops::my_op.out(Tensor x, float alpha, *, Tensor(a!) out) -> Tensor(a!)
    slimtorch::Error my_device::my_op_out(slimtorch::KernelContext& ctx,
                                          const slimtorch::Tensor& x, double alpha,
                                          slimtorch::Tensor& out);

The registry calls every kernel as `Error fn(KernelContext&, EValue** args, size_t nargs)`,
args = the schema's arguments in order, then the return value (runtime/kernel/kernel.h). For a
custom op, codegen writes that boxed function: it checks nargs and each argument's EValue tag
(failing with a message naming the argument), then calls the typed kernel. The types:

| schema | C++ parameter | EValue accepted |
|---|---|---|
| `Tensor` | `const slimtorch::Tensor&` | Tensor |
| `Tensor(a!)` | `slimtorch::Tensor&` | Tensor |
| `Tensor?` | `const slimtorch::Tensor*` (nullptr for None) | Tensor or None |
| `float` | `double` | Double |
| `int`, `SymInt` | `int64_t` | Int |
| `bool` | `bool` | Bool |
| `Scalar` | `double` | Int, Double or Bool |
| `int[]`, `int[N]`, `SymInt[]` | `slimtorch::IntListRef` (`.size`, `.at(i)`) | IntList |
| `ScalarType` | `slimtorch::ScalarType` | Int naming a known dtype |

The return value (the out tensor, or a TensorList of them for several) is checked, not passed.
Any other type is a codegen error naming the op and the argument.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from op_schema import Argument, OpSchema, SchemaType

_NS = "::slimtorch::"
_SUPPORTED = (
    "Tensor, Tensor(a!), Tensor?, float, int, SymInt, bool, Scalar, int[], int[N], SymInt[], "
    "ScalarType"
)


class AdapterError(ValueError):
    """A custom op's schema has a type the adapter cannot pass; the message names the op, the
    argument and the supported types."""


@dataclass(frozen=True)
class _Param:
    cpp_type: str  # the typed kernel's parameter type
    check: str  # C++ condition that is true when args[i] is NOT acceptable ("{a}" = args[i])
    expected: str  # what the message says was expected
    value: str  # C++ expression passing args[i] ("{a}" = args[i])


def _param(op: str, arg: Argument) -> _Param:
    t = arg.type
    where = f"custom op {op}: argument {arg.name!r} has type {t}"
    if t.base == "Tensor" and not t.is_list:
        if t.alias is not None and not t.is_mutable:
            raise AdapterError(
                f"{where}, a view of another argument; a custom op kernel writes its results "
                f"into out tensors: use Tensor or Tensor(a!) (supported types: {_SUPPORTED})"
            )
        is_tensor = "{a} == nullptr || !{a}->is_tensor() || {a}->v.t == nullptr"
        if t.optional:
            if t.is_mutable:
                raise AdapterError(
                    f"{where}; an optional out tensor is not supported: use "
                    "Tensor(a!) (the program always passes the out tensor)"
                )
            return _Param(
                f"const {_NS}Tensor*",
                "{a} == nullptr || (!{a}->is_none() && (!{a}->is_tensor() || {a}->v.t == nullptr))",
                "a Tensor or None",
                "{a}->is_none() ? nullptr : {a}->v.t",
            )
        cpp = f"{_NS}Tensor&" if t.is_mutable else f"const {_NS}Tensor&"
        return _Param(cpp, is_tensor, "a Tensor", "*{a}->v.t")
    if t.optional or t.alias is not None:
        raise AdapterError(
            f"{where}, which the generated adapter cannot pass; supported types: {_SUPPORTED}"
        )
    if t.is_list:
        if t.base in ("int", "SymInt"):
            check = "{a} == nullptr || !{a}->is_int_list()"
            expected = "an int list"
            if t.list_size is not None:
                check += f" || {{a}}->v.il.size != {t.list_size}"
                expected = f"an int list of {t.list_size} items"
            return _Param(f"{_NS}IntListRef", check, expected, "{a}->v.il")
        raise AdapterError(
            f"{where}, which the generated adapter cannot pass; supported types: {_SUPPORTED}"
        )
    scalars = {
        "float": _Param("double", "{a} == nullptr || !{a}->is_double()", "a float", "{a}->v.d"),
        "int": _Param("int64_t", "{a} == nullptr || !{a}->is_int()", "an int", "{a}->v.i"),
        "SymInt": _Param("int64_t", "{a} == nullptr || !{a}->is_int()", "an int", "{a}->v.i"),
        "bool": _Param("bool", "{a} == nullptr || !{a}->is_bool()", "a bool", "{a}->v.b"),
        "Scalar": _Param(
            "double",
            "{a} == nullptr || !({a}->is_int() || {a}->is_double() || {a}->is_bool())",
            "a Scalar (int, float or bool)",
            "{a}->to_scalar_double()",
        ),
        "ScalarType": _Param(
            f"{_NS}ScalarType",
            "{a} == nullptr || !{a}->is_int() || {a}->v.i < 0 || {a}->v.i > 127 || "
            f"{_NS}element_size(static_cast<{_NS}ScalarType>({{a}}->v.i)) == 0",
            "a ScalarType (an int naming a known dtype)",
            f"static_cast<{_NS}ScalarType>({{a}}->v.i)",
        ),
    }
    if t.base in scalars:
        return scalars[t.base]
    raise AdapterError(
        f"{where}, which the generated adapter cannot pass; supported types: {_SUPPORTED}"
    )


def _check_returns(op: str, returns: tuple[SchemaType, ...]) -> None:
    if not returns:
        raise AdapterError(
            f"custom op {op} returns nothing; an out variant returns its out tensor: end the "
            "schema with '-> Tensor(a!)' (as ATen's .out overloads do)"
        )
    for r in returns:
        if r.base != "Tensor" or r.is_list or r.optional:
            raise AdapterError(
                f"custom op {op} returns {r}; an out variant returns its out tensor(s): "
                "'-> Tensor(a!)' or '-> (Tensor(a!), Tensor(b!))'"
            )


@dataclass(frozen=True)
class Adapter:
    """The boxed function of one custom op and the typed kernel it calls."""

    op: str  # "my_ops::my_op.out"
    kernel_name: str  # "my_device::my_op_out"
    symbol: str  # the adapter's C++ name (in the registry's anonymous namespace)
    declaration: str  # the typed kernel's declaration, in its namespaces
    definition: str  # the adapter's definition


def c_string(text: str) -> str:
    """`text` as a C++ string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def adapter_symbol(op: str) -> str:
    """The adapter's C++ name: "my_ops::my_op.out" -> "my_ops_my_op_out_adapter"."""
    return re.sub(r"[^A-Za-z0-9]+", "_", op).strip("_") + "_adapter"


def typed_declaration(kernel_name: str, params: list[str]) -> str:
    *namespaces, fn = kernel_name.split("::")
    decl = f"{_NS}Error {fn}({_NS}KernelContext& ctx" + "".join(f", {p}" for p in params) + ");"
    for ns in reversed(namespaces):
        decl = f"namespace {ns} {{ {decl} }}"
    return decl


def make_adapter(
    schema: OpSchema, kernel_name: str, schema_text: str, source: str, symbol: str | None = None
) -> Adapter:
    """The adapter of one custom op. Raises AdapterError for a type it cannot pass."""
    op = schema.name
    _check_returns(op, schema.returns)
    params = [_param(op, a) for a in schema.arguments]
    nargs = len(schema.arguments) + 1  # the arguments, then the return value
    names = [a.name for a in schema.arguments] + ["the return value"]
    ret_check, ret_expected = (
        ("{a} == nullptr || !{a}->is_tensor()", "a Tensor")
        if len(schema.returns) == 1
        else ("{a} == nullptr || {a}->tag != ::slimtorch::Tag::TensorList", "a TensorList")
    )
    sym = symbol or adapter_symbol(op)
    lines = [
        f"// {' '.join(schema_text.split())}",
        f"// ({source}): checks the boxed arguments, then calls {kernel_name}.",
        f"{_NS}Error {sym}({_NS}KernelContext& ctx, {_NS}EValue** args, size_t nargs) {{",
        f"  if (nargs != {nargs}) {{",
        "    return ctx.fail("
        + c_string(f"expected {nargs} arguments ({', '.join(names)})")
        + f", {_NS}Error::InvalidArgument);",
        "  }",
    ]
    for i, (arg, p) in enumerate(zip(schema.arguments, params, strict=True)):
        a = f"args[{i}]"
        lines += [
            f"  if ({p.check.format(a=a)}) {{",
            "    return ctx.fail("
            + c_string(f"{arg.name}: expected {p.expected} (schema: {arg.type} {arg.name})")
            + f", {_NS}Error::InvalidArgument);",
            "  }",
        ]
    r = f"args[{nargs - 1}]"
    lines += [
        f"  if ({ret_check.format(a=r)}) {{",
        "    return ctx.fail("
        + c_string(f"return value: expected {ret_expected}")
        + f", {_NS}Error::InvalidArgument);",
        "  }",
    ]
    call_args = ["ctx"] + [p.value.format(a=f"args[{i}]") for i, p in enumerate(params)]
    lines += [f"  return ::{kernel_name}({', '.join(call_args)});", "}"]
    declared = [f"{p.cpp_type} /*{a.name}*/" for a, p in zip(schema.arguments, params, strict=True)]
    return Adapter(
        op=op,
        kernel_name=kernel_name,
        symbol=sym,
        declaration=typed_declaration(kernel_name, declared),
        definition="\n".join(lines),
    )
