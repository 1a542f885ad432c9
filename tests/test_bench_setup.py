"""The benchmarks say what to install when upstream ExecuTorch (their reference) is missing.

Each benchmark of tools/bench/ runs in a Python where `import executorch` fails (a None
entry in sys.modules hides the wheel), as in an environment that `make setup` has not
completed. It must stop at once with one `error:` line naming upstream ExecuTorch and
`make setup`, not with a traceback half-way through (framework_tax.py) or with every
upstream figure silently `n/a` (memory_plans.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Runs the script as __main__ with executorch unimportable.
_HIDE_EXECUTORCH = """
import runpy, sys
sys.modules["executorch"] = None  # `import executorch` raises ImportError, find_spec gives None
script = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(script, run_name="__main__")
"""


@pytest.mark.parametrize(
    "bench, args",
    [
        ("framework_tax.py", ["--no-m55"]),
        ("models.py", ["--no-m55", "--models"]),
        ("memory_plans.py", []),
    ],
)
def test_bench_without_upstream_names_make_setup(bench: str, args: list[str]) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "python")}
    proc = subprocess.run(
        [sys.executable, "-c", _HIDE_EXECUTORCH, str(REPO / "tools" / "bench" / bench), *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines and lines[-1].startswith(f"error: tools/bench/{bench} needs upstream ExecuTorch")
    assert "make setup" in lines[-1]
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""  # stopped before printing any figure


def test_bench_with_upstream_passes_the_check() -> None:
    from slimtorch import upstream

    pytest.importorskip("executorch", reason="the reference wheel is what this checks for")
    upstream.require("this test")  # no SystemExit: the shared environment has everything
