"""Writes the selected kernel registry (C++) from kernel catalogs and operator manifests.

    python codegen/gen_registry.py --catalog kernels/portable/functions.yaml \
        [--custom-ops my/custom_ops.yaml ...] \
        [--backends backends/xnnpack/backends.yaml ...] \
        (--manifest M.ops.yaml [--manifest ...] | --all) --output registry.cc \
        [--dtype-header selected_dtypes.h]

The output defines ``slimtorch::kSelectedKernels[]`` / ``kNumSelectedKernels``
(runtime/kernel/kernel.h) listing only the operators the manifests name, sorted
by name, and declares each selected kernel function, so the linker keeps only
those kernels. Exits 1 naming every operator that has no kernel.

It also defines ``slimtorch::kSelectedBackends[]`` / ``kNumSelectedBackends``
(runtime/backend/backend.h): the delegate backends the manifests list
(``build_features: ["backend:<id>"]``), taken from the ``--backends`` catalogs
(codegen/backend_catalog.py); with ``--all`` every backend of those catalogs. A
program without delegates gets an empty list, so its image links no backend code.
A manifest naming a backend no catalog provides is an error naming the fix.

``--custom-ops`` catalogs are the user's custom operators (upstream's ``custom_ops.yaml``:
``func:`` entries with the full schema). Their kernels are typed C++ functions
(runtime/kernel/custom_op.h); for each selected one the registry gets a generated adapter
(custom_op_adapter.py) that checks the boxed arguments and calls it. Unselected custom ops get
no adapter, so their kernels are not linked. Every entry's schema is checked, selected or not:
a type the adapter cannot pass is an error naming the op and the argument.

``--dtype-header`` also writes the dtype selection header
(runtime/kernel/dtype_selection.h): per catalog kernel function ``fn`` a macro
``ST_DTYPES_fn(t)`` true for the dtypes the manifests' ``et_kernel_metadata``
keys list for its operator (every dtype when an operator has no keys, or
``--all``; none for an operator no manifest names).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

# Running as a script (Bazel genrule, by hand) puts this directory on sys.path;
# tests import the module after adding it.
from backend_catalog import BackendCatalogError, BackendEntry, load_backend_catalogs
from custom_op_adapter import (
    Adapter,
    AdapterError,
    adapter_symbol,
    c_string,
    make_adapter,
    typed_declaration,
)
from kernel_catalog import CatalogEntry, CatalogError, load_catalogs
from op_manifest import Manifest, ManifestError, load_manifest
from op_schema import SchemaError, parse_schema

# Operators the runtime executes itself (no catalog kernel needed): they appear
# in upstream programs and manifests but never reach the kernel registry.
RUNTIME_PROVIDED_NAMESPACES = ("executorch_prim::",)
RUNTIME_PROVIDED_OPS = frozenset({"aten::sym_size.int", "aten::sym_numel"})


def is_runtime_provided(name: str) -> bool:
    """True for primitive ops the runtime implements (executorch_prim::*, aten::sym_size.int)."""
    return name.startswith(RUNTIME_PROVIDED_NAMESPACES) or name in RUNTIME_PROVIDED_OPS


class MissingKernelsError(Exception):
    """Some manifest operators have no kernel; the message lists every one of them."""


class MissingBackendsError(Exception):
    """Some manifest delegates have no backend in the catalogs; the message names each."""


# Backend id -> the name `backends = [...]` takes in tools/backends.bzl, for the fix text.
_BAZEL_BACKEND_NAMES = {"XnnpackBackend": "xnnpack"}


def select_backends(
    backends: dict[str, BackendEntry],
    manifests: list[Manifest],
    select_all: bool,
    backend_paths: list[str],
) -> list[BackendEntry]:
    """The backends to link, sorted by id: what the manifests list (or every one with --all).

    Raises MissingBackendsError naming each backend, the manifests asking for it and the fix.
    """
    if select_all:
        return [backends[b] for b in sorted(backends)]
    needed_by: dict[str, list[str]] = {}
    for m in manifests:
        for b in m.backends:
            needed_by.setdefault(b, []).append(m.path)
    missing = sorted(b for b in needed_by if b not in backends)
    if missing:
        lines = []
        for b in missing:
            name = _BAZEL_BACKEND_NAMES.get(b, b.lower().removesuffix("backend"))
            lines.append(
                f"  {b}  (delegated to by {', '.join(needed_by[b])}); fix: add "
                f'backends = ["{name}"] to the Bazel macro (executorch_model, pte_model, '
                f"model_library, kernel_registry), or pass --backends "
                f"backends/{name}/backends.yaml to gen_registry.py"
            )
        raise MissingBackendsError(
            f"{len(missing)} delegate backend(s) are not in "
            f"{', '.join(backend_paths) or 'any backend catalog (no --backends given)'}:\n"
            + "\n".join(lines)
        )
    return [backends[b] for b in sorted(needed_by)]


@dataclass(frozen=True)
class Selected:
    """One registry row: operator name and the C++ kernel function it maps to."""

    name: str
    kernel_name: str


def select(
    catalog: dict[str, CatalogEntry],
    manifests: list[Manifest],
    select_all: bool,
    catalog_paths: list[str],
) -> list[Selected]:
    """Registry rows for the manifests' operators (or the whole catalog), sorted by name.

    Raises MissingKernelsError naming every missing operator and the manifest(s) asking for it.
    """
    if select_all or any(m.include_all_operators for m in manifests):
        names = set(catalog)
    else:
        needed_by: dict[str, list[str]] = {}
        for m in manifests:
            for op in m.operators:
                if not is_runtime_provided(op) or op in catalog:
                    needed_by.setdefault(op, []).append(m.path)
        missing = sorted(op for op in needed_by if op not in catalog)
        if missing:
            lines = [
                f"  {op}  ({_dtypes_needed(op, manifests)}needed by {', '.join(needed_by[op])})"
                for op in missing
            ]
            raise MissingKernelsError(
                f"{len(missing)} operator(s) have no kernel in "
                f"{', '.join(catalog_paths) or 'the (empty) catalog list'}:\n"
                + "\n".join(lines)
                + "\nfix: add a kernel entry to kernels/portable/functions.yaml (or to a "
                "custom_ops.yaml passed with --custom-ops) for each operator above, or change the "
                "model so it does not use them."
            )
        names = set(needed_by)
    return [
        Selected(n, catalog[n].default_kernel.kernel_name)
        for n in sorted(names, key=lambda s: s.encode())
    ]


def _dtypes_needed(op: str, manifests: list[Manifest]) -> str:
    """'dtypes Float, Long; ' from the manifests' kernel keys for `op` ('' when none say)."""
    numbers: set[int] = set()
    for m in manifests:
        for key in m.kernel_keys.get(op, ()):
            numbers |= key_dtypes(key) or set()
    if not numbers:
        return ""
    return "dtypes " + ", ".join(_SCALAR_TYPES.get(n, str(n)) for n in sorted(numbers)) + "; "


