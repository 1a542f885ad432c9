"""Does a program fit a board's memory? Checked at build time against the board's linker script.

A model too large for the board used to surface as a raw linker error (`region 'SRAM'
overflowed`) on a helper target. executorch_model()/pte_model() run this check for the
Cortex-M55 before anything links (`slimtorch fit-check`) and again once the runtime's
bookkeeping bytes are measured (`slimtorch sizes-header --linker-script`), and fail with
`model X does not fit the mps3-an547: SRAM needs N bytes, has M` and what to do.

The region sizes and what goes where are read from the linker script itself (its `MEMORY`
block and the output sections of `SECTIONS`, following `INCLUDE` into the files beside it or in
platforms/bare_metal, as ld's -L does, and `REGION_ALIAS` to the real regions), so there is no
second copy of the memory map:
- program bytes (`kProgramData`, slimtorch embed) go to the region of the output section that
  names `kProgramData`;
- planned buffers without a memory name (`kPlanned<i>`) to the section that names `kPlanned`;
- planned buffers of memory NAME (section `.NAME.slimtorch`) to output section `.NAME`;
- the bookkeeping arena (a static array, .bss) to the region of `.bss`;
- a section that reserves `. += SYMBOL` (the stack) reserves SYMBOL's default bytes.
The runtime's own code and static data are not counted: they are small beside models that do
not fit, and the link still checks every byte.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from slimtorch.pte import PteFile

_UNITS = {"": 1, "K": 1024, "M": 1024 * 1024, "G": 1024 * 1024 * 1024}


class FitError(Exception):
    """The program does not fit the board, or the linker script cannot be read."""


@dataclass
class OutputSection:
    name: str
    body: str
    region: str


@dataclass
class Board:
    """What `fit` needs of a linker script: region sizes and where each part of a model goes."""

    name: str
    regions: dict[str, int]  # region -> LENGTH in bytes, in script order
    sections: list[OutputSection]
    reserved: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # region -> (what, n)

    def section_region(self, pattern: str, what: str) -> str:
        """The region of the first output section whose input patterns mention `pattern`."""
        for s in self.sections:
            if pattern in s.body:
                return s.region
        raise FitError(
            f"the linker script of {self.name} places no section for {what} "
            f"(no output section names {pattern!r})"
        )

    def memory_region(self, memory: str) -> str:
        """The region of named memory `memory`'s planned buffer (output section `.memory`)."""
        for s in self.sections:
            if s.name == "." + memory:
                return s.region
        known = [s.name[1:] for s in self.sections if s.name[1:].upper() in self.regions]
        raise FitError(
            f"memory {memory!r} has no output section .{memory} in the linker script "
            f"of {self.name}: name the memories after its regions "
            f"({', '.join(known) or 'none placed'})"
        )


def _number(text: str) -> int:
    m = re.fullmatch(r"\s*(0[xX][0-9a-fA-F]+|\d+)\s*([KMG]?)\s*", text)
    if m is None:
        raise FitError(f"cannot read {text.strip()!r} as a size")
    return int(m.group(1), 0) * _UNITS[m.group(2)]


