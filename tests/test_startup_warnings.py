"""Every board's start-up code compiles without a warning (and the Arm one defines
`__dso_handle`).

Every firmware image compiles its board's start-up file (platforms/arm_m/startup.cc for the
M-profile boards, platforms/riscv32/startup.cc); GCC's "'__dso_handle' initialized and declared
'extern'" used to be printed on every M55 build. Bazel builds the files with -Werror
(platforms/arm_m/BUILD.bazel, platforms/riscv32/BUILD.bazel); this checks the same cheaply with
each cross compiler and core, and that the symbol precompiled __cxa_atexit users need is defined
(weak) in the Arm object.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# (tools prefix, core flags, start-up file) per core; the flags are platforms/toolchain's.
_CORES = {
    "cortex-m55": ("arm-none-eabi", ["-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard"],
                   "platforms/arm_m/startup.cc"),
    "cortex-m4": ("arm-none-eabi", ["-mcpu=cortex-m4", "-mfpu=fpv4-sp-d16", "-mthumb",
                                    "-mfloat-abi=hard"], "platforms/arm_m/startup.cc"),
    "cortex-m7": ("arm-none-eabi", ["-mcpu=cortex-m7", "-mfpu=fpv5-d16", "-mthumb",
                                    "-mfloat-abi=hard"], "platforms/arm_m/startup.cc"),
    "cortex-m33": ("arm-none-eabi", ["-mcpu=cortex-m33", "-mfpu=fpv5-sp-d16", "-mthumb",
                                     "-mfloat-abi=hard"], "platforms/arm_m/startup.cc"),
    "rv32imafc": ("riscv64-unknown-elf", ["-march=rv32imafc", "-mabi=ilp32f",
                                          "-mcmodel=medany", "--specs=picolibc.specs"],
                  "platforms/riscv32/startup.cc"),
}


@pytest.mark.parametrize("core", sorted(_CORES))
def test_startup_has_no_warning(tmp_path: Path, core: str) -> None:
    tools, flags, source = _CORES[core]
    gxx = f"{tools}-g++"
    if shutil.which(gxx) is None:
        pytest.skip(f"{gxx} is not installed (make setup)")
    obj = tmp_path / "startup.o"
    proc = subprocess.run(
        [gxx, *flags, "-std=c++17", "-Os", "-fno-exceptions", "-fno-rtti", "-Wall", "-Wextra",
         "-I", str(REPO), "-c", str(REPO / source), "-o", str(obj)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    if tools == "arm-none-eabi":
        nm = subprocess.run(
            [f"{tools}-nm", str(obj)], capture_output=True, text=True, check=True
        ).stdout
        assert any(line.split()[-2:] == ["V", "__dso_handle"] for line in nm.splitlines()), nm
