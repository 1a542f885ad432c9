"""`slimtorch.export(...) -> Program`: the Python entry point of the exporter.

    import slimtorch
    program = slimtorch.export(module, (x,), passes=[fuse_mm_add],
                               memory_planner=my_planner, memories=[slimtorch.Memory("sram")])
    program.save("m.pte"); program.save_manifest("m.ops.yaml"); print(program.inspect())

The `slimtorch export` command and Bazel's `executorch_model()` call this function; there is
no other export path. Pipeline: torch.export -> (quantize="int8": PT2E and the lowering to
cortex_m::) -> slimtorch's core-ATen decomposition (passes.py) -> the user's `passes`
(pass_manager.py) -> out variants and emission (emitter.py) -> memory planning by
`memory_planner` over `memories` (memory_planning.py), whose result is verified.
"""

from __future__ import annotations

import dataclasses
import inspect as _inspect
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from slimtorch import exporter, inspect_pte, manifest, pte, schema
from slimtorch.backends import Backend, BackendError, get_backend
from slimtorch.emitter import EmittedProgram
from slimtorch.memory_planning import Memory, Planner
from slimtorch.model_file import LoadedModel
from slimtorch.pass_manager import Pass

if TYPE_CHECKING:
    from slimtorch.quantize.driver import QuantizedModel

QUANTIZE = (None, "none", "int8")


class ExportError(Exception):
    """An argument of slimtorch.export() that it cannot honour."""


@dataclass
class Program:
    """An exported ExecuTorch program: the `.pte` bytes and what slimtorch knows about it.

    `emitted` holds the program's schema dataclasses (`emitted.program`), `value_names`
    the graph node name of each tensor value, `quantized` the PT2E result of an int8
    export (its reference module and output scales), `name` what manifests and summaries
    call the program."""

    emitted: EmittedProgram
    name: str = "program.pte"
    quantized: QuantizedModel | None = None

    @property
    def program(self) -> schema.Program:
        return self.emitted.program

    @property
    def value_names(self) -> dict[int, str]:
        """Value index -> name of the graph node that made the tensor."""
        return self.emitted.value_names

    @property
    def buffer(self) -> bytes:
        """The `.pte` file's bytes (no checksum segment)."""
        return self.emitted.to_bytes()

    def to_bytes(self, checksum: bool = False) -> bytes:
        """The `.pte` file; `checksum` adds the CRC-32 segment slimtorch's runtime verifies."""
        return self.emitted.to_bytes(checksum=checksum)

    def save(self, path: str | os.PathLike[str], checksum: bool = False) -> int:
        """Writes the `.pte` (creating its directory); returns its size in bytes."""
        data = self.to_bytes(checksum)
        _write(os.fspath(path), data)
        return len(data)

    def instructions(self) -> list[str]:
        """The operator of each instruction of method 0, in order ("aten::addmm.out"; other
        instruction kinds as "jump_false", "move", "free", "delegate")."""
        plan = self.program.execution_plan[0]
        names = []
        for ins in plan.chains[0].instructions:
            a = ins.instr_args
            if isinstance(a, schema.KernelCall):
                names.append(inspect_pte.op_name(plan.operators[a.op_index]))
            else:
                names.append(
                    {
                        schema.JumpFalseCall: "jump_false",
                        schema.MoveCall: "move",
                        schema.FreeCall: "free",
                        schema.DelegateCall: "delegate",
                    }.get(type(a), type(a).__name__)
                )
        return names

    def manifest(self) -> str:
        """The operator manifest (upstream's selected_operators.yaml format) as YAML text."""
        return manifest.manifest_yaml(pte.read_pte(self.buffer), self.name)

    def save_manifest(self, path: str | os.PathLike[str]) -> None:
        _write(os.fspath(path), self.manifest().encode())

    def inspect(self, brief: bool = False) -> str:
        """The text `slimtorch inspect` prints for this program (`brief`: no value table)."""
        return inspect_pte.summarize(pte.read_pte(self.buffer), self.name, show_values=not brief)


def _write(path: str, data: bytes) -> None:
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def _backends(backends: Sequence[str | Backend]) -> list[Backend]:
    """Backend objects for `backends` (names are looked up: slimtorch.backends.get_backend)."""
    if isinstance(backends, str):
        raise ExportError(f"backends must be a list, e.g. backends=[{backends!r}]")
    chosen: list[Backend] = []
    for b in backends:
        if isinstance(b, str):
            try:
                chosen.append(get_backend(b))
            except BackendError as e:
                raise ExportError(f"backends: {e}") from None
        elif isinstance(b, Backend):
            chosen.append(b)
        else:
            raise ExportError(
                f"backends: {b!r} is neither a backend name (e.g. 'xnnpack') nor a "
                "slimtorch.backends.Backend (name, backend_id, supports(), preprocess())"
            )
    names = [b.name for b in chosen]
    if len(set(names)) != len(names):
        raise ExportError(f"backends={names!r} names a backend twice")
    return chosen


