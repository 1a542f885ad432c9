"""torch dtype <-> ExecuTorch ScalarType numbers (scalar_type.fbs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from slimtorch.schema import ScalarType

if TYPE_CHECKING:
    import torch


def _torch_table() -> dict[torch.dtype, ScalarType]:
    import torch  # only the exporter needs torch; inspect/ops/embed stay fast

    return {
    torch.uint8: ScalarType.BYTE,
    torch.int8: ScalarType.CHAR,
    torch.int16: ScalarType.SHORT,
    torch.int32: ScalarType.INT,
    torch.int64: ScalarType.LONG,
    torch.float16: ScalarType.HALF,
    torch.float32: ScalarType.FLOAT,
    torch.float64: ScalarType.DOUBLE,
    torch.bool: ScalarType.BOOL,
    torch.qint8: ScalarType.QINT8,
    torch.quint8: ScalarType.QUINT8,
    torch.qint32: ScalarType.QINT32,
    torch.bfloat16: ScalarType.BFLOAT16,
    torch.uint16: ScalarType.UINT16,
    torch.uint32: ScalarType.UINT32,
    torch.uint64: ScalarType.UINT64,
    }

ELEMENT_SIZE: dict[int, int] = {
    ScalarType.BYTE: 1, ScalarType.CHAR: 1, ScalarType.SHORT: 2, ScalarType.INT: 4,
    ScalarType.LONG: 8, ScalarType.HALF: 2, ScalarType.FLOAT: 4, ScalarType.DOUBLE: 8,
    ScalarType.BOOL: 1, ScalarType.QINT8: 1, ScalarType.QUINT8: 1, ScalarType.QINT32: 4,
    ScalarType.BFLOAT16: 2, ScalarType.QUINT4X2: 1, ScalarType.QUINT2X4: 1,
    ScalarType.BITS16: 2, ScalarType.FLOAT8E5M2: 1, ScalarType.FLOAT8E4M3FN: 1,
    ScalarType.FLOAT8E5M2FNUZ: 1, ScalarType.FLOAT8E4M3FNUZ: 1, ScalarType.UINT16: 2,
    ScalarType.UINT32: 4, ScalarType.UINT64: 8,
}

# numpy dtypes for the types numpy can hold (None: no numpy equivalent, e.g. bfloat16).
NUMPY_DTYPE: dict[int, np.dtype] = {
    ScalarType.BYTE: np.dtype("u1"), ScalarType.CHAR: np.dtype("i1"),
    ScalarType.SHORT: np.dtype("<i2"), ScalarType.INT: np.dtype("<i4"),
    ScalarType.LONG: np.dtype("<i8"), ScalarType.HALF: np.dtype("<f2"),
    ScalarType.FLOAT: np.dtype("<f4"), ScalarType.DOUBLE: np.dtype("<f8"),
    ScalarType.BOOL: np.dtype("?"), ScalarType.UINT16: np.dtype("<u2"),
    ScalarType.UINT32: np.dtype("<u4"), ScalarType.UINT64: np.dtype("<u8"),
}


def scalar_type_of(dtype: torch.dtype) -> int:
    table = _torch_table()
    if dtype not in table:
        raise ValueError(f"dtype {dtype} has no ExecuTorch ScalarType; cast the tensor first")
    return int(table[dtype])


def scalar_type_name(number: int) -> str:
    try:
        return ScalarType(number).name.lower()
    except ValueError:
        return f"scalar_type_{number}"
