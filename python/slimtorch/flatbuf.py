"""Generic flatbuffer encoding/decoding of the dataclasses in `schema.py`.

The writer drives the `flatbuffers` package's `Builder`; the reader walks tables and
vtables with its `Table` helper. Both are driven only by the field tags in `schema.py`,
so they handle any table of the ExecuTorch program schema, upstream programs included.
"""

from __future__ import annotations

from typing import Any

import flatbuffers
import numpy as np
from flatbuffers import number_types as N
from flatbuffers.table import Table

from slimtorch import schema

_SCALAR_SLOT = {
    "u8": ("PrependUint8Slot", N.Uint8Flags),
    "i8": ("PrependInt8Slot", N.Int8Flags),
    "bool": ("PrependBoolSlot", N.BoolFlags),
    "u32": ("PrependUint32Slot", N.Uint32Flags),
    "i32": ("PrependInt32Slot", N.Int32Flags),
    "i64": ("PrependInt64Slot", N.Int64Flags),
    "u64": ("PrependUint64Slot", N.Uint64Flags),
    "f64": ("PrependFloat64Slot", N.Float64Flags),
}

_VECTOR_DTYPE = {
    "[u8]": np.dtype("<u1"),
    "[bool]": np.dtype("<u1"),
    "[i32]": np.dtype("<i4"),
    "[i64]": np.dtype("<i8"),
    "[u64]": np.dtype("<u8"),
    "[f64]": np.dtype("<f8"),
}


class FlatbufferError(ValueError):
    """The bytes are not a valid flatbuffer of the expected schema."""


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
                members = schema.UNIONS[spec.kind[6:]]
                b.PrependUint8Slot(spec.slot, members.index(type(value)) + 1, 0)
                b.PrependUOffsetTRelativeSlot(spec.slot + 1, offsets[spec.name], 0)
            else:
                b.PrependUOffsetTRelativeSlot(spec.slot, offsets[spec.name], 0)
    return b.EndObject()


def encode(root: Any, file_identifier: bytes = schema.FILE_IDENTIFIER) -> bytes:
    """Serialize a schema dataclass as a finished flatbuffer with `file_identifier`."""
    b = flatbuffers.Builder(1024)
    b.Finish(_write_table(b, root), file_identifier=file_identifier)
    return bytes(b.Output())


# ----------------------------------------------------------------------------- reading


def _read_table(cls: type, buf: bytes, pos: int) -> Any:
    tab = Table(buf, pos)
    kwargs: dict[str, Any] = {}
    for spec in schema.field_specs(cls):
        kind = spec.kind
        if kind.startswith("union:"):
            tag_off = tab.Offset(4 + 2 * spec.slot)
            val_off = tab.Offset(4 + 2 * (spec.slot + 1))
            tag = tab.Get(N.Uint8Flags, tag_off + tab.Pos) if tag_off else 0
            if tag == 0 or not val_off:
                kwargs[spec.name] = None
                continue
            members = schema.UNIONS[kind[6:]]
            if tag > len(members):
                raise FlatbufferError(
                    f"{cls.__name__}.{spec.name}: union tag {tag} is not one of the "
                    f"{len(members)} types this schema knows (program from a newer ExecuTorch?)"
                )
            kwargs[spec.name] = _read_table(members[tag - 1], buf, tab.Indirect(val_off + tab.Pos))
            continue
        off = tab.Offset(4 + 2 * spec.slot)
        if not off:
            kwargs[spec.name] = [] if isinstance(spec.default, list) else spec.default
            continue
        if kind in _SCALAR_SLOT:
            value = tab.Get(_SCALAR_SLOT[kind][1], off + tab.Pos)
            kwargs[spec.name] = bool(value) if kind == "bool" else value
        elif kind == "str":
            kwargs[spec.name] = tab.String(off + tab.Pos).decode("utf-8")
        elif kind == "table":
            kwargs[spec.name] = _read_table(spec.cls, buf, tab.Indirect(off + tab.Pos))  # type: ignore[arg-type]
        else:
            start = tab.Vector(off)
            n = tab.VectorLen(off)
            if kind == "[table]":
                kwargs[spec.name] = [
                    _read_table(spec.cls, buf, tab.Indirect(start + 4 * i))  # type: ignore[arg-type]
                    for i in range(n)
                ]
            elif kind == "bytes":
                if start + n > len(buf):
                    raise FlatbufferError(f"{cls.__name__}.{spec.name}: bytes run past the end")
                kwargs[spec.name] = bytes(buf[start : start + n])
            else:
                dtype = _VECTOR_DTYPE[kind]
                if start + n * dtype.itemsize > len(buf):
                    raise FlatbufferError(f"{cls.__name__}.{spec.name}: vector runs past the end")
                items = np.frombuffer(buf, dtype=dtype, count=n, offset=start).tolist()
                kwargs[spec.name] = [bool(x) for x in items] if kind == "[bool]" else items
    return cls(**kwargs)


def decode(cls: type, buf: bytes, offset: int = 0) -> Any:
    """Read a finished flatbuffer (root table of type `cls`) starting at `offset` in `buf`."""
    try:
        root = int.from_bytes(buf[offset : offset + 4], "little")
        return _read_table(cls, buf, offset + root)
    except FlatbufferError:
        raise
    except (IndexError, ValueError, UnicodeDecodeError, OverflowError) as e:
        raise FlatbufferError(f"malformed flatbuffer ({type(e).__name__}: {e})") from e
    except Exception as e:  # struct.error and friends from the flatbuffers helpers
        raise FlatbufferError(f"malformed flatbuffer ({type(e).__name__}: {e})") from e
