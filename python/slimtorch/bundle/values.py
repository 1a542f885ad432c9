"""Test-case values: numpy arrays / torch tensors / Python scalars <-> bundle `Tensor`, `Int`,
`Bool`, `Double` (bundle/schema.py).

A bundle tensor keeps logical `sizes` and its `data` laid out in `dim_order` (as a program's
tensors are): a channels-last program input gets channels-last data. numpy arrays here are
always in logical (C-contiguous) order; `tensor_from_array` permutes into the dim order and
`tensor_to_array` back. torch is never imported here: a torch.Tensor is recognised only when
the caller has imported torch already.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from slimtorch.bundle import schema as bs
from slimtorch.dtypes import ELEMENT_SIZE, NUMPY_DTYPE, scalar_type_name

# What a test case holds: a bundle Tensor, or an int / bool / float input.
BundleValue = bs.Tensor | int | bool | float


class BundleError(ValueError):
    """A bundled program that cannot be read or written: a corrupt or truncated file, or test
    cases that disagree with the program. The message names the field, the input or output,
    and the fix."""


def _scalar_type_of_numpy(dtype: np.dtype) -> int:
    want = dtype.newbyteorder("<") if dtype.byteorder == ">" else dtype
    for st, nd in NUMPY_DTYPE.items():
        if nd == want:
            return int(st)
    raise BundleError(
        f"numpy dtype {dtype} has no ExecuTorch scalar type; cast the array "
        "(float32, int64, int32, int8, uint8, bool, ...)"
    )


def contiguous_dim_order(rank: int) -> list[int]:
    return list(range(rank))


def tensor_from_array(a: np.ndarray, dim_order: Sequence[int] | None = None) -> bs.Tensor:
    """A bundle tensor of the logical-order array `a`, its data laid out in `dim_order`
    (default contiguous)."""
    a = np.asarray(a)
    st = _scalar_type_of_numpy(a.dtype)
    order = list(dim_order) if dim_order is not None else contiguous_dim_order(a.ndim)
    if sorted(order) != contiguous_dim_order(a.ndim):
        raise BundleError(f"dim_order {order} is not a permutation of the array's {a.ndim} dims")
    physical = np.transpose(a, order) if a.ndim else a
    data = np.ascontiguousarray(physical, dtype=NUMPY_DTYPE[st]).tobytes()
    return bs.Tensor(scalar_type=st, sizes=[int(s) for s in a.shape], data=data, dim_order=order)


def tensor_to_array(t: bs.Tensor) -> np.ndarray:
    """The tensor's values as a logical-order numpy array (BundleError for dtypes numpy does
    not have, e.g. bfloat16)."""
    dtype = NUMPY_DTYPE.get(t.scalar_type)
    if dtype is None:
        raise BundleError(f"scalar type {scalar_type_name(t.scalar_type)} has no numpy dtype")
    order = list(t.dim_order) or contiguous_dim_order(len(t.sizes))
    physical_shape = [t.sizes[d] for d in order]
    flat = np.frombuffer(t.data, dtype=dtype, count=math.prod(t.sizes))
    physical = flat.reshape(physical_shape)
    return np.transpose(physical, np.argsort(order)) if order else physical.copy()


def tensor_nbytes(t: bs.Tensor) -> int:
    return math.prod(t.sizes) * ELEMENT_SIZE.get(t.scalar_type, 0)


def _torch_tensor(x: Any, dim_order: Sequence[int] | None) -> bs.Tensor | None:
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(x, torch.Tensor):
        return None
    from slimtorch.dtypes import scalar_type_of

    t = x.detach().cpu()
    order = list(dim_order) if dim_order is not None else contiguous_dim_order(t.dim())
    if sorted(order) != contiguous_dim_order(t.dim()):
        raise BundleError(f"dim_order {order} is not a permutation of the tensor's {t.dim()} dims")
    physical = t.permute(order).contiguous() if t.dim() else t.contiguous()
    data = physical.reshape(-1).view(torch.uint8).numpy().tobytes()  # any dtype, bfloat16 too
    return bs.Tensor(
        scalar_type=scalar_type_of(t.dtype), sizes=list(t.shape), data=data, dim_order=order
    )


def as_value(x: Any, dim_order: Sequence[int] | None = None) -> BundleValue:
    """`x` (bundle Tensor, numpy array, torch.Tensor, bool, int, float or a numpy scalar) as a
    test-case value; a tensor's data is laid out in `dim_order` (default contiguous)."""
    if isinstance(x, bs.Tensor):
        have = list(x.dim_order) or contiguous_dim_order(len(x.sizes))
        if dim_order is None or list(dim_order) == have or len(dim_order) != len(have):
            return x
        return tensor_from_array(tensor_to_array(x), dim_order)  # lay it out as asked
    if isinstance(x, np.ndarray):
        return tensor_from_array(x, dim_order)
    from_torch = _torch_tensor(x, dim_order)
    if from_torch is not None:
        return from_torch
    if isinstance(x, bool | np.bool_):
        return bool(x)
    if isinstance(x, int | np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        return float(x)
    raise BundleError(
        f"a test-case value of type {type(x).__name__} is not a tensor, int, bool "
        "or float (the values a bundled program holds)"
    )


def to_wire(v: BundleValue) -> bs.Value:
    if isinstance(v, bs.Tensor):
        return bs.Value(v)
    if isinstance(v, bool):
        return bs.Value(bs.Bool(v))
    if isinstance(v, int):
        return bs.Value(bs.Int(v))
    return bs.Value(bs.Double(float(v)))


def from_wire(v: bs.Value, where: str) -> BundleValue:
    x = v.val
    if isinstance(x, bs.Tensor):
        return x
    if isinstance(x, bs.Int):
        return x.int_val
    if isinstance(x, bs.Bool):
        return x.bool_val
    if isinstance(x, bs.Double):
        return x.double_val
    raise BundleError(
        f"{where}: the value is empty (union type NONE); every input and "
        "expected output holds a Tensor, Int, Bool or Double"
    )


def describe(v: BundleValue) -> str:
    """'tensor float32 (2, 16)', 'int 3', ..."""
    if isinstance(v, bs.Tensor):
        order = list(v.dim_order)
        layout = (
            ""
            if not order or order == contiguous_dim_order(len(order))
            else f" dim_order {tuple(order)}"
        )
        return f"tensor {scalar_type_name(v.scalar_type)} {tuple(v.sizes)}{layout}"
    return f"{type(v).__name__} {v!r}"
