"""Checks that a model_library()'s kernel registry is the union of its models' manifests.

    python check_registry.py --library REG.cc DTYPES.h \
        --model M.ops.yaml M_registry.cc M_DTYPES.h [--model ...]

- the registry's operators are exactly the operators the manifests name (a manifest
  operator the runtime executes itself, aten::sym_size.int or executorch_prim::*, may be
  absent), so nothing beyond the union is linked;
- each operator maps to the same kernel function as in the model's own registry
  (pte_model()'s, from that manifest alone);
- each kernel's dtype selection (ST_DTYPES_<fn> in the dtype header) is the union of the
  models' own selections.
Exits 1 naming every difference.
"""

from __future__ import annotations

import argparse
import re
import sys

import yaml

_ROW = re.compile(r'^\s*\{"([^"]+)", &::([A-Za-z0-9_:]+)\},$')
_DTYPES = re.compile(r"^#define ST_DTYPES_(\w+)\(t\) \((.*)\)$")
_DTYPE_NUMBER = re.compile(r"== (\d+)")
_RUNTIME_PROVIDED = ("executorch_prim::", "aten::sym_size.int", "aten::sym_numel")

Selection = frozenset[int] | None  # None: every dtype


def registry_rows(path: str) -> dict[str, str]:
    """{operator: kernel function} of a generated registry source."""
    rows = {}
    with open(path) as f:
        for line in f:
            m = _ROW.match(line.rstrip("\n"))
            if m:
                rows[m.group(1)] = m.group(2)
    return rows


def dtype_selection(path: str) -> dict[str, Selection]:
    """{kernel function: its selected dtype numbers, None for every dtype}."""
    out: dict[str, Selection] = {}
    with open(path) as f:
        for line in f:
            m = _DTYPES.match(line.strip())
            if not m:
                continue
            cond = m.group(2)
            numbers = frozenset(int(d) for d in _DTYPE_NUMBER.findall(cond))
            out[m.group(1)] = None if cond == "true" else numbers
    return out


def manifest_ops(path: str) -> set[str]:
    with open(path) as f:
        data = yaml.safe_load(f) or {}
    return set((data.get("operators") or {}).keys())


def union(a: Selection, b: Selection) -> Selection:
    return None if a is None or b is None else a | b


def check(library: tuple[str, str], models: list[tuple[str, str, str]]) -> list[str]:
    problems = []
    rows = registry_rows(library[0])
    wanted: set[str] = set()
    for manifest, registry, _ in models:
        ops = manifest_ops(manifest)
        wanted |= ops
        for op, fn in registry_rows(registry).items():
            if op not in rows:
                problems.append(f"{op} (registered for {manifest}) is missing from {library[0]}")
            elif rows[op] != fn:
                problems.append(f"{op}: kernel {rows[op]} in the library, {fn} in {registry}")
    for op in sorted(set(rows) - wanted):
        problems.append(f"{op} is registered but no manifest names it")
    for op in sorted(wanted - set(rows)):
        if not op.startswith(_RUNTIME_PROVIDED):
            problems.append(f"{op} is named by a manifest but not registered")
    expected: dict[str, Selection] = {}
    for _, _, header in models:
        for fn, sel in dtype_selection(header).items():
            expected[fn] = union(expected[fn], sel) if fn in expected else sel
    got = dtype_selection(library[1])
    for fn in sorted(set(expected) | set(got)):
        if expected.get(fn, frozenset()) != got.get(fn, frozenset()):
            problems.append(
                f"ST_DTYPES_{fn}: {got.get(fn)} in the library, the models' union "
                f"is {expected.get(fn)}"
            )
    if not rows:
        problems.append(f"{library[0]} registers no operator")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", nargs=2, required=True, metavar=("REG.cc", "DTYPES.h"))
    parser.add_argument(
        "--model",
        nargs=3,
        action="append",
        required=True,
        metavar=("OPS.yaml", "REG.cc", "DTYPES.h"),
    )
    args = parser.parse_args(argv)
    problems = check(tuple(args.library), [tuple(m) for m in args.model])
    for p in problems:
        print("FAIL:", p)
    if problems:
        return 1
    print(
        f"PASS: {len(registry_rows(args.library[0]))} operators, the union of "
        f"{len(args.model)} manifests, and the union of their dtypes"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
