"""The XNNPACK delegate blob: upstream's `XH00` header, the `XN01` graph, the constant section.

Layout (all integers little-endian; upstream's `xnnpack_graph_serialize.py`):

    0   4 bytes  zero
    4   4 bytes  magic "XH00"
    8   uint16   header length (30)
    10  uint32   flatbuffer offset (the header padded to 16: 32)
    14  uint32   flatbuffer size
    18  uint32   constant data offset (flatbuffer offset + size padded to 16)
    22  uint64   constant data size
    ..  the XN01 flatbuffer, zero-padded to 16 bytes, then the constant section, each constant
        16-byte aligned, addressed by `ConstantDataOffset{offset, size}` relative to its start.

`read_blob` checks every offset and size against the blob before use and raises `XnnBlobError`
naming what is wrong; it never raises anything else on bad bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from slimtorch import flatbuf, pte
from slimtorch.backends.xnnpack import schema as xs

MAGIC = b"XH00"
HEADER_LENGTH = 30
ALIGNMENT = 16
GRAPH_IDENTIFIERS = (b"XN01", b"XN00")


class XnnBlobError(ValueError):
    """An XNNPACK delegate blob is malformed (the message names the field and the bytes)."""


def _align(n: int, a: int = ALIGNMENT) -> int:
    return (n + a - 1) // a * a


def pack_constants(blobs: list[bytes]) -> tuple[bytes, list[int]]:
    """The constant section for `blobs` (each 16-byte aligned) and each one's offset in it."""
    section, offsets = pte.pack_constants(blobs)  # offsets[0] is the program's placeholder
    return section, offsets[1:]


def serialize_blob(graph: xs.XNNGraph, constants: bytes = b"") -> bytes:
    """The XH00 blob of `graph` with the constant section `constants` (from `pack_constants`)."""
    fbuf = flatbuf.encode(graph, file_identifier=xs.FILE_IDENTIFIER)
    fb_offset = _align(HEADER_LENGTH)
    const_offset = fb_offset + _align(len(fbuf))
    header = (
        b"\0\0\0\0"
        + MAGIC
        + struct.pack("<HIII", HEADER_LENGTH, fb_offset, len(fbuf), const_offset)
        + struct.pack("<Q", len(constants))
    )
    return header.ljust(fb_offset, b"\0") + fbuf.ljust(const_offset - fb_offset, b"\0") + constants


@dataclass
class BlobParts:
    graph: xs.XNNGraph
    flatbuffer: bytes  # the XN01 flatbuffer alone
    constants: bytes  # the constant section


def parse_blob(blob: bytes) -> BlobParts:
    """Split and decode an XH00 blob (bounds-checked); `XnnBlobError` names what is wrong."""
    blob = bytes(blob)
    if len(blob) < HEADER_LENGTH:
        raise XnnBlobError(
            f"XNNPACK blob of {len(blob)} bytes is shorter than its "
            f"{HEADER_LENGTH}-byte XH00 header"
        )
    if blob[4:8] != MAGIC:
        raise XnnBlobError(
            f"XNNPACK blob: magic {blob[4:8]!r} at offset 4 is not {MAGIC!r} "
            "(not an XNNPACK delegate blob, or a newer header version)"
        )
    length, fb_off, fb_size, c_off = struct.unpack_from("<HIII", blob, 8)
    (c_size,) = struct.unpack_from("<Q", blob, 22)
    if length != HEADER_LENGTH:
        raise XnnBlobError(f"XNNPACK blob: header length {length} is not {HEADER_LENGTH}")
    if fb_off < HEADER_LENGTH or fb_size < 8 or fb_off + fb_size > len(blob):
        raise XnnBlobError(
            f"XNNPACK blob: flatbuffer of {fb_size} bytes at offset {fb_off} "
            f"does not lie after the header inside the {len(blob)}-byte blob"
        )
    if c_off < fb_off + fb_size or c_off + c_size > len(blob):
        raise XnnBlobError(
            f"XNNPACK blob: constant data of {c_size} bytes at offset {c_off} "
            f"does not lie after the flatbuffer inside the {len(blob)}-byte blob"
        )
    fbuf = blob[fb_off : fb_off + fb_size]
    if fbuf[4:8] not in GRAPH_IDENTIFIERS:
        raise XnnBlobError(f"XNNPACK blob: graph identifier {fbuf[4:8]!r} is not XN01/XN00")
    try:
        graph = flatbuf.decode(xs.XNNGraph, fbuf)
    except flatbuf.FlatbufferError as e:
        raise XnnBlobError(f"XNNPACK blob: the XN01 graph is malformed: {e}") from e
    return BlobParts(graph, fbuf, blob[c_off : c_off + c_size])


