"""Generic flatbuffer encoding/decoding of the dataclasses in `schema.py`.

The writer drives the `flatbuffers` package's `Builder`; the reader walks tables and
vtables with its `Table` helper. Both are driven only by the field tags in `schema.py`,
so they handle any table of the ExecuTorch program schema, upstream programs included.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import flatbuffers
import numpy as np
from flatbuffers import number_types as N
from flatbuffers.table import Table

from slimtorch import schema

_SCALAR_SLOT = {
    "u8": ("PrependUint8Slot", N.Uint8Flags),
    "i8": ("PrependInt8Slot", N.Int8Flags),
    "i16": ("PrependInt16Slot", N.Int16Flags),
    "bool": ("PrependBoolSlot", N.BoolFlags),
    "u32": ("PrependUint32Slot", N.Uint32Flags),
    "i32": ("PrependInt32Slot", N.Int32Flags),
    "i64": ("PrependInt64Slot", N.Int64Flags),
    "u64": ("PrependUint64Slot", N.Uint64Flags),
    "f32": ("PrependFloat32Slot", N.Float32Flags),
    "f64": ("PrependFloat64Slot", N.Float64Flags),
}

_VECTOR_DTYPE = {
    "[u8]": np.dtype("<u1"),
    "[bool]": np.dtype("<u1"),
    "[u16]": np.dtype("<u2"),
    "[i32]": np.dtype("<i4"),
    "[u32]": np.dtype("<u4"),
    "[f32]": np.dtype("<f4"),
    "[i64]": np.dtype("<i8"),
    "[u64]": np.dtype("<u8"),
    "[f64]": np.dtype("<f8"),
}


_T = TypeVar("_T")


def read_file(path: str, what: str, parse: Callable[[bytes], _T], error: type[Exception]) -> _T:
    """Reads the file `path` (a `what`: "program", "ETDump") and parses it with `parse`; an
    unreadable file, or `error` from `parse`, raises `error` naming the file."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise error(f"cannot read {what} {path}: {e.strerror}") from None
    try:
        return parse(data)
    except error as e:
        raise error(f"{path}: {e}") from None


class FlatbufferError(ValueError):
    """The bytes are not a valid flatbuffer of the expected schema."""


def _union_members(spec: schema.FieldSpec) -> list[type]:
    """The member tables of a union field, in tag order (tag 1 = first).

    The program schema's unions are named in `schema.UNIONS`; another schema (XNNPACK's XN01
    graph) passes its members as the field's `cls=[...]`, so one writer serves both.
    """
    if isinstance(spec.cls, (list, tuple)):
        return list(spec.cls)
    return schema.UNIONS[spec.kind[6:]]


# ----------------------------------------------------------------------------- writing


def _bytes_vector(b: flatbuffers.Builder, data: bytes, align: int) -> int:
    """A [ubyte] vector whose first element is aligned to `align` (schema force_align)."""
    n = len(data)
    b.StartVector(1, n, max(align, 1))
    b.head = b.head - n
    b.Bytes[b.head : b.head + n] = data
    return b.EndVector()


def _write_value(b: flatbuffers.Builder, spec: schema.FieldSpec, value: Any) -> int:
    """Write the out-of-line part of one field; returns its offset."""
    kind = spec.kind
    if kind == "str":
        return b.CreateString(value)
    if kind == "table" or kind.startswith("union:"):
        return _write_table(b, value)
    if kind == "[table]":
        children = [_write_table(b, item) for item in value]
        b.StartVector(4, len(children), 4)
        for child in reversed(children):
            b.PrependUOffsetTRelative(child)
        return b.EndVector()
    if kind == "bytes":
        return _bytes_vector(b, bytes(value), spec.align)
    dtype = _VECTOR_DTYPE[kind]
    return b.CreateNumpyVector(np.asarray(value, dtype=dtype).reshape(-1))


def _write_table(b: flatbuffers.Builder, obj: Any) -> int:
    specs = schema.field_specs(type(obj))
    offsets: dict[str, int] = {}
    for spec in specs:  # children first: a table is built after everything it points to
        value = getattr(obj, spec.name)
        if value is not None and spec.kind not in _SCALAR_SLOT:
            offsets[spec.name] = _write_value(b, spec, value)
    b.StartObject(schema.num_slots(type(obj)))
    for spec in specs:
        value = getattr(obj, spec.name)
        if spec.kind in _SCALAR_SLOT:
            method, _ = _SCALAR_SLOT[spec.kind]
            getattr(b, method)(spec.slot, value, spec.default)
        elif spec.name in offsets:
            if spec.kind.startswith("union:"):
                members = _union_members(spec)
                b.PrependUint8Slot(spec.slot, members.index(type(value)) + 1, 0)
                b.PrependUOffsetTRelativeSlot(spec.slot + 1, offsets[spec.name], 0)
            else:
                b.PrependUOffsetTRelativeSlot(spec.slot, offsets[spec.name], 0)
    return b.EndObject()


def encode(root: Any, file_identifier: bytes = schema.FILE_IDENTIFIER,
           size_prefixed: bool = False) -> bytes:
    """Serialize a schema dataclass as a finished flatbuffer with `file_identifier`
    (`size_prefixed`: preceded by its uint32 length, as ETDump files are)."""
    b = flatbuffers.Builder(1024)
    finish = b.FinishSizePrefixed if size_prefixed else b.Finish
    finish(_write_table(b, root), file_identifier=file_identifier)
    return bytes(b.Output())


# ----------------------------------------------------------------------------- reading


_FIELD_SIZE = {
    "u8": 1, "i8": 1, "i16": 2, "bool": 1, "u32": 4, "i32": 4, "i64": 8, "u64": 8, "f32": 4,
    "f64": 8,
}


