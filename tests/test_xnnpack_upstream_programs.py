"""More of "slimtorch runs upstream's XNNPACK programs" than tests/test_xnnpack_compat.py's matrix
(which runs every model's upstream-lowered program on slimtorch against eager): the XNNPACK
backend's threads setting, and upstream's int8 XNNPACK programs (XNNPACKQuantizer, per-tensor and
per-channel weights) against upstream's runtime on the same program.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import REPO, bazel_build
from test_upstream_compat import run_runner

from slimtorch import upstream
from slimtorch.model_file import load_model_file

pytest.importorskip("executorch.exir", reason="needs upstream executorch==1.5.1")


@pytest.fixture(scope="module")
def xnnpack_runner() -> Path:
    return bazel_build("//app:pte_runner")[0]


def test_threads_give_the_same_result(xnnpack_runner: Path, tmp_path: Path) -> None:
    """pte_runner --threads 2 (a pthreadpool per delegate) computes what one thread does."""
    loaded = load_model_file(REPO / "models" / "ds_cnn.py")
    path = tmp_path / "ds_cnn_xnn.pte"
    path.write_bytes(upstream.export_program(loaded.module, loaded.example_inputs, xnnpack=True))
    x = [t.numpy() for t in loaded.example_inputs]
    runs = []
    for threads in ("1", "2"):
        (tmp_path / threads).mkdir()
        runs.append(run_runner(xnnpack_runner, path, x, tmp_path / threads, ("--threads", threads)))
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
    return upstream.export_program(converted, inputs, xnnpack=True), converted


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
