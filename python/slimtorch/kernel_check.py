"""Export-time check of a program against kernel catalogs: every operator it calls has a
kernel, for the dtypes it calls it with.

Catalogs are codegen's (codegen/kernel_catalog.py parses them; this module reuses it). A
kernel listed with `arg_meta: null` takes every dtype its operator defines (it checks them
at run time, kernels/portable/README.md "Dtypes"), so only the dtypes no catalog can name
(not a ScalarType of kernel_catalog.SCALAR_TYPES) are missing for it; a kernel with
`arg_meta` takes exactly the dtypes (and dim orders) it lists, tensor argument by argument
in schema order, as the manifest's kernel keys (`v1/<dtype>;<dim order>|...`) list them.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from slimtorch import manifest
from slimtorch.dtypes import scalar_type_name
from slimtorch.pte import PteFile

REPO = Path(__file__).absolute().parents[2]  # not resolve(): stay inside a Bazel sandbox
CODEGEN = REPO / "codegen"
# What executorch_model() selects from by default (tools/executorch_model.bzl).
DEFAULT_CATALOGS = (
    REPO / "kernels" / "portable" / "functions.yaml",
    REPO / "kernels" / "cortex_m" / "functions.yaml",
    REPO / "runtime" / "executor" / "prim_ops.yaml",
)


class KernelCheckError(Exception):
    """The catalogs cannot be read, or (strict) the program needs kernels they lack."""


def _codegen() -> tuple[ModuleType, ModuleType]:
    """codegen's kernel_catalog and gen_registry modules (one catalog parser for the project)."""
    if str(CODEGEN) not in sys.path:
        sys.path.insert(0, str(CODEGEN))
    try:
        import gen_registry
        import kernel_catalog
    except ImportError as e:
        raise KernelCheckError(f"cannot import codegen's catalog parser from {CODEGEN} "
                               f"({e}); the check needs the slimtorch source tree") from None
    return kernel_catalog, gen_registry


@dataclass(frozen=True)
class Missing:
    operator: str
    dtypes: str  # "" when the operator has no kernel at all

    def __str__(self) -> str:
        if not self.dtypes:
            return f"{self.operator}: no kernel"
        return f"{self.operator}: no kernel for {self.dtypes}"


def _key_text(key: str) -> str:
    """'v1/6;0,1|4;0' -> 'Float (dim order 0,1), Long (dim order 0)'."""
    parts = []
    for arg in key[3:].split("|"):
        dtype, _, order = arg.partition(";")
        parts.append(f"{scalar_type_name(int(dtype))} (dim order {order or '-'})")
    return ", ".join(parts)


def _kernel_takes(kernel: object, key: str) -> bool:
    meta = kernel.arg_meta  # type: ignore[attr-defined]
    if meta is None:
        return True
    args = [a.partition(";") for a in key[3:].split("|")]
    if len(args) < len(meta):  # keys also list the returned tensor after the out argument
        return False
    for (dtype, _, order), (dtypes, dim_order) in zip(args, meta.values(), strict=False):
        if int(dtype) not in dtypes:
            return False
        if order and tuple(int(d) for d in order.split(",")) != tuple(dim_order):
            return False
    return True


def missing_kernels(pte: PteFile, catalog_paths: list[str]) -> list[Missing]:
    """Per operator (and kernel key) of the program, what the catalogs lack."""
    kernel_catalog, gen_registry = _codegen()
    try:
        catalog = kernel_catalog.load_catalogs(catalog_paths)
    except kernel_catalog.CatalogError as e:
        raise KernelCheckError(str(e)) from None
    known = set(kernel_catalog.SCALAR_TYPES.values())
    ops, keys = manifest.operators_and_kernels(pte)
    out: list[Missing] = []
    for op in ops:
        entry = catalog.get(op)
        if entry is None:
            if not gen_registry.is_runtime_provided(op):
                out.append(Missing(op, ""))
            continue
        for key in keys.get(op, []):
            if not key.startswith("v1/"):
                continue
            unnamed = (gen_registry.key_dtypes(key) or set()) - known
            if unnamed or not any(_kernel_takes(k, key) for k in entry.kernels):
                out.append(Missing(op, _key_text(key)))
    return out


def check(pte: PteFile, program_name: str, catalog_paths: list[str] | None,
          strict: bool) -> list[str]:
    """Warning lines for what is missing (empty: every kernel is there). `catalog_paths`
    None: the project's default catalogs. strict: KernelCheckError instead of warnings."""
    paths = [str(p) for p in DEFAULT_CATALOGS] if catalog_paths is None else catalog_paths
    if catalog_paths is None and not all(Path(p).is_file() for p in paths):
        return []  # no source tree: nothing to compare with
    missing = missing_kernels(pte, paths)
    if not missing:
        return []
    lines = [f"{program_name}: {len(missing)} operator/dtype combination(s) have no kernel in "
             f"{', '.join(paths)}:"] + [f"  {m}" for m in missing]
    fix = ("fix: change the model so it does not use them (or casts to a dtype the kernel "
           "takes), or add kernels: an entry in a custom_ops.yaml with its kernel library "
           "(executorch_model(custom_ops = ..., custom_kernels = ...))")
    if strict:
        raise KernelCheckError("\n".join([*lines, fix]))
    return [*lines, fix + "; the program would fail to build or to load"]
