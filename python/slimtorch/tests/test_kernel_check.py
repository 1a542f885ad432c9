"""Export checks the program against the kernel catalogs and names, per operator and dtype,
what has no kernel: a warning by default, an error with --strict (what executorch_model()'s
export action passes, with the catalogs it selects from)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from slimtorch import kernel_check, pte

from .conftest import PYTHON_DIR, REPO

_RAND_MODEL = """import torch


class M(torch.nn.Module):
    def forward(self, x):
        return x + torch.rand(2, 4)


def model():
    return M()


def example_inputs():
    return (torch.randn(2, 4),)
"""

CATALOGS = [str(p) for p in kernel_check.DEFAULT_CATALOGS]


def _export(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    model = tmp_path / "rand_model.py"
    model.write_text(_RAND_MODEL)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "slimtorch",
            "export",
            str(model),
            "-o",
            str(tmp_path / "out.pte"),
            *extra,
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(PYTHON_DIR)),
    )


def test_project_catalogs_cover_the_mlp(slim_mlp: bytes) -> None:
    assert kernel_check.missing_kernels(pte.read_pte(slim_mlp), CATALOGS) == []


@pytest.mark.parametrize("dtype", ["Double", "Float"])
def test_missing_operator_and_dtype_are_named(slim_mlp: bytes, tmp_path: Path, dtype: str) -> None:
    """A catalog with addmm for one dtype and no relu: relu named, addmm when the dtype
    is not the program's (float)."""
    catalog = tmp_path / "custom_ops.yaml"
    catalog.write_text(
        "- op: addmm.out\n"
        f"  type_alias:\n    T0: [{dtype}]\n"
        "  dim_order_alias:\n    D1: [0]\n    D2: [0, 1]\n"
        "  kernels:\n"
        "    - arg_meta: {self: [T0, D1], mat1: [T0, D2], mat2: [T0, D2], out: [T0, D2]}\n"
        "      kernel_name: my::addmm_out\n"
        "- op: _softmax.out\n  kernels:\n    - arg_meta: null\n      kernel_name: my::softmax\n"
    )
    missing = kernel_check.missing_kernels(pte.read_pte(slim_mlp), [str(catalog)])
    addmm = [
        "aten::addmm.out: no kernel for float (dim order 0), float (dim order 0,1), "
        "float (dim order 0,1), float (dim order 0,1), float (dim order 0,1)"
    ]
    assert [str(m) for m in missing] == (addmm if dtype == "Double" else []) + [
        "aten::relu.out: no kernel"
    ]


def test_export_warns_for_the_default_catalogs(tmp_path: Path) -> None:
    proc = _export(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "slimtorch export: warning: " in proc.stderr
    assert "aten::rand.out: no kernel" in proc.stderr
    assert (tmp_path / "out.pte").is_file()


def test_strict_export_fails_naming_the_operator(tmp_path: Path) -> None:
    catalogs = [a for c in CATALOGS for a in ("--kernel-catalog", c)]
    proc = _export(tmp_path, *catalogs, "--strict")
    assert proc.returncode == 1
    assert "slimtorch export: error: " in proc.stderr and "aten::rand.out: no kernel" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out.pte").exists()


def test_executorch_model_exports_strictly() -> None:
    """The _export rule passes its catalogs and --strict (read, not run: bazel is shared)."""
    rule = " ".join((REPO / "tools" / "executorch_model.bzl").read_text().split())  # layout-free
    assert '"--kernel-catalog " + f.path for f in ctx.files.kernel_catalogs' in rule
    assert '["--strict"] if ctx.files.kernel_catalogs else []' in rule


@pytest.mark.parametrize("bad", ["not: a list\n", "- op: add.out\n"])
def test_bad_catalog_is_an_error(slim_mlp: bytes, tmp_path: Path, bad: str) -> None:
    catalog = tmp_path / "bad.yaml"
    catalog.write_text(bad)
    with pytest.raises(kernel_check.KernelCheckError, match="bad.yaml"):
        kernel_check.missing_kernels(pte.read_pte(slim_mlp), [str(catalog)])
