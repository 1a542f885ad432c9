"""Compatibility with upstream ExecuTorch 1.5.1, upstream to slimtorch.

Upstream's exporter makes the program; slimtorch's host runner (//app:pte_runner) runs it; PyTorch
eager is the reference. (The other direction, slimtorch's program on upstream's runtime, is in
python/slimtorch/tests.)
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from slimtorch.model_file import load_model_file
from slimtorch.upstream import export_program as upstream_program

REPO = Path(__file__).resolve().parents[1]
exir = pytest.importorskip(
    "executorch.exir",
    reason="needs upstream executorch==1.5.1, which `make test` installs (setup.sh --test)",
)


def run_runner(
    runner: Path, program: Path, inputs: list[np.ndarray], tmp: Path, extra: tuple[str, ...] = ()
) -> list[np.ndarray]:
    """Outputs of one run of `runner` on `program` (`extra`: more runner options)."""
    args = [str(runner), str(program), *extra]
    for i, x in enumerate(inputs):
        path = tmp / f"in{i}.npy"
        np.save(path, x)
        args += ["--input", str(path)]
    out_dir = tmp / "out"
    out_dir.mkdir()
    proc = subprocess.run([*args, "--output-dir", str(out_dir)], capture_output=True, text=True)
    assert proc.returncode == 0, f"runner failed:\n{proc.stdout}\n{proc.stderr}"
    outputs = sorted(out_dir.glob("output*.npy"), key=lambda p: int(p.stem[len("output") :]))
    return [np.load(p) for p in outputs]


def test_upstream_mlp_runs_on_slimtorch(pte_runner: Path, tmp_path: Path) -> None:
    loaded = load_model_file(REPO / "models" / "mlp.py")
    module, inputs = loaded.module, loaded.example_inputs
    program = tmp_path / "mlp_upstream.pte"
    program.write_bytes(upstream_program(module, inputs))

    actual = run_runner(pte_runner, program, [x.numpy() for x in inputs], tmp_path)

    expected = module(*inputs)
    expected_list = [expected] if isinstance(expected, torch.Tensor) else list(expected)
    assert len(actual) == len(expected_list)
    for a, e in zip(actual, expected_list, strict=True):
        np.testing.assert_allclose(a, e.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_runner_rejects_wrong_input_size(pte_runner: Path, tmp_path: Path) -> None:
    loaded = load_model_file(REPO / "models" / "mlp.py")
    program = tmp_path / "mlp_upstream.pte"
    program.write_bytes(upstream_program(loaded.module, loaded.example_inputs))
    wrong = np.zeros((3, 16), dtype=np.float32)
    np.save(tmp_path / "wrong.npy", wrong)
    proc = subprocess.run(
        [str(pte_runner), str(program), "--input", str(tmp_path / "wrong.npy")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode > 0, "a wrong input shape must fail with an exit code, not a signal"
    assert "error:" in proc.stdout + proc.stderr


@pytest.mark.parametrize("cut", [0, 7, 64, 200])
def test_runner_rejects_truncated_program(pte_runner: Path, tmp_path: Path, cut: int) -> None:
    loaded = load_model_file(REPO / "models" / "mlp.py")
    data = upstream_program(loaded.module, loaded.example_inputs)
    program = tmp_path / "truncated.pte"
    program.write_bytes(data[:cut])
    proc = subprocess.run([str(pte_runner), str(program)], capture_output=True, text=True)
    assert proc.returncode > 0, f"a program cut to {cut} bytes must be an error, not a crash"
    assert "error:" in proc.stdout + proc.stderr