@dataclass
class XnnGraphSummary:
    """What `slimtorch inspect` shows of one XNNPACK delegate."""

    node_types: list[str]  # "XNNFullyConnected", ... in execution order
    num_values: int
    input_ids: list[int]
    output_ids: list[int]
    num_constants: int  # constant tensors (entries of constant_data after the null entry 0)
    constant_bytes: int  # their total size, wherever they are stored
    named_keys: list[str] = field(default_factory=list)  # constants in the program's named data
    blob_bytes: int = 0

    def describe(self) -> str:
        """One line for `slimtorch inspect`."""
        counts: dict[str, int] = {}
        for t in self.node_types:
            counts[t] = counts.get(t, 0) + 1
        kinds = ", ".join(f"{k} x{c}" if c > 1 else k for k, c in counts.items())
        where = (
            "in named data"
            if len(self.named_keys) == self.num_constants
            else "in the blob"
            if not self.named_keys
            else f"{len(self.named_keys)} in named data"
        )
        return (
            f"{len(self.node_types)} nodes ({kinds}), {self.num_values} values, inputs "
            f"{self.input_ids}, outputs {self.output_ids}, {self.num_constants} constants "
            f"({self.constant_bytes} bytes, {where})"
        )


def _check_id(i: int, n: int, what: str) -> None:
    if i >= n:
        raise XnnBlobError(f"XNNPACK blob: {what} refers to value {i}, the graph has {n} values")


def read_blob(blob: bytes) -> XnnGraphSummary:
    """Summary of an XNNPACK delegate blob, checking its ids and constant ranges."""
    parts = parse_blob(blob)
    g = parts.graph
    n = len(g.xvalues)
    types = []
    for k, node in enumerate(g.xnodes):
        if node.xnode_union is None:
            raise XnnBlobError(f"XNNPACK blob: node {k} has no operator (empty union)")
        types.append(type(node.xnode_union).__name__)
    for what, ids in (("input_ids", g.input_ids), ("output_ids", g.output_ids)):
        for i in ids:
            _check_id(i, n, what)
    consts = g.constant_data
    named = []
    total = 0
    for k, c in enumerate(consts[1:], start=1):
        if c.offset == xs.NAMED_OFFSET:
            if not c.named_key:
                raise XnnBlobError(
                    f"XNNPACK blob: constant_data[{k}] is in named data but has no named_key"
                )
            named.append(c.named_key)
        elif c.offset + c.size > len(parts.constants):
            raise XnnBlobError(
                f"XNNPACK blob: constant_data[{k}] ({c.size} bytes at offset {c.offset}) lies "
                f"outside the {len(parts.constants)}-byte constant section"
            )
        total += c.size
    for v, xv in enumerate(g.xvalues):
        tv = xv.xvalue_union
        if isinstance(tv, xs.XNNQuantizedTensorValue):
            tv = tv.tensor_value
        if tv is None:
            raise XnnBlobError(f"XNNPACK blob: value {v} has no tensor")
        if tv.constant_buffer_idx >= max(len(consts), 1) and tv.constant_buffer_idx:
            raise XnnBlobError(
                f"XNNPACK blob: value {v} refers to constant {tv.constant_buffer_idx}, the graph "
                f"has {len(consts)} constant entries"
            )
        if len(tv.dims) != tv.num_dims:
            raise XnnBlobError(
                f"XNNPACK blob: value {v} has num_dims {tv.num_dims} but {len(tv.dims)} dims"
            )
    return XnnGraphSummary(
        types,
        n,
        list(g.input_ids),
        list(g.output_ids),
        max(len(consts) - 1, 0),
        total,
        named,
        len(blob),
    )
