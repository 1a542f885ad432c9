"""An export prints no FutureWarning: torch 2.13's pytree specs warn about torch's own
deprecated LeafSpec check whenever torch.export objects are deep-copied (decomposition, the
int8 driver's reference copy); slimtorch silences exactly that warning at those calls."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

from slimtorch import exporter
from slimtorch.model_file import load_model_file

from .conftest import PYTHON_DIR, REPO


def test_cli_export_prints_no_future_warning(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "slimtorch",
            "export",
            str(REPO / "models" / "mlp.py"),
            "-o",
            str(tmp_path / "mlp.pte"),
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(PYTHON_DIR)),
    )
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stderr, proc.stderr


def test_int8_export_raises_no_future_warning() -> None:
    loaded = load_model_file(REPO / "models" / "mlp.py")
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # any FutureWarning fails the export
        exporter.export_int8(loaded)


def test_only_that_warning_is_silenced() -> None:
    """The filter is scoped: other FutureWarnings inside the block still show."""
    from slimtorch.passes import quiet_treespec_copy

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with quiet_treespec_copy():
            warnings.warn(
                "`isinstance(treespec, LeafSpec)` is deprecated, use ...",
                FutureWarning,
                stacklevel=1,
            )
            warnings.warn("something else", FutureWarning, stacklevel=1)
    assert [str(w.message) for w in seen] == ["something else"]
