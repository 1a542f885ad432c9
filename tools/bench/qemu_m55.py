"""Runs Cortex-M55 firmware on QEMU's mps3-an547 with instruction counting, for the benchmarks.

With `-icount shift=QEMU_SHIFT` the emulated clock follows the instruction count: one
instruction takes 2**QEMU_SHIFT ns of emulated time, so times the firmware reads from the
SSE-300 counter are repeatable instruction counts.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

QEMU_SHIFT = 5


def run_counted(elf: Path, timeout: int = 600) -> tuple[int, str]:
    """(exit status, output) of `elf` under qemu-system-arm -icount; semihosting output
    (which QEMU writes to its stderr) and QEMU's own messages together, without CRs."""
    run = subprocess.run(
        [
            "qemu-system-arm",
            "-M",
            "mps3-an547",
            "-nographic",
            "-icount",
            f"shift={QEMU_SHIFT}",
            "-semihosting-config",
            "enable=on,target=native",
            "-kernel",
            str(elf),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return run.returncode, (run.stdout + run.stderr).replace("\r", "")
