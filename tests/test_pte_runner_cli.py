"""//app:pte_runner as a new user runs it: output directories, relative paths under `bazel run`,
its own name in --help, and each error printed once.

The reference for the outputs is PyTorch eager on the MLP of models/mlp.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from slimtorch.exporter import export_model
from slimtorch.model_file import load_model_file

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def mlp_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """A directory with mlp.pte and x.npy; PyTorch eager's output on x."""
    loaded = load_model_file(str(REPO / "models" / "mlp.py"))
    work = tmp_path_factory.mktemp("mlp")
    (work / "mlp.pte").write_bytes(export_model(loaded).to_bytes())
    x = loaded.example_inputs[0]
    np.save(work / "x.npy", x.numpy())
    with torch.no_grad():
        want = loaded.module(x).numpy()
    return work, want


def run(
    runner: Path, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(runner), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def test_output_dir_and_its_parents_are_created(
    pte_runner: Path, mlp_files: tuple[Path, np.ndarray], tmp_path: Path
) -> None:
    work, want = mlp_files
    out = tmp_path / "new" / "deeper" / "out"
    proc = run(
        pte_runner, str(work / "mlp.pte"), "--input", str(work / "x.npy"), "--output-dir", f"{out}/"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    np.testing.assert_allclose(np.load(out / "output0.npy"), want, rtol=1e-5, atol=1e-6)


def test_output_dir_that_is_a_file_is_an_error(
    pte_runner: Path, mlp_files: tuple[Path, np.ndarray], tmp_path: Path
) -> None:
    work, _ = mlp_files
    (tmp_path / "f").write_text("")
    proc = run(
        pte_runner,
        str(work / "mlp.pte"),
        "--input",
        str(work / "x.npy"),
        "--output-dir",
        str(tmp_path / "f"),
    )
    assert proc.returncode == 1
    assert proc.stdout == f"error: --output-dir: {tmp_path / 'f'} exists and is not a directory\n"


def test_relative_paths_are_taken_from_where_bazel_run_started(
    pte_runner: Path, mlp_files: tuple[Path, np.ndarray], tmp_path: Path
) -> None:
    # `bazel run` starts the binary in its runfiles tree and says where the user was in
    # BUILD_WORKING_DIRECTORY: relative paths must be read from there.
    work, want = mlp_files
    elsewhere = tmp_path / "runfiles"
    elsewhere.mkdir()
    proc = run(
        pte_runner,
        "mlp.pte",
        "--input",
        "./x.npy",
        "--output-dir",
        "out",
        cwd=elsewhere,
        env={"BUILD_WORKING_DIRECTORY": str(work)},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    np.testing.assert_allclose(np.load(work / "out" / "output0.npy"), want, rtol=1e-5, atol=1e-6)
    assert not (elsewhere / "out").exists()
    # Without it (a plain run), relative paths are the current directory's, as usual.
    env = {k: v for k, v in os.environ.items() if k != "BUILD_WORKING_DIRECTORY"}
    plain = subprocess.run(
        [str(pte_runner), "mlp.pte", "--input", "x.npy"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert plain.returncode == 0, plain.stdout + plain.stderr


def test_help_names_the_program_it_is(pte_runner: Path, tmp_path: Path) -> None:
    proc = run(pte_runner, "--help")
    assert proc.returncode == 0
    assert proc.stdout.startswith("usage: pte_runner [PROGRAM.pte ")
    assert "model_runtime" not in proc.stdout
    renamed = tmp_path / "my_runner"
    shutil.copy(pte_runner, renamed)
    assert run(renamed, "--help").stdout.startswith("usage: my_runner [PROGRAM.pte ")


def test_an_error_is_printed_once(
    pte_runner: Path, mlp_files: tuple[Path, np.ndarray], tmp_path: Path
) -> None:
    work, _ = mlp_files
    data = (work / "mlp.pte").read_bytes()
    bad = tmp_path / "bad.pte"
    bad.write_bytes(data[: len(data) // 2])  # truncated: the loader's verification refuses it
    proc = run(pte_runner, str(bad), "--input", str(work / "x.npy"))
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stdout
    message = lines[0][len("error: ") :].rsplit(" (", 1)[0]
    assert message and (proc.stdout + proc.stderr).count(message) == 1, proc.stdout + proc.stderr
    # SLIMTORCH_DEBUG still shows the runtime's own account, as it happens.
    debug = run(pte_runner, str(bad), env={"SLIMTORCH_DEBUG": "1"})
    assert message in debug.stderr


@pytest.mark.skipif(shutil.which("bazel") is None, reason="bazel is not installed")
def test_bazel_run_with_relative_paths(
    pte_runner: Path, mlp_files: tuple[Path, np.ndarray]
) -> None:
    # The user's own command, typed in a directory of the workspace (build/ is git-ignored):
    # bazel run //app:pte_runner -- mlp.pte --input x.npy --output-dir out
    work, want = mlp_files
    here = REPO / "build" / f"pte_runner_test_{os.getpid()}"
    here.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copy(work / "mlp.pte", here / "mlp.pte")
        shutil.copy(work / "x.npy", here / "x.npy")
        proc = subprocess.run(
            [
                "bazel",
                "run",
                "--noshow_progress",
                "//app:pte_runner",
                "--",
                "mlp.pte",
                "--input",
                "x.npy",
                "--output-dir",
                "out",
            ],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
        np.testing.assert_allclose(
            np.load(here / "out" / "output0.npy"), want, rtol=1e-5, atol=1e-6
        )
    finally:
        shutil.rmtree(here, ignore_errors=True)
