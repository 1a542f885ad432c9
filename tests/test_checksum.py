"""`slimtorch export --checksum`: corrupt constant data is a load error on slimtorch's runtime,
and upstream ExecuTorch 1.5.1 still runs the program."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from slimtorch.exporter import export_model
from slimtorch.model_file import load_model_file

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def mlp() -> tuple[bytes, bytes, np.ndarray, np.ndarray]:
    loaded = load_model_file(str(REPO / "models" / "mlp.py"))
    emitted = export_model(loaded)
    x = loaded.example_inputs[0]
    with torch.no_grad():
        want = loaded.module(x).numpy()
    return emitted.to_bytes(), emitted.to_bytes(checksum=True), x.numpy(), want


def corrupt_constant(data: bytes) -> bytes:
    """The first weight scaled by a large power of two (segment 0 starts at segment_base_offset)."""
    assert data[8:12] == b"eh00"
    segment_base = int.from_bytes(data[24:32], "little")
    out = bytearray(data)
    out[segment_base + 3] ^= 0x40  # an exponent bit of the first float
    return bytes(out)


def run(runner: Path, program: bytes, x: np.ndarray, tmp: Path) -> subprocess.CompletedProcess[str]:
    (tmp / "p.pte").write_bytes(program)
    np.save(tmp / "x.npy", x)
    return subprocess.run(
        [str(runner), str(tmp / "p.pte"), "--input", str(tmp / "x.npy")],
        capture_output=True,
        text=True,
    )


def outputs(stdout: str) -> np.ndarray:
    line = next(s for s in stdout.splitlines() if s.startswith("output 0"))
    return np.array([float(v) for v in line.split(":", 1)[1].split()], dtype=np.float32)


def test_checksummed_program_runs_and_matches(pte_runner: Path, mlp, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, with_sum, x, want = mlp
    proc = run(pte_runner, with_sum, x, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    np.testing.assert_allclose(outputs(proc.stdout), want.reshape(-1), rtol=1e-5, atol=1e-6)


def test_corrupt_constant_is_detected_only_with_checksum(
    pte_runner: Path, mlp, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    plain, with_sum, x, want = mlp
    silent = run(pte_runner, corrupt_constant(plain), x, tmp_path)
    assert silent.returncode == 0, "without a checksum, a corrupt weight goes unnoticed"
    assert not np.allclose(outputs(silent.stdout), want.reshape(-1), rtol=1e-5, atol=1e-6)
    caught = run(pte_runner, corrupt_constant(with_sum), x, tmp_path)
    assert caught.returncode == 1
    assert "error: segment checksum mismatch" in caught.stdout


def test_checksummed_program_runs_on_upstream(mlp) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("executorch.runtime", reason="needs upstream executorch==1.5.1 (make test)")
    from slimtorch.upstream import run_program

    _, with_sum, x, want = mlp
    got = run_program(with_sum, [torch.from_numpy(x)])
    np.testing.assert_allclose(got[0].numpy(), want, rtol=1e-5, atol=1e-6)
