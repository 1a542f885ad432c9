"""`slimtorch decode-errors`: token-mode error messages decode to their text.

The runtime side is tested end to end by //tests/memory:short_arena_qemu_test
(a Cortex-M55 image in token mode whose decoded output must equal the text-mode
message). Here: the hash against known FNV-1a values, the decoding rules, and
the ELF reader on objects the system's C compiler assembles (both ELF classes).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from slimtorch import messages


def test_token_is_fnv1a_32() -> None:
    # Published FNV-1a 32-bit test vectors.
    assert messages.message_token("") == 0x811C9DC5
    assert messages.message_token("a") == 0xE40C292C
    assert messages.message_token("foobar") == 0xBF9CF968


def test_decode_line_fills_numbers_and_strings() -> None:
    fmt = "value {}: list item {} of '{s}' refers to value {}"
    table = {messages.message_token(fmt) & ~0xF: fmt}
    token = messages.message_token(fmt) & ~0xF
    line = f"error: [msg {token:08x} 3 ffffffff 11] (InvalidProgram)\n"
    assert messages.decode_line(line, table, 32) == \
        "error: value 3: list item -1 of '?' refers to value 17 (InvalidProgram)\n"
    # 64-bit images: the same word is positive.
    assert "list item 4294967295" in messages.decode_line(line, table, 64)
    # Unknown tokens and other text pass through unchanged.
    assert messages.decode_line("[msg 12345670 1]", table, 32) == "[msg 12345670 1]"


@pytest.mark.parametrize("bits", [32, 64])
def test_reads_the_message_section_of_an_elf(tmp_path: Path, bits: int) -> None:
    cc = shutil.which("gcc") if bits == 64 else shutil.which("arm-none-eabi-gcc")
    if cc is None:
        pytest.skip(f"no compiler for {bits}-bit ELF objects (scripts/setup.sh installs both)")
    src = tmp_path / "m.s"
    src.write_text('.pushsection .slimtorch_messages,"",%progbits\n'
                   '.asciz "input {} out of range"\n'
                   '.asciz "method \'{s}\' has {} values"\n.popsection\n')
    obj = tmp_path / "m.o"
    subprocess.run([cc, "-c", str(src), "-o", str(obj)], check=True)
    table, word = messages.load_messages(obj)
    assert word == bits
    assert sorted(table.values()) == ["input {} out of range", "method '{s}' has {} values"]
    token = messages.message_token("input {} out of range") & ~0xF
    out = tmp_path / "out.txt"
    out.write_text(f"error: [msg {token:08x} 2a] (InvalidArgument)\n")
    decoded = messages.decode_text(out.read_text(), obj)
    assert decoded == "error: input 42 out of range (InvalidArgument)\n"


def test_image_without_messages_is_a_clear_error(tmp_path: Path) -> None:
    cc = shutil.which("gcc")
    if cc is None:
        pytest.skip("no host C compiler to make an ELF object")
    src = tmp_path / "e.c"
    src.write_text("int x;\n")
    obj = tmp_path / "e.o"
    subprocess.run([cc, "-c", str(src), "-o", str(obj)], check=True)
    with pytest.raises(messages.DecodeError, match="not built with token error messages"):
        messages.decode_text("[msg 12345670]", obj)
