"""The `.pte` file layout around the flatbuffer: extended header `eh00` and data segments.

    [root offset][ET12][eh00 header, 32 bytes][rest of flatbuffer][pad][segment 0][pad]
    [segment 1]...

The header is present only when the file carries segment data (FORMAT.md, "File layout").
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from slimtorch import flatbuf, schema

SEGMENT_ALIGNMENT = 128
CONSTANT_ALIGNMENT = 16
HEADER_MAGIC = b"eh00"
HEADER_LENGTH = 32
_HEADER_SEARCH = 64  # readers look for the header this far into the file


class PteError(ValueError):
    """The bytes are not a readable ExecuTorch program."""


def align_up(n: int, alignment: int) -> int:
    return (n + alignment - 1) // alignment * alignment


@dataclass
class PteFile:
    """A parsed program plus the raw file it came from (segments are read lazily)."""

    program: schema.Program
    data: bytes
    segment_base_offset: int  # 0 when the file has no extended header
    program_size: int

    def segment(self, index: int) -> bytes:
        seg = self.program.segments[index]
        start = self.segment_base_offset + seg.offset
        if self.segment_base_offset == 0 and seg.size > 0:
            raise PteError(f"segment {index} has data but the file has no extended header")
        if start + seg.size > len(self.data):
            raise PteError(
                f"segment {index} ({seg.size} bytes at {start}) runs past the end of the "
                f"{len(self.data)}-byte file: the file is truncated"
            )
        return self.data[start : start + seg.size]

    def constant_data(self, buffer_idx: int, nbytes: int) -> bytes:
        """Bytes of constant tensor `buffer_idx` (> 0) from the constant segment."""
        cs = self.program.constant_segment
        if cs is not None and len(cs.offsets) > buffer_idx:
            seg = self.segment(cs.segment_index)
            start = cs.offsets[buffer_idx]
            if start + nbytes > len(seg):
                raise PteError(f"constant {buffer_idx} runs past its segment")
            return seg[start : start + nbytes]
        if buffer_idx < len(self.program.constant_buffer):  # deprecated inline storage
            return self.program.constant_buffer[buffer_idx].storage[:nbytes]
        raise PteError(f"constant buffer index {buffer_idx} is not in the program")

    @property
    def constant_bytes(self) -> int:
        cs = self.program.constant_segment
        if cs is not None and cs.segment_index < len(self.program.segments) and len(cs.offsets) > 1:
            return self.program.segments[cs.segment_index].size
        return sum(len(b.storage) for b in self.program.constant_buffer)


def _find_header(data: bytes) -> tuple[int, int]:
    """(program_size, segment_base_offset) from the eh00 header, or (len, 0) without one."""
    pos = data.find(HEADER_MAGIC, 0, _HEADER_SEARCH)
    if pos < 0:
        return len(data), 0
    (length,) = struct.unpack_from("<I", data, pos + 4)
    if length < 24 or pos + length > len(data):
        raise PteError(f"extended header at byte {pos} has an invalid length {length}")
    program_size, segment_base = struct.unpack_from("<QQ", data, pos + 8)
    if program_size > len(data) or segment_base > len(data) or segment_base < program_size:
        raise PteError(
            f"extended header says program {program_size} bytes, segments at {segment_base}, "
            f"but the file has {len(data)} bytes: the file is truncated or corrupt"
        )
    return program_size, segment_base


def read_pte(data: bytes) -> PteFile:
    """Parse a .pte (any ET12 program, upstream's included)."""
    data = bytes(data)
    if len(data) < 8 or data[4:8] != schema.FILE_IDENTIFIER:
        ident = data[4:8] if len(data) >= 8 else b""
        raise PteError(
            f"not an ExecuTorch program: file identifier is {ident!r}, expected b'ET12' "
            "(is this a .pte written by ExecuTorch 1.x or slimtorch?)"
        )
    program_size, segment_base = _find_header(data)
    try:
        program = flatbuf.decode(schema.Program, data[:program_size])
    except flatbuf.FlatbufferError as e:
        raise PteError(f"cannot parse the program flatbuffer: {e}") from e
    return PteFile(program, data, segment_base, program_size)


def read_pte_file(path: str) -> PteFile:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise PteError(f"cannot read program {path}: {e.strerror}") from e
    try:
        return read_pte(data)
    except PteError as e:
        raise PteError(f"{path}: {e}") from e


def write_pte(program: schema.Program, segment_data: list[bytes]) -> bytes:
    """Serialize `program`, placing `segment_data[i]` as segment i (128-byte aligned).

    `program.segments` is rewritten to describe `segment_data`. The extended header is
    written only when some segment has data.
    """
    offsets = []
    pos = 0
    for blob in segment_data:
        pos = align_up(pos, SEGMENT_ALIGNMENT)
        offsets.append(pos)
        pos += len(blob)
    program.segments = [
        schema.DataSegment(o, len(b)) for o, b in zip(offsets, segment_data, strict=True)
    ]
    fb = flatbuf.encode(program)
    total_segments = pos
    if total_segments == 0:
        return fb
    root = struct.unpack_from("<I", fb, 0)[0]
    program_size = len(fb) + HEADER_LENGTH
    segment_base = align_up(program_size, SEGMENT_ALIGNMENT)
    header = HEADER_MAGIC + struct.pack("<IQQQ", HEADER_LENGTH, program_size, segment_base,
                                        total_segments)
    out = bytearray()
    out += struct.pack("<I", root + HEADER_LENGTH)  # the root moves with the inserted header
    out += fb[4:8]
    out += header
    out += fb[8:]
    out += bytes(segment_base - len(out))
    for off, blob in zip(offsets, segment_data, strict=True):
        out += bytes(segment_base + off - len(out))
        out += blob
    return bytes(out)


def pack_constants(blobs: list[bytes]) -> tuple[bytes, list[int]]:
    """Concatenate constant tensors, each starting 16-byte aligned.

    Returns (segment bytes, offsets) with offsets[0] the reserved placeholder 0 and
    offsets[k] the start of blobs[k - 1] (data_buffer_idx k).
    """
    out = bytearray()
    offsets = [0]
    for blob in blobs:
        out += bytes(align_up(len(out), CONSTANT_ALIGNMENT) - len(out))
        offsets.append(len(out))
        out += blob
    return bytes(out), offsets
