"""Operator schemas as written in a catalog's ``func:`` (PyTorch's schema language).

    my_ops::my_op.out(Tensor x, float alpha=1.0, *, Tensor(a!) out) -> Tensor(a!)

parses into the operator's name, its arguments (type, name, keyword-only or not; defaults are
read past, not kept: a program lists every argument) and its return types. Only what the custom
op adapters (custom_op_adapter.py) need; it needs nothing beyond the standard library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
# The namespace may be left out (upstream's custom_ops.yaml writes "allclose.out"): aten.
_NAME_RE = re.compile(rf"^(?:(?P<ns>{_IDENT})::)?(?P<base>{_IDENT})(?:\.(?P<overload>{_IDENT}))?$")
# A type: a base name, an optional alias annotation "(a)" / "(a!)", list brackets "[]" or
# "[N]", and "?" for optional, in the orders PyTorch writes them (Tensor(a!)[], int[2]?).
_TYPE_RE = re.compile(
    rf"^(?P<base>{_IDENT})(?P<alias>\([a-z][a-z0-9]*!?\))?(?P<list>\[\d*\])?(?P<opt>\?)?$"
)


class SchemaError(ValueError):
    """A schema cannot be parsed; the message quotes the part that is wrong."""


@dataclass(frozen=True)
class SchemaType:
    """One argument or return type: `Tensor(a!)` is base "Tensor", alias "a!"."""

    base: str  # "Tensor", "float", "int", "SymInt", "bool", "Scalar", "ScalarType", ...
    alias: str | None = None  # "a" (a view), "a!" (written); None when not annotated
    is_list: bool = False
    list_size: int | None = None  # int[2] -> 2
    optional: bool = False

    @property
    def is_mutable(self) -> bool:
        return self.alias is not None and self.alias.endswith("!")

    def __str__(self) -> str:
        text = self.base
        if self.alias is not None:
            text += f"({self.alias})"
        if self.is_list:
            text += f"[{self.list_size if self.list_size is not None else ''}]"
        return text + ("?" if self.optional else "")


@dataclass(frozen=True)
class Argument:
    name: str
    type: SchemaType
    kwarg_only: bool


@dataclass(frozen=True)
class OpSchema:
    namespace: str
    base: str
    overload: str  # "" when the schema names no overload
    arguments: tuple[Argument, ...]
    returns: tuple[SchemaType, ...]

    @property
    def name(self) -> str:
        """Registry name: "my_ops::my_op.out" ("my_ops::my_op" without an overload)."""
        return f"{self.namespace}::{self.base}" + (f".{self.overload}" if self.overload else "")


def _split_top_level(text: str) -> list[str]:
    """`text` split at the commas outside brackets, parentheses and quotes."""
    parts: list[str] = []
    depth = 0
    quote: str | None = None
    start = 0
    for i, c in enumerate(text):
        if quote is not None:
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
            if depth < 0:
                raise SchemaError(f"unbalanced {c!r} in {text!r}")
        elif c == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    if depth != 0 or quote is not None:
        raise SchemaError(f"unbalanced brackets or quotes in {text!r}")
    last = text[start:].strip()
    if last or parts:
        parts.append(last)
    return parts


def parse_type(text: str) -> SchemaType:
    m = _TYPE_RE.match(text.strip())
    if not m:
        raise SchemaError(f"{text!r} is not a schema type (e.g. Tensor, Tensor(a!), int[], float?)")
    alias = m.group("alias")
    lst = m.group("list")
    return SchemaType(
        base=m.group("base"),
        alias=alias[1:-1] if alias else None,
        is_list=lst is not None,
        list_size=int(lst[1:-1]) if lst and lst[1:-1] else None,
        optional=m.group("opt") is not None,
    )


def _parse_argument(text: str, kwarg_only: bool) -> Argument:
    decl = text.split("=", 1)[0].strip()  # the default value is not needed
    type_text, _, name = decl.rpartition(" ")
    if not type_text or not re.match(rf"^{_IDENT}$", name):
        raise SchemaError(f"argument {text!r} is not 'TYPE NAME' (e.g. 'Tensor x', 'float alpha')")
    return Argument(name=name, type=parse_type(type_text), kwarg_only=kwarg_only)


def _parse_returns(text: str) -> tuple[SchemaType, ...]:
    text = text.strip()
    if text.startswith("(") and text.endswith(")"):
        items = _split_top_level(text[1:-1])
    else:
        items = [text]
    out = []
    for item in items:
        if not item:
            continue
        # A named return ("Tensor(a!) values") keeps only its type.
        type_text = item.rpartition(" ")[0] if " " in item.strip() else item
        out.append(parse_type(type_text))
    return tuple(out)


def parse_schema(text: str) -> OpSchema:
    """Parses `ns::name.overload(args) -> returns`. Raises SchemaError naming what is wrong."""
    text = " ".join(text.split())
    open_paren = text.find("(")
    arrow = text.rfind("->")
    if open_paren < 0 or arrow < open_paren:
        raise SchemaError(f"{text!r} is not a schema 'ns::name.overload(ARGS) -> RETURNS'")
    head = text[:open_paren].strip()
    m = _NAME_RE.match(head)
    if not m:
        raise SchemaError(f"{head!r} is not an operator name like 'my_ops::foo.out'")
    args_text = text[open_paren:arrow].strip()
    if not args_text.endswith(")"):
        raise SchemaError(f"the argument list of {head} does not end with ')' before '->'")
    arguments: list[Argument] = []
    kwarg_only = False
    for part in _split_top_level(args_text[1:-1]):
        if part == "*":
            kwarg_only = True
            continue
        if not part:
            raise SchemaError(f"empty argument in the argument list of {head}")
        arguments.append(_parse_argument(part, kwarg_only))
    names = [a.name for a in arguments]
    if len(set(names)) != len(names):
        raise SchemaError(f"{head} names an argument twice: {names}")
    return OpSchema(
        namespace=m.group("ns") or "aten",
        base=m.group("base"),
        overload=m.group("overload") or "",
        arguments=tuple(arguments),
        returns=_parse_returns(text[arrow + 2 :]),
    )
