"""Programs on their platform's emulator, with exact instruction counts under `-icount`.

One place for how slimtorch runs an image built for an emulated platform
(platforms/defs.bzl): `slimtorch run --platform P` (run.py) and the benchmarks
(tools/bench/models.py, framework_tax.py) use it.

- bare metal (Cortex-M boards, RISC-V virt): QEMU system emulation with semihosting, whose
  output (what the firmware prints) goes to its own chardev, a file, so QEMU's own messages
  (on its stderr) never mix with the program's lines (as tools/qemu_test.bzl does); the exit
  status is the firmware's (semihosting exit);
- Linux (aarch64): QEMU user mode; the program's stdout.

With `-icount shift=N` (system emulation) the emulated clock follows the instruction count:
one instruction takes 2**N ns of emulated time, so times the firmware reads from the board's
clock (`st_time_ns()`, e.g. the `execute_ns <n>` line of images built with
SLIMTORCH_PRINT_EXECUTE_TIME, app/firmware_main.cc) are instruction counts, identical run
after run: instructions = ns / 2**N.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from slimtorch import platforms

# The Cortex-M55's -icount shift (one instruction = 2**5 ns of emulated time); each
# platform's is its icount_shift (platforms/defs.bzl), chosen so that its board's clock
# ticks faster than one instruction and counts are exact.
QEMU_SHIFT = platforms.get("arm_m55").icount_shift


def shift(platform: str) -> int:
    """The -icount shift that gives exact counts on `platform` (0: it cannot count)."""
    return platforms.get(platform).icount_shift


@dataclass(frozen=True)
class QemuRun:
    status: int  # QEMU's exit status: the program's, 124 on timeout
    output: str  # what the program printed (semihosting or stdout), without CRs
    qemu_messages: str  # QEMU's own stderr


def command(platform: str, program: Path, out: Path, icount_shift: int | None = None) -> list[str]:
    """The emulator command line that runs `program` (bare metal: output into the file `out`)."""
    p = platforms.get(platform)
    if p.kind == "linux":
        if icount_shift is not None:
            raise platforms.PlatformError(f"{platform}: QEMU user mode counts no instructions")
        return [*p.emulator, str(program)]
    if p.kind != "bare_metal":
        raise platforms.PlatformError(f"{platform} runs on the build machine, not an emulator")
    cmd = [
        *p.emulator,
        "-nographic",
        "-monitor",
        "none",
        "-serial",
        "none",
        "-chardev",
        f"file,id=semihost,path={out}",
        "-semihosting-config",
        "enable=on,target=native,chardev=semihost",
    ]
    if icount_shift is not None:
        cmd += ["-icount", f"shift={icount_shift}"]
    return [*cmd, "-kernel", str(program)]


def run_firmware(
    elf: Path,
    icount_shift: int | None = None,
    timeout: int = 600,
    platform: str = "arm_m55",
    cwd: Path | None = None,
) -> QemuRun:
    """Runs `elf` on `platform`'s emulator until it exits (or `timeout` seconds pass: status
    124), in `cwd` (where the firmware's semihosting files go; default: this process's)."""
    with tempfile.TemporaryDirectory(prefix="slimtorch-qemu-") as tmp:
        out = Path(tmp) / "semihosting.txt"
        cmd = command(platform, elf, out, icount_shift)
        try:
            proc = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
                cwd=cwd,
            )
            status, messages = proc.returncode, proc.stderr
            stdout = proc.stdout
        except subprocess.TimeoutExpired:
            status, messages, stdout = 124, f"timed out after {timeout} s", ""
        if platforms.get(platform).kind == "bare_metal":
            text = out.read_text(errors="replace") if out.exists() else ""
        else:
            text = stdout
    return QemuRun(status, text.replace("\r", ""), messages.replace("\r", ""))


def run_counted(elf: Path, timeout: int = 600, platform: str = "arm_m55") -> tuple[int, str]:
    """(exit status, output) of `elf` under the platform's -icount shift; the firmware's output
    followed by QEMU's own messages."""
    run = run_firmware(elf, icount_shift=shift(platform), timeout=timeout, platform=platform)
    return run.status, run.output + run.qemu_messages


def instructions(execute_ns: int, shift: int = QEMU_SHIFT) -> int:
    """Guest instructions in `execute_ns` of emulated time under -icount shift=`shift`."""
    return round(execute_ns / 2**shift)


_EXECUTE_NS = re.compile(r"^execute_ns (0x[0-9a-fA-F]+|[0-9]+)$", re.M)


def execute_ns(output: str) -> int | None:
    """The `execute_ns <n>` figure of a firmware's output (None without one). The runtime's
    format_int prints values beyond 32 bits in hexadecimal (0x...): over 4.29 s of emulated
    time, 134 M instructions at shift 5."""
    m = _EXECUTE_NS.search(output)
    return int(m.group(1), 0) if m else None


def main(argv: list[str] | None = None) -> int:
    """`python -m slimtorch.qemu --platform P IMAGE`: runs an image on P's emulator, prints
    what it printed, exits with its status (scripts/demo.sh)."""
    ap = argparse.ArgumentParser(prog="python -m slimtorch.qemu", description=main.__doc__)
    ap.add_argument(
        "--platform",
        required=True,
        choices=[n for n, p in platforms.all_platforms().items() if p.kind != "host"],
    )
    ap.add_argument("--timeout", type=int, default=60, help="seconds (default 60)")
    ap.add_argument("image", type=Path)
    args = ap.parse_args(argv)
    if not args.image.is_file():
        print(f"error: {args.image}: no such file; build it first", file=sys.stderr)
        return 2
    run = run_firmware(args.image, timeout=args.timeout, platform=args.platform)
    sys.stdout.write(run.output)
    sys.stderr.write(run.qemu_messages)
    return run.status


if __name__ == "__main__":
    sys.exit(main())
