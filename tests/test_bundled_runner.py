"""`pte_runner MODEL.bpte` (runtime/bundled/, app/bundled_run.cc) on bundles made by upstream
ExecuTorch 1.5.1's own devtools (from an upstream-exported program) and by `slimtorch bundle`:
every test case passes against PyTorch eager's outputs; a wrong expected output fails, naming
the output, the element and the difference; corrupt bundles and bad flags are one error line.
"""

from __future__ import annotations

import subprocess
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from slimtorch import bundle
from slimtorch.bundle.cases import eager_outputs, random_inputs
from slimtorch.exporter import export_model
from slimtorch.model_file import LoadedModel, load_model_file

REPO = Path(__file__).resolve().parents[1]


def run(runner: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(runner), *args], capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def mlp() -> LoadedModel:
    return load_model_file(str(REPO / "models" / "mlp.py"))


def _upstream_bundle(loaded: LoadedModel, wrong: bool = False) -> bytes:
    """Upstream's BundledProgram of upstream's export: example inputs and one random case."""
    pytest.importorskip("executorch.exir", reason="upstream ExecuTorch 1.5.1 is the reference")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from executorch.devtools.bundled_program.config import MethodTestCase, MethodTestSuite
        from executorch.devtools.bundled_program.core import BundledProgram
        from executorch.devtools.bundled_program.serialize import (
            serialize_from_bundled_program_to_flatbuffer,
        )
        from executorch.exir import to_edge

    module = loaded.module
    with torch.no_grad():
        manager = to_edge(torch.export.export(module, loaded.example_inputs)).to_executorch()
    cases = []
    for x in [loaded.example_inputs, random_inputs(loaded.example_inputs, 3, 1)]:
        expected: list[Any] = eager_outputs(module, x)
        if wrong:
            expected = [e.clone() for e in expected]
            expected[0].view(-1)[5] += 0.25
        cases.append(MethodTestCase(inputs=list(x), expected_outputs=expected))
    return bytes(
        serialize_from_bundled_program_to_flatbuffer(
            BundledProgram(manager, [MethodTestSuite("forward", cases)])
        )
    )


@pytest.mark.parametrize("model", ["mlp", "ds_cnn"])
def test_upstream_bundles_pass(pte_runner: Path, tmp_path: Path, model: str) -> None:
    loaded = load_model_file(str(REPO / "models" / f"{model}.py"))
    path = tmp_path / f"{model}.bpte"
    path.write_bytes(_upstream_bundle(loaded))
    proc = run(pte_runner, str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert [ln.split(":")[0] for ln in lines[:-1]] == [
        "test forward[0] output 0",
        "test forward[1] output 0",
    ]
    assert all(": pass max_abs_diff " in ln for ln in lines[:-1])
    assert lines[-1].startswith("selftest: PASS 2 test cases, 2 outputs: 2 passed, 0 failed")


def test_wrong_expected_output_fails_naming_output_and_difference(
    pte_runner: Path, tmp_path: Path, mlp: LoadedModel
) -> None:
    path = tmp_path / "wrong.bpte"
    path.write_bytes(_upstream_bundle(mlp, wrong=True))
    proc = run(pte_runner, str(path))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    first = proc.stdout.splitlines()[0]
    # Element 5 was moved by 0.25 from PyTorch's value: that is the largest difference.
    assert first.startswith("test forward[0] output 0: FAIL max_abs_diff 0.25"), first
    assert " at 5 (actual " in first and "1 of 8 elements out of tolerance" in first, first
    assert proc.stdout.splitlines()[-1].startswith(
        "selftest: FAIL 2 test cases, 2 outputs: 0 passed"
    )


def test_slimtorch_bundle_and_tolerances(
    pte_runner: Path, tmp_path: Path, mlp: LoadedModel
) -> None:
    program = export_model(mlp).to_bytes()
    x = mlp.example_inputs
    [want] = eager_outputs(mlp.module, x)
    off = want.numpy().copy()
    off.reshape(-1)[2] += 1e-3  # inside rtol 1e-2 (|y| ~ 0.2), outside the default 1e-4 / 1e-5
    path = tmp_path / "near.bpte"
    path.write_bytes(bundle.write_bundle(program, [bundle.TestCase([x[0]], [off])]))
    proc = run(pte_runner, str(path))
    assert proc.returncode == 1 and "at 2 (actual" in proc.stdout, proc.stdout
    proc = run(pte_runner, str(path), "--rtol", "1e-2")
    assert proc.returncode == 0, proc.stdout
    assert "(rtol 0.01, atol 1e-05)" in proc.stdout
    proc = run(pte_runner, str(path), "--atol", "-1")
    assert proc.returncode == 2 and "--atol needs a number >= 0" in proc.stdout
    proc = run(pte_runner, str(path), "--input", "x.npy")
    assert proc.returncode == 2 and "carries its inputs" in proc.stdout


def test_corrupt_bundle_is_one_error_line(
    pte_runner: Path, tmp_path: Path, mlp: LoadedModel
) -> None:
    program = export_model(mlp).to_bytes()
    x = mlp.example_inputs
    data = bundle.write_bundle(program, [bundle.TestCase([x[0]], eager_outputs(mlp.module, x))])
    path = tmp_path / "cut.bpte"
    path.write_bytes(data[: len(data) // 2])
    proc = run(pte_runner, str(path))
    assert proc.returncode == 1
    assert proc.stdout.count("\n") == 1 and proc.stdout.startswith("error: bundled program"), (
        proc.stdout
    )


def test_help_describes_bundles(pte_runner: Path) -> None:
    out = run(pte_runner, "--help").stdout
    assert "MODEL.bpte [--rtol R] [--atol A]" in out and "--atol A" in out
    assert np.isclose(1e-4, float(out.split("relative tolerance (default ")[1].split(")")[0]))
