"""The shape, copy and factory kernels (op_shape.cpp, op_factory.cpp, _to_copy in
op_dim_order_copy.cpp) against PyTorch eager on generated cases: every dtype the shim
passes (Float, Double, Half, the integer types, Bool), 0-dim and empty tensors, negative
dims, NaN/inf/-0.0 and integer wrap-around. empty.out and _empty_dim_order.out leave the
values unspecified: only the shape is checked. Same shim and case runner as
test_kernels.py (static and dynamic out).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest
import torch
from kernel_abi_ctypes import ERROR_NAMES, Hidden, IntList, KernelLib, Out, TensorListArg
from test_kernels import Case, make_out, rand, run_case, t
from test_kernels import lib as lib  # noqa: F401  (the shared fixture)

aten = torch.ops.aten
DTYPES = [np.float32, np.float64, np.float16, np.int64, np.int32, np.int16, np.int8, np.uint8,
          np.bool_]
TORCH_DTYPE = {np.dtype(d): t(np.zeros(1, d)).dtype for d in DTYPES}
INVALID_ARGUMENT, NOT_SUPPORTED = 1, 3
SHAPES = [(), (1,), (5,), (3, 4), (2, 0), (2, 3, 4), (1, 3, 1)]


def edge_values(dtype: type) -> np.ndarray:
    """A 1-D array of edge values of dtype: NaN, inf, -0.0 or the integer extremes."""
    if np.dtype(dtype).kind == "f":
        return np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1.5, -2.25, 65504.0], dtype=dtype)
    if np.dtype(dtype) == np.bool_:
        return np.array([True, False, True], dtype=dtype)
    info = np.iinfo(dtype)
    return np.array([info.min, info.max, 0, 1, -1 if info.min < 0 else 2], dtype=dtype)


def gen_to_copy(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::_to_copy.out"
    for src in DTYPES:
        for dst in DTYPES:
            for shape in [(), (3, 4), (2, 0)]:
                x = rand(rng, shape, src)
                if np.dtype(src).kind == "f" and np.dtype(dst).kind in "iu":
                    x = np.asarray(np.abs(x) * 20, dtype=src)  # C casts of negatives and NaN vary
                dt = TORCH_DTYPE[np.dtype(dst)]
                yield Case(op, [x, False, None], aten._to_copy(t(x), dtype=dt), 1e-3, 1e-3)
    # NaN, inf and -0.0 between floating dtypes and into Bool; integer wrap-around
    for src in (np.float32, np.float64, np.float16):
        x = edge_values(src)
        for dst in (np.float32, np.float64, np.float16, np.bool_):
            yield Case(op, [x, False, 0], aten._to_copy(t(x), dtype=TORCH_DTYPE[np.dtype(dst)]))
    wide = np.array([300, -129, 70000, -1, 2**40 + 5], np.int64)
    for dst in (np.int8, np.uint8, np.int16, np.int32, np.bool_, np.float16):
        yield Case(op, [wide, True, 1], aten._to_copy(t(wide), dtype=TORCH_DTYPE[np.dtype(dst)]))


def gen_plain_copy(op: str) -> Callable[[np.random.Generator], Iterator[Case]]:
    def gen(rng: np.random.Generator) -> Iterator[Case]:
        for shape in SHAPES:
            for dtype in DTYPES:
                x = rand(rng, shape, dtype)
                yield Case(op, [x], torch.clone(t(x)))
        for dtype in (np.float32, np.float16, np.int64):
            x = edge_values(dtype)
            yield Case(op, [x], torch.clone(t(x)))

    return gen


def gen_squeeze_dim(rng: np.random.Generator) -> Iterator[Case]:
    for shape, dim in [((1, 3, 1), 0), ((1, 3, 1), -1), ((1, 3, 1), 1), ((), 0), ((), -1),
                       ((2, 0, 1), 2), ((1,), 0), ((4,), 0)]:
        for dtype in DTYPES:
            x = rand(rng, shape, dtype)
            yield Case("aten::squeeze_copy.dim_out", [x, dim], aten.squeeze_copy.dim(t(x), dim))


def gen_squeeze_dims(rng: np.random.Generator) -> Iterator[Case]:
    for shape, dims in [((1, 3, 1), [0, 2]), ((1, 3, 1), [-1]), ((1, 3, 1), []),
                        ((1, 3, 1), [1, 0]), ((), [0]), ((), []), ((1, 1, 1, 2), [0, 1, 2]),
                        ((1, 0), [0, 1])]:
        for dtype in DTYPES:
            x = rand(rng, shape, dtype)
            yield Case("aten::squeeze_copy.dims_out", [x, IntList(dims)],
                       aten.squeeze_copy.dims(t(x), dims))


def gen_unsqueeze(rng: np.random.Generator) -> Iterator[Case]:
    for shape, dim in [((3, 4), 0), ((3, 4), 1), ((3, 4), 2), ((3, 4), -1), ((3, 4), -3),
                       ((), 0), ((), -1), ((0,), 1)]:
        for dtype in DTYPES:
            x = rand(rng, shape, dtype)
            yield Case("aten::unsqueeze_copy.out", [x, dim], aten.unsqueeze_copy(t(x), dim))


def gen_t(rng: np.random.Generator) -> Iterator[Case]:
    for shape in [(3, 4), (1, 5), (5, 1), (0, 3), (4,), (), (17, 33)]:
        for dtype in DTYPES:
            x = rand(rng, shape, dtype)
            yield Case("aten::t_copy.out", [x], aten.t_copy(t(x)))


def gen_transpose(rng: np.random.Generator) -> Iterator[Case]:
    for shape, d0, d1 in [((3, 4), 0, 1), ((2, 3, 4), 0, 2), ((2, 3, 4), -1, 1), ((2, 3, 4), 1, 1),
                          ((2, 1, 3, 2), 3, 0), ((), 0, -1), ((5,), 0, -1), ((2, 0, 3), 0, 2)]:
        for dtype in DTYPES:
            x = rand(rng, shape, dtype)
            yield Case("aten::transpose_copy.int_out", [x, d0, d1],
                       aten.transpose_copy.int(t(x), d0, d1))


def gen_as_strided(rng: np.random.Generator) -> Iterator[Case]:
    cases: list[tuple[tuple[int, ...], list[int], list[int], int | None]] = [
        ((12,), [3, 4], [4, 1], None),
        ((12,), [4, 3], [1, 4], 0),        # a transposed view
        ((12,), [2, 2], [3, 1], 5),        # ends at the last element
        ((3, 4), [3, 3], [1, 1], 0),       # overlapping windows
        ((3, 4), [2, 3], [0, 2], 1),       # stride 0 repeats
        ((6,), [], [], 4),                 # a 0-dim view of one element
        ((6,), [0, 2], [100, 1], 10),      # empty: never read, no bounds to meet
        ((2, 3, 4), [2, 3, 2], [12, 4, 2], 1),
        ((5,), [1, 1], [1000, 1000], 4),   # size-1 dims never move
    ]
    for shape, size, stride, offset in cases:
        for dtype in DTYPES:
            x = rand(rng, shape, dtype)
            ref = aten.as_strided_copy(t(x), size, stride, offset)
            yield Case("aten::as_strided_copy.out", [x, IntList(size), IntList(stride), offset],
                       ref)


def gen_unbind(rng: np.random.Generator) -> Iterator[Case]:
    for shape, dim in [((3, 4), 0), ((3, 4), 1), ((2, 3, 4), -1), ((1, 5), 0), ((5,), 0),
                       ((0, 3), 1), ((2, 0), 0), ((2, 3, 2), 1)]:
        for dtype in (np.float32, np.float16, np.int64, np.int8, np.bool_):
            x = rand(rng, shape, dtype)
            ref = tuple(aten.unbind_copy.int(t(x), dim))
            if ref:
                yield Case("aten::unbind_copy.int_out", [x, dim], ref, outs="list")


def gen_split(rng: np.random.Generator) -> Iterator[Case]:
    for shape, split, dim in [((5, 4), 2, 0), ((5, 4), 5, 0), ((5, 4), 7, 0), ((3, 8), 3, -1),
                              ((2, 3, 4), 1, 1), ((0, 3), 2, 0), ((0, 3), 0, 0), ((6,), 2, 0)]:
        for dtype in (np.float32, np.float64, np.int32, np.uint8, np.bool_):
            x = rand(rng, shape, dtype)
            ref = tuple(aten.split_copy.Tensor(t(x), split, dim))
            yield Case("aten::split_copy.Tensor_out", [x, split, dim], ref, outs="list")


def gen_stack(rng: np.random.Generator) -> Iterator[Case]:
    for shape, n, dim in [((3, 4), 2, 0), ((3, 4), 3, 1), ((3, 4), 2, 2), ((3, 4), 2, -1),
                          ((), 3, 0), ((), 2, -1), ((2, 0), 2, 1), ((5,), 1, 0),
                          ((2, 3, 4), 4, -2)]:
        for dtype in DTYPES:
            xs = [rand(rng, shape, dtype) for _ in range(n)]
            ref = torch.stack([t(x) for x in xs], dim)
            yield Case("aten::stack.out",
                       [*(Hidden(x) for x in xs), TensorListArg(list(range(n))), dim], ref)


def gen_repeat(rng: np.random.Generator) -> Iterator[Case]:
    for shape, reps in [((2, 3), [2, 2]), ((2, 3), [1, 1]), ((2, 3), [3, 1, 2]), ((3,), [2, 2, 2]),
                        ((), []), ((), [3]), ((2, 1), [1, 4]), ((2, 3), [0, 2]), ((0, 3), [2, 1]),
                        ((1, 2, 1, 2), [2, 1, 3, 1]), ((4,), [1]),
                        ((2, 2, 2, 2, 2, 2, 2, 2, 2), [2] * 9)]:  # 18 view dims before merging
        for dtype in (np.float32, np.float64, np.float16, np.int64, np.int8, np.bool_):
            x = rand(rng, shape, dtype)
            yield Case("aten::repeat.out", [x, IntList(reps)], aten.repeat(t(x), reps))


FILL_VALUES: list[bool | int | float] = [0, 3, -7, 1.5, -2.75, True, False, -0.0, 1e-50, 65504.0,
                                         float("inf"), float("-inf"), float("nan"), 127, -128, 255]


def fits(value: bool | int | float, dtype: type) -> bool:
    """True when PyTorch accepts `value` for dtype (checked Scalar conversion)."""
    try:
        torch.full((1,), value, dtype=TORCH_DTYPE[np.dtype(dtype)])
    except RuntimeError:
        return False
    return True


def gen_full(rng: np.random.Generator) -> Iterator[Case]:
    del rng
    for dtype in DTYPES:
        dt = TORCH_DTYPE[np.dtype(dtype)]
        for value in FILL_VALUES:
            if fits(value, dtype):
                yield Case("aten::full.out", [IntList([3, 5]), value], torch.full((3, 5), value,
                                                                                  dtype=dt))
        for size in ([], [0, 4], [7], [2, 3, 4, 5]):
            yield Case("aten::full.out", [IntList(size), 2], torch.full(size, 2, dtype=dt))
    big = 2**40 + 3  # integers reach int64 exactly, not through a double
    yield Case("aten::full.out", [IntList([2]), big], torch.full((2,), big, dtype=torch.int64))
    yield Case("aten::full.out", [IntList([2]), -255], torch.full((2,), -255, dtype=torch.uint8))


def gen_full_like(rng: np.random.Generator) -> Iterator[Case]:
    for shape in [(3, 4), (), (0, 2), (2, 3, 4)]:
        for src in (np.float32, np.int64, np.bool_):
            x = rand(rng, shape, src)
            for dtype in DTYPES:
                dt = TORCH_DTYPE[np.dtype(dtype)]
                for value, fmt in [(5, None), (-1.25, 0), (True, 1), (float("nan"), None)]:
                    if fits(value, dtype):
                        yield Case("aten::full_like.out", [x, value, fmt],
                                   torch.full_like(t(x), value, dtype=dt))


def gen_constant(name: str) -> Callable[[np.random.Generator], Iterator[Case]]:
    def gen(rng: np.random.Generator) -> Iterator[Case]:
        del rng
        fn = getattr(torch, name)
        for size in ([], [0], [3, 4], [2, 0, 3], [17], [1, 1, 1, 1]):
            for dtype in DTYPES:
                yield Case(f"aten::{name}.out", [IntList(size)],
                           fn(size, dtype=TORCH_DTYPE[np.dtype(dtype)]))

    return gen


def gen_empty(op: str) -> Callable[[np.random.Generator], Iterator[Case]]:
    def gen(rng: np.random.Generator) -> Iterator[Case]:
        del rng
        for size in ([], [0], [3, 4], [2, 0, 3], [17]):
            for dtype in DTYPES:
                extra = None if op == "aten::empty.out" or size == [] else IntList(
                    list(range(len(size))))
                ref = torch.empty(size, dtype=TORCH_DTYPE[np.dtype(dtype)])
                yield Case(op, [IntList(size), extra], ref)
        if op == "aten::empty.out":
            yield Case(op, [IntList([2, 2]), 0], torch.empty((2, 2)))
            yield Case(op, [IntList([2, 2]), 1], torch.empty((2, 2)))

    return gen


def gen_fill_scalar(rng: np.random.Generator) -> Iterator[Case]:
    for shape in [(3, 4), (), (0,), (2, 3, 4)]:
        for dtype in DTYPES:
            x = rand(rng, shape, dtype)
            for value in FILL_VALUES:
                if fits(value, dtype):
                    yield Case("aten::fill.Scalar_out", [x, value], aten.fill.Scalar(t(x), value))


def gen_fill_tensor(rng: np.random.Generator) -> Iterator[Case]:
    for shape in [(3, 4), (), (0,), (17,)]:
        for dtype in DTYPES:
            x = rand(rng, shape, dtype)
            for vdtype in (np.float32, np.float64, np.float16, np.int64, np.int8, np.bool_):
                values = [np.asarray(v, dtype=vdtype) for v in edge_values(vdtype)]
                if np.dtype(vdtype).kind == "f" and np.dtype(dtype).kind in "iu":
                    values = [np.asarray(v, dtype=vdtype) for v in (3.7, -2.5, 300.0, 0.0)]
                for v in values:
                    yield Case("aten::fill.Tensor_out", [x, v], aten.fill.Tensor(t(x), t(v)))


def gen_scalar_tensor(rng: np.random.Generator) -> Iterator[Case]:
    del rng
    for dtype in DTYPES:
        dt = TORCH_DTYPE[np.dtype(dtype)]
        for value in FILL_VALUES:
            if fits(value, dtype):
                yield Case("aten::scalar_tensor.out", [value], torch.scalar_tensor(value, dtype=dt))


ARANGE_DTYPES = [d for d in DTYPES if d != np.bool_]


def gen_arange(rng: np.random.Generator) -> Iterator[Case]:
    del rng
    for dtype in ARANGE_DTYPES:
        dt = TORCH_DTYPE[np.dtype(dtype)]
        tol = 1e-3 if dtype == np.float16 else 1e-6
        for end in (5, 0, 1, 17, 5.5, 0.3, 100):
            yield Case("aten::arange.out", [end], torch.arange(end, dtype=dt), tol, tol)
    yield Case("aten::arange.out", [300], torch.arange(300).to(torch.uint8))  # wraps


def gen_arange_start(rng: np.random.Generator) -> Iterator[Case]:
    del rng
    op = "aten::arange.start_out"
    for dtype in ARANGE_DTYPES:
        dt = TORCH_DTYPE[np.dtype(dtype)]
        tol = 1e-3 if dtype == np.float16 else 1e-6
        floating = np.dtype(dtype).kind == "f"
        cases: list[tuple[bool | int | float, bool | int | float, bool | int | float]] = [
            (0, 10, 3), (10, 0, -3), (-5, 5, 1), (3, 3, 1), (3, 3, -2), (2, 7, 5), (0, 1, 100),
            (0.5, 5.5, 1), (0, 5.5, 1), (-3.7, 2.2, 2), (False, True, True),
        ]
        if floating:
            cases += [(1, 0.1, -0.3), (0, 1, 0.1), (-1.0, 1.0, 0.25), (0, 2.5, 0.5),
                      (1e-3, 2e-3, 1e-4), (0.0, -0.0, -1.0), (0, 5, float("inf")),
                      (0, -5, float("-inf"))]
        for start, end, step in cases:
            ref = aten.arange.start_out(start, end, step, out=torch.empty(0, dtype=dt))
            yield Case(op, [start, end, step], ref, tol, tol)
    for dtype in (np.int32, np.int16, np.uint8):  # a step that truncates to 0: repeated starts
        for start, end, step in [(0, 1, 0.5), (0.9, 0.1, -0.5), (-0.5, 0.5, 1), (2.5, 0.2, -1)]:
            ref = aten.arange.start_out(start, end, step,
                                        out=torch.empty(0, dtype=TORCH_DTYPE[np.dtype(dtype)]))
            yield Case(op, [start, end, step], ref)
    ref = aten.arange.start_out(250, 260, 1, out=torch.empty(0, dtype=torch.uint8))
    yield Case(op, [250, 260, 1], ref)  # wraps past 255
    ref = aten.arange.start_out(2**40, 2**40 + 6, 2, out=torch.empty(0, dtype=torch.int64))
    yield Case(op, [2**40, 2**40 + 6, 2], ref)


GENERATORS: dict[str, Callable[[np.random.Generator], Iterator[Case]]] = {
    "aten::_to_copy.out": gen_to_copy,
    **{op: gen_plain_copy(op) for op in (
        "aten::alias_copy.out", "aten::detach_copy.out", "aten::lift_fresh_copy.out",
        "et_copy::_h2d_copy.out", "et_copy::_d2h_copy.out")},
    "aten::squeeze_copy.dim_out": gen_squeeze_dim,
    "aten::squeeze_copy.dims_out": gen_squeeze_dims,
    "aten::unsqueeze_copy.out": gen_unsqueeze,
    "aten::t_copy.out": gen_t,
    "aten::transpose_copy.int_out": gen_transpose,
    "aten::as_strided_copy.out": gen_as_strided,
    "aten::unbind_copy.int_out": gen_unbind,
    "aten::split_copy.Tensor_out": gen_split,
    "aten::stack.out": gen_stack,
    "aten::repeat.out": gen_repeat,
    "aten::full.out": gen_full,
    "aten::full_like.out": gen_full_like,
    "aten::zeros.out": gen_constant("zeros"),
    "aten::ones.out": gen_constant("ones"),
    "aten::empty.out": gen_empty("aten::empty.out"),
    "dim_order_ops::_empty_dim_order.out": gen_empty("dim_order_ops::_empty_dim_order.out"),
    "aten::fill.Scalar_out": gen_fill_scalar,
    "aten::fill.Tensor_out": gen_fill_tensor,
    "aten::scalar_tensor.out": gen_scalar_tensor,
    "aten::arange.out": gen_arange,
    "aten::arange.start_out": gen_arange_start,
}

# Ops whose values PyTorch leaves unspecified: only out's shape is compared.
SHAPE_ONLY = {"aten::empty.out", "dim_order_ops::_empty_dim_order.out"}


def run_shape_only(lib: KernelLib, case: Case, dynamic: bool) -> None:  # noqa: F811
    assert isinstance(case.expected, torch.Tensor)
    expected = case.expected.numpy()
    args = [*case.inputs, make_out(expected, dynamic), ("alias", len(case.inputs))]
    err, msg, results = lib.call(case.op, args)
    assert err == 0, f"{case.id()}: kernel failed with {ERROR_NAMES[err]}: {msg}"
    got = results[len(case.inputs)]
    assert got is not None and got.shape == expected.shape, case.id()


@pytest.mark.parametrize("op", sorted(GENERATORS))
def test_kernel_matches_pytorch(lib: KernelLib, op: str) -> None:  # noqa: F811
    n = 0
    run = run_shape_only if op in SHAPE_ONLY else run_case
    for seed in (0, 1):
        for case in GENERATORS[op](np.random.default_rng(seed)):
            run(lib, case, dynamic=False)
            run(lib, case, dynamic=True)
            n += 1
    assert n > 0


F32 = np.zeros((2, 3), np.float32)


def out_list(n: int, dtype: type = np.float32) -> list[object]:
    """n hidden dynamic outs and the Tensor[] naming them (after `first` other args)."""
    return [Hidden(Out(np.dtype(dtype), (1, 1), dynamic=True, capacity_elems=64))
            for _ in range(n)]


BAD_ARGUMENTS: list[tuple[str, list[object], np.dtype, int, str]] = [
    ("aten::_to_copy.out", [F32, False, 2], np.dtype(np.float32), NOT_SUPPORTED, "memory_format"),
    ("aten::_to_copy.out", [F32, 0, None], np.dtype(np.float32), INVALID_ARGUMENT, "non_blocking"),
    ("aten::alias_copy.out", [F32], np.dtype(np.int32), INVALID_ARGUMENT, "out: dtype"),
    ("aten::detach_copy.out", [1.0], np.dtype(np.float32), INVALID_ARGUMENT, "self: expected"),
    ("aten::lift_fresh_copy.out", [F32], np.dtype(np.float64), INVALID_ARGUMENT, "out: dtype"),
    ("et_copy::_h2d_copy.out", [F32], np.dtype(np.int8), INVALID_ARGUMENT, "out: dtype"),
    ("et_copy::_d2h_copy.out", [None], np.dtype(np.float32), INVALID_ARGUMENT, "self"),
    ("aten::squeeze_copy.dim_out", [F32, 2], np.dtype(np.float32), INVALID_ARGUMENT, "dim"),
    ("aten::squeeze_copy.dims_out", [F32, IntList([0, -2])], np.dtype(np.float32),
     INVALID_ARGUMENT, "dim: a dim appears more than once"),
    ("aten::squeeze_copy.dims_out", [np.zeros((), np.float32), IntList([0, -1])],
     np.dtype(np.float32), INVALID_ARGUMENT, "dim: a dim appears more than once"),
    ("aten::squeeze_copy.dims_out", [F32, IntList([5])], np.dtype(np.float32), INVALID_ARGUMENT,
     "dim: out of range"),
    ("aten::unsqueeze_copy.out", [F32, 4], np.dtype(np.float32), INVALID_ARGUMENT, "dim"),
    ("aten::unsqueeze_copy.out", [F32, -4], np.dtype(np.float32), INVALID_ARGUMENT, "dim"),
    ("aten::t_copy.out", [np.zeros((2, 2, 2), np.float32)], np.dtype(np.float32),
     INVALID_ARGUMENT, "self: t() expects"),
    ("aten::transpose_copy.int_out", [F32, 0, 2], np.dtype(np.float32), INVALID_ARGUMENT,
     "dim1"),
    ("aten::transpose_copy.int_out", [F32, -3, 1], np.dtype(np.float32), INVALID_ARGUMENT,
     "dim0"),
    ("aten::as_strided_copy.out", [F32, IntList([2, 2]), IntList([3, 1]), 3],
     np.dtype(np.float32), INVALID_ARGUMENT, "read past the end of self"),
    ("aten::as_strided_copy.out", [F32, IntList([7]), IntList([1]), None],
     np.dtype(np.float32), INVALID_ARGUMENT, "read past the end of self"),
    ("aten::as_strided_copy.out", [F32, IntList([2]), IntList([2**40]), None],
     np.dtype(np.float32), INVALID_ARGUMENT, "read past the end of self"),
    ("aten::as_strided_copy.out", [F32, IntList([2, 2]), IntList([1, -1]), 0],
     np.dtype(np.float32), INVALID_ARGUMENT, "stride: negative"),
    ("aten::as_strided_copy.out", [F32, IntList([2, 2]), IntList([1]), 0],
     np.dtype(np.float32), INVALID_ARGUMENT, "stride: needs one entry"),
    ("aten::as_strided_copy.out", [F32, IntList([-2]), IntList([1]), 0],
     np.dtype(np.float32), INVALID_ARGUMENT, "size: entries"),
    ("aten::as_strided_copy.out", [F32, IntList([2]), IntList([1]), -1],
     np.dtype(np.float32), INVALID_ARGUMENT, "storage_offset"),
    ("aten::repeat.out", [F32, IntList([2])], np.dtype(np.float32), INVALID_ARGUMENT,
     "repeats: needs at least one entry per dim"),
    ("aten::repeat.out", [F32, IntList([2, -1])], np.dtype(np.float32), INVALID_ARGUMENT,
     "repeats: entries"),
    ("aten::repeat.out", [F32, IntList([2**30, 2])], np.dtype(np.float32), INVALID_ARGUMENT,
     "repeats: result dim"),
    ("aten::full.out", [IntList([2]), 300], np.dtype(np.uint8), INVALID_ARGUMENT,
     "fill_value: out of range"),
    ("aten::full.out", [IntList([2]), -256], np.dtype(np.uint8), INVALID_ARGUMENT,
     "fill_value: out of range"),
    ("aten::full.out", [IntList([2]), -1.0], np.dtype(np.uint8), INVALID_ARGUMENT,
     "fill_value: out of range"),
    ("aten::full.out", [IntList([2]), 127.5], np.dtype(np.int8), INVALID_ARGUMENT,
     "fill_value: out of range"),
    ("aten::full.out", [IntList([2]), float("nan")], np.dtype(np.int32), INVALID_ARGUMENT,
     "fill_value: out of range"),
    ("aten::full.out", [IntList([2]), 70000], np.dtype(np.float16), INVALID_ARGUMENT,
     "fill_value: out of range"),
    ("aten::full.out", [IntList([2]), 1e300], np.dtype(np.float32), INVALID_ARGUMENT,
     "fill_value: out of range"),
    ("aten::full.out", [IntList([2]), 2**31], np.dtype(np.int32), INVALID_ARGUMENT,
     "fill_value: out of range"),
    ("aten::full.out", [IntList([2, -1]), 1], np.dtype(np.float32), INVALID_ARGUMENT,
     "size: entries"),
    ("aten::full.out", [IntList([2]), None], np.dtype(np.float32), INVALID_ARGUMENT,
     "fill_value: expected a number"),
    ("aten::full_like.out", [F32, 1, 2], np.dtype(np.float32), NOT_SUPPORTED, "memory_format"),
    ("aten::full_like.out", [F32, 1e39, None], np.dtype(np.float32), INVALID_ARGUMENT,
     "fill_value: out of range"),
    ("aten::zeros.out", [F32], np.dtype(np.float32), INVALID_ARGUMENT, "size: expected"),
    ("aten::ones.out", [IntList([2**31])], np.dtype(np.float32), INVALID_ARGUMENT, "size"),
    ("aten::empty.out", [IntList([2]), 3], np.dtype(np.float32), NOT_SUPPORTED, "memory_format"),
    ("dim_order_ops::_empty_dim_order.out", [IntList([2, 3]), IntList([1, 0])],
     np.dtype(np.float32), NOT_SUPPORTED, "dim_order"),
    ("dim_order_ops::_empty_dim_order.out", [IntList([2, 3]), IntList([0])],
     np.dtype(np.float32), INVALID_ARGUMENT, "dim_order"),
    ("aten::fill.Scalar_out", [F32, 1], np.dtype(np.int64), INVALID_ARGUMENT, "out: dtype"),
    ("aten::fill.Scalar_out", [np.zeros((2,), np.int8), 128], np.dtype(np.int8),
     INVALID_ARGUMENT, "value: out of range"),
    ("aten::fill.Tensor_out", [F32, np.zeros((1,), np.float32)], np.dtype(np.float32),
     INVALID_ARGUMENT, "value: must be a 0-dim tensor"),
    ("aten::fill.Tensor_out", [F32, 1.0], np.dtype(np.float32), INVALID_ARGUMENT,
     "value: expected a tensor"),
    ("aten::scalar_tensor.out", [300], np.dtype(np.uint8), INVALID_ARGUMENT, "s: out of range"),
    ("aten::arange.out", [5], np.dtype(np.bool_), NOT_SUPPORTED, "out: arange does not support"),
    ("aten::arange.out", [float("inf")], np.dtype(np.float32), INVALID_ARGUMENT, "end"),
    ("aten::arange.out", [-3], np.dtype(np.int64), INVALID_ARGUMENT, "step: sign"),
    ("aten::arange.out", [2**40], np.dtype(np.int32), INVALID_ARGUMENT, "end: the range has"),
    ("aten::arange.start_out", [0.5, -0.5, 1], np.dtype(np.int32), INVALID_ARGUMENT,
     "step: sign"),  # checked on the doubles, not on the truncated 0 and 0
    ("aten::arange.start_out", [0, 5, -0.5], np.dtype(np.int32), INVALID_ARGUMENT,
     "step: sign"),
    ("aten::arange.start_out", [0, 10, 0], np.dtype(np.float32), INVALID_ARGUMENT,
     "step: must be nonzero"),
    ("aten::arange.start_out", [0, 1, 0.5], np.dtype(np.int64), INVALID_ARGUMENT,
     "step: must be nonzero"),  # the step truncates to 0 for an integer out
    ("aten::arange.start_out", [0, 10, -1], np.dtype(np.float32), INVALID_ARGUMENT,
     "step: sign"),
    ("aten::arange.start_out", [float("nan"), 10, 1], np.dtype(np.float64), INVALID_ARGUMENT,
     "start"),
    ("aten::arange.start_out", [0, 10, float("nan")], np.dtype(np.float32), INVALID_ARGUMENT,
     "step: must be nonzero"),
    ("aten::arange.start_out", [0, 10, float("inf")], np.dtype(np.int64), INVALID_ARGUMENT,
     "step: expected a number that fits"),
    ("aten::arange.start_out", [0, 1e39, 1], np.dtype(np.float16), INVALID_ARGUMENT, "end"),
    ("aten::arange.start_out", [0, 10, IntList([1])], np.dtype(np.float32), INVALID_ARGUMENT,
     "step"),
]


@pytest.mark.parametrize(("op", "args", "out_dtype", "code", "needle"), BAD_ARGUMENTS)
def test_rejects_bad_arguments(lib: KernelLib, op: str, args: list[object],  # noqa: F811
                               out_dtype: np.dtype, code: int, needle: str) -> None:
    shape: tuple[int, ...] = () if op == "aten::scalar_tensor.out" else (1,)
    if op in ("aten::full.out", "aten::zeros.out", "aten::ones.out", "aten::empty.out",
              "dim_order_ops::_empty_dim_order.out") and isinstance(args[0], IntList):
        shape = tuple(1 for _ in args[0].values)
    if op in ("aten::squeeze_copy.dims_out", "aten::transpose_copy.int_out", "aten::t_copy.out",
              "aten::alias_copy.out", "aten::lift_fresh_copy.out", "et_copy::_h2d_copy.out",
              "aten::repeat.out", "aten::fill.Scalar_out", "aten::full_like.out",
              "aten::fill.Tensor_out", "aten::as_strided_copy.out"):
        shape = (1, 1)
    out = Out(out_dtype, shape, dynamic=True, capacity_elems=64)
    err, msg, _ = lib.call(op, [*args, out, ("alias", len(args))])
    assert err == code, f"{op}: expected {ERROR_NAMES[code]}, got {err} ({msg})"
    assert needle in msg, f"{op}: message {msg!r} does not mention {needle!r}"


LIST_BAD: list[tuple[str, list[object], int, str]] = [
    ("aten::unbind_copy.int_out", [F32, 0], 3, "out: needs one tensor per entry"),
    ("aten::unbind_copy.int_out", [np.zeros((), np.float32), 0], 1, "dim: self is 0-dim"),
    ("aten::unbind_copy.int_out", [F32, 2], 2, "dim: expected an int in range"),
    ("aten::split_copy.Tensor_out", [F32, 2], 1, "out: needs one tensor per chunk"),
    ("aten::split_copy.Tensor_out", [F32, 0], 1, "split_size: can be 0 only"),
    ("aten::split_copy.Tensor_out", [F32, -1], 1, "split_size: expected an int >= 0"),
]


@pytest.mark.parametrize(("op", "args", "n_out", "needle"), LIST_BAD)
def test_rejects_bad_list_arguments(lib: KernelLib, op: str, args: list[object],  # noqa: F811
                                    n_out: int, needle: str) -> None:
    """unbind/split take a Tensor[] out: the wrong count, dim or split_size names the argument."""
    inputs = list(args)
    if op == "aten::split_copy.Tensor_out":
        inputs.append(1)  # dim
    hidden = out_list(n_out)
    idx = list(range(len(inputs), len(inputs) + n_out))
    err, msg, _ = lib.call(op, [*inputs, *hidden, TensorListArg(idx), TensorListArg(idx)])
    assert err == INVALID_ARGUMENT and needle in msg, (err, msg)


def test_out_list_dtype_is_checked(lib: KernelLib) -> None:  # noqa: F811
    """Every tensor of a Tensor[] out must have self's dtype."""
    hidden = out_list(2, np.int32)  # args 2 and 3
    args = [np.zeros((2, 3), np.float32), 0, *hidden, TensorListArg([2, 3]), TensorListArg([2, 3])]
    err, msg, _ = lib.call("aten::unbind_copy.int_out", args)
    assert err == INVALID_ARGUMENT and "out: dtype" in msg, msg