def _declaration(kernel_name: str) -> str:
    """The boxed kernel's declaration (runtime/kernel/kernel.h's KernelFn), in its namespaces."""
    return typed_declaration(kernel_name, ["::slimtorch::EValue** args", "size_t nargs"])


# ScalarType numbers (runtime/core/scalar_type.h, upstream scalar_type.fbs).
_SCALAR_TYPES = {
    0: "Byte",
    1: "Char",
    2: "Short",
    3: "Int",
    4: "Long",
    5: "Half",
    6: "Float",
    7: "Double",
    11: "Bool",
    12: "QInt8",
    13: "QUInt8",
    14: "QInt32",
    15: "BFloat16",
    27: "UInt16",
    28: "UInt32",
    29: "UInt64",
}


def key_dtypes(key: str) -> set[int] | None:
    """Dtype numbers a kernel key names ("v1/6;0,1|4;0" -> {6, 4}); None for "default" (any)."""
    if not key.startswith("v1/"):
        return None
    return {int(arg.split(";")[0]) for arg in key[3:].split("|") if arg}


def selected_dtypes(
    catalog: dict[str, CatalogEntry], manifests: list[Manifest], select_all: bool
) -> dict[str, set[int] | None]:
    """Kernel function short name -> selected dtype numbers (None: every dtype)."""
    every = select_all or any(m.include_all_operators for m in manifests)
    out: dict[str, set[int] | None] = {}
    for name, entry in catalog.items():
        fn = entry.default_kernel.kernel_name.split("::")[-1]
        dtypes: set[int] | None = None if every else set()
        if not every:
            for m in manifests:
                if name not in m.operators:
                    continue
                keys = m.kernel_keys.get(name, ())
                for key in keys or ("default",):
                    found = key_dtypes(key)
                    if found is None or dtypes is None:
                        dtypes = None
                    else:
                        dtypes |= found
        previous = out.get(fn, set())
        out[fn] = None if dtypes is None or previous is None else previous | dtypes
    return out