class _Reader:
    """Reads tables of one buffer, checking every offset, length and count before using it.

    A flatbuffer's offsets are unchecked data: each position is checked to lie inside the
    buffer before it is read (a negative one would silently read from the end in Python), each
    vector's length before its elements are walked, and the number of tables and elements read
    in all is capped by the buffer's size (tables shared in a loop cannot make the work grow
    beyond what the file's bytes could honestly hold).
    """

    def __init__(self, buf: bytes) -> None:
        self.buf = buf
        self.budget = 4 * len(buf) + 1024  # tables + vector elements an honest file can hold

    def _spend(self, n: int, what: str) -> None:
        self.budget -= n
        if self.budget < 0:
            raise FlatbufferError(
                f"{what}: the flatbuffer refers to more tables and elements than its "
                f"{len(self.buf)} bytes can hold (offsets loop back on shared data)")

    def _check(self, pos: int, size: int, what: str) -> None:
        if pos < 0 or size < 0 or pos + size > len(self.buf):
            raise FlatbufferError(
                f"{what}: {size} bytes at offset {pos} lie outside the {len(self.buf)}-byte "
                "flatbuffer")

    def _u32(self, pos: int, what: str) -> int:
        self._check(pos, 4, what)
        return int.from_bytes(self.buf[pos : pos + 4], "little")

    def _vector(self, at: int, elem: int, what: str) -> tuple[int, int]:
        """(start, length) of the vector whose uoffset is stored at `at`."""
        header = at + self._u32(at, what)
        n = self._u32(header, f"{what} (length)")
        self._check(header + 4, n * elem, f"{what} ({n} elements of {elem} bytes)")
        return header + 4, n

    def table(self, cls: type, pos: int, what: str) -> Any:
        self._spend(1, what)
        self._check(pos, 4, f"{what} (table)")
        tab = Table(self.buf, pos)
        vtable = pos - int.from_bytes(self.buf[pos : pos + 4], "little", signed=True)
        self._check(vtable, 4, f"{what} (vtable)")
        vt_size = int.from_bytes(self.buf[vtable : vtable + 2], "little")
        self._check(vtable, vt_size, f"{what} (vtable of {vt_size} bytes)")

        def slot(s: int, size: int, name: str) -> int:
            """Absolute position of slot `s`'s field, or 0 when absent."""
            if 4 + 2 * s + 2 > vt_size:
                return 0
            rel = tab.Offset(4 + 2 * s)
            if rel:
                self._check(pos + rel, size, name)
                return pos + rel
            return 0

        kwargs: dict[str, Any] = {}
        for spec in schema.field_specs(cls):
            kind = spec.kind
            name = f"{cls.__name__}.{spec.name}"
            if kind.startswith("union:"):
                tag_at = slot(spec.slot, 1, f"{name} (union type)")
                val_at = slot(spec.slot + 1, 4, name)
                tag = self.buf[tag_at] if tag_at else 0
                if tag == 0 or not val_at:
                    kwargs[spec.name] = None
                    continue
                members = _union_members(spec)
                if tag > len(members):
                    raise FlatbufferError(
                        f"{name}: union tag {tag} is not one of the {len(members)} types this "
                        "schema knows (program from a newer ExecuTorch?)")
                target = val_at + self._u32(val_at, name)
                kwargs[spec.name] = self.table(members[tag - 1], target, name)
                continue
            size = _FIELD_SIZE.get(kind, 4)
            at = slot(spec.slot, size, name)
            if not at:  # absent: the dataclass's own default (a fresh [] for vectors)
                continue
            if kind in _SCALAR_SLOT:
                value = tab.Get(_SCALAR_SLOT[kind][1], at)
                kwargs[spec.name] = bool(value) if kind == "bool" else value
            elif kind == "str":
                start, n = self._vector(at, 1, name)
                try:
                    kwargs[spec.name] = bytes(self.buf[start : start + n]).decode("utf-8")
                except UnicodeDecodeError as e:
                    raise FlatbufferError(f"{name}: string is not UTF-8 ({e.reason})") from e
            elif kind == "table":
                target = at + self._u32(at, name)
                kwargs[spec.name] = self.table(spec.cls, target, name)  # type: ignore[arg-type]
            elif kind == "[table]":
                start, n = self._vector(at, 4, name)
                self._spend(n, name)
                kwargs[spec.name] = [
                    self.table(spec.cls, start + 4 * i + self._u32(start + 4 * i, name),  # type: ignore[arg-type]
                               f"{name}[{i}]")
                    for i in range(n)
                ]
            elif kind == "bytes":
                start, n = self._vector(at, 1, name)
                kwargs[spec.name] = bytes(self.buf[start : start + n])
            else:
                dtype = _VECTOR_DTYPE[kind]
                start, n = self._vector(at, dtype.itemsize, name)
                self._spend(n, name)
                items = np.frombuffer(self.buf, dtype=dtype, count=n, offset=start).tolist()
                kwargs[spec.name] = [bool(x) for x in items] if kind == "[bool]" else items
        return cls(**kwargs)


def decode(cls: type, buf: bytes, offset: int = 0) -> Any:
    """Read a finished flatbuffer (root table of type `cls`) starting at `offset` in `buf`."""
    reader = _Reader(buf)
    try:
        root = reader._u32(offset, "root offset")
        return reader.table(cls, offset + root, cls.__name__)
    except FlatbufferError:
        raise
    except (IndexError, ValueError, UnicodeDecodeError, OverflowError) as e:
        raise FlatbufferError(f"malformed flatbuffer ({type(e).__name__}: {e})") from e
    except Exception as e:  # struct.error and friends from the flatbuffers helpers
        raise FlatbufferError(f"malformed flatbuffer ({type(e).__name__}: {e})") from e
