"""The command line: help, clear errors, and running from the source tree like Bazel does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from slimtorch.cli import main
from slimtorch.tests.conftest import PYTHON_DIR


@pytest.mark.parametrize("command,expect", [
    ("export", "--io-dir"), ("inspect", "PROGRAM.pte"), ("ops", "OUT.ops.yaml"),
    ("embed", "--none"), ("compare", "--expected-dir"), ("profile", "--tick-ns")])
def test_help(command: str, expect: str, capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as e:
        main([command, "--help"])
    assert e.value.code == 0
    assert expect in capsys.readouterr().out


def test_missing_model_file(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["export", str(tmp_path / "nope.py"), "-o", str(tmp_path / "x.pte")]) == 1
    err = capsys.readouterr().err
    assert "nope.py does not exist" in err and "defines model() and example_inputs()" in err


def test_model_file_without_model(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "bad.py"
    f.write_text("import torch\n\ndef example_inputs():\n    return (torch.ones(1),)\n")
    assert main(["export", str(f), "-o", str(tmp_path / "x.pte")]) == 1
    assert "does not define model()" in capsys.readouterr().err
    assert not (tmp_path / "x.pte").exists()


def test_model_file_with_non_tuple_inputs(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "bad2.py"
    f.write_text("import torch\n\ndef model():\n    return torch.nn.ReLU()\n\n"
                 "def example_inputs():\n    return torch.ones(1)\n")
    assert main(["export", str(f), "-o", str(tmp_path / "x.pte")]) == 1
    assert "expected a tuple" in capsys.readouterr().err


def test_model_file_that_raises(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "boom.py"
    f.write_text("raise RuntimeError('boom')\n")
    assert main(["export", str(f), "-o", str(tmp_path / "x.pte")]) == 1
    assert "failed to import: RuntimeError: boom" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["inspect", "ops"])
def test_not_a_program(command: str, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "notes.txt"
    f.write_text("hello world, this is not a program\n")
    assert main([command, str(f)]) == 1
    assert "not an ExecuTorch program" in capsys.readouterr().err
    assert main([command, str(tmp_path / "missing.pte")]) == 1
    assert "cannot read program" in capsys.readouterr().err


def test_embed_needs_program_or_none(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["embed", "-o", str(tmp_path / "x.cc")]) == 1
    assert "exactly one of PROGRAM.pte or --none" in capsys.readouterr().err


def test_inspect_lists_everything(slim_mlp: bytes, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "mlp.pte"
    f.write_bytes(slim_mlp)
    assert main(["inspect", str(f)]) == 0
    out = capsys.readouterr().out
    for needle in ("method forward:", "inputs:", "tensor float 2x16 @mem1+",
                   "memory id 1: planned", "lower bound",
                   "0: aten::addmm.out(v", "aten::relu.out(", "constant bytes:",
                   "segments (1):", "operators (3):"):
        assert needle in out


def test_runs_from_source_tree(mlp_path: Path, tmp_path: Path) -> None:
    """`PYTHONPATH=python python -m slimtorch ...` as the Bazel actions run it."""
    env = dict(os.environ, PYTHONPATH=str(PYTHON_DIR))
    pte_path = tmp_path / "out" / "mlp.pte"
    proc = subprocess.run(
        [sys.executable, "-m", "slimtorch", "export", str(mlp_path), "-o", str(pte_path),
         "--manifest", str(tmp_path / "out" / "mlp.ops.yaml"), "--io-dir", str(tmp_path / "io")],
        env=env, capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "slimtorch: exporting" in proc.stderr and "planning memory" in proc.stderr
    assert pte_path.read_bytes()[4:8] == b"ET12"
    assert sorted(p.name for p in (tmp_path / "io").iterdir()) == ["expected0.npy", "input0.npy"]
    proc = subprocess.run([sys.executable, "-m", "slimtorch", "ops", str(pte_path)], env=env,
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0 and "aten::addmm.out" in proc.stdout
