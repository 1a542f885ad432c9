"""Loading a model file: a .py defining model(), example_inputs(), optionally dynamic_shapes(),
test_inputs() (more input tuples that tests run the exported program on) and
calibration_inputs() (a list of input tuples that `--quantize int8` calibrates on; without it,
example_inputs() and test_inputs() are used)."""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import torch


class ModelFileError(Exception):
    """The model file cannot be loaded or does not follow the model-file contract."""


@dataclass
class LoadedModel:
    path: str
    module: torch.nn.Module  # in eval mode
    example_inputs: tuple[Any, ...]
    dynamic_shapes: Any  # None when the file defines no dynamic_shapes()
    test_inputs: list[tuple[Any, ...]] = field(default_factory=list)  # from test_inputs()
    factory: Any = None  # the file's model(): a fresh module for each test case
    calibration_inputs: list[tuple[Any, ...]] | None = None  # from calibration_inputs()


def _import(path: str, kind: str = "model", defines: str = "model() and example_inputs()",
            prefix: str = "slimtorch_model_") -> ModuleType:
    if not os.path.isfile(path):
        raise ModelFileError(f"{kind} file {path} does not exist; pass the path of a .py file "
                             f"that defines {defines}")
    stem = os.path.splitext(os.path.basename(path))[0]
    name = prefix + "".join(c if c.isalnum() else "_" for c in stem)
    spec = importlib.util.spec_from_file_location(name, os.path.abspath(path))
    if spec is None or spec.loader is None:
        raise ModelFileError(f"{kind} file {path} cannot be imported (is it a .py file?)")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # torch.export (dynamo) looks the module up by name
    # The file's own directory is importable while it runs, so a model file can `import` a
    # module beside it (a custom operator's torch.library definitions, shared layers); in
    # Bazel those modules are the executorch_model's `data`.
    directory = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, directory)
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        del sys.modules[name]
        raise ModelFileError(f"{kind} file {path} failed to import: {type(e).__name__}: {e}") \
            from e
    finally:
        sys.path.remove(directory)
    return module


def load_model_file(path: str | os.PathLike[str]) -> LoadedModel:
    """Import a model file and call its model() / example_inputs() / dynamic_shapes()."""
    path = os.fspath(path)
    module = _import(path)
    for fn in ("model", "example_inputs"):
        if not callable(getattr(module, fn, None)):
            raise ModelFileError(
                f"model file {path} does not define {fn}(); a model file defines "
                "model() -> torch.nn.Module and example_inputs() -> tuple (optionally "
                "dynamic_shapes(), test_inputs() and calibration_inputs() -> list of tuples)"
            )
    m = module.model()
    if not isinstance(m, torch.nn.Module):
        raise ModelFileError(f"{path}: model() returned {type(m).__name__}, expected a "
                             "torch.nn.Module")
    inputs = module.example_inputs()
    if not isinstance(inputs, tuple):
        raise ModelFileError(f"{path}: example_inputs() returned {type(inputs).__name__}, "
                             "expected a tuple of inputs (write `return (x,)` for one input)")
    dyn = module.dynamic_shapes() if callable(getattr(module, "dynamic_shapes", None)) else None
    tests: list[tuple[Any, ...]] = []
    if callable(getattr(module, "test_inputs", None)):
        tests = list(module.test_inputs())
        for k, case in enumerate(tests):
            if not isinstance(case, tuple) or len(case) != len(inputs):
                raise ModelFileError(
                    f"{path}: test_inputs()[{k}] must be a tuple of {len(inputs)} inputs, like "
                    "example_inputs()")
    calibration: list[tuple[Any, ...]] | None = None
    if callable(getattr(module, "calibration_inputs", None)):
        calibration = _input_tuples(path, "calibration_inputs", module.calibration_inputs(),
                                    len(inputs))
    return LoadedModel(path, m.eval(), inputs, dyn, tests, module.model, calibration)


def _input_tuples(path: str, fn: str, value: Any, n: int) -> list[tuple[Any, ...]]:
    """`value` (what fn() returned) checked to be a non-empty list of n-input tuples."""
    if not isinstance(value, list | tuple) or not value:
        raise ModelFileError(
            f"{path}: {fn}() returned {type(value).__name__}, expected a non-empty list of "
            f"input tuples like example_inputs() (e.g. `return [(x0,), (x1,)]`)")
    cases = list(value)
    for k, case in enumerate(cases):
        if not isinstance(case, tuple) or len(case) != n:
            raise ModelFileError(
                f"{path}: {fn}()[{k}] must be a tuple of {n} inputs, like example_inputs()")
    return cases


@dataclass
class PassesFile:
    """What a passes file (`slimtorch export --passes`, executorch_model(passes = ...))
    gives: passes() -> list of passes, and optionally memory_planner() -> a planner."""

    path: str
    passes: list[Any]  # slimtorch.Pass (pass_manager.py)
    memory_planner: Any = None  # slimtorch.Planner (memory_planning.py), or None


def load_passes_file(path: str | os.PathLike[str]) -> PassesFile:
    """Import a passes file and call its passes() and, if defined, memory_planner()."""
    path = os.fspath(path)
    defines = "passes() -> list of passes (optionally memory_planner() -> a planner)"
    module = _import(path, "passes", defines, "slimtorch_passes_")
    has_passes = callable(getattr(module, "passes", None))
    has_planner = callable(getattr(module, "memory_planner", None))
    if not has_passes and not has_planner:
        raise ModelFileError(f"passes file {path} defines neither passes() nor "
                             "memory_planner(); a passes file defines passes() -> list of "
                             "functions over a torch.fx.GraphModule, and optionally "
                             "memory_planner() -> a function (tensors, memories) -> placements")
    found: list[Any] = []
    if has_passes:
        value = module.passes()
        if not isinstance(value, list | tuple) or not all(callable(p) for p in value):
            raise ModelFileError(f"{path}: passes() returned {value!r}; it returns a list of "
                                 "callables (each takes and returns a torch.fx.GraphModule)")
        found = list(value)
    planner = None
    if has_planner:
        planner = module.memory_planner()
        if not callable(planner):
            raise ModelFileError(f"{path}: memory_planner() returned {planner!r}, not a "
                                 "callable (tensors, memories) -> {key: Placement}")
    return PassesFile(path, found, planner)
