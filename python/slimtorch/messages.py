"""`slimtorch decode-errors`: restore the text of token-mode error messages.

An image built with `--//runtime/core:error_messages=token` (the Cortex-M55
default) keeps no message text. Each failure prints `[msg <token> <args...>]`
(hexadecimal): the token is the FNV-1a hash of the message's format literal
with its low 4 bits replaced by the error code, and the arguments are the
format's integer placeholders (`{}`) as the image's word, two's complement.
The literals themselves are in the image's ELF section `.slimtorch_messages`,
which is never loaded; this module reads them from the same ELF file and
rewrites each `[msg ...]` into its text (runtime/platform/log.h).
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

SECTION = ".slimtorch_messages"
_TOKEN = re.compile(r"\[msg ([0-9a-f]{1,8})((?: [0-9a-f]+)*)\]")
_PLACEHOLDER = re.compile(r"\{s?\}")


class DecodeError(Exception):
    """The ELF file cannot be read or has no message section."""


def message_token(text: str) -> int:
    """FNV-1a (32-bit) of the literal's bytes, as runtime/platform/log.h's message_token()."""
    h = 2166136261
    for b in text.encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def read_section(elf: bytes, name: str) -> tuple[bytes, int] | None:
    """The contents of section `name` and the ELF class's word size in bits (None if absent)."""
    if elf[:4] != b"\x7fELF":
        raise DecodeError("not an ELF file")
    bits = {1: 32, 2: 64}.get(elf[4])
    order = {1: "<", 2: ">"}.get(elf[5])
    if bits is None or order is None:
        raise DecodeError("unknown ELF class or byte order")
    if bits == 32:
        shoff, = struct.unpack_from(order + "I", elf, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(order + "HHH", elf, 0x2E)
        header = order + "IIIIIIIIII"
    else:
        shoff, = struct.unpack_from(order + "Q", elf, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(order + "HHH", elf, 0x3A)
        header = order + "IIQQQQIIQQ"
    sections = [struct.unpack_from(header, elf, shoff + i * shentsize) for i in range(shnum)]
    strtab = sections[shstrndx]
    names = elf[strtab[4]:strtab[4] + strtab[5]]
    for sh in sections:
        end = names.index(b"\0", sh[0])
        if names[sh[0]:end].decode() == name:
            return elf[sh[4]:sh[4] + sh[5]], bits
    return None


def load_messages(elf_path: str | Path) -> tuple[dict[int, str], int]:
    """Token (top 28 bits) -> format literal, from the image's message section; the word size."""
    data = Path(elf_path).read_bytes()
    found = read_section(data, SECTION)
    if found is None:
        raise DecodeError(
            f"{elf_path}: no {SECTION} section: the image was not built with token error messages "
            "(--//runtime/core:error_messages=token, the Cortex-M55 default), or it is stripped")
    raw, bits = found
    table: dict[int, str] = {}
    for literal in raw.split(b"\0"):
        if literal:
            text = literal.decode(errors="replace")
            token = message_token(text) & ~0xF
            if table.get(token, text) != text:
                raise DecodeError(
                    f"{elf_path}: messages {table[token]!r} and {text!r} share token {token:08x}: "
                    "reword one of them (runtime/platform/log.h)")
            table[token] = text
    return table, bits


def decode_line(line: str, table: dict[int, str], bits: int) -> str:
    """`line` with each `[msg ...]` replaced by its text (unknown tokens left as they are)."""

    def one(m: re.Match[str]) -> str:
        fmt = table.get(int(m.group(1), 16))
        if fmt is None:
            return m.group(0)
        values = [int(v, 16) for v in m.group(2).split()]
        values = [v - (1 << bits) if v >= 1 << (bits - 1) else v for v in values]
        numbers = iter(values)

        def fill(p: re.Match[str]) -> str:
            return "?" if p.group(0) == "{s}" else str(next(numbers, "?"))

        return _PLACEHOLDER.sub(fill, fmt)

    return _TOKEN.sub(one, line)


def decode_text(text: str, elf_path: str | Path) -> str:
    """All of `text`, decoded with the messages of the image `elf_path`."""
    if "[msg " not in text:
        return text
    table, bits = load_messages(elf_path)
    return "".join(decode_line(line, table, bits) for line in text.splitlines(keepends=True))
