"""`slimtorch compare`: check a runner's printed outputs against expectedN.npy files.

Runner lines: `output <i> shape <d0>x<d1>... : <v0> <v1> ...` (`()` for 0-dim);
a line starting `error: ` is a runner failure. An image with several models
(model_library()) prints a line `model <name>` before each model's outputs; each
model's lines are then compared with that model's expected directory
(`compare_models`, `slimtorch compare --expected-dir NAME=DIR ...`).
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass

import numpy as np

from slimtorch.npy import NpyError, load_npy

_OUTPUT = re.compile(r"^output (\d+) shape (\S*) :(.*)$")
_MODEL = re.compile(r"^model (\S+)$")


class CompareError(Exception):
    """The runner output or the expected directory cannot be read."""


@dataclass
class RunnerOutput:
    index: int
    shape: tuple[int, ...]
    values: np.ndarray


def parse_runner_output(text: str) -> tuple[dict[int, RunnerOutput], list[str]]:
    """({index: output}, error lines)."""
    outputs: dict[int, RunnerOutput] = {}
    errors: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("error:"):
            errors.append(line)
            continue
        m = _OUTPUT.match(line)
        if not m:
            continue
        index, shape_s, values_s = int(m.group(1)), m.group(2), m.group(3)
        try:
            shape = () if shape_s in ("()", "") else tuple(int(d) for d in shape_s.split("x"))
            values = np.array([float(v) for v in values_s.split()], dtype=np.float64)
        except ValueError as e:
            raise CompareError(f"cannot parse runner line {line!r}: {e}") from e
        outputs[index] = RunnerOutput(index, shape, values)
    return outputs, errors


def load_expected(directory: str) -> dict[int, np.ndarray]:
    if not os.path.isdir(directory):
        raise CompareError(f"expected directory {directory} does not exist")
    expected = {}
    for path in glob.glob(os.path.join(directory, "expected*.npy")):
        m = re.fullmatch(r"expected(\d+)\.npy", os.path.basename(path))
        if m:
            try:
                expected[int(m.group(1))] = load_npy(path)
            except NpyError as e:
                raise CompareError(str(e)) from None
    if not expected:
        raise CompareError(f"no expectedN.npy files in {directory}; make them with "
                           "`slimtorch export MODEL.py --io-dir DIR`")
    return expected


def load_tolerances(directory: str) -> dict[int, float]:
    """{i: tolerance} from tolerance<i>.txt files (an int8 export's quantization steps)."""
    tolerances = {}
    for path in glob.glob(os.path.join(directory, "tolerance*.txt")):
        m = re.fullmatch(r"tolerance(\d+)\.txt", os.path.basename(path))
        if not m:
            continue
        with open(path) as f:
            text = f.read().strip()
        try:
            value = float(text)
        except ValueError:
            raise CompareError(f"{path}: expected one number (an absolute tolerance), got "
                               f"{text[:40]!r}") from None
        if not value >= 0:
            raise CompareError(f"{path}: tolerance {value} is not a non-negative number")
        tolerances[int(m.group(1))] = value
    return tolerances


def compare(text: str, expected: dict[int, np.ndarray], rtol: float = 1e-5,
            atol: float = 1e-5,
            tolerances: dict[int, float] | None = None) -> tuple[bool, list[str]]:
    """(all ok, report lines). tolerances: per-output absolute tolerances (e.g. one
    quantization step); output i is compared with atol = max(atol, tolerances[i])."""
    tolerances = tolerances or {}
    outputs, errors = parse_runner_output(text)
    report = [f"runner {e}" for e in errors]
    ok = not errors
    for i in sorted(expected):
        exp = np.asarray(expected[i])
        got = outputs.get(i)
        if got is None:
            report.append(f"output {i}: MISSING (runner printed no `output {i}` line)")
            ok = False
            continue
        if tuple(exp.shape) != got.shape:
            report.append(f"output {i}: MISMATCH shape {got.shape}, expected {tuple(exp.shape)}")
            ok = False
            continue
        if got.values.size != exp.size:
            report.append(f"output {i}: MISMATCH {got.values.size} values printed for shape "
                          f"{got.shape} ({exp.size} elements)")
            ok = False
            continue
        e = exp.astype(np.float64).reshape(-1)
        atol_i = max(atol, tolerances.get(i, 0.0))
        close = np.isclose(got.values, e, rtol=rtol, atol=atol_i, equal_nan=True)
        with np.errstate(invalid="ignore"):
            diff = np.abs(got.values - e)
        finite = diff[~np.isnan(diff)]
        max_err = float(finite.max()) if finite.size else (float("nan") if diff.size else 0.0)
        if close.all():
            step = f", tolerance {tolerances[i]:.3g} (one quantization step)" \
                if i in tolerances else ""
            report.append(f"output {i}: ok (max abs err {max_err:.3g}{step})")
        else:
            bad = np.flatnonzero(~close)
            first = ", ".join(f"[{k}] got {got.values[k]:.9g} expected {e[k]:.9g}"
                              for k in bad[:5])
            report.append(f"output {i}: MISMATCH {bad.size} of {e.size} values differ "
                          f"(max abs err {max_err:.3g}, rtol {rtol}, atol {atol_i:.3g}): {first}")
            ok = False
    for i in sorted(set(outputs) - set(expected)):
        report.append(f"output {i}: UNEXPECTED (no expected{i}.npy)")
        ok = False
    return ok, report


def split_models(text: str) -> tuple[dict[str, str], str]:
    """({model name: the lines after its `model <name>` line}, the lines before the first)."""
    sections: dict[str, list[str]] = {}
    preamble: list[str] = []
    current = preamble
    for line in text.splitlines():
        m = _MODEL.match(line.strip())
        if m:
            if m.group(1) in sections:
                raise CompareError(f"the runner printed `model {m.group(1)}` twice")
            current = sections.setdefault(m.group(1), [])
            continue
        current.append(line)
    return {k: "\n".join(v) for k, v in sections.items()}, "\n".join(preamble)


def compare_models(text: str, expected: dict[str, str], rtol: float = 1e-5,
                   atol: float = 1e-5) -> tuple[bool, list[str]]:
    """(all ok, report lines) for the output of an image with several models: each model's
    section (`model <name>` line, then its outputs) compared with the expected directory
    `expected[name]` (expected<i>.npy, tolerance<i>.txt) like `compare`."""
    sections, preamble = split_models(text)
    _, errors = parse_runner_output(preamble)
    report = [f"runner {e}" for e in errors]
    ok = not errors
    for name in sorted(expected):
        if name not in sections:
            report.append(f"model {name}: MISSING (runner printed no `model {name}` line)")
            ok = False
            continue
        directory = expected[name]
        model_ok, lines = compare(sections[name], load_expected(directory), rtol=rtol,
                                  atol=atol, tolerances=load_tolerances(directory))
        report += [f"model {name}: {line}" for line in lines]
        ok = ok and model_ok
    for name in sorted(set(sections) - set(expected)):
        report.append(f"model {name}: UNEXPECTED (no expected directory given for it)")
        ok = False
    return ok, report
