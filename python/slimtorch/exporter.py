"""`slimtorch export`: model file -> torch.export -> core ATen -> .pte (+ manifest, io dir)."""

from __future__ import annotations

import os
import re
import sys
import time
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from slimtorch import passes
from slimtorch.backends import Backend, partitioner
from slimtorch.emitter import EmittedProgram, emit_program
from slimtorch.memory_planning import Memory, MemoryPlanError, Planner
from slimtorch.model_file import LoadedModel, ModelFileError, load_model_file
from slimtorch.pass_manager import Pass, run_passes

if TYPE_CHECKING:
    from slimtorch.quantize.driver import QuantizedModel

__all__ = ["LoadedModel", "ModelFileError", "export_int8", "export_model", "load_model_file",
           "write_io_dir"]


def _progress(message: str) -> None:
    print(f"slimtorch: {message}", file=sys.stderr, flush=True)


def export_model(loaded: LoadedModel, fold_constants: bool = True, runtime: str = "any",
                 user_passes: Sequence[Pass] = (), memories: Sequence[Memory] | None = None,
                 planner: Planner | None = None, backends: Sequence[Backend] = (),
                 delegate_inline: bool = False) -> EmittedProgram:
    """torch.export + decomposition (passes.py) + user passes (pass_manager.py) + delegation
    to `backends` (backends/partitioner.py) + emission (out variants, memory plan: `planner`
    over `memories`, memory_planning.py; `delegate_inline`: blobs inline, not in segments).

    runtime: "any" makes a program both slimtorch's and upstream's runtime run; "slimtorch"
    also keeps whole the ops only slimtorch has kernels for (passes.SLIMTORCH_ONLY_OPS).
    The public entry is slimtorch.export() (api.py), which calls this."""
    t0 = time.monotonic()
    _progress(f"exporting {loaded.path} (torch.export)")
    try:
        ep = torch.export.export(loaded.module, loaded.example_inputs,
                                 dynamic_shapes=loaded.dynamic_shapes)
    except Exception as e:
        raise _export_failure(loaded, e) from e
    return _emit(loaded, ep, fold_constants, runtime, t0, False, user_passes, memories, planner,
                 backends, delegate_inline)


_COND_MERGE = re.compile(r"When merging two branches' output in torch\.cond,\s*(.*?)\.?[\"']\)")


def _user_line(path: str, e: BaseException) -> str:
    """'file:line: code' of the deepest frame of the model file in `e`'s traceback."""
    target = os.path.abspath(path)
    frames = [f for f in traceback.extract_tb(e.__traceback__)
              if os.path.abspath(f.filename) == target]
    if not frames:
        return path
    f = frames[-1]
    return f"{f.filename}:{f.lineno}: {(f.line or '').strip()}"


def _export_failure(loaded: LoadedModel, e: Exception) -> ModelFileError:
    """The error for a failed torch.export: constructs torch reports deep inside its tracer
    get a message naming the construct, the model's source line and the fix."""
    text = str(e)
    m = _COND_MERGE.search(text)
    if m:
        return ModelFileError(
            f"{loaded.path}: torch.cond ({_user_line(loaded.path, e)}): its two branches "
            f"return different outputs ({m.group(1)}). Both branches must return the same "
            "number of tensors with the same dtype and shape: cast (.to(dtype)) or reshape "
            "inside the branch that differs")
    return ModelFileError(f"{loaded.path}: torch.export failed: {type(e).__name__}: {e}")


def export_int8(loaded: LoadedModel, fold_constants: bool = True, runtime: str = "any",
                user_passes: Sequence[Pass] = (), memories: Sequence[Memory] | None = None,
                planner: Planner | None = None, backends: Sequence[Backend] = (),
                delegate_inline: bool = False) -> tuple[EmittedProgram, QuantizedModel]:
    """`--quantize int8`: PT2E with slimtorch's quantizer, lowering to upstream's cortex_m::
    operators (slimtorch/quantize/), then decomposition and emission of what is left."""
    from slimtorch.quantize.driver import quantize_int8

    t0 = time.monotonic()
    quantized = quantize_int8(loaded)
    return _emit(loaded, quantized.exported, fold_constants, runtime, t0, True, user_passes,
                 memories, planner, backends, delegate_inline), quantized


