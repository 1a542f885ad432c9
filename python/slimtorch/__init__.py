"""slimtorch: export PyTorch models to ExecuTorch .pte programs and run them on small devices.

The Python API (api.py; imported on first use, so `import slimtorch` stays cheap):
`slimtorch.export(module, example_inputs, *, passes=..., memory_planner=..., memories=...,
quantize=..., runtime=..., backends=()) -> slimtorch.Program`; a pass is a `slimtorch.Pass`
over the core-ATen torch.fx.GraphModule; a planner a `slimtorch.Planner` mapping
`slimtorch.TensorLifetime`s and `slimtorch.Memory`s to `slimtorch.Placement`s.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

# Public name -> module that defines it.
_API = {
    "export": "slimtorch.api",
    "Program": "slimtorch.api",
    "ExportError": "slimtorch.api",
    "Pass": "slimtorch.pass_manager",
    "PassError": "slimtorch.pass_manager",
    "Planner": "slimtorch.memory_planning",
    "TensorLifetime": "slimtorch.memory_planning",
    "Placement": "slimtorch.memory_planning",
    "Memory": "slimtorch.memory_planning",
    "MemoryPlanError": "slimtorch.memory_planning",
    "plan_hierarchy": "slimtorch.memory_planning",
    "verify_plan": "slimtorch.memory_planning",
    "load_model_file": "slimtorch.model_file",
    "load_passes_file": "slimtorch.model_file",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'slimtorch' has no attribute {name!r}")