def render_dtype_header(selection: dict[str, set[int] | None], sources: list[str]) -> str:
    """C++ header defining ST_DTYPES_<fn>(t) for every catalog kernel function."""
    out = [
        "// Generated by codegen/gen_registry.py; do not edit, do not commit.",
        "// Dtype selection (runtime/kernel/dtype_selection.h). Inputs: " + ", ".join(sources),
        "#pragma once",
        "",
    ]
    for fn in sorted(selection):
        dtypes = selection[fn]
        if dtypes is None:
            cond = "true"
        elif not dtypes:
            cond = "false"
        else:
            cond = " || ".join(
                f"static_cast<int>(t) == {d} /* {_SCALAR_TYPES.get(d, '?')} */"
                for d in sorted(dtypes)
            )
        out.append(f"#define ST_DTYPES_{fn}(t) ({cond})")
    out.append("")
    return "\n".join(out)


def custom_op_adapters(custom_ops: dict[str, CatalogEntry]) -> dict[str, Adapter]:
    """Operator name -> adapter, for every entry of the custom ops catalogs.

    Raises CatalogError naming the entry when one is not a `func:` entry or its schema has a
    type the adapter cannot pass."""
    adapters: dict[str, Adapter] = {}
    symbols: set[str] = set()
    for name, entry in sorted(custom_ops.items()):
        if entry.func is None:
            raise CatalogError(
                f"{entry.source}: a custom op entry needs 'func:' with the full schema, e.g. "
                "'func: my_ops::my_op.out(Tensor x, float alpha, *, Tensor(a!) out) -> "
                "Tensor(a!)'; the adapter's types come from it"
            )
        symbol = adapter_symbol(name)
        if symbol in symbols:  # two op names that differ only in punctuation
            symbol = f"{symbol}_{len(adapters)}"
        try:
            adapter = make_adapter(
                parse_schema(entry.func),
                entry.default_kernel.kernel_name,
                entry.func,
                entry.source,
                symbol,
            )
        except (SchemaError, AdapterError) as e:
            raise CatalogError(f"{entry.source}: {e}") from None
        symbols.add(adapter.symbol)
        adapters[name] = adapter
    return adapters


def render_registry(
    rows: list[Selected],
    sources: list[str],
    adapters: dict[str, Adapter] | None = None,
    backends: list[BackendEntry] | None = None,
) -> str:
    """C++ source of the registry for ``rows`` (already sorted by name); rows whose operator
    has an adapter (a custom op) point at it, and only those adapters are written;
    ``backends`` fill kSelectedBackends (the only backend code the image references)."""
    adapters = adapters or {}
    backends = backends or []
    used = [adapters[r.name] for r in rows if r.name in adapters]
    out = [
        "// Generated by codegen/gen_registry.py; do not edit, do not commit.",
        "// Inputs: " + ", ".join(sources),
        "#include <stddef.h>",
        "#include <stdint.h>",
        "",
        '#include "runtime/kernel/kernel.h"',
    ]
    # The selected backends' headers (each includes runtime/backend/backend.h); with none, a
    # forward declaration is all kSelectedBackends needs, so registries of images without
    # backends need no dependency on runtime/backend.
    out += [f'#include "{h}"' for h in sorted({b.header for b in backends})]
    out += ["", "namespace slimtorch {", "struct Backend;  // runtime/backend/backend.h", "}", ""]
    for kernel_name in sorted({r.kernel_name for r in rows if r.name not in adapters}):
        out.append(_declaration(kernel_name))
    if used:
        out += ["", "// Custom op kernels (typed: runtime/kernel/custom_op.h)."]
        out += sorted({a.declaration for a in used})
        out += ["", "namespace {", ""]
        for a in used:
            out += [a.definition, ""]
        out.append("}  // namespace")
    out += ["", "namespace slimtorch {", ""]
    if rows:
        out.append("// Sorted by name (bytewise strcmp order), so lookups may binary-search.")
        out.append("extern const KernelEntry kSelectedKernels[] = {")
        for r in rows:
            fn = adapters[r.name].symbol if r.name in adapters else f"::{r.kernel_name}"
            out.append(f"    {{{c_string(r.name)}, &{fn}}},")
        out.append("};")
    else:
        out.append(
            "// Empty selection: a one-element dummy array (C++ has no empty arrays), count 0."
        )
        out.append("extern const KernelEntry kSelectedKernels[1] = {{nullptr, nullptr}};")
    out += [
        f"extern const size_t kNumSelectedKernels = {len(rows)};",
        "",
    ]
    if backends:
        out.append("// The delegate backends the manifests list; find_backend() looks here first.")
        out.append("extern const Backend* const kSelectedBackends[] = {")
        out += [f"    &::{b.symbol},  // {b.id} ({b.source})" for b in backends]
        out.append("};")
    else:
        out.append("// No delegate backend selected: a one-element dummy array, count 0.")
        out.append("extern const Backend* const kSelectedBackends[1] = {nullptr};")
    out += [
        f"extern const size_t kNumSelectedBackends = {len(backends)};",
        "",
        "}  // namespace slimtorch",
        "",
    ]
    return "\n".join(out)