def _emit(loaded: LoadedModel, ep: torch.export.ExportedProgram, fold_constants: bool,
          runtime: str, t0: float, channels_last: bool, user_passes: Sequence[Pass],
          memories: Sequence[Memory] | None, planner: Planner | None,
          backends: Sequence[Backend] = (), delegate_inline: bool = False) -> EmittedProgram:
    _progress("decomposing to core ATen (and to upstream's portable op set)")
    ep = passes.decompose(ep, runtime)
    if fold_constants:
        passes.share_tied_embeddings(ep)
    if user_passes:
        _progress(f"running {len(user_passes)} user pass{'es' if len(user_passes) > 1 else ''}")
        ep = run_passes(ep, user_passes, loaded.path)
    if backends:
        names = ", ".join(b.name for b in backends)
        _progress(f"partitioning for {names}")
        try:
            summary = partitioner.partition(ep, backends)
        except partitioner.PartitionError as e:
            raise partitioner.PartitionError(f"{loaded.path}: {e}") from None
        _progress(summary.describe())
    _progress("converting to out variants, planning memory")
    try:
        emitted = emit_program(ep, os.path.abspath(loaded.path), fold_constants=fold_constants,
                               runtime=runtime, channels_last=channels_last,
                               memories=tuple(memories) if memories else None,
                               planner=planner, delegate_inline=delegate_inline)
    except MemoryPlanError as e:
        raise MemoryPlanError(f"{loaded.path}: {e}") from None
    plan = emitted.program.execution_plan[0]
    n = len(plan.chains[0].instructions)
    k = len(plan.delegates)
    delegates = f" ({k} delegate call{'s' if k != 1 else ''})" if k else ""
    _progress(f"emitted {n} instructions{delegates} in {time.monotonic() - t0:.1f}s")
    return emitted


def _to_numpy(x: Any) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        t = x.detach().cpu()
        if t.dtype == torch.bfloat16:
            raise ModelFileError("bfloat16 tensors cannot be written as .npy; use float32 I/O")
        return t.numpy()
    return np.asarray(x)


def write_io_dir(loaded: LoadedModel, directory: str, case: int = 0, iterations: int = 1,
                 quantized: QuantizedModel | None = None) -> None:
    """inputN.npy and expectedN.npy (eager outputs, flattened in order) of one test case:
    case 0 is example_inputs(), case k the k-th tuple of test_inputs(). With iterations > 1
    a fresh model is called that many times on the inputs and the last call's outputs are
    expected (models whose buffers change from call to call).

    For an int8 export (`quantized`), the expected outputs are the quantized reference's
    (convert_pt2e's graph run eagerly), and toleranceN.txt holds each quantized output's
    quantization step (its scale), the tolerance `slimtorch compare` applies to it."""
    cases = [loaded.example_inputs, *loaded.test_inputs]
    if not 0 <= case < len(cases):
        raise ModelFileError(f"{loaded.path}: no test case {case}: the file has {len(cases)} "
                             "(example_inputs() and test_inputs())")
    inputs = cases[case]
    module: Any = loaded.module if quantized is None else quantized.reference
    if (case > 0 or iterations > 1) and loaded.factory is not None and quantized is None:
        module = loaded.factory().eval()  # fresh state for every case
    os.makedirs(directory, exist_ok=True)
    with torch.no_grad():
        for _ in range(max(1, iterations)):
            outputs = module(*inputs)
    for i, x in enumerate(torch.utils._pytree.tree_leaves(inputs)):
        np.save(os.path.join(directory, f"input{i}.npy"), _to_numpy(x))
    for i, y in enumerate(torch.utils._pytree.tree_leaves(outputs)):
        np.save(os.path.join(directory, f"expected{i}.npy"), _to_numpy(y))
        scale = quantized.output_scales[i] if quantized is not None else None
        tolerance = os.path.join(directory, f"tolerance{i}.txt")
        if scale is not None:
            with open(tolerance, "w") as f:
                f.write(f"{scale!r}\n")
        elif os.path.exists(tolerance):
            os.remove(tolerance)  # a float export into a directory an int8 one used