def parse_linker_script(text: str, name: str) -> Board:
    """The regions and output sections of a GNU ld script (the subset board scripts use)."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    aliases = dict(re.findall(r'REGION_ALIAS\s*\(\s*"(\w+)"\s*,\s*(\w+)\s*\)', text))
    mem = re.search(r"\bMEMORY\s*\{(.*?)\}", text, flags=re.S)
    if mem is None:
        raise FitError(f"the linker script of {name} has no MEMORY block")
    regions: dict[str, int] = {}
    for m in re.finditer(
        r"(\w+)\s*(?:\([^)]*\))?\s*:\s*ORIGIN\s*=\s*[^,]+,\s*LENGTH\s*=\s*"
        r"([0-9A-Fa-fxX]+\s*[KMG]?)",
        mem.group(1),
    ):
        regions[m.group(1)] = _number(m.group(2))
    if not regions:
        raise FitError(f"the MEMORY block of {name}'s linker script lists no region")
    defaults = {
        m.group(1): _number(m.group(2))
        for m in re.finditer(
            r"(\w+)\s*=\s*DEFINED\s*\(\s*\w+\s*\)\s*\?\s*\w+\s*:\s*([0-9A-Fa-fxX]+\s*[KMG]?)\s*;",
            text,
        )
    }
    sections = []
    reserved: dict[str, list[tuple[str, int]]] = {}
    for m in re.finditer(r"(\.[\w.]+)\s*(?:\([A-Z]+\))?\s*:\s*\{([^{}]*)\}\s*>\s*(\w+)", text):
        sec = OutputSection(m.group(1), m.group(2), aliases.get(m.group(3), m.group(3)))
        sections.append(sec)
        for sym in re.findall(r"\.\s*\+=\s*(\w+)", sec.body):
            if sym in defaults:
                reserved.setdefault(sec.region, []).append(
                    (f"{sec.name[1:]} ({sym})", defaults[sym])
                )
    return Board(name, regions, sections, reserved)


def _with_includes(path: str, depth: int = 0) -> str:
    """The script's text with each `INCLUDE file` replaced by that file's text, looked up beside
    the script, then in ../bare_metal (the -L directories of the boards' start-up libraries).
    An INCLUDE not found there is dropped: the files that matter here (the sections) sit beside
    the board's script, and a section missing after all is named by Board.section_region."""
    with open(path) as f:
        text = f.read()
    if depth > 8:
        raise FitError(f"{path}: INCLUDE nested more than 8 deep (a cycle?)")
    here = os.path.dirname(path)

    def include(m: re.Match[str]) -> str:
        for directory in (here, os.path.join(here, os.pardir, "bare_metal")):
            candidate = os.path.join(directory, m.group(1))
            if os.path.isfile(candidate):
                return _with_includes(candidate, depth + 1)
        return ""

    return re.sub(r"^\s*INCLUDE\s+(\S+)\s*$", include, text, flags=re.M)


def read_board(path: str) -> Board:
    """The board of linker script `path`, named after the file (mps3_an547.ld: mps3-an547)."""
    name = os.path.splitext(os.path.basename(path))[0].replace("_", "-")
    try:
        return parse_linker_script(_with_includes(path), name)
    except OSError as e:
        raise FitError(f"cannot read the linker script {path}: {e.strerror}") from None


def fit(
    pte: PteFile,
    board: Board,
    model: str,
    memory_names: list[str] | None = None,
    bookkeeping_bytes: int | None = None,
) -> dict[str, list[tuple[str, int]]]:
    """What of method 0 of `pte` goes to each region: {region: [(what, bytes)]}. Raises
    FitError naming every region that overflows (bytes needed and available) and the fixes."""
    plan = pte.program.execution_plan[0] if pte.program.execution_plan else None
    sizes = list(plan.non_const_buffer_sizes[1:]) if plan is not None else []
    names = memory_names or []
    if names and len(names) != len(sizes):
        raise FitError(
            f"{len(names)} memory names given, the program has {len(sizes)} planned "
            "memories: give the same memories as to the export"
        )
    use: dict[str, list[tuple[str, int]]] = {r: list(v) for r, v in board.reserved.items()}
    use.setdefault(board.section_region("kProgramData", "the program bytes"), []).append(
        ("program", len(pte.data))
    )
    for i, size in enumerate(sizes):
        region = (
            board.memory_region(names[i])
            if names
            else board.section_region("kPlanned", "the planned buffers")
        )
        label = f"planned memory {i + 1}" + (f" ({names[i]})" if names else "")
        use.setdefault(region, []).append((label, (size + 15) // 16 * 16))
    if bookkeeping_bytes is not None:
        bss = [s.region for s in board.sections if s.name == ".bss"]
        if not bss:
            raise FitError(f"the linker script of {board.name} has no .bss output section")
        use.setdefault(bss[0], []).append(("bookkeeping arena", bookkeeping_bytes))
    over = []
    for region, items in use.items():
        if region not in board.regions:
            raise FitError(
                f"the linker script of {board.name} places a section in region "
                f"{region}, which its MEMORY block does not list"
            )
        need = sum(n for _, n in items)
        if need > board.regions[region]:
            parts = " + ".join(f"{what} {n}" for what, n in items)
            over.append(f"{region} needs {need} bytes, has {board.regions[region]} ({parts})")
    if over:
        raise FitError(
            f"model {model} does not fit the {board.name}: " + "; ".join(over) + ". Make the "
            "model smaller (fewer or narrower layers, smaller inputs), spread its planned "
            'memory over the board\'s regions (executorch_model(memories = [("dtcm", ...), '
            '("sram", ...)]), slimtorch export --memory), or quantize it (quantize = '
            '"int8": a quarter of the float bytes)'
        )
    return use


def fit_report(use: dict[str, list[tuple[str, int]]], board: Board, model: str) -> str:
    """A C++ comment block: what of `model` goes where on `board` (the check's output)."""
    lines = [f"// Generated by `slimtorch fit-check`: model {model} fits the {board.name}.\n"]
    for region, items in use.items():
        need = sum(n for _, n in items)
        parts = ", ".join(f"{what} {n}" for what, n in items)
        lines.append(f"// {region}: {need} of {board.regions[region]} bytes ({parts})\n")
    return "".join(lines) + "#pragma once\n"
