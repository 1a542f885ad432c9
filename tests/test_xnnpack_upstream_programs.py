"""Programs that upstream ExecuTorch 1.5.1 lowered with its XnnpackPartitioner run on slimtorch.

Each model of models/ (at its test size) goes through upstream's flow (`torch.export`, then
`to_edge_transform_and_lower(..., partitioner=[XnnpackPartitioner()])`, `to_executorch`): the
program has XnnpackBackend delegates whose blobs are upstream's XH00/XN01 format and whose weights
are in the program's named data. slimtorch's runner with the XNNPACK backend
(//backends/xnnpack:xnnpack_runner) runs it and is compared with PyTorch eager. The models cover
the node types upstream emits: convolutions, depthwise convolutions, pooling, fully connected,
add, softmax, and those Debian's XNNPACK (2022) lacks and the backend runs itself (the NCHW<->NHWC
StaticTranspose at the delegate boundary, BatchMatrixMultiply, Gelu).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import REPO, bazel_build
from test_upstream_compat import run_runner

from slimtorch.model_file import load_model_file

pytest.importorskip("executorch.exir", reason="needs upstream executorch==1.5.1")

MODELS = [
    "mlp",
    "ds_cnn",
    "resnet8",
    "mobilenet_v1_025",
    "autoencoder",
    "mobilenet_v2",
    "transformer_block",
]


@pytest.fixture(scope="module")
def xnnpack_runner() -> Path:
    return bazel_build("//backends/xnnpack:xnnpack_runner")[0]


def upstream_xnnpack_program(module: torch.nn.Module, inputs: tuple[torch.Tensor, ...]) -> bytes:
    """The .pte upstream's XNNPACK flow makes from `module`."""
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.exir import to_edge_transform_and_lower

    exported = torch.export.export(module, inputs)
    lowered = to_edge_transform_and_lower(exported, partitioner=[XnnpackPartitioner()])
    return bytes(lowered.to_executorch().buffer)


def delegate_ids(program: bytes) -> list[str]:
    from slimtorch.pte import read_pte

    plan = read_pte(program).program.execution_plan[0]
    return [d.id for d in plan.delegates]


@pytest.mark.parametrize("name", MODELS)
def test_upstream_xnnpack_program_matches_eager(
    xnnpack_runner: Path, tmp_path: Path, name: str
) -> None:
    loaded = load_model_file(REPO / "models" / f"{name}.py")
    module, inputs = loaded.module, loaded.example_inputs
    program = upstream_xnnpack_program(module, inputs)
    assert "XnnpackBackend" in delegate_ids(program), "upstream delegated nothing"
    path = tmp_path / f"{name}_xnn.pte"
    path.write_bytes(program)

    actual = run_runner(xnnpack_runner, path, [x.numpy() for x in inputs], tmp_path)

    with torch.no_grad():
        expected = module(*inputs)
    expected_list = [expected] if isinstance(expected, torch.Tensor) else list(expected)
    assert len(actual) == len(expected_list)
    for i, (a, e) in enumerate(zip(actual, expected_list, strict=True)):
        e_np = e.numpy()
        assert a.shape == e_np.shape and a.dtype == e_np.dtype, f"output {i}"
        np.testing.assert_allclose(a, e_np, rtol=1e-4, atol=1e-4, err_msg=f"output {i}")


def test_threads_give_the_same_result(
    xnnpack_runner: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SLIMTORCH_XNNPACK_THREADS=2 (a pthreadpool per delegate) computes what one thread does."""
    loaded = load_model_file(REPO / "models" / "ds_cnn.py")
    path = tmp_path / "ds_cnn_xnn.pte"
    path.write_bytes(upstream_xnnpack_program(loaded.module, loaded.example_inputs))
    x = [t.numpy() for t in loaded.example_inputs]
    runs = []
    for threads in ("1", "2"):
        monkeypatch.setenv("SLIMTORCH_XNNPACK_THREADS", threads)
        (tmp_path / threads).mkdir()
        runs.append(run_runner(xnnpack_runner, path, x, tmp_path / threads))
    np.testing.assert_allclose(runs[1][0], runs[0][0], rtol=1e-5, atol=1e-6)


def upstream_int8_xnnpack_program(
    module: torch.nn.Module, inputs: tuple[torch.Tensor, ...], per_channel: bool
) -> tuple[bytes, torch.nn.Module]:
    """Upstream's int8 XNNPACK flow (XNNPACKQuantizer, PT2E, XnnpackPartitioner) and the
    converted (fake-quantized) module it lowered."""
    from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (
        XNNPACKQuantizer,
        get_symmetric_quantization_config,
    )
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    graph = torch.export.export(module, inputs).module()
    quantizer = XNNPACKQuantizer().set_global(
        get_symmetric_quantization_config(is_per_channel=per_channel)
    )
    prepared = prepare_pt2e(graph, quantizer)
    prepared(*inputs)
    converted = convert_pt2e(prepared)
    return upstream_xnnpack_program(converted, inputs), converted


@pytest.mark.parametrize(("name", "per_channel"), [("mlp", False), ("mlp", True), ("ds_cnn", True)])
def test_upstream_int8_xnnpack_program_matches_upstream_runtime(
    xnnpack_runner: Path, tmp_path: Path, name: str, per_channel: bool
) -> None:
    """int8 delegates (qint8 values, per-tensor and per-channel weights, Convert nodes at the
    boundary). Per-channel fully connected layers, which Debian's XNNPACK refuses, run as 1x1
    convolutions. The reference is upstream's runtime on the same program (its XNNPACK computes
    the same integer arithmetic) and the converted module in eager mode."""
    from slimtorch.upstream import run_program

    loaded = load_model_file(REPO / "models" / f"{name}.py")
    inputs = loaded.example_inputs
    program, converted = upstream_int8_xnnpack_program(loaded.module, inputs, per_channel)
    path = tmp_path / f"{name}_int8_xnn.pte"
    path.write_bytes(program)

    actual = run_runner(xnnpack_runner, path, [x.numpy() for x in inputs], tmp_path)

    reference = run_program(program, list(inputs))
    assert len(actual) == len(reference)
    for i, (a, r) in enumerate(zip(actual, reference, strict=True)):
        np.testing.assert_allclose(a, r.numpy(), rtol=1e-5, atol=1e-5, err_msg=f"output {i}")
    with torch.no_grad():
        eager = converted(*inputs)
    np.testing.assert_allclose(actual[0], eager.numpy(), rtol=1e-2, atol=1e-2)