def test_stack_rejects_bad_tensors(lib: KernelLib) -> None:  # noqa: F811
    out = Out(np.dtype(np.float32), (1, 1, 1), dynamic=True, capacity_elems=64)
    a, b = np.zeros((2, 3), np.float32), np.zeros((3, 2), np.float32)
    cases: list[tuple[list[object], str]] = [
        ([Hidden(a), Hidden(b), TensorListArg([0, 1]), 0], "tensors: every tensor must have"),
        ([Hidden(a), Hidden(a.astype(np.int64)), TensorListArg([0, 1]), 0], "tensors: every dtype"),
        ([Hidden(a), TensorListArg([0]), 3], "dim: expected an int in range"),
        ([TensorListArg([]), 0], "tensors: expected a non-empty list"),
    ]
    for args, needle in cases:
        err, msg, _ = lib.call("aten::stack.out", [*args, out, ("alias", len(args))])
        assert err != 0 and needle in msg, (needle, msg)


def first_call(op: str) -> list[object]:
    """The argument list of op's first generated case, with a dynamic out (or outs)."""
    case = next(iter(GENERATORS[op](np.random.default_rng(0))))
    expected = case.expected if isinstance(case.expected, tuple) else (case.expected,)
    outs = [make_out(e.numpy(), dynamic=True) for e in expected]
    n = len(case.inputs)
    if case.outs == "list":
        idx = list(range(n, n + len(outs)))
        return [*case.inputs, *(Hidden(o) for o in outs), TensorListArg(idx), TensorListArg(idx)]
    return [*case.inputs, outs[0], ("alias", n)]


@pytest.mark.parametrize("op", sorted(GENERATORS))
def test_wrong_tags_and_counts_fail_cleanly(lib: KernelLib, op: str) -> None:  # noqa: F811
    """Every argument replaced by a value of another kind, and one argument too few: the
    kernel returns (an error, or Ok when the replacement happens to be valid), never crashes."""
    args = first_call(op)
    err, msg, _ = lib.call(op, args[:-1])
    assert err == INVALID_ARGUMENT and "args" in msg, msg
    others: list[object] = [None, 7, -1, 2.5, True, IntList([1, 2]), np.zeros((2, 2), np.float32),
                            np.zeros((), np.int64)]
    for i, arg in enumerate(args[:-1]):
        if isinstance(arg, (Hidden, TensorListArg)):
            continue
        for other in others:
            err, msg, _ = lib.call(op, [*args[:i], other, *args[i + 1:]])
            assert err in (0, INVALID_ARGUMENT, NOT_SUPPORTED, 6), (i, other, err, msg)
            assert err == 0 or ":" in msg, (i, other, msg)  # "argname: what is wrong"
