"""The PT2E driver of `slimtorch export --quantize int8`.

torch.export -> torchao prepare_pt2e (SlimtorchQuantizer; batch norm folded into the
convolutions) -> calibration -> convert_pt2e (the "quantized reference": q/dq around float ops,
run eagerly it gives the expected outputs of an int8 export) -> lowering to cortex_m:: ops
(lowering.py) -> torch.export of the lowered graph with 4-D float inputs channels-last (the
program declares them so; the runners lay `.npy` inputs out in that order).

Calibration data: the model file's calibration_inputs() when it has one, else
example_inputs() and every test_inputs() tuple.
"""

from __future__ import annotations

import copy
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch.export import ExportedProgram
from torch.fx import GraphModule, Node

from slimtorch.model_file import LoadedModel, ModelFileError
from slimtorch.passes import quiet_treespec_copy

if TYPE_CHECKING:  # lowering.py needs torchao's quantized_decomposed ops: imported once checked
    from slimtorch.quantize import lowering

QUANTIZE_MODES = ("none", "int8")


class QuantizeError(ModelFileError):
    """The model cannot be quantized; the message names the cause and the fix."""


@dataclass
class QuantizedModel:
    exported: ExportedProgram  # lowered graph, not yet decomposed
    reference: GraphModule  # convert_pt2e's graph: the quantized reference model
    output_scales: list[float | None]  # per output: its quantization step (None: float)
    calibration: str  # where the calibration data came from
    report: lowering.LoweringReport


def _progress(message: str) -> None:
    print(f"slimtorch: {message}", file=sys.stderr, flush=True)


def calibration_cases(loaded: LoadedModel) -> tuple[str, list[tuple[Any, ...]]]:
    """(description, input tuples) the observers see."""
    if loaded.calibration_inputs is not None:
        cases = loaded.calibration_inputs
        return f"calibration_inputs() ({len(cases)} input tuples)", cases
    cases = [loaded.example_inputs, *loaded.test_inputs]
    what = "example_inputs()" + (f" and test_inputs() ({len(loaded.test_inputs)} tuples)"
                                 if loaded.test_inputs else "")
    return f"{what}: {len(cases)} input tuple{'s' if len(cases) != 1 else ''}", cases


def program_inputs(inputs: tuple[Any, ...]) -> tuple[Any, ...]:
    """The inputs as the program takes them: 4-D float tensors channels-last."""
    return tuple(x.to(memory_format=torch.channels_last)
                 if isinstance(x, torch.Tensor) and x.dim() == 4 and x.is_floating_point()
                 else x for x in inputs)


def _output_scales(gm: GraphModule) -> list[float | None]:
    from slimtorch.quantize import lowering

    out = next(n for n in gm.graph.nodes if n.op == "output")
    scales: list[float | None] = []
    for a in torch.utils._pytree.tree_leaves(out.args[0]):
        if isinstance(a, Node) and a.op == "call_function" and a.target in lowering.DQ:
            scales.append(float(a.args[1]))  # type: ignore[arg-type]
        else:
            scales.append(None)
    return scales


def quantize_int8(loaded: LoadedModel) -> QuantizedModel:
    try:
        from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

        from slimtorch.quantize import lowering
        from slimtorch.quantize.quantizer import SlimtorchQuantizer
    except ImportError as e:
        raise QuantizeError(
            f"--quantize int8 needs torchao (PT2E quantization): {e}. Install it in the "
            "exporter's Python environment: pip install torchao") from None
    if loaded.dynamic_shapes is not None:
        raise QuantizeError(f"{loaded.path}: --quantize int8 takes static shapes only; the "
                            "model file defines dynamic_shapes(): export without it")
    what, cases = calibration_cases(loaded)
    _progress(f"quantizing {loaded.path} to int8: calibrating on {what}")
    try:
        gm = torch.export.export(loaded.module, loaded.example_inputs).module(
            check_guards=False)
    except Exception as e:
        raise QuantizeError(f"{loaded.path}: torch.export failed: {type(e).__name__}: {e}") \
            from e
    try:
        prepared = prepare_pt2e(gm, SlimtorchQuantizer())  # type: ignore[arg-type]
        with torch.no_grad():
            for case in cases:
                prepared(*case)
        converted = convert_pt2e(prepared)
    except Exception as e:
        raise QuantizeError(
            f"{loaded.path}: PT2E quantization failed: {type(e).__name__}: {e}. Export the "
            "model in float (without --quantize), or rewrite the failing layer") from e
    if not any(n.op == "call_function" and n.target in lowering.Q
               for n in converted.graph.nodes):
        raise QuantizeError(
            f"{loaded.path}: nothing in the model quantizes (no conv2d, linear, add, mul or "
            "pooling on float tensors); export it in float, without --quantize int8")
    with quiet_treespec_copy():
        reference = copy.deepcopy(converted)
    scales = _output_scales(converted)
    report = lowering.lower(converted, loaded.path)
    lowered = ", ".join(f"{k} x{v}" for k, v in sorted(report.lowered.items()))
    _progress(f"lowered to cortex_m: {lowered}")
    if report.float_ops:
        _progress(f"{len(report.float_ops)} ops stay float (portable kernels run them "
                  "between dequantize and quantize): " + "; ".join(report.float_ops))
    try:
        ep = torch.export.export(converted, program_inputs(loaded.example_inputs))
    except Exception as e:
        raise QuantizeError(f"{loaded.path}: exporting the lowered int8 graph failed: "
                            f"{type(e).__name__}: {e}") from e
    return QuantizedModel(ep, reference, scales, what, report)
