"""The target platforms, read from platforms/defs.bzl (Bazel's table, the one source).

`PLATFORMS` there is written with literals only, so it is read here as a Python literal:
the emulator and its arguments, the binutils prefix, the board's linker script and what
its memory regions are, QEMU's -icount shift for exact instruction counts, the size budget.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFS = REPO / "platforms" / "defs.bzl"


class PlatformError(Exception):
    """An unknown platform name, or a platforms/defs.bzl this module cannot read."""


@dataclass(frozen=True)
class Platform:
    name: str
    kind: str  # "host", "bare_metal" or "linux"
    emulator: tuple[str, ...]  # the QEMU binary (absolute) and its arguments
    tools: str  # binutils prefix: /usr/bin/<tools>-nm
    linker_script: str  # workspace-relative; "" when the platform has no fixed memory map
    region_kind: dict[str, str]  # MEMORY region -> "flash" or "RAM"
    icount_shift: int  # QEMU -icount shift for exact instruction counts; 0: cannot count
    size_budget: int  # flash bytes size_test may take (0: no budget)

    @property
    def board(self) -> str:
        """What the programs run on, for messages ("QEMU mps2-an386", "qemu-aarch64")."""
        if self.kind == "host":
            return "the host"
        if "-M" in self.emulator:
            return f"QEMU {self.emulator[self.emulator.index('-M') + 1]}"
        return Path(self.emulator[0]).name

    @property
    def count_instructions(self) -> bool:
        """Whether the emulator counts instructions (QEMU system emulation, -icount)."""
        return self.icount_shift > 0


def _parse(text: str) -> dict[str, dict[str, object]]:
    tree = ast.parse(text, filename=str(DEFS))
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id == "PLATFORMS"):
            try:
                value = ast.literal_eval(node.value)
            except ValueError as e:
                raise PlatformError(f"{DEFS}: PLATFORMS must be written with literals only "
                                    f"({e})") from None
            if not isinstance(value, dict):
                raise PlatformError(f"{DEFS}: PLATFORMS is not a dict")
            return value
    raise PlatformError(f"{DEFS} has no PLATFORMS = {{...}} table")


@cache
def all_platforms() -> dict[str, Platform]:
    """Every platform of platforms/defs.bzl, by name."""
    try:
        table = _parse(DEFS.read_text())
    except OSError as e:
        raise PlatformError(f"cannot read {DEFS} ({e.strerror}): slimtorch's platforms come "
                            "from its source tree") from None
    out: dict[str, Platform] = {}
    for name, p in table.items():
        out[name] = Platform(
            name=name,
            kind=str(p["kind"]),
            emulator=tuple(str(a) for a in p["emulator"]),  # type: ignore[attr-defined]
            tools=str(p["tools"]),
            linker_script=str(p["linker_script"]),
            region_kind=dict(p["region_kind"]),  # type: ignore[call-overload]
            icount_shift=int(p["icount_shift"]),  # type: ignore[call-overload]
            size_budget=int(p["size_budget"]),  # type: ignore[call-overload]
        )
    return out


def names() -> list[str]:
    return list(all_platforms())


def get(name: str) -> Platform:
    """The platform `name`; PlatformError naming the known ones otherwise."""
    platforms = all_platforms()
    if name not in platforms:
        raise PlatformError(f"unknown platform {name!r}; one of: {', '.join(platforms)}")
    return platforms[name]


def cpu_runs_host_avx2() -> bool:
    """Whether this machine can run binaries built for //platforms:host_avx2 (x86-64 with AVX2
    and FMA, from /proc/cpuinfo). Benchmarks and tests ask it to pick what they run here; the
    build never does: the platform is declared with --config=host_avx2."""
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return "avx2" in flags and "fma" in flags