def generate(
    catalog_paths: list[str],
    manifest_paths: list[str],
    select_all: bool,
    custom_op_paths: list[str] | None = None,
    backend_paths: list[str] | None = None,
) -> tuple[str, str]:
    """Loads the inputs and returns the registry source and the dtype selection header.

    custom_op_paths: the user's custom_ops.yaml files (typed kernels, generated adapters).
    backend_paths: backend catalogs (backends/xnnpack/backends.yaml).
    Raises CatalogError, BackendCatalogError, ManifestError, MissingKernelsError or
    MissingBackendsError.
    """
    custom_op_paths = custom_op_paths or []
    backend_paths = backend_paths or []
    all_catalogs = catalog_paths + custom_op_paths
    catalog = load_catalogs(all_catalogs)  # also refuses an op listed in two catalogs
    adapters = custom_op_adapters(load_catalogs(custom_op_paths))
    manifests = [load_manifest(p) for p in manifest_paths]
    rows = select(catalog, manifests, select_all, all_catalogs)
    backends = select_backends(
        load_backend_catalogs(backend_paths), manifests, select_all, backend_paths
    )
    sources = all_catalogs + backend_paths + (["--all"] if select_all else manifest_paths)
    header = render_dtype_header(selected_dtypes(catalog, manifests, select_all), sources)
    return render_registry(rows, sources, adapters, backends), header


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="gen_registry.py",
        description="Write the C++ kernel registry for the operators named by manifests "
        "(or every catalog kernel).",
    )
    parser.add_argument(
        "--catalog",
        action="append",
        default=[],
        required=True,
        metavar="YAML",
        help="kernel catalog (functions.yaml / custom_ops.yaml format); repeatable",
    )
    parser.add_argument(
        "--custom-ops",
        action="append",
        default=[],
        metavar="YAML",
        help="the user's custom_ops.yaml (func: entries, typed kernels: an adapter is "
        "generated for each selected op); repeatable",
    )
    parser.add_argument(
        "--backends",
        action="append",
        default=[],
        metavar="YAML",
        help="backend catalog (list of {id, symbol, header}, e.g. backends/xnnpack/backends.yaml):"
        " the delegate backends manifests may list; repeatable",
    )
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument(
        "--manifest",
        action="append",
        default=[],
        metavar="OPS_YAML",
        help="operator manifest (selected_operators.yaml format); repeatable",
    )
    group.add_argument(
        "--all",
        action="store_true",
        help="register every kernel in the catalogs (and link every --backends backend)",
    )
    parser.add_argument(
        "--output", required=True, metavar="CC", help="registry C++ source to write"
    )
    parser.add_argument(
        "--dtype-header", metavar="H", help="also write the dtype selection header here"
    )
    args = parser.parse_args(argv)
    try:
        source, header = generate(
            args.catalog, args.manifest, args.all, args.custom_ops, args.backends
        )
    except (
        CatalogError,
        BackendCatalogError,
        ManifestError,
        MissingKernelsError,
        MissingBackendsError,
    ) as e:
        print(f"gen_registry: error: {e}", file=sys.stderr)
        return 1
    Path(args.output).write_text(source)
    if args.dtype_header:
        Path(args.dtype_header).write_text(header)
    return 0


if __name__ == "__main__":
    sys.exit(main())
