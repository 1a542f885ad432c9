"""Backend catalogs: which delegate backends a build can link, and where their C++ lives.

A catalog (e.g. ``backends/xnnpack/backends.yaml``) is a YAML list of entries::

    - id: XnnpackBackend                               # BackendDelegate.id in programs
      symbol: "slimtorch::xnnpack::kXnnpackBackend"    # a `const slimtorch::Backend`
      header: "backends/xnnpack/xnnpack_backend.h"     # declares it

A manifest names the backends its program delegates to (``build_features:
["backend:XnnpackBackend"]``, codegen/op_manifest.py); gen_registry.py puts the
selected entries' symbols into ``kSelectedBackends[]`` (runtime/backend/backend.h).
This module parses and validates catalogs; it needs only pyyaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]+$")
_SYMBOL_RE = re.compile(rf"^(?:{_IDENT}::)*{_IDENT}$")
_HEADER_RE = re.compile(r"^[A-Za-z0-9_./-]+\.(h|hpp)$")

_EXAMPLE = (
    'e.g. \'- {id: XnnpackBackend, symbol: "slimtorch::xnnpack::kXnnpackBackend", '
    'header: "backends/xnnpack/xnnpack_backend.h"}\''
)


class BackendCatalogError(Exception):
    """A backend catalog is malformed; the message names the file, the entry and the fix."""


@dataclass(frozen=True)
class BackendEntry:
    """One linkable backend."""

    id: str  # BackendDelegate.id, Backend::name ("XnnpackBackend")
    symbol: str  # qualified `const slimtorch::Backend` ("slimtorch::xnnpack::kXnnpackBackend")
    header: str  # include path declaring symbol
    source: str  # the catalog file, for messages


def parse_backend_catalog(text: str, path: str) -> list[BackendEntry]:
    """Parses one catalog's YAML text; ``path`` is used in error messages."""
    data = yaml.safe_load(text)
    if data is None:
        return []
    if not isinstance(data, list):
        raise BackendCatalogError(
            f"{path}: a backend catalog is a YAML list of entries, {_EXAMPLE}"
        )
    entries: list[BackendEntry] = []
    for i, raw in enumerate(data):
        where = f"{path}: entry {i}"
        if not isinstance(raw, dict):
            raise BackendCatalogError(f"{where} is not a map; write {_EXAMPLE}")
        unknown = sorted(set(raw) - {"id", "symbol", "header"})
        if unknown:
            raise BackendCatalogError(
                f"{where} has unknown key(s) {', '.join(unknown)}; an entry has exactly "
                f"id, symbol and header, {_EXAMPLE}"
            )
        fields: dict[str, str] = {}
        for key, pattern, what in (
            ("id", _ID_RE, "the BackendDelegate id programs use, e.g. XnnpackBackend"),
            (
                "symbol",
                _SYMBOL_RE,
                "a C++ name, e.g. slimtorch::xnnpack::kXnnpackBackend",
            ),
            ("header", _HEADER_RE, "an include path such as backends/xnnpack/xnnpack_backend.h"),
        ):
            value = raw.get(key)
            if not isinstance(value, str) or not pattern.match(value):
                raise BackendCatalogError(f"{where}: '{key}' is {value!r}; it must be {what}")
            fields[key] = value
        entries.append(BackendEntry(fields["id"], fields["symbol"], fields["header"], path))
    return entries


def load_backend_catalogs(paths: list[str]) -> dict[str, BackendEntry]:
    """id -> entry over every catalog; an id in two catalogs is an error naming both."""
    out: dict[str, BackendEntry] = {}
    for path in paths:
        try:
            text = Path(path).read_text()
        except OSError as e:
            raise BackendCatalogError(f"cannot read backend catalog {path}: {e.strerror}") from None
        for entry in parse_backend_catalog(text, path):
            if entry.id in out:
                raise BackendCatalogError(
                    f"{path}: backend {entry.id} is already provided by {out[entry.id].source}; "
                    "pass only one catalog for it"
                )
            out[entry.id] = entry
    return out
