"""A model that does not fit the Cortex-M55 board fails its build at the fit check, naming bytes
per region, instead of a raw `region 'SRAM' overflowed` from the linker on a helper target.

Builds //tests/memory:too_big_embedded (tagged manual) for arm_m55 with Bazel. The expected
figure is independent of the check: the planned bytes of the program the same build exports,
read back from the .pte by slimtorch's reader (host build), and the 2 MiB of the board's SRAM.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("bazel") is None, reason="bazel is not installed")


def bazel(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bazel", *args], cwd=REPO, capture_output=True, text=True, timeout=900)


def test_too_big_model_fails_at_the_fit_check() -> None:
    from slimtorch import pte

    host = bazel("build", "--nosandbox_debug", "//tests/memory:too_big.pte")
    assert host.returncode == 0, host.stderr[-2000:]
    bin_dir = bazel("info", "bazel-bin").stdout.strip()
    program = pte.read_pte_file(f"{bin_dir}/tests/memory/too_big.pte")
    planned = program.program.execution_plan[0].non_const_buffer_sizes[1]

    m55 = bazel(
        "build",
        "--config=arm_m55",
        "--nosandbox_debug",
        "//tests/memory:too_big_embedded",
        "//tests/memory:too_big_sizes",
    )
    assert m55.returncode != 0
    assert (
        f"error: model //tests/memory:too_big does not fit the mps3-an547: SRAM needs "
        f"{planned} bytes, has {2 * 1024 * 1024}"
    ) in m55.stderr, m55.stderr[-3000:]
    assert "quantize" in m55.stderr and "memories = [" in m55.stderr
    assert "overflowed" not in m55.stderr  # nothing was linked
