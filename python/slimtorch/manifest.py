"""Operator manifest (upstream's `selected_operators.yaml` shape) derived from any program.

Kernel keys: `v1/` + `<ScalarType>;<dim order>` for every tensor argument of the call in
schema order (out and return included), joined by `|`. A tensor list contributes one entry
(its first tensor's dtype and dim order), as upstream's tooling does; an op with no tensor
argument (executorch_prim::*) gets the bare key `v1`.

Delegates: `build_features` lists `"backend:<id>"` once for every `BackendDelegate.id` the
program's plans use (sorted), e.g. `["backend:XnnpackBackend"]`; codegen links those backends
(codegen/gen_registry.py `--backends`). Upstream's SelectiveBuilder refuses unknown top-level
keys, so the delegates ride in its existing free-form `build_features` list.
"""

from __future__ import annotations

from typing import Any

import yaml

from slimtorch import schema
from slimtorch.inspect_pte import op_name
from slimtorch.pte import PteFile


def _tensor_key(t: schema.Tensor) -> str:
    return f"{t.scalar_type};" + ",".join(str(d) for d in t.dim_order)


def kernel_key(plan: schema.ExecutionPlan, args: list[int]) -> str:
    parts = []
    for idx in args:
        v = plan.values[idx].val if 0 <= idx < len(plan.values) else None
        if isinstance(v, schema.Tensor):
            parts.append(_tensor_key(v))
        elif isinstance(v, schema.TensorList | schema.OptionalTensorList):
            for item in v.items:
                first = plan.values[item].val if 0 <= item < len(plan.values) else None
                if isinstance(first, schema.Tensor):
                    parts.append(_tensor_key(first))
                    break
    # With no tensor argument upstream's key is a bare "v1" (e.g. executorch_prim ops).
    return "v1/" + "|".join(parts) if parts else "v1"


def operators_and_kernels(pte: PteFile) -> tuple[list[str], dict[str, list[str]]]:
    """(sorted operator names, {operator: kernel keys in first-use order})."""
    ops: set[str] = set()
    kernels: dict[str, list[str]] = {}
    for plan in pte.program.execution_plan:
        ops.update(op_name(op) for op in plan.operators)
        for chain in plan.chains:
            for ins in chain.instructions:
                call = ins.instr_args
                if not isinstance(call, schema.KernelCall):
                    continue
                if not 0 <= call.op_index < len(plan.operators):
                    continue
                name = op_name(plan.operators[call.op_index])
                keys = kernels.setdefault(name, [])
                key = kernel_key(plan, call.args)
                if key not in keys:
                    keys.append(key)
    return sorted(ops), kernels


BACKEND_FEATURE_PREFIX = "backend:"


def backend_ids(pte: PteFile) -> list[str]:
    """The BackendDelegate ids of every plan, sorted, once each ("XnnpackBackend")."""
    return sorted(
        {d.id for plan in pte.program.execution_plan for d in plan.delegates if d.id is not None}
    )


def manifest_dict(pte: PteFile, program_name: str) -> dict[str, Any]:
    ops, kernels = operators_and_kernels(pte)
    return {
        "build_features": [BACKEND_FEATURE_PREFIX + b for b in backend_ids(pte)],
        "custom_classes": [],
        "et_kernel_metadata": {op: kernels[op] for op in sorted(kernels)},
        "include_all_non_op_selectives": False,
        "include_all_operators": False,
        "kernel_metadata": {},
        "operators": {
            op: {
                "debug_info": [program_name],
                "include_all_overloads": False,
                "is_root_operator": True,
                "is_used_for_training": True,
            }
            for op in ops
        },
    }


def manifest_yaml(pte: PteFile, program_name: str) -> str:
    return yaml.safe_dump(manifest_dict(pte, program_name), default_flow_style=False)
