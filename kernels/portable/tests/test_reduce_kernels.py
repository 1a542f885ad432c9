"""The reduction and normalisation kernels against PyTorch eager on generated cases:
any / argmax / argmin / max / min / mean.dtype / prod / var / var_mean (any set of dims,
keepdim, dtype), cumsum, topk, group norm, batch norm (training, eval, no stats), dropout
and the p-norm distances (kernels/portable/op_reduction.cpp, op_norm.cpp).
Same shim and case runner as test_kernels.py (static and dynamic out).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest
import torch
from kernel_abi_ctypes import ERROR_NAMES, IntList, KernelLib, Out, Str, TensorListArg
from test_kernels import Case, rand, run_case, t
from test_kernels import lib as lib  # noqa: F401  (the shared fixture)

aten = torch.ops.aten
FLOATS = [np.float32, np.float64, np.float16]
INTS = [np.int64, np.int32, np.int16, np.int8, np.uint8]
REALS = FLOATS + INTS
ST = {torch.uint8: 0, torch.int8: 1, torch.int16: 2, torch.int32: 3, torch.int64: 4,
      torch.float16: 5, torch.float32: 6, torch.float64: 7, torch.bool: 11}
NAN, INF = float("nan"), float("inf")


def tol(dtype: type) -> tuple[float, float]:
    return (2e-3, 2e-3) if np.dtype(dtype) == np.float16 else (1e-5, 1e-6)


def values(rng: np.random.Generator, shape: tuple[int, ...], dtype: type,
           ties: bool = False) -> np.ndarray:
    """Random values; `ties`: from a small range, so that equal elements occur."""
    if ties and np.dtype(dtype) != np.bool_:
        return np.asarray(rng.integers(-2, 3, size=shape), dtype=dtype) if np.dtype(
            dtype).kind != "u" else np.asarray(rng.integers(0, 3, size=shape), dtype=dtype)
    return rand(rng, shape, dtype)


# Shapes and dims for reductions over dim lists: one run, non-adjacent, all, empty list,
# 0-dim, size-0 and size-1 dims, negative dims.
DIM_LISTS: list[tuple[tuple[int, ...], list[int] | None]] = [
    ((3, 4), [1]), ((3, 4), [0]), ((2, 3, 4), [0, 2]), ((2, 3, 4), [-1, 0]),
    ((2, 3, 4), None), ((2, 3, 4), [1, 2]), ((5,), [0]), ((), None), ((), [0]),
    ((0, 3), [0]), ((0, 3), [1]), ((1, 4, 1), [0, 2]), ((2, 3, 2, 5), [0, 1, 3]),
]
# One dim at a time (argmax, max.dim, prod.int, cumsum).
ONE_DIM: list[tuple[tuple[int, ...], int]] = [
    ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), -1), ((2, 3, 4), 1), ((5,), 0), ((), 0), ((), -1),
    ((1, 1), 0), ((4, 1, 3), 1), ((2, 17), 1),
]


def edge_floats(dtype: type) -> np.ndarray:
    return np.array([[1.0, NAN, 3.0, NAN], [-0.0, 0.0, -INF, INF], [2.0, 2.0, -1.0, 2.0]],
                    dtype=dtype)


# ---- any ---------------------------------------------------------------------------

def sparse(rng: np.random.Generator, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    x = rand(rng, shape, dtype)
    keep = rng.random(shape) < 0.15
    return np.asarray(np.where(keep, x, np.zeros_like(x)), dtype=dtype)


def gen_any(variant: str) -> Callable[[np.random.Generator], Iterator[Case]]:
    op = {"all": "aten::any.all_out", "dims": "aten::any.dims_out", "dim": "aten::any.out"}[variant]

    def gen(rng: np.random.Generator) -> Iterator[Case]:
        for dtype in [*REALS, np.bool_]:
            for shape, dims in DIM_LISTS:
                x = sparse(rng, shape, dtype)
                if variant == "all":
                    yield Case(op, [x], aten.any.default(t(x)))
                    continue
                for keepdim in (False, True):
                    if variant == "dims":
                        yield Case(op, [x, None if dims is None else IntList(dims), keepdim],
                                   aten.any.dims(t(x), dims, keepdim))
                    elif dims is not None and len(dims) == 1:
                        yield Case(op, [x, dims[0], keepdim], aten.any.dim(t(x), dims[0], keepdim))
            if variant == "dims":  # dim=[] reduces nothing (each element != 0)
                x = sparse(rng, (2, 3), dtype)
                yield Case(op, [x, IntList([]), False], aten.any.dims(t(x), [], False))
        for dtype in FLOATS:  # NaN is true, -0.0 is false
            e = np.array([[0.0, NAN, 0.0], [-0.0, 0.0, 0.0], [0.0, 0.0, INF]], dtype=dtype)
            if variant == "all":
                yield Case(op, [e], aten.any.default(t(e)))
            elif variant == "dims":
                yield Case(op, [e, IntList([1]), False], aten.any.dims(t(e), [1], False))
            else:
                yield Case(op, [e, -1, True], aten.any.dim(t(e), -1, True))

    return gen


# ---- argmax / argmin / max / min ------------------------------------------------------

def gen_arg(name: str) -> Callable[[np.random.Generator], Iterator[Case]]:
    op = f"aten::{name}.out"
    fn = getattr(aten, name).default

    def gen(rng: np.random.Generator) -> Iterator[Case]:
        for dtype in REALS:
            for shape, dim in [*ONE_DIM, ((2, 3, 4), None), ((), None), ((5,), None),
                               ((0, 3), 1)]:
                x = values(rng, shape, dtype, ties=True)  # ties: the first index wins
                for keepdim in (False, True):
                    yield Case(op, [x, dim, keepdim], fn(t(x), dim, keepdim))
        for dtype in FLOATS:  # NaN wins (the first NaN), -inf/inf, ties
            e = edge_floats(dtype)
            for dim in (0, 1, None):
                yield Case(op, [e, dim, False], fn(t(e), dim, False))
        x = np.asarray(rng.standard_normal((8, 1000)), np.float32)  # Float fast path
        yield Case(op, [x, 1, False], fn(t(x), 1, False))

    return gen


def gen_dim_extreme(name: str) -> Callable[[np.random.Generator], Iterator[Case]]:
    op = "aten::max.dim_max" if name == "max" else "aten::min.dim_min"

    def gen(rng: np.random.Generator) -> Iterator[Case]:
        for dtype in [*REALS, np.bool_]:
            for shape, dim in [*ONE_DIM, ((0, 3), 1)]:
                x = values(rng, shape, dtype, ties=True)
                for keepdim in (False, True):
                    ref = getattr(aten, name).dim(t(x), dim, keepdim)
                    yield Case(op, [x, dim, keepdim], tuple(ref), outs="multi")
        for dtype in FLOATS:
            e = edge_floats(dtype)
            for dim in (0, 1):
                ref = getattr(aten, name).dim(t(e), dim, False)
                yield Case(op, [e, dim, False], tuple(ref), outs="multi")

    return gen


def gen_unary_extreme(name: str) -> Callable[[np.random.Generator], Iterator[Case]]:
    op = f"aten::{name}.unary_out"
    fn = getattr(aten, name).default

    def gen(rng: np.random.Generator) -> Iterator[Case]:
        for dtype in [*REALS, np.bool_]:
            for shape in [(3, 4), (), (1,), (2, 3, 4), (17,)]:
                x = values(rng, shape, dtype)
                yield Case(op, [x], fn(t(x)))
        for dtype in FLOATS:
            for row in edge_floats(dtype):
                yield Case(op, [row], fn(t(row)))
        big = np.array([np.iinfo(np.int64).min, np.iinfo(np.int64).max, 0], np.int64)
        yield Case(op, [big], fn(t(big)))

    return gen


# ---- mean, prod ---------------------------------------------------------------------

def gen_mean_dtype(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::mean.dtype_out"
    for shape in [(3, 4), (), (0,), (7,), (2, 3, 5), (1000,), (4099,)]:
        for dtype in FLOATS:
            x = np.asarray(rand(rng, shape, dtype) + 0.5, dtype)
            yield Case(op, [x, None], aten.mean.default(t(x)), *tol(dtype))
        x = np.asarray(rand(rng, shape, np.float32) + 0.5, np.float32)
        yield Case(op, [x, 7], aten.mean.default(t(x), dtype=torch.float64))
        for dtype in (np.int64, np.int32, np.uint8, np.bool_):
            xi = rand(rng, shape, dtype)
            yield Case(op, [xi, 6], aten.mean.default(t(xi), dtype=torch.float32))
    e = edge_floats(np.float32)
    yield Case(op, [e, None], aten.mean.default(t(e)))
    e = np.array([1.0, INF, 2.0], np.float32)
    yield Case(op, [e, None], aten.mean.default(t(e)))


def prod_values(rng: np.random.Generator, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """Values near 1 in magnitude (floats) or small integers, so products stay readable."""
    if np.dtype(dtype).kind == "f":
        return np.asarray(rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1, 1], size=shape),
                          dtype)
    return values(rng, shape, dtype, ties=True)


def gen_prod(whole: bool) -> Callable[[np.random.Generator], Iterator[Case]]:
    op = "aten::prod.out" if whole else "aten::prod.int_out"

    def gen(rng: np.random.Generator) -> Iterator[Case]:
        specs: list[tuple[tuple[int, ...], int]] = (
            [((3, 4), 0), ((), 0), ((0,), 0), ((2, 3, 4), 0), ((7,), 0)] if whole else
            [*ONE_DIM, ((0, 3), 0), ((0, 3), 1)])
        for dtype in [*REALS, np.bool_]:
            for shape, dim in specs:
                x = prod_values(rng, shape, dtype)
                if whole:
                    yield Case(op, [x, None], aten.prod.default(t(x)), *tol(dtype))
                    continue
                for keepdim in (False, True):
                    yield Case(op, [x, dim, keepdim, None],
                               aten.prod.dim_int(t(x), dim, keepdim), *tol(dtype))
        # wrap-around in int64, and a narrower dtype= that wraps in int32
        big = np.array([[2**40, 2**40, 3], [-(2**62), 2, 2]], np.int64)
        i32 = np.array([[65536, 65536, 3], [46341, 46341, 1]], np.int32)
        f32 = np.array([[1e30, 1e30, 2.0], [NAN, 0.0, 1.0]], np.float32)
        for x, dtype in [(big, None), (i32, torch.int32), (i32, None), (f32, torch.float64),
                         (f32, None)]:
            dt = None if dtype is None else ST[dtype]
            if whole:
                yield Case(op, [x, dt], aten.prod.default(t(x), dtype=dtype))
            else:
                yield Case(op, [x, 1, False, dt], aten.prod.dim_int(t(x), 1, False, dtype=dtype))

    return gen


# ---- var, var_mean --------------------------------------------------------------------

VAR_DIMS: list[tuple[tuple[int, ...], list[int] | None]] = [
    *DIM_LISTS, ((2, 3, 4), []), ((1, 4), [0]), ((4000,), [0]),
]


def gen_var(variant: str) -> Callable[[np.random.Generator], Iterator[Case]]:
    op = {"correction": "aten::var.correction_out", "unbiased": "aten::var.out",
          "mean": "aten::var_mean.correction_out"}[variant]

    def gen(rng: np.random.Generator) -> Iterator[Case]:
        for dtype in FLOATS:
            for shape, dims in VAR_DIMS:
                x = np.asarray(rand(rng, shape, dtype) * 2 + 3, dtype)
                d = None if dims is None else IntList(dims)
                for keepdim in (False, True):
                    if variant == "unbiased":
                        for unbiased in (True, False):
                            yield Case(op, [x, d, unbiased, keepdim],
                                       aten.var.dim(t(x), dims, unbiased, keepdim), *tol(dtype))
                        continue
                    for corr in (None, 0, 1, 2.5, 3):
                        if variant == "mean":
                            ref = aten.var_mean.correction(t(x), dims, correction=corr,
                                                           keepdim=keepdim)
                            yield Case(op, [x, d, corr, keepdim], tuple(ref), *tol(dtype),
                                       outs="multi")
                        else:
                            ref = aten.var.correction(t(x), dims, correction=corr, keepdim=keepdim)
                            yield Case(op, [x, d, corr, keepdim], ref, *tol(dtype))
        e = edge_floats(np.float32)
        if variant == "unbiased":
            yield Case(op, [e, IntList([1]), True, False], aten.var.dim(t(e), [1], True, False))
        elif variant == "mean":
            yield Case(op, [e, IntList([1]), None, False],
                       tuple(aten.var_mean.correction(t(e), [1])), outs="multi")
        else:
            yield Case(op, [e, IntList([1]), None, False], aten.var.correction(t(e), [1]))

    return gen


# ---- cumsum, topk --------------------------------------------------------------------

def gen_cumsum(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::cumsum.out"
    for dtype in [*REALS, np.bool_]:
        for shape, dim in [*ONE_DIM, ((0, 3), 1), ((3, 0), 1), ((3, 300), 1)]:
            x = rand(rng, shape, dtype)
            rtol, atol = (2e-2, 5e-2) if np.dtype(dtype) == np.float16 else (1e-5, 1e-5)
            yield Case(op, [x, dim, None], aten.cumsum.default(t(x), dim), rtol, atol)
    x32 = rand(rng, (3, 5), np.int32)
    yield Case(op, [x32, 1, 3], aten.cumsum.default(t(x32), 1, dtype=torch.int32))
    xf = rand(rng, (3, 5), np.float32)
    yield Case(op, [xf, 0, 7], aten.cumsum.default(t(xf), 0, dtype=torch.float64))
    xi = rand(rng, (3, 5), np.int64)
    yield Case(op, [xi, -1, 6], aten.cumsum.default(t(xi), -1, dtype=torch.float32))
    big = np.array([2**62, 2**62, 2**62, -5], np.int64)  # wraps like PyTorch
    yield Case(op, [big, 0, None], aten.cumsum.default(t(big), 0))
    i8 = np.array([100, 100, 100], np.int8)  # Long by default: no wrap
    yield Case(op, [i8, 0, None], aten.cumsum.default(t(i8), 0))
    yield Case(op, [i8, 0, 1], aten.cumsum.default(t(i8), 0, dtype=torch.int8))
    e = np.array([1.0, INF, -INF, 2.0, NAN, 3.0, -0.0], np.float32)
    yield Case(op, [e, 0, None], aten.cumsum.default(t(e), 0))


def distinct(rng: np.random.Generator, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """Values without ties along any dim (topk's order among equal values is PyTorch's
    implementation detail)."""
    n = int(np.prod(shape, dtype=np.int64))
    v = rng.permutation(n).reshape(shape)
    if np.dtype(dtype).kind == "f":
        return np.asarray(v * 0.25 - n * 0.1, dtype)
    if np.dtype(dtype).kind == "u" or np.dtype(dtype).itemsize == 1:
        return np.asarray(v % 100, dtype)
    return np.asarray(v - n // 2, dtype)


def gen_topk(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::topk.values"
    for dtype in [np.float32, np.float64, np.float16, np.int64, np.int32, np.int8, np.uint8]:
        for shape, dim in [((7,), 0), ((3, 7), 1), ((3, 7), 0), ((2, 5, 4), 1), ((2, 5, 4), -1),
                           ((), 0), ((4, 0), 1), ((1, 9), -1)]:
            x = distinct(rng, shape, dtype)
            n = 1 if not shape else shape[dim]
            for k in sorted({0, min(1, n), n // 2, n}):
                for largest in (True, False):
                    ref = aten.topk.default(t(x), k, dim, largest, True)
                    # sorted=False: this kernel sorts anyway, so the sorted result is expected
                    for srt in (True, False):
                        yield Case(op, [x, k, dim, largest, srt], tuple(ref), outs="multi")
    e = np.array([1.0, NAN, 3.0, 2.0, -INF, INF], np.float32)  # NaN is the largest
    for k in (1, 2, 5):
        for largest in (True, False):
            ref = aten.topk.default(t(e), k, 0, largest, True)
            yield Case(op, [e, k, 0, largest, True], tuple(ref), outs="multi")
    ties = np.array([[1.0, 2.0, 2.0, 1.0, 2.0]], np.float32)  # equal values keep input order
    vals = torch.tensor([[2.0, 2.0, 2.0]])
    yield Case(op, [ties, 3, 1, True, True], (vals, torch.tensor([[1, 2, 4]])), outs="multi")


# ---- group norm, batch norm, dropout -----------------------------------------------------

def opt(a: np.ndarray | None) -> torch.Tensor | None:
    return None if a is None else t(a)


def norm_tol(dtype: type) -> tuple[float, float]:
    return (1e-2, 1e-2) if np.dtype(dtype) == np.float16 else (1e-4, 1e-5)


def gen_group_norm(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::native_group_norm.out"
    for shape, group in [((2, 6, 5), 3), ((1, 4, 2, 3), 2), ((3, 8), 4), ((2, 4, 1, 1), 1),
                         ((2, 6, 4), 6), ((1, 32, 16, 16), 8), ((0, 4, 3), 2)]:
        n, c = shape[0], shape[1]
        hxw = int(np.prod(shape[2:], dtype=np.int64))
        for dtype in (np.float32, np.float64, np.float16):
            rtol, atol = norm_tol(dtype)
            x = np.asarray(rand(rng, shape, dtype) * 3 + 1, dtype)
            for affine in (True, False):
                w = rand(rng, (c,), dtype) if affine else None
                b = rand(rng, (c,), dtype) if affine else None
                ref = aten.native_group_norm(t(x), opt(w), opt(b), n, c, hxw, group, 1e-5)
                yield Case(op, [x, w, b, n, c, hxw, group, 1e-5], tuple(ref), rtol, atol,
                           "multi")


def gen_batch_norm_legit(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::_native_batch_norm_legit.out"
    for shape in [(2, 3, 4, 5), (4, 6), (2, 3, 7), (1, 8, 3, 3)]:
        c = shape[1]
        for dtype in (np.float32, np.float64):
            x = np.asarray(rand(rng, shape, dtype) * 2 + 1, dtype)
            for training in (True, False):
                for affine in (True, False):
                    w = rand(rng, (c,), dtype) if affine else None
                    b = rand(rng, (c,), dtype) if affine else None
                    rm = rand(rng, (c,), dtype)
                    rv = np.asarray(np.abs(rand(rng, (c,), dtype)) + 0.5, dtype)
                    ref = aten._native_batch_norm_legit(
                        t(x), opt(w), opt(b), t(rm.copy()), t(rv.copy()), training, 0.1, 1e-5)
                    yield Case(op, [x, w, b, rm, rv, training, 0.1, 1e-5], tuple(ref), 1e-4,
                               1e-5, "multi")
        # Half input with Half or Float running statistics (save_mean/invstd follow them)
        xh = np.asarray(rand(rng, shape, np.float16) * 2 + 1, np.float16)
        for stat_dtype in (np.float16, np.float32):
            for training in (True, False):
                rm = rand(rng, (c,), stat_dtype)
                rv = np.asarray(np.abs(rand(rng, (c,), stat_dtype)) + 0.5, stat_dtype)
                ref = aten._native_batch_norm_legit(
                    t(xh), None, None, t(rm.copy()), t(rv.copy()), training, 0.1, 1e-5)
                yield Case(op, [xh, None, None, rm, rv, training, 0.1, 1e-5], tuple(ref), 1e-2,
                           1e-2, "multi")


def gen_batch_norm_no_stats(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::_native_batch_norm_legit.no_stats_out"
    for shape in [(2, 3, 4, 5), (4, 6), (2, 3, 7), (3, 2, 1)]:
        c = shape[1]
        for dtype in (np.float32, np.float64, np.float16):
            x = np.asarray(rand(rng, shape, dtype) * 2 + 1, dtype)
            for affine in (True, False):
                w = rand(rng, (c,), dtype) if affine else None
                b = rand(rng, (c,), dtype) if affine else None
                ref = aten._native_batch_norm_legit(t(x), opt(w), opt(b), True, 0.1, 1e-5)
                yield Case(op, [x, w, b, True, 0.1, 1e-5], tuple(ref), *norm_tol(dtype), "multi")


def gen_dropout(rng: np.random.Generator) -> Iterator[Case]:
    """The deterministic cases: eval (train=False), p=0 and p=1 (NaN * 0 stays NaN)."""
    op = "aten::native_dropout.out"
    for dtype in FLOATS:
        for shape in [(3, 4), (), (7,), (2, 1, 3)]:
            x = rand(rng, shape, dtype)
            for p, train in [(0.5, False), (0.0, True), (0.0, None), (1.0, True), (0.3, False)]:
                ref = aten.native_dropout(t(x), p, train)
                yield Case(op, [x, p, train], tuple(ref), outs="multi")
        e = np.array([NAN, INF, -0.0, 1.0], dtype)
        for p, train in [(1.0, True), (0.0, True), (0.2, False)]:
            yield Case(op, [e, p, train], tuple(aten.native_dropout(t(e), p, train)),
                       outs="multi")


# ---- distances ------------------------------------------------------------------------

PS = [0.0, 1.0, 2.0, 3.0, 0.5, INF]


def gen_cdist(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::_cdist_forward.out"
    for s1, s2 in [((3, 4), (5, 4)), ((2, 3, 4), (1, 5, 4)), ((3, 0), (2, 0)), ((1, 1), (1, 1)),
                   ((2, 1, 3, 2), (4, 2, 2)), ((4, 3), (2, 2, 3)), ((0, 3), (2, 3))]:
        for dtype in (np.float32, np.float64):
            x1, x2 = rand(rng, s1, dtype), rand(rng, s2, dtype)
            for p in PS:
                for mode in (None, 2):
                    ref = aten._cdist_forward(t(x1), t(x2), p, mode)
                    yield Case(op, [x1, x2, p, mode], ref, 1e-4, 1e-5)
    a = np.array([[1.0, 2.0], [0.0, 0.0]], np.float32)  # equal rows: distance 0 for every p
    for p in PS:
        yield Case(op, [a, a, p, None], aten._cdist_forward(t(a), t(a), p, None), 1e-4, 1e-5)


def gen_pdist(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::_pdist_forward.out"
    for shape in [(4, 3), (1, 3), (0, 3), (5, 0), (6, 2), (2, 7)]:
        for dtype in (np.float32, np.float64):
            x = rand(rng, shape, dtype)
            if shape[0] > 2:
                x[2] = x[0]  # a zero distance
            for p in PS:
                yield Case(op, [x, p], aten._pdist_forward(t(x), p), 1e-4, 1e-5)


GENERATORS: dict[str, Callable[[np.random.Generator], Iterator[Case]]] = {
    "aten::any.all_out": gen_any("all"),
    "aten::any.dims_out": gen_any("dims"),
    "aten::any.out": gen_any("dim"),
    "aten::argmax.out": gen_arg("argmax"),
    "aten::argmin.out": gen_arg("argmin"),
    "aten::max.dim_max": gen_dim_extreme("max"),
    "aten::min.dim_min": gen_dim_extreme("min"),
    "aten::max.unary_out": gen_unary_extreme("max"),
    "aten::min.unary_out": gen_unary_extreme("min"),
    "aten::mean.dtype_out": gen_mean_dtype,
    "aten::prod.int_out": gen_prod(False),
    "aten::prod.out": gen_prod(True),
    "aten::var.correction_out": gen_var("correction"),
    "aten::var.out": gen_var("unbiased"),
    "aten::var_mean.correction_out": gen_var("mean"),
    "aten::cumsum.out": gen_cumsum,
    "aten::topk.values": gen_topk,
    "aten::native_group_norm.out": gen_group_norm,
    "aten::_native_batch_norm_legit.out": gen_batch_norm_legit,
    "aten::_native_batch_norm_legit.no_stats_out": gen_batch_norm_no_stats,
    "aten::native_dropout.out": gen_dropout,
    "aten::_cdist_forward.out": gen_cdist,
    "aten::_pdist_forward.out": gen_pdist,
}


@pytest.mark.parametrize("op", sorted(GENERATORS))
def test_kernel_matches_pytorch(lib: KernelLib, op: str) -> None:  # noqa: F811
    n = 0
    for seed in (0, 1):
        for case in GENERATORS[op](np.random.default_rng(seed)):
            run_case(lib, case, dynamic=False)
            run_case(lib, case, dynamic=True)
            n += 1
    assert n > 0


# ---- state and randomness ----------------------------------------------------------------

def multi_outs(specs: list[tuple[type, tuple[int, ...]]], first: int) -> list[object]:
    outs: list[object] = [Out(np.dtype(d), s) for d, s in specs]
    return [*outs, TensorListArg(list(range(first, first + len(specs))))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_training_updates_running_stats(lib: KernelLib, dtype: type) -> None:  # noqa: F811
    rng = np.random.default_rng(5)
    x = np.asarray(rand(rng, (4, 3, 5), dtype) * 2 + 1, dtype)
    w, b = rand(rng, (3,), dtype), rand(rng, (3,), dtype)
    rm = rand(rng, (3,), dtype)
    rv = np.asarray(np.abs(rand(rng, (3,), dtype)) + 0.5, dtype)
    ref_rm, ref_rv = t(rm.copy()), t(rv.copy())
    ref = aten._native_batch_norm_legit(t(x), t(w), t(b), ref_rm, ref_rv, True, 0.2, 1e-5)
    args = [x, w, b, rm, rv, True, 0.2, 1e-5,
            *multi_outs([(dtype, (4, 3, 5)), (dtype, (3,)), (dtype, (3,))], 8)]
    err, msg, res = lib.call("aten::_native_batch_norm_legit.out", args)
    assert err == 0, msg
    np.testing.assert_allclose(rm, ref_rm.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rv, ref_rv.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(res[8], ref[0].numpy(), rtol=1e-4, atol=1e-5)
    # eval mode leaves the running statistics alone
    before = (rm.copy(), rv.copy())
    args[5] = False
    args[9], args[10] = Out(np.dtype(dtype), (0,)), Out(np.dtype(dtype), (0,))
    err, msg, _ = lib.call("aten::_native_batch_norm_legit.out", args)
    assert err == 0, msg
    np.testing.assert_array_equal(rm, before[0])
    np.testing.assert_array_equal(rv, before[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("p", [0.3, 0.5, 0.9])
def test_dropout_in_training_drops_a_fraction_p(lib: KernelLib, dtype: type,  # noqa: F811
                                                p: float) -> None:
    """train=True: a pseudo-random mask keeping 1 - p of the elements, kept ones scaled by
    1 / (1 - p); stateless, so the same input gives the same mask."""
    rng = np.random.default_rng(9)
    x = np.asarray(rng.standard_normal((100, 200)), dtype)
    x[0, :] = 1.0  # repeated values still get independent draws
    masks = []
    for _ in range(2):
        args = [x, p, True, *multi_outs([(dtype, x.shape), (np.bool_, x.shape)], 3)]
        err, msg, res = lib.call("aten::native_dropout.out", args)
        assert err == 0, msg
        out, mask = res[3], res[4]
        assert out is not None and mask is not None
        assert abs(mask.mean() - (1 - p)) < 0.02
        assert abs(mask[0].mean() - (1 - p)) < 0.15
        expected = (t(x) * t(mask) * (1.0 / (1 - p))).numpy()
        rtol = 1e-3 if np.dtype(dtype) == np.float16 else 1e-6
        np.testing.assert_allclose(out, expected, rtol=rtol)
        masks.append(mask.copy())
    np.testing.assert_array_equal(masks[0], masks[1])


# ---- rejected arguments: error codes and messages naming the argument ---------------------

F32 = np.float32
Z23 = np.zeros((2, 3), F32)
ONE = [(F32, (1,))]

BAD: list[tuple[str, list[object], list[tuple[type, tuple[int, ...]]], str]] = [
    ("aten::any.all_out", [Z23], ONE, "out: must be Bool"),
    ("aten::any.dims_out", [Z23, IntList([2]), False], [(np.bool_, (2,))], "dim: out of range"),
    ("aten::any.dims_out", [Z23, IntList([0]), 1], [(np.bool_, (3,))], "keepdim: expected a bool"),
    ("aten::any.out", [Z23, IntList([0]), False], [(np.bool_, (3,))], "dim: expected an int"),
    ("aten::argmax.out", [np.zeros((3,), np.bool_), None, False], [(np.int64, ())],
     "self: must be a real dtype"),
    ("aten::argmax.out", [Z23, 0, False], [(np.int32, (3,))], "out: must be Long"),
    ("aten::argmin.out", [np.zeros((0, 3), F32), 0, False], [(np.int64, (3,))],
     "self: cannot reduce an empty dim"),
    ("aten::max.dim_max", [Z23, 1, False], [(F32, (2,)), (np.int32, (2,))],
     "indices: must be Long"),
    ("aten::min.dim_min", [Z23, 5, False], [(F32, (2,)), (np.int64, (2,))], "dim: out of range"),
    ("aten::min.dim_min", [Z23, None, False], [(F32, (2,)), (np.int64, (2,))],
     "dim: expected an int"),
    ("aten::max.unary_out", [np.zeros((0,), F32)], [(F32, ())], "self: cannot reduce an empty"),
    ("aten::min.unary_out", [Z23], [(np.float64, ())], "out: dtype must equal"),
    ("aten::mean.dtype_out", [np.zeros((3,), np.int64), None], [(F32, ())], "dtype: needed"),
    ("aten::mean.dtype_out", [Z23, 4], [(np.int64, ())], "dtype: mean's result must be floating"),
    ("aten::prod.int_out", [np.zeros((3,), np.int64), 0, False, None], [(F32, ())],
     "out: dtype must be the result dtype"),
    ("aten::prod.out", [Z23, 200], [(F32, ())], "dtype: not a supported dtype"),
    ("aten::var.correction_out", [np.zeros((3,), np.int64), None, None, False],
     [(np.int64, ())], "self: var supports floating"),
    ("aten::var.out", [Z23, IntList([0, 0]), True, False], [(F32, (3,))],
     "dim: a dim appears more than once"),
    ("aten::var_mean.correction_out", [Z23, None, Str("x"), False], [(F32, ()), (F32, ())],
     "correction: expected a number"),
    ("aten::cumsum.out", [Z23, 2, None], [(F32, (2, 3))], "dim: out of range"),
    ("aten::cumsum.out", [np.zeros((3,), np.int32), 0, None], [(np.int32, (3,))],
     "out: dtype must be the result dtype"),
    ("aten::topk.values", [Z23, 4, 1, True, True], [(F32, (2, 4)), (np.int64, (2, 4))],
     "k: out of range"),
    ("aten::topk.values", [Z23, -1, 1, True, True], [(F32, (2, 1)), (np.int64, (2, 1))],
     "k: out of range"),
    ("aten::native_group_norm.out", [np.zeros((2, 6, 5), F32), None, None, 2, 6, 5, 4, 1e-5],
     [(F32, (2, 6, 5)), (F32, (2, 4)), (F32, (2, 4))], "group: must be positive and divide C"),
    ("aten::native_group_norm.out", [np.zeros((2, 6, 5), F32), None, None, 2, 6, 4, 3, 1e-5],
     [(F32, (2, 6, 5)), (F32, (2, 3)), (F32, (2, 3))], "input: shape must be"),
    ("aten::native_group_norm.out",
     [np.zeros((2, 6, 5), F32), np.zeros((5,), F32), None, 2, 6, 5, 3, 1e-5],
     [(F32, (2, 6, 5)), (F32, (2, 3)), (F32, (2, 3))], "weight:"),
    ("aten::native_group_norm.out", [np.zeros((1, 0, 3), F32), None, None, 1, 0, 3, 2**31, 1e-5],
     [(F32, (1, 0, 3)), (F32, (1, 1)), (F32, (1, 1))], "group: must be positive"),
    # N * C * HxW wraps around to numel in 64 bits: still rejected
    ("aten::native_group_norm.out", [np.zeros((4, 1), F32), None, None, 4, 1, 2**62 + 1, 1,
                                     1e-5], [(F32, (4, 1)), (F32, (4, 1)), (F32, (4, 1))],
     "input: shape must be"),
    ("aten::_native_batch_norm_legit.out",
     [np.zeros((2, 3, 4), F32), None, None, np.zeros((2,), F32), np.zeros((3,), F32), True,
      0.1, 1e-5], [(F32, (2, 3, 4)), (F32, (3,)), (F32, (3,))], "running_mean:"),
    ("aten::_native_batch_norm_legit.out",
     [np.zeros((2, 3, 4), F32), None, None, np.zeros((3,), F32), np.zeros((3,), F32), 1,
      0.1, 1e-5], [(F32, (2, 3, 4)), (F32, (3,)), (F32, (3,))], "training: expected a bool"),
    ("aten::_native_batch_norm_legit.no_stats_out",
     [np.zeros((2, 3, 4), F32), None, None, False, 0.1, 1e-5],
     [(F32, (2, 3, 4)), (F32, (3,)), (F32, (3,))], "training: must be true"),
    ("aten::_native_batch_norm_legit.no_stats_out",
     [np.zeros((3,), F32), None, None, True, 0.1, 1e-5],
     [(F32, (3,)), (F32, (3,)), (F32, (3,))], "input: expected at least 2 dims"),
    ("aten::native_dropout.out", [Z23, 1.5, True], [(F32, (2, 3)), (np.bool_, (2, 3))],
     "p: must be in [0, 1]"),
    ("aten::native_dropout.out", [Z23, 0.5, True], [(F32, (2, 3)), (F32, (2, 3))],
     "out1: the mask must be Bool"),
    ("aten::_cdist_forward.out", [Z23, np.zeros((4, 2), F32), 2.0, None], [(F32, (2, 4))],
     "x2: must have as many columns"),
    ("aten::_cdist_forward.out", [Z23, np.zeros((4, 3), F32), 2.0, 3], [(F32, (2, 4))],
     "compute_mode"),
    ("aten::_cdist_forward.out", [np.zeros((2, 2, 3), F32), np.zeros((3, 4, 3), F32), 2.0,
                                  None], [(F32, (2, 2, 4))], "x2: batch dims do not broadcast"),
    ("aten::_pdist_forward.out", [np.zeros((2, 2, 3), F32), 2.0], [(F32, (1,))],
     "self: expected 2 dims"),
    ("aten::_pdist_forward.out", [Z23, -1.0], [(F32, (1,))], "p: must be a non-negative"),
]


@pytest.mark.parametrize(("op", "args", "outs", "needle"), BAD)
def test_rejects_bad_arguments(lib: KernelLib, op: str, args: list[object],  # noqa: F811
                               outs: list[tuple[type, tuple[int, ...]]], needle: str) -> None:
    n = len(args)
    out_args: list[object] = [Out(np.dtype(d), s, dynamic=True, capacity_elems=64)
                              for d, s in outs]
    ret: object = ("alias", n) if len(outs) == 1 else TensorListArg(list(range(n, n + len(outs))))
    err, msg, _ = lib.call(op, [*args, *out_args, ret])
    assert err != 0 and needle in msg, (ERROR_NAMES[err] if err >= 0 else err, msg)


@pytest.mark.parametrize("op", sorted(GENERATORS))
def test_wrong_nargs_is_rejected(lib: KernelLib, op: str) -> None:  # noqa: F811
    err, msg, _ = lib.call(op, [Z23])
    assert err != 0 and msg.startswith("expected"), msg


SUBSTITUTES: list[object] = [None, 3, -1, 2.5, True, IntList([0]), IntList([]),
                             np.zeros((2,), np.int8), np.zeros((), F32), np.zeros((0, 3), F32)]


@pytest.mark.parametrize("op", sorted(GENERATORS))
def test_wrong_arguments_never_crash(lib: KernelLib, op: str) -> None:  # noqa: F811
    """Every schema argument of a valid call replaced by values of other kinds, dtypes and
    shapes: the kernel returns (an error, or a result for values it accepts), never crashes;
    errors carry a message."""
    case = next(GENERATORS[op](np.random.default_rng(0)))
    expected = case.expected if isinstance(case.expected, tuple) else (case.expected,)
    n = len(case.inputs)
    for i in range(n):
        for sub in SUBSTITUTES:
            inputs = [*case.inputs]
            inputs[i] = sub
            outs: list[object] = [Out(e.numpy().dtype, tuple(e.shape), dynamic=True,
                                      capacity_elems=int(e.numel()) + 64) for e in expected]
            ret: object = (("alias", n) if len(outs) == 1
                           else TensorListArg(list(range(n, n + len(outs)))))
            err, msg, _ = lib.call(op, [*inputs, *outs, ret])
            assert err == 0 or msg, (op, i, sub)
    # outs of other dtypes, static with another shape, or dynamic with room for one element
    for j, e in enumerate(expected):
        shape = tuple(e.shape)
        for bad in [Out(np.dtype(d), shape) for d in (np.int8, np.float64, np.bool_, np.int64)] + [
                Out(e.numpy().dtype, tuple(s + 1 for s in shape)),
                Out(e.numpy().dtype, tuple(1 for _ in shape), dynamic=True, capacity_elems=1)]:
            outs = [Out(x.numpy().dtype, tuple(x.shape)) for x in expected]
            outs[j] = bad
            ret = ("alias", n) if len(outs) == 1 else TensorListArg(list(range(n, n + len(outs))))
            err, msg, _ = lib.call(op, [*case.inputs, *outs, ret])
            assert err == 0 or msg, (op, j, bad)
