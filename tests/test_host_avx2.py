"""The platform host_avx2 (`--config=host_avx2`: the portable kernels compiled for AVX2 and FMA,
products fused into their sums, 8-channel convolution blocks; kernels/portable/copts.bzl) computes
what PyTorch eager does, within the same tolerances as the baseline host: every model of models/
and every test case of each, through //app:pte_runner built for that platform.

Skipped on a CPU without AVX2 or FMA: the platform is declared, never detected, and its
binaries stop with SIGILL on such a machine.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import bazel_build
from test_upstream_compat import run_runner  # noqa: I001  (tests/ is on sys.path: rootdir conftest)

from slimtorch.exporter import export_model
from slimtorch.model_file import load_model_file

REPO = Path(__file__).resolve().parents[1]
MODELS = sorted(p.stem for p in (REPO / "models").glob("*.py"))
RTOL, ATOL = 1e-4, 1e-5


def cpu_has_avx2_fma() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return "avx2" in flags and "fma" in flags


pytestmark = pytest.mark.skipif(
    not cpu_has_avx2_fma(), reason="this CPU has no AVX2 or FMA: host_avx2 binaries cannot run"
)


@pytest.fixture(scope="module")
def avx2_runner() -> Path:
    return bazel_build("//app:pte_runner", flags=("--config=host_avx2",))[0]


@pytest.mark.parametrize("name", MODELS)
def test_model_matches_eager(name: str, avx2_runner: Path, tmp_path: Path) -> None:
    loaded = load_model_file(str(REPO / "models" / f"{name}.py"))
    program = tmp_path / f"{name}.pte"
    program.write_bytes(bytes(export_model(loaded).to_bytes()))
    for k, inputs in enumerate([loaded.example_inputs, *loaded.test_inputs]):
        case_dir = tmp_path / f"case{k}"
        case_dir.mkdir()
        got = run_runner(avx2_runner, program, [np.asarray(x) for x in inputs], case_dir)
        with torch.no_grad():  # a fresh model: state starts from its initial values each case
            out = load_model_file(str(REPO / "models" / f"{name}.py")).module(*inputs)
        want = [out] if isinstance(out, torch.Tensor) else list(out)
        assert len(got) == len(want), f"{name}, case {k}: {len(got)} outputs, eager {len(want)}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            np.testing.assert_allclose(
                g, w.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg=f"{name}, case {k}, output {i}"
            )
