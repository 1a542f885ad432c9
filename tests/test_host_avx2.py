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
from conftest import bazel_build
from test_compat_models import MODELS, assert_matches, cases, expected, model, slimtorch_program
from test_upstream_compat import run_runner  # noqa: I001  (tests/ is on sys.path: rootdir conftest)

from slimtorch.platforms import cpu_runs_host_avx2

pytestmark = pytest.mark.skipif(
    not cpu_runs_host_avx2(), reason="this CPU has no AVX2 or FMA: host_avx2 binaries cannot run"
)


@pytest.fixture(scope="module")
def avx2_runner() -> Path:
    return bazel_build("//app:pte_runner", flags=("--config=host_avx2",))[0]


@pytest.mark.parametrize("name", MODELS)
def test_model_matches_eager(name: str, avx2_runner: Path, tmp_path: Path) -> None:
    program = tmp_path / f"{name}.pte"
    program.write_bytes(slimtorch_program(name))
    for k, inputs in enumerate(cases(model(name))):
        case_dir = tmp_path / f"case{k}"
        case_dir.mkdir()
        got = run_runner(avx2_runner, program, [np.asarray(x) for x in inputs], case_dir)
        assert_matches(got, expected(name, inputs), f"{name} on host_avx2, case {k}")
