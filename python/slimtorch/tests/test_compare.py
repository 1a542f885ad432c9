"""`slimtorch compare` accepts matching runner output and rejects everything else."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from slimtorch.cli import main


def runner_line(i: int, a: np.ndarray) -> str:
    shape = "x".join(str(d) for d in a.shape) if a.ndim else "()"
    if a.dtype.kind in "biu":
        vals = " ".join(str(int(v)) for v in a.reshape(-1))
    else:
        vals = " ".join(f"{float(v):.9g}" for v in a.reshape(-1))
    return f"output {i} shape {shape} : {vals}"


@pytest.fixture
def expected(tmp_path: Path) -> list[np.ndarray]:
    arrays = [np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32),
              np.array(3.5, dtype=np.float32), np.array([1, 0, 1], dtype=np.bool_),
              np.array([[7, -2]], dtype=np.int64)]
    for i, a in enumerate(arrays):
        np.save(tmp_path / f"expected{i}.npy", a)
    return arrays


def run(tmp_path: Path, lines: list[str], *extra: str) -> int:
    (tmp_path / "run.txt").write_text("booting...\n" + "\n".join(lines) + "\n")
    return main(["compare", "--expected-dir", str(tmp_path), str(tmp_path / "run.txt"), *extra])


def test_accepts_exact_output(tmp_path: Path, expected: list[np.ndarray], capsys) -> None:  # type: ignore[no-untyped-def]
    assert run(tmp_path, [runner_line(i, a) for i, a in enumerate(expected)]) == 0
    out = capsys.readouterr().out
    assert "output 0: ok (max abs err" in out and "output 3: ok" in out


def test_rejects_a_wrong_value(tmp_path: Path, expected: list[np.ndarray], capsys) -> None:  # type: ignore[no-untyped-def]
    bad = expected[0].copy()
    bad[1, 2] += 1e-3
    lines = [runner_line(0, bad)] + [runner_line(i, a) for i, a in enumerate(expected)][1:]
    assert run(tmp_path, lines) == 1
    assert "output 0: MISMATCH 1 of 6 values differ" in capsys.readouterr().out


def test_tolerance_is_respected(tmp_path: Path, expected: list[np.ndarray]) -> None:
    bad = expected[0].copy()
    bad[0, 0] += 1e-3
    lines = [runner_line(0, bad)] + [runner_line(i, a) for i, a in enumerate(expected)][1:]
    assert run(tmp_path, lines, "--atol", "1e-2") == 0


def test_rejects_wrong_shape(tmp_path: Path, expected: list[np.ndarray], capsys) -> None:  # type: ignore[no-untyped-def]
    lines = [runner_line(0, expected[0].reshape(3, 2))]
    lines += [runner_line(i, a) for i, a in enumerate(expected)][1:]
    assert run(tmp_path, lines) == 1
    assert "MISMATCH shape (3, 2), expected (2, 3)" in capsys.readouterr().out


def test_rejects_missing_output(tmp_path: Path, expected: list[np.ndarray], capsys) -> None:  # type: ignore[no-untyped-def]
    assert run(tmp_path, [runner_line(i, a) for i, a in enumerate(expected)][:-1]) == 1
    assert "output 3: MISSING" in capsys.readouterr().out


def test_rejects_error_line(tmp_path: Path, expected: list[np.ndarray], capsys) -> None:  # type: ignore[no-untyped-def]
    lines = [runner_line(i, a) for i, a in enumerate(expected)] + ["error: kernel not found"]
    assert run(tmp_path, lines) == 1
    assert "error: kernel not found" in capsys.readouterr().out


def test_rejects_nan_against_number(tmp_path: Path, expected: list[np.ndarray]) -> None:
    lines = [runner_line(i, a) for i, a in enumerate(expected)]
    lines[1] = "output 1 shape () : nan"
    assert run(tmp_path, lines) == 1


def test_missing_expected_dir(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "run.txt").write_text("output 0 shape 1 : 1\n")
    assert main(["compare", "--expected-dir", str(tmp_path / "nope"),
                 str(tmp_path / "run.txt")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_several_models_each_against_its_own_dir(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    a_dir, b_dir = tmp_path / "a", tmp_path / "b"
    a_dir.mkdir()
    b_dir.mkdir()
    a = np.arange(4, dtype=np.float32).reshape(1, 4)
    b = np.array([[0.5, -1.25]], dtype=np.float32)
    np.save(a_dir / "expected0.npy", a)
    np.save(b_dir / "expected0.npy", b)
    args = ["compare", "--expected-dir", f"kws={a_dir}", "--expected-dir", f"anomaly={b_dir}"]

    def check(lines: list[str]) -> int:
        (tmp_path / "run.txt").write_text("\n".join(lines) + "\n")
        return main([*args, str(tmp_path / "run.txt")])

    good = ["model kws", runner_line(0, a), "model anomaly", runner_line(0, b)]
    assert check(good) == 0
    assert "model kws: output 0: ok" in capsys.readouterr().out
    # Swapped: each model's output compared with the other's reference fails.
    assert check(["model kws", runner_line(0, b), "model anomaly", runner_line(0, a)]) == 1
    assert "model kws: output 0: MISMATCH shape" in capsys.readouterr().out
    assert check(good[:2]) == 1
    assert "model anomaly: MISSING" in capsys.readouterr().out
    assert check([*good, "model extra", runner_line(0, a)]) == 1
    assert "model extra: UNEXPECTED" in capsys.readouterr().out
    assert check(["model kws", "error: boom (InvalidArgument)", "model anomaly",
                  runner_line(0, b)]) == 1
    assert "model kws: runner error: boom" in capsys.readouterr().out
    assert check(["error: no program (InvalidArgument)", *good]) == 1
    assert "runner error: no program" in capsys.readouterr().out


def test_several_dirs_need_names(tmp_path: Path) -> None:
    np.save(tmp_path / "expected0.npy", np.zeros(1, np.float32))
    (tmp_path / "run.txt").write_text(runner_line(0, np.zeros(1, np.float32)) + "\n")
    assert main(["compare", "--expected-dir", str(tmp_path), "--expected-dir", str(tmp_path),
                 str(tmp_path / "run.txt")]) != 0
