"""The Cortex-M55 start-up code compiles without a warning and defines `__dso_handle`.

Every firmware image compiles platforms/arm_m/startup.cc; GCC's "'__dso_handle' initialized
and declared 'extern'" used to be printed on every M55 build. Bazel builds the file with
-Werror (platforms/arm_m/BUILD.bazel); this checks the same cheaply with the cross compiler,
and that the symbol precompiled __cxa_atexit users need is defined (weak) in the object.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
GXX = "arm-none-eabi-g++"


@pytest.mark.skipif(shutil.which(GXX) is None, reason=f"{GXX} is not installed (make setup)")
def test_startup_has_no_warning_and_defines_dso_handle(tmp_path: Path) -> None:
    obj = tmp_path / "startup.o"
    proc = subprocess.run(
        [
            GXX,
            "-mcpu=cortex-m55",
            "-mthumb",
            "-mfloat-abi=hard",
            "-std=c++17",
            "-Os",
            "-fno-exceptions",
            "-fno-rtti",
            "-Wall",
            "-Wextra",
            "-I",
            str(REPO),
            "-c",
            str(REPO / "platforms" / "arm_m55" / "startup.cc"),
            "-o",
            str(obj),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    nm = subprocess.run(
        ["arm-none-eabi-nm", str(obj)], capture_output=True, text=True, check=True
    ).stdout
    assert any(line.split()[-2:] == ["V", "__dso_handle"] for line in nm.splitlines()), nm
