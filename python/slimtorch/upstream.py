"""Upstream ExecuTorch 1.5.1 as a reference: its exporter and runtime, for tests and benchmarks.

slimtorch's exporter, CLI and build never import this module; it exists so that every test and
benchmark that compares with upstream makes upstream's programs the same way. It needs the
`executorch` wheel (`make test` installs it: scripts/setup.sh --test).
"""

from __future__ import annotations

import copy
import importlib.util
import shutil
from pathlib import Path
from typing import Any

import torch


class ReferenceMissing(SystemExit):
    """What a benchmark needs is not installed; the message names it and `make setup`."""


# What the benchmarks (tools/bench/) need beyond slimtorch: `make setup` (scripts/setup.sh
# --test) installs all of it.
_BENCH_MODULES = {"executorch": "upstream ExecuTorch 1.5.1 (the `executorch` wheel)"}
_BENCH_TOOLS = {
    "bazel": "Bazel (Debian bazel-bootstrap)",
    "qemu-system-arm": "QEMU (Debian qemu-system-arm)",
}


def require(what: str, modules: bool = True, tools: tuple[str, ...] = ()) -> None:
    """Raises ReferenceMissing (exit status 1 with an `error:` line) unless upstream ExecuTorch
    (when `modules`) and each program of `tools` are there; `what` names the caller."""
    missing = [
        desc
        for mod, desc in _BENCH_MODULES.items()
        if modules and importlib.util.find_spec(mod) is None
    ]
    missing += [_BENCH_TOOLS.get(t, t) for t in tools if shutil.which(t) is None]
    if missing:
        raise ReferenceMissing(
            f"error: {what} needs {', '.join(missing)}, which this environment does not have: "
            "run `make setup` in the slimtorch checkout (scripts/setup.sh --test: the Debian "
            "packages, and the test tools and upstream executorch in .venv), then run it with "
            ".venv/bin/python"
        )


def export_program(
    module: torch.nn.Module,
    inputs: tuple[Any, ...],
    dynamic_shapes: Any = None,
    init_buffers: bool = False,
    xnnpack: bool = False,
) -> bytes:
    """The .pte that upstream's default flow (torch.export, to_edge, to_executorch) makes.

    With init_buffers, every mutable buffer keeps its initial value in the program (upstream's
    InitializedMutableBufferPass; by default upstream leaves mutated buffers uninitialised).
    With xnnpack, upstream's XNNPACK flow: to_edge_transform_and_lower with its
    XnnpackPartitioner instead of to_edge (delegate blobs in segments, their weights in the
    program's named data)."""
    from executorch.exir import ExecutorchBackendConfig, to_edge, to_edge_transform_and_lower

    exported = torch.export.export(module, inputs, dynamic_shapes=dynamic_shapes)
    config = None
    if init_buffers:
        from executorch.exir.passes.init_mutable_pass import InitializedMutableBufferPass

        config = ExecutorchBackendConfig(passes=[InitializedMutableBufferPass([""])])
    if xnnpack:
        from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner

        edge = to_edge_transform_and_lower(exported, partitioner=[XnnpackPartitioner()])
    else:
        edge = to_edge(exported)
    return bytes(edge.to_executorch(config).buffer)


def set_threads(n: int) -> None:
    """Sets the size of upstream's runtime threadpool (the pthreadpool its XNNPACK delegate
    runs on; by default one thread per core) to `n`, through the 1.5.1 wheel's
    `_unsafe_reset_threadpool` (executorch.extension.pybindings.portable_lib). Call it before
    loading a method, never while one executes."""
    from executorch.extension.pybindings import portable_lib

    portable_lib._unsafe_reset_threadpool(n)
    got = portable_lib._threadpool_get_thread_count()
    if got != n:
        raise RuntimeError(f"upstream's threadpool has {got} threads after a reset to {n}")


def load_method(program: bytes | Path, method: str = "forward") -> Any:
    """Upstream's runtime (its Python binding) with `program` loaded and `method` initialised."""
    from executorch.runtime import Runtime

    return Runtime.get().load_program(program).load_method(method)


def run_program(program: bytes | Path, inputs: list[Any]) -> list[torch.Tensor]:
    """Outputs of one execution of `program`'s forward on upstream's runtime."""
    return list(load_method(program).execute(inputs))


def export_cortex_m_program(
    module: torch.nn.Module,
    inputs: tuple[Any, ...],
    calibration: list[tuple[Any, ...]],
) -> tuple[bytes, Any]:
    """An int8 program of upstream's Cortex-M flow (CortexMQuantizer, PT2E, CortexMPassManager)
    and its lowered graph module, whose cortex_m:: ops run upstream's Python reference kernels
    (the reference for slimtorch's cortex_m kernels). Needs `tosa-tools` beside the wheel."""
    from executorch.backends.cortex_m.edge_compile_config import cortex_m_edge_compile_config
    from executorch.backends.cortex_m.passes.cortex_m_pass_manager import CortexMPassManager
    from executorch.backends.cortex_m.quantizer.quantizer import CortexMQuantizer
    from executorch.exir import EdgeProgramManager, to_edge
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    # check_guards=False: torch 2.13 otherwise inserts a guard module upstream's passes reject.
    graph = torch.export.export(module, inputs, strict=True).module(check_guards=False)
    prepared = prepare_pt2e(graph, CortexMQuantizer())
    for sample in calibration:
        prepared(*sample)
    converted = convert_pt2e(prepared)
    config = cortex_m_edge_compile_config()
    edge = to_edge(torch.export.export(converted, inputs), compile_config=config)
    lowered = CortexMPassManager(edge.exported_program()).transform()
    reference = copy.deepcopy(lowered.module())  # to_executorch turns the ops into out variants
    program = EdgeProgramManager({"forward": lowered}, compile_config=config).to_executorch()
    return bytes(program.buffer), reference