def _source_of(module: torch.nn.Module) -> str:
    """The file defining `module`'s class (emitter errors prefer its source lines)."""
    try:
        return _inspect.getsourcefile(type(module)) or f"<{type(module).__name__}>"
    except (OSError, TypeError):  # a class defined in a string or built in
        return f"<{type(module).__name__}>"


def export(
    model: torch.nn.Module | LoadedModel,
    example_inputs: tuple[Any, ...] | None = None,
    *,
    dynamic_shapes: Any = None,
    passes: Sequence[Pass] = (),
    memory_planner: Planner | None = None,
    memories: Sequence[Memory] | None = None,
    quantize: str | None = None,
    runtime: str = "any",
    backends: Sequence[str | Backend] = (),
    delegate_inline: bool = False,
    fold_constants: bool = True,
    calibration_inputs: Sequence[tuple[Any, ...]] | None = None,
    name: str | None = None,
) -> Program:
    """Exports `model` called on `example_inputs` to an ExecuTorch program.

    model: a torch.nn.Module (in the mode to export: call .eval() first), or a model file
      loaded with slimtorch.load_model_file() (then example_inputs, dynamic_shapes and
      calibration_inputs default to the file's, and errors name the file).
    dynamic_shapes: as torch.export.export's; every dynamic dimension needs a max.
    passes: slimtorch.Pass callables run in order over the core-ATen torch.fx.GraphModule,
      after decomposition and before the out-variant conversion (pass_manager.py).
    memory_planner: a slimtorch.Planner (tensors, memories) -> {key: Placement}; default
      slimtorch.plan_hierarchy. Its result is verified; a wrong plan is a MemoryPlanError
      naming the tensors and offsets.
    memories: slimtorch.Memory(name, capacity in bytes or None), fastest first; memory i is
      memory id i + 1. Default: one unbounded memory.
    quantize: None or "none" (float), or "int8" (PT2E, slimtorch's quantizer, lowered to
      upstream's cortex_m:: operators), calibrated on calibration_inputs (default: the
      example inputs).
    runtime: "any" (upstream's portable op set: both runtimes run the program) or
      "slimtorch" (also the ops only slimtorch has kernels for).
    backends: backends to delegate to, by name ("xnnpack") or as slimtorch.backends.Backend
      objects; each node goes to the first that takes it, and each maximal group of taken
      nodes becomes one DelegateCall (backends/partitioner.py). Default: none.
    delegate_inline: store delegate blobs inside the program flatbuffer
      (Program.backend_delegate_data) instead of in segments of their own (the default, as
      upstream's serializer does).
    fold_constants: evaluate ops whose inputs are all constants at export.
    name: what manifest() and inspect() call the program (default "<model>.pte").
    """
    chosen = _backends(backends)
    if quantize not in QUANTIZE:
        raise ExportError(f"quantize={quantize!r}: give None, 'none' (float) or 'int8'")
    if isinstance(model, LoadedModel):
        loaded = dataclasses.replace(
            model,
            example_inputs=model.example_inputs if example_inputs is None else example_inputs,
            dynamic_shapes=model.dynamic_shapes if dynamic_shapes is None else dynamic_shapes,
            calibration_inputs=model.calibration_inputs
            if calibration_inputs is None
            else list(calibration_inputs),
        )
    elif isinstance(model, torch.nn.Module):
        if not isinstance(example_inputs, tuple):
            raise ExportError(
                f"example_inputs must be a tuple of inputs (write `(x,)` for one "
                f"input), not {type(example_inputs).__name__}"
            )
        loaded = LoadedModel(
            _source_of(model),
            model,
            example_inputs,
            dynamic_shapes,
            calibration_inputs=list(calibration_inputs) if calibration_inputs is not None else None,
        )
    else:
        raise ExportError(
            f"model must be a torch.nn.Module or a loaded model file "
            f"(slimtorch.load_model_file), not {type(model).__name__}"
        )
    label = name or os.path.splitext(os.path.basename(loaded.path))[0].strip("<>") + ".pte"
    if callable(passes):
        raise ExportError("passes must be a list of passes, e.g. passes=[my_pass]")
    user_passes, plan_in = tuple(passes), tuple(memories) if memories else None
    quantized = None
    if quantize == "int8":
        emitted, quantized = exporter.export_int8(
            loaded,
            fold_constants,
            runtime,
            user_passes,
            plan_in,
            memory_planner,
            backends=chosen,
            delegate_inline=delegate_inline,
        )
    else:
        emitted = exporter.export_model(
            loaded,
            fold_constants,
            runtime,
            user_passes,
            plan_in,
            memory_planner,
            backends=chosen,
            delegate_inline=delegate_inline,
        )
    return Program(emitted, label, quantized)
