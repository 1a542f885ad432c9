"""Kernel catalogs: upstream ExecuTorch's ``functions.yaml`` / ``custom_ops.yaml`` format.

A catalog is a YAML list of entries. Each entry names an operator with ``op:``
(an ATen overload, e.g. ``addmm.out``) or ``func:`` (a full schema, e.g.
``my_ns::foo.out(Tensor x, *, Tensor(a!) out) -> Tensor(a!)``), and lists its
kernels under ``kernels:`` as ``{arg_meta, kernel_name}``. ``type_alias`` and
``dim_order_alias`` name the dtype / dim-order sets that ``arg_meta`` refers to.

This module parses and validates catalogs; it needs only pyyaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# ScalarType names accepted in type_alias, numbered as scalar_type.fbs does.
SCALAR_TYPES: dict[str, int] = {
    "Byte": 0,
    "Char": 1,
    "Short": 2,
    "Int": 3,
    "Long": 4,
    "Half": 5,
    "Float": 6,
    "Double": 7,
    "Bool": 11,
    "QInt8": 12,
    "QUInt8": 13,
    "QInt32": 14,
    "BFloat16": 15,
    "UInt16": 27,
    "UInt32": 28,
    "UInt64": 29,
}

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_OP_NAME_RE = re.compile(
    rf"^(?:(?P<ns>{_IDENT})::)?(?P<base>{_IDENT})(?:\.(?P<overload>{_IDENT}))?$"
)
_KERNEL_NAME_RE = re.compile(rf"^(?:{_IDENT}::)*{_IDENT}$")


class CatalogError(Exception):
    """A catalog file is malformed; the message names the file, the entry and the fix."""


@dataclass(frozen=True)
class Kernel:
    """One kernel of an operator: a C++ function and the dtypes/dim orders it accepts."""

    kernel_name: str  # fully qualified C++ name, e.g. "slimtorch::native::addmm_out"
    # arg name -> (dtype numbers, dim order); None means "every dtype" (arg_meta: null).
    arg_meta: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] | None


@dataclass(frozen=True)
class CatalogEntry:
    """One operator of a catalog and its kernels."""

    name: str  # registry name: "aten::addmm.out", "aten::copy_", "my_ns::foo.out"
    source: str  # "path/functions.yaml entry 3", for messages
    kernels: tuple[Kernel, ...] = field(default_factory=tuple)
    func: str | None = None  # the full schema of a `func:` entry; None for `op:`

    @property
    def default_kernel(self) -> Kernel:
        """The kernel the registry lists: the `arg_meta: null` one, else the first."""
        for k in self.kernels:
            if k.arg_meta is None:
                return k
        return self.kernels[0]


def operator_name(spec: str, is_func: bool) -> str:
    """Registry name of an ``op:`` value or of a ``func:`` schema's name part.

    ``addmm.out`` -> ``aten::addmm.out``; ``copy_`` -> ``aten::copy_``;
    ``my_ns::foo.out(...)`` -> ``my_ns::foo.out``. Raises ValueError on a bad name.
    """
    text = spec.strip()
    if is_func:
        paren = text.find("(")
        if paren < 0:
            raise ValueError(f"func schema {spec!r} has no argument list '(...)'")
        text = text[:paren].strip()
    m = _OP_NAME_RE.match(text)
    if not m:
        raise ValueError(f"{text!r} is not an operator name like 'add.out' or 'my_ns::foo.out'")
    ns = m.group("ns") or "aten"
    overload = m.group("overload")
    return f"{ns}::{m.group('base')}" + (f".{overload}" if overload else "")


def _parse_aliases(raw: Any, what: str, where: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: {what} must be a map of alias name -> list")
    out: dict[str, Any] = {}
    for alias, values in raw.items():
        if not isinstance(values, list) or not values:
            raise CatalogError(f"{where}: {what} {alias!r} must be a non-empty list")
        if what == "type_alias":
            bad = [v for v in values if v not in SCALAR_TYPES]
            if bad:
                raise CatalogError(
                    f"{where}: type_alias {alias!r} names unknown dtype(s) {bad}; "
                    f"use ScalarType names such as {', '.join(list(SCALAR_TYPES)[:7])}"
                )
            out[str(alias)] = tuple(SCALAR_TYPES[v] for v in values)
        else:
            if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values):
                raise CatalogError(
                    f"{where}: dim_order_alias {alias!r} must list non-negative integers"
                )
            if sorted(values) != list(range(len(values))):
                raise CatalogError(
                    f"{where}: dim_order_alias {alias!r}={values} is not a permutation "
                    f"of 0..{len(values) - 1}"
                )
            out[str(alias)] = tuple(values)
    return out


def _parse_kernel(raw: Any, types: dict[str, Any], orders: dict[str, Any], where: str) -> Kernel:
    if not isinstance(raw, dict) or "kernel_name" not in raw:
        raise CatalogError(
            f"{where}: each kernels item needs 'kernel_name' (and 'arg_meta', null for any dtype)"
        )
    name = raw["kernel_name"]
    if not isinstance(name, str) or not _KERNEL_NAME_RE.match(name):
        raise CatalogError(
            f"{where}: kernel_name {name!r} is not a qualified C++ name "
            "like 'slimtorch::native::add_out'"
        )
    meta = raw.get("arg_meta")
    if meta is None:
        return Kernel(name, None)
    if not isinstance(meta, dict):
        raise CatalogError(
            f"{where}: arg_meta must be null or a map of argument name -> "
            "[type alias, dim order alias]"
        )
    parsed: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}
    for arg, pair in meta.items():
        if not isinstance(pair, list) or len(pair) != 2:
            raise CatalogError(f"{where}: arg_meta {arg!r} must be [type alias, dim order alias]")
        t, d = (str(p).strip() for p in pair)
        if t not in types:
            raise CatalogError(
                f"{where}: arg_meta {arg!r} uses type alias {t!r}, "
                "not defined in this entry's type_alias"
            )
        if d not in orders:
            raise CatalogError(
                f"{where}: arg_meta {arg!r} uses dim order alias {d!r}, "
                "not defined in this entry's dim_order_alias"
            )
        parsed[str(arg)] = (types[t], orders[d])
    return Kernel(name, parsed)


def parse_catalog(text: str, path: str) -> list[CatalogEntry]:
    """Parses one catalog's YAML text; ``path`` is used in error messages."""
    data = yaml.safe_load(text)
    if data is None:
        return []
    if not isinstance(data, list):
        raise CatalogError(
            f"{path}: a kernel catalog is a YAML list of entries with 'op:' or 'func:'"
        )
    entries: list[CatalogEntry] = []
    for i, raw in enumerate(data):
        where = f"{path} entry {i + 1}"
        if not isinstance(raw, dict) or ("op" in raw) == ("func" in raw):
            raise CatalogError(
                f"{where}: needs exactly one of 'op:' (ATen overload) or 'func:' (full schema)"
            )
        is_func = "func" in raw
        spec = raw["func" if is_func else "op"]
        try:
            name = operator_name(str(spec), is_func)
        except ValueError as e:
            raise CatalogError(f"{where}: {e}") from None
        where = f"{where} ({name})"
        types = _parse_aliases(raw.get("type_alias"), "type_alias", where)
        orders = _parse_aliases(raw.get("dim_order_alias"), "dim_order_alias", where)
        kernels_raw = raw.get("kernels")
        if not isinstance(kernels_raw, list) or not kernels_raw:
            raise CatalogError(
                f"{where}: 'kernels:' must list at least one {{arg_meta, kernel_name}}"
            )
        kernels = tuple(_parse_kernel(k, types, orders, where) for k in kernels_raw)
        entries.append(
            CatalogEntry(
                name=name, source=where, kernels=kernels, func=str(spec) if is_func else None
            )
        )
    return entries


def load_catalogs(paths: list[str]) -> dict[str, CatalogEntry]:
    """Loads every catalog; operator name -> entry. Raises CatalogError on duplicates."""
    merged: dict[str, CatalogEntry] = {}
    for path in paths:
        try:
            text = Path(path).read_text()
        except OSError as e:
            raise CatalogError(f"cannot read catalog {path}: {e.strerror}") from None
        for entry in parse_catalog(text, path):
            if entry.name in merged:
                raise CatalogError(
                    f"{entry.source}: operator {entry.name} already has a kernel in "
                    f"{merged[entry.name].source}; "
                    "list each operator in one catalog only"
                )
            merged[entry.name] = entry
    return merged
