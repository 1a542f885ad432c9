"""`slimtorch fit-check`: a program too large for the board is an error naming bytes per region.

The region sizes come from the board's linker script; the reference for them is GNU ld itself
(the memory configuration it prints in a link map of the same script).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from slimtorch import board_fit, platforms, pte
from slimtorch.cli import main
from slimtorch.tests.conftest import REPO

LD_SCRIPT = REPO / "platforms" / "arm_m" / "mps3_an547.ld"

# A Linear on a batch of 2048 rows of 256 floats: 2 MiB of input and 2 MiB of output live at
# once, more than the board's 2 MiB SRAM; the weights (256 KiB) fit the program's DDR.
TOO_BIG = """
import torch
def model():
    return torch.nn.Linear(256, 256)
def example_inputs():
    return (torch.randn(2048, 256),)
"""

SMALL = """
import torch
def model():
    return torch.nn.Linear(16, 4)
def example_inputs():
    return (torch.randn(1, 16),)
"""


def export(tmp_path: Path, source: str, *memory: str) -> Path:
    src = tmp_path / "m.py"
    src.write_text(source)
    out = tmp_path / "m.pte"
    args = ["export", str(src), "-o", str(out)]
    for m in memory:
        args += ["--memory", m]
    assert main(args) == 0
    return out


# Every bare-metal board's script, with the smallest object its ASSERTs accept (the start-up
# symbol each names) and the ld emulation of its toolchain.
_BOARDS = {
    name: p for name, p in platforms.all_platforms().items() if p.kind == "bare_metal"
}
_START = {
    "arm-none-eabi": ([], '.section .vectors,"a"\n.globl st_vector_table\n'
                          "st_vector_table: .word 0\n"),
    "riscv64-unknown-elf": (["-m", "elf32lriscv"],
                            '.section .text.start,"ax"\n.globl _start\n_start: nop\n'),
}


@pytest.mark.parametrize("platform", sorted(_BOARDS))
def test_regions_are_what_the_linker_reads(tmp_path: Path, platform: str) -> None:
    p = _BOARDS[platform]
    if shutil.which(f"{p.tools}-ld") is None:
        pytest.skip(f"{p.tools}-ld missing (scripts/setup.sh installs it)")
    script = REPO / p.linker_script
    emulation, start = _START[p.tools]
    source = tmp_path / "start.s"
    source.write_text(start)
    obj = tmp_path / "start.o"
    march = ["-march=rv32imafc", "-mabi=ilp32f"] if p.tools.startswith("riscv") else []
    subprocess.run([f"{p.tools}-as", *march, str(source), "-o", str(obj)], check=True)
    link_map = tmp_path / "map.txt"
    # The boards' start-up libraries pass the same -L directories (INCLUDE is found there).
    link = subprocess.run(
        [f"{p.tools}-ld", *emulation, "-L", str(script.parent),
         "-L", str(REPO / "platforms" / "bare_metal"), "-T", str(script), str(obj),
         "-o", str(tmp_path / "a.elf"), f"-Map={link_map}"],
        capture_output=True, text=True,
    )
    assert link.returncode == 0, link.stderr
    table = link_map.read_text().split("Memory Configuration")[1].split("Linker script")[0]
    by_ld = {
        m.group(1): int(m.group(2), 16)
        for m in re.finditer(r"^(\w+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)", table, flags=re.M)
        if m.group(1) != "Name"
    }
    by_ld.pop("*default*", None)
    board = board_fit.read_board(str(script))
    assert board.regions == by_ld
    # And each region the platform table calls flash or RAM is one of the script's.
    assert set(p.region_kind) == set(by_ld), (p.region_kind, by_ld)


def test_placements_follow_the_script() -> None:
    board = board_fit.read_board(str(LD_SCRIPT))
    assert board.name == "mps3-an547"
    assert board.section_region("kProgramData", "program") == "DDR"
    assert board.section_region("kPlanned", "planned") == "SRAM"
    assert board.memory_region("dtcm") == "DTCM"
    assert board.memory_region("sram") == "SRAM"
    assert board.reserved == {"DTCM": [("stack (STACK_SIZE)", 32 * 1024)]}
    with pytest.raises(
        board_fit.FitError, match="memory 'flash' has no output section .flash.*dtcm, sram"
    ):
        board.memory_region("flash")


def test_too_big_model_names_bytes_per_region(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = export(tmp_path, TOO_BIG)
    planned = pte.read_pte_file(str(program)).program.execution_plan[0].non_const_buffer_sizes[1]
    assert planned >= 4 * 1024 * 1024  # the independent figure: input + output, float32
    assert (
        main(
            ["fit-check", str(program), "--linker-script", str(LD_SCRIPT), "--model", "//x:too_big"]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert (
        f"error: model //x:too_big does not fit the mps3-an547: SRAM needs {planned} bytes, "
        f"has {2 * 1024 * 1024}"
    ) in err
    assert "memories = [" in err and "quantize" in err and "DDR" not in err


def test_memory_split_counts_each_region(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = export(tmp_path, TOO_BIG, "dtcm:2M", "sram:4M")  # planned as if both were bigger
    sizes = pte.read_pte_file(str(program)).program.execution_plan[0].non_const_buffer_sizes[1:]
    assert (
        main(
            [
                "fit-check",
                str(program),
                "--linker-script",
                str(LD_SCRIPT),
                "--memory",
                "dtcm",
                "--memory",
                "sram",
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    dtcm = (sizes[0] + 15) // 16 * 16 + 32 * 1024
    assert f"DTCM needs {dtcm} bytes, has {512 * 1024}" in err
    assert "stack (STACK_SIZE) 32768" in err


def test_bookkeeping_counts_in_static_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = export(tmp_path, SMALL)
    report = tmp_path / "fits.h"
    assert (
        main(["fit-check", str(program), "--linker-script", str(LD_SCRIPT), "-o", str(report)]) == 0
    )
    assert "fits the mps3-an547" in report.read_text()
    assert (
        main(
            [
                "fit-check",
                str(program),
                "--linker-script",
                str(LD_SCRIPT),
                "--bookkeeping-bytes",
                str(600 * 1024),
            ]
        )
        == 1
    )
    assert "DTCM needs 647168 bytes, has 524288" in capsys.readouterr().err
    # sizes-header makes the same check once the bookkeeping figure is measured.
    assert (
        main(
            [
                "sizes-header",
                str(program),
                "--bookkeeping-bytes",
                str(600 * 1024),
                "--linker-script",
                str(LD_SCRIPT),
                "-o",
                str(tmp_path / "s.h"),
            ]
        )
        == 1
    )
    assert "does not fit the mps3-an547: DTCM needs 647168" in capsys.readouterr().err
