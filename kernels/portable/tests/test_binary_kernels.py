"""The binary elementwise family (kernels/portable/op_binary.cpp) against PyTorch eager:
add/sub/rsub/mul/div Scalar overloads, div with rounding modes, floor_divide, fmod,
remainder, pow (three overloads), atan2, maximum/minimum, bitwise ops and shifts,
logical ops, where, clamp (Scalar and Tensor bounds) and masked_fill.

Cases cover every dtype PyTorch accepts for the op (Float, Double, Half, the integer
types, Bool), mixed dtypes and 0-dim operands (type promotion, "wrapped number" Scalars),
broadcasting, empty tensors, NaN/inf/-0.0, integer wrap-around and shift counts past the
bit width. A combination PyTorch itself refuses yields no case (see `ref`); the kernel's
refusals are checked in test_rejects_bad_arguments. Same shim and runner as
test_kernels.py (static and dynamic out).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterator

import numpy as np
import pytest
import torch
from kernel_abi_ctypes import ERROR_NAMES, KernelLib, Out, Str
from test_kernels import BROADCAST_SHAPES, Case, rand, run_case, t
from test_kernels import lib as lib  # noqa: F401  (the shared fixture)

aten = torch.ops.aten
Gen = Callable[[np.random.Generator], Iterator[Case]]

FLOATS = [np.float32, np.float64, np.float16]
INTS = [np.int64, np.int32, np.int16, np.int8, np.uint8]
ALL = [*FLOATS, *INTS, np.bool_]
# (self, other) dtype pairs that promote: int/float, uint8/int8 (-> int16), Half/Float,
# Bool with numbers.
MIXED = [
    (np.int32, np.float32),
    (np.uint8, np.int8),
    (np.int64, np.float16),
    (np.float16, np.float32),
    (np.float32, np.float64),
    (np.bool_, np.int32),
    (np.int16, np.int64),
    (np.bool_, np.float32),
]
SCALARS: list[object] = [2, -3, 1.5, True, -0.25]
SCALAR_SHAPES = [(3, 4), (), (0,), (5,), (2, 1, 3)]
EDGES = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1.0, -2.5, 3.0, 0.5, -7.0], np.float64)
DIV_OPS = {"div_trunc", "div_floor", "floor_divide", "fmod", "remainder"}


def tol(dtype: np.dtype, loose: bool = False) -> tuple[float, float]:
    if dtype == np.float16:
        return 2e-3, 1e-3
    return (1e-5, 1e-6) if not loose else (2e-5, 1e-5)


def ref(fn: Callable[..., torch.Tensor], *args: object, **kwargs: object) -> torch.Tensor | None:
    """PyTorch's fn(*args, **kwargs) (numpy arrays become tensors), or None when PyTorch
    refuses the combination."""
    targs = [t(a) if isinstance(a, np.ndarray) else a for a in args]
    try:
        return fn(*targs, **kwargs)
    except (RuntimeError, TypeError, ZeroDivisionError):
        return None


def values(rng: np.random.Generator, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    if np.dtype(dtype).kind == "f":
        return np.asarray(rand(rng, shape, np.float64) * 3, dtype=dtype)
    if np.dtype(dtype) == np.uint8:
        return np.asarray(rng.integers(0, 100, size=shape), dtype=dtype)
    return rand(rng, shape, dtype)


def nonzero(a: np.ndarray) -> np.ndarray:
    a = a.copy()
    a[a == 0] = 7 if a.dtype != np.bool_ else True
    return a


def make_case(op: str, inputs: list[object], expected: torch.Tensor | None,
              loose: bool = False) -> Iterator[Case]:
    if expected is None:
        return
    rtol, atol = tol(expected.numpy().dtype, loose)
    yield Case(op, inputs, expected, rtol, atol)


# ---- Tensor-Tensor binary ops -------------------------------------------------------

def gen_tensor_op(op: str, fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], kind: str,
                  extra: list[object] | None = None, loose: bool = False) -> Gen:
    """Tensor (self, other) ops; `extra` args follow other (div's rounding_mode)."""
    tail = extra or []
    divides = kind in DIV_OPS

    def gen(rng: np.random.Generator) -> Iterator[Case]:
        for sa, sb in BROADCAST_SHAPES:
            for da in ALL:
                a, b = values(rng, sa, da), values(rng, sb, da)
                if divides and np.dtype(da).kind in "iub":
                    b = nonzero(b)
                yield from make_case(op, [a, b, *tail], ref(fn, a, b), loose)
        for da, db in MIXED:
            for sa, sb in [((3, 4), (4,)), ((2, 3), ()), ((), (3,))]:
                a, b = values(rng, sa, da), values(rng, sb, db)
                if divides and np.dtype(db).kind in "iub":
                    b = nonzero(b)
                yield from make_case(op, [a, b, *tail], ref(fn, a, b), loose)
        # NaN, inf, signed zeros: every pair (rows x columns) in each floating dtype
        for dt in FLOATS:
            a, b = EDGES.astype(dt).reshape(-1, 1), EDGES.astype(dt)
            yield from make_case(op, [a, b, *tail], ref(fn, a, b), loose)
        # integer edges: signs of both sides, the most negative values, wrap-around
        for dt in (np.int64, np.int32, np.int8, np.uint8):
            info = np.iinfo(dt)
            a = np.array([info.min, info.max, -7, 7, 0, -1, 5, 100], np.int64).astype(dt)
            b = np.array([2, -2, 3, -3, 1, 100, info.max], np.int64).astype(dt)
            if divides:
                b = nonzero(b)
            a2 = a.reshape(-1, 1)
            yield from make_case(op, [a2, b, *tail], ref(fn, a2, b), loose)

    return gen


def gen_scalar_op(op: str, fn: Callable[[torch.Tensor, object], torch.Tensor], kind: str,
                  extra: list[object] | None = None, loose: bool = False) -> Gen:
    """Tensor self, Scalar other (then `extra`)."""
    tail = extra or []

    def gen(rng: np.random.Generator) -> Iterator[Case]:
        for shape in SCALAR_SHAPES:
            for da in ALL:
                a = values(rng, shape, da)
                for s in SCALARS:
                    yield from make_case(op, [a, s, *tail], ref(fn, a, s), loose)
        for dt in FLOATS:
            a = EDGES.astype(dt)
            for s in (0.0, -0.0, np.inf, np.nan, 2.0, -1.5):
                yield from make_case(op, [a, s, *tail], ref(fn, a, s), loose)
        for dt in (np.int8, np.int64, np.uint8, np.int16):
            info = np.iinfo(dt)
            a = np.array([info.min, info.max, -7, 7, 0, -1], np.int64).astype(dt)
            for s in (3, -2, 300, 1):  # 300 wraps to the tensor's dtype first
                yield from make_case(op, [a, s, *tail], ref(fn, a, s), loose)

    return gen


def gen_alpha_op(name: str) -> Gen:
    """add/sub/rsub.Scalar_out(self, other, alpha)."""
    op = f"aten::{name}.Scalar_out"
    fn = getattr(aten, name).Scalar

    def gen(rng: np.random.Generator) -> Iterator[Case]:
        for shape in SCALAR_SHAPES:
            for da in ALL:
                a = values(rng, shape, da)
                for s in SCALARS:
                    alphas: list[object] = [1, 2, -1]
                    if np.dtype(da).kind == "f" or isinstance(s, float):
                        alphas.append(0.5)
                    for alpha in alphas:
                        yield from make_case(op, [a, s, alpha], ref(fn, a, s, alpha=alpha))
        a = np.array([True, False])
        yield from make_case(op, [a, True, True], ref(fn, a, True, alpha=True))
        for dt in FLOATS:
            a = EDGES.astype(dt)
            for s in (np.inf, np.nan, -0.0):
                yield from make_case(op, [a, s, 1], ref(fn, a, s))
        a = np.array([127, -128, 100], np.int8)  # wraps
        yield from make_case(op, [a, 100, 2], ref(fn, a, 100, alpha=2))

    return gen


def gen_mul_div_scalar(name: str) -> Gen:
    return gen_scalar_op(f"aten::{name}.Scalar_out", getattr(aten, name).Scalar, name)


def gen_div_mode(tensor: bool) -> Gen:
    op = "aten::div.out_mode" if tensor else "aten::div.Scalar_mode_out"

    def gen(rng: np.random.Generator) -> Iterator[Case]:
        for mode in (None, "trunc", "floor"):
            extra: list[object] = [Str(mode) if mode else None]
            kind = f"div_{mode}"
            fn = aten.div.Tensor_mode if tensor else aten.div.Scalar_mode
            bound = functools.partial(fn, rounding_mode=mode)
            sub = (gen_tensor_op if tensor else gen_scalar_op)(op, bound, kind, extra)
            yield from sub(rng)

    return gen


# ---- pow ---------------------------------------------------------------------------

def gen_pow_tensor_scalar(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::pow.Tensor_Scalar_out"
    fn = aten.pow.Tensor_Scalar
    exps: list[object] = [2, 3, 0.5, -0.5, -1.0, -2.0, 0, 1, 2.5, -3, True, 5]
    for shape in [(3, 4), (), (0,), (33,)]:
        for da in ALL:
            a = values(rng, shape, da)
            if np.dtype(da).kind in "iu":
                a = np.asarray(np.clip(a, -9, 9), dtype=da)
            for e in exps:
                yield from make_case(op, [a, e], ref(fn, a, e), loose=True)
    for dt in FLOATS:
        a = EDGES.astype(dt)
        for e in exps + [np.nan, np.inf, -np.inf, -0.0]:
            yield from make_case(op, [a, e], ref(fn, a, e), loose=True)
    a = np.array([3, -3, 7, 2], np.int8)  # integer pow wraps
    yield from make_case(op, [a, 7], ref(fn, a, 7))


def gen_pow_scalar(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::pow.Scalar_out"
    fn = aten.pow.Scalar
    for shape in [(3, 4), (), (0,), (6,)]:
        for db in ALL:
            b = values(rng, shape, db)
            if np.dtype(db).kind in "iu":
                b = np.asarray(np.clip(b, -5, 9), dtype=db)
            for base in (2, -3, 1.5, True, 0, -1):
                yield from make_case(op, [base, b], ref(fn, base, b), loose=True)
    for dt in FLOATS:
        b = EDGES.astype(dt)
        for base in (0.0, -0.0, np.inf, np.nan, 2.0, -1.5, 1):
            yield from make_case(op, [base, b], ref(fn, base, b), loose=True)


def gen_pow_tensor_tensor(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::pow.Tensor_Tensor_out"
    fn = aten.pow.Tensor_Tensor
    for sa, sb in BROADCAST_SHAPES:
        for da in ALL:
            a, b = values(rng, sa, da), values(rng, sb, da)
            if np.dtype(da).kind in "iu":
                a = np.asarray(np.clip(a, -6, 6), dtype=da)
                b = np.asarray(np.clip(b, -3, 9), dtype=da)  # negative exponents: 0, 1 or -1
            if np.dtype(da).kind == "f":
                a = np.abs(a)  # real results (negative bases give NaN both ways, tested below)
            yield from make_case(op, [a, b], ref(fn, a, b), loose=True)
    for da, db in MIXED:
        a = np.abs(values(rng, (3, 4), da)) if np.dtype(da) != np.bool_ else values(rng, (3, 4), da)
        b = np.asarray(np.clip(values(rng, (4,), db), -2, 5), dtype=db)
        yield from make_case(op, [a, b], ref(fn, a, b), loose=True)
    for dt in FLOATS:
        a, b = EDGES.astype(dt).reshape(-1, 1), EDGES.astype(dt)
        yield from make_case(op, [a, b], ref(fn, a, b), loose=True)
    a = np.array([[1], [-1], [0], [2], [-2]], np.int64)
    b = np.array([-3, -2, 0, 1, 62, 63, 64], np.int64)  # wraps at 2^63
    yield from make_case(op, [a, b], ref(fn, a, b))


# ---- bitwise and shifts ----------------------------------------------------------

def gen_shift(name: str, scalar: bool) -> Gen:
    overload = "Tensor_Scalar" if scalar else "Tensor"
    op = f"aten::{name}.{overload}_out"
    fn = getattr(getattr(aten, name), overload)

    def gen(rng: np.random.Generator) -> Iterator[Case]:
        for dt in INTS:
            info = np.iinfo(dt)
            bits = np.dtype(dt).itemsize * 8
            a = np.array([1, -1, 5, -8, info.min, info.max, 0, 3], np.int64).astype(dt)
            counts = [c for c in (-1, 0, 1, 3, bits - 1, bits, bits + 1, 100)
                      if info.min <= c <= info.max]
            if scalar:
                for c in counts:
                    yield from make_case(op, [a, c], ref(fn, a, c))
            else:
                b = np.array(counts, np.int64).astype(dt)
                a2 = a.reshape(-1, 1)
                yield from make_case(op, [a2, b], ref(fn, a2, b))
                x, y = values(rng, (3, 4), dt), np.array([0, 1, 2, 3], dt)
                yield from make_case(op, [x, y], ref(fn, x, y))
                e, z = np.zeros((0, 4), dt), np.array(2, dt)
                yield from make_case(op, [e, z], ref(fn, e, z))
        if not scalar:
            a, b = np.array([1, 2, 3], np.uint8), np.array([1], np.int8)  # promote to int16
            yield from make_case(op, [a, b], ref(fn, a, b))

    return gen


def gen_bitwise(name: str, scalar: bool) -> Gen:
    op = f"aten::{name}.{'Scalar' if scalar else 'Tensor'}_out"
    fn = getattr(getattr(aten, name), "Scalar" if scalar else "Tensor")
    dtypes = [*INTS, np.bool_]

    def gen(rng: np.random.Generator) -> Iterator[Case]:
        if scalar:
            for shape in SCALAR_SHAPES:
                for da in dtypes:
                    a = values(rng, shape, da)
                    for s in (5, -3, True, False, 255):
                        yield from make_case(op, [a, s], ref(fn, a, s))
            return
        for sa, sb in BROADCAST_SHAPES:
            for da in dtypes:
                a, b = values(rng, sa, da), values(rng, sb, da)
                yield from make_case(op, [a, b], ref(fn, a, b))
        for da, db in [(np.uint8, np.int8), (np.bool_, np.int32), (np.int16, np.int64)]:
            a, b = values(rng, (3, 4), da), values(rng, (4,), db)
            yield from make_case(op, [a, b], ref(fn, a, b))

    return gen


# ---- logical ----------------------------------------------------------------------

def gen_logical(name: str) -> Gen:
    op = f"aten::{name}.out"
    fn = getattr(aten, name).default

    def gen(rng: np.random.Generator) -> Iterator[Case]:
        for sa, sb in BROADCAST_SHAPES:
            for da in ALL:
                a = np.asarray(rng.integers(0, 2, size=sa) * values(rng, sa, da), dtype=da)
                b = values(rng, sb, da)
                yield from make_case(op, [a, b], ref(fn, a, b))
        a, b = EDGES.reshape(-1, 1).astype(np.float32), np.array([0, 1, 0, 2], np.int8)
        yield from make_case(op, [a, b], ref(fn, a, b))
        # out of a non-Bool dtype gets 1 / 0
        x, y = np.array([0.0, 2.0, np.nan]), np.array([1, 0, 3], np.int32)
        expected = ref(fn, x, y)
        yield from make_case(op, [x, y], None if expected is None else expected.to(torch.float32))

    return gen


# ---- where, clamp, masked_fill ------------------------------------------------------

WHERE_SHAPES = [
    ((3, 4), (3, 4), (3, 4)),
    ((3, 1), (1, 4), (4,)),
    ((), (2, 3), ()),
    ((2, 3), (), ()),
    ((0, 3), (1, 3), (3,)),
    ((4,), (2, 1), (1,)),
    ((), (), ()),
    ((65,), (65,), (65,)),
]


def gen_where(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::where.self_out"
    fn = aten.where.self
    for sc, sx, sy in WHERE_SHAPES:
        for dt in ALL:
            c = rand(rng, sc, np.bool_)
            x, y = values(rng, sx, dt), values(rng, sy, dt)
            yield from make_case(op, [c, x, y], ref(fn, c, x, y))
    for dx, dy in MIXED:
        c = rand(rng, (3, 4), np.bool_)
        x, y = values(rng, (3, 4), dx), values(rng, (4,), dy)
        yield from make_case(op, [c, x, y], ref(fn, c, x, y))
    c = np.array([1, 0, 2, 0], np.uint8)  # Byte condition (deprecated in PyTorch)
    x, y = EDGES[:4].astype(np.float32), np.float32(-1.0) * np.ones(4, np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = fn(t(c), t(x), t(y))
    yield from make_case(op, [c, x, y], expected)


def gen_clamp(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::clamp.out"
    fn = aten.clamp.default
    bounds: list[tuple[object, object]] = [
        (-1.0, 1.0), (0, 6), (None, 0.5), (-2, None), (2, -2), (1.5, 1.5), (0, 300), (True, None)
    ]
    for shape in [(), (7,), (3, 5), (2, 0), (129,)]:
        for dt in ALL:
            x = values(rng, shape, dt)
            for lo, hi in bounds:
                yield from make_case(op, [x, lo, hi], ref(fn, x, lo, hi))
    for dt in FLOATS:
        x = EDGES.astype(dt)
        for lo, hi in [(0.0, 0.0), (-0.0, 6.0), (np.nan, 1.0), (-1.0, np.nan), (-np.inf, np.inf)]:
            yield from make_case(op, [x, lo, hi], ref(fn, x, lo, hi))
    x = np.array([-128, 127, 5, -5], np.int8)
    yield from make_case(op, [x, -100, 100], ref(fn, x, -100, 100))


def gen_clamp_tensor(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::clamp.Tensor_out"
    fn = aten.clamp.Tensor
    for sx, slo, shi in WHERE_SHAPES:
        for dt in [*FLOATS, *INTS]:
            x = values(rng, sx, dt)
            lo = values(rng, slo, dt)
            hi = np.asarray(values(rng, shi, dt) + np.asarray(2, dt), dtype=dt)
            for use_lo, use_hi in [(True, True), (True, False), (False, True)]:
                a = lo if use_lo else None
                b = hi if use_hi else None
                yield from make_case(
                    op, [x, a, b],
                    ref(fn, x, a, b),
                )
    for dx, db in MIXED:
        x, lo = values(rng, (3, 4), dx), values(rng, (4,), db)
        yield from make_case(op, [x, lo, None], ref(fn, x, lo, None))
    x = EDGES.astype(np.float32)  # NaN in self propagates
    lo, hi = np.array(-1.0, np.float32), np.array(2.0, np.float32)
    yield from make_case(op, [x, lo, hi], ref(fn, x, lo, hi))


def gen_masked_fill(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::masked_fill.Scalar_out"
    fn = aten.masked_fill.Scalar
    for sx, sm in [((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (2, 4)), ((), ()), ((0, 2), (2,)),
                   ((2, 3), ()), ((1, 65), (65,))]:
        for dt in ALL:
            x = values(rng, sx, dt)
            m = rand(rng, sm, np.bool_)
            for v in (2, -1.5, True, np.inf):
                yield from make_case(op, [x, m, v], ref(fn, x, m, v))
    x, m = np.ones(4, np.float32), np.array([True, False, True, False])
    yield from make_case(op, [x, m, np.nan], ref(fn, x, m, np.nan))


def tt(name: str, overload: str = "Tensor") -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    return getattr(getattr(aten, name), overload)


GENERATORS: dict[str, Gen] = {
    "aten::add.Scalar_out": gen_alpha_op("add"),
    "aten::sub.Scalar_out": gen_alpha_op("sub"),
    "aten::rsub.Scalar_out": gen_alpha_op("rsub"),
    "aten::mul.Scalar_out": gen_mul_div_scalar("mul"),
    "aten::div.Scalar_out": gen_mul_div_scalar("div"),
    "aten::div.Scalar_mode_out": gen_div_mode(False),
    "aten::div.out_mode": gen_div_mode(True),
    "aten::floor_divide.out": gen_tensor_op("aten::floor_divide.out", tt("floor_divide", "default"),
                                            "floor_divide"),
    "aten::fmod.Tensor_out": gen_tensor_op("aten::fmod.Tensor_out", tt("fmod"), "fmod"),
    "aten::fmod.Scalar_out": gen_scalar_op("aten::fmod.Scalar_out", tt("fmod", "Scalar"), "fmod"),
    "aten::remainder.Tensor_out": gen_tensor_op("aten::remainder.Tensor_out", tt("remainder"),
                                                "remainder"),
    "aten::remainder.Scalar_out": gen_scalar_op("aten::remainder.Scalar_out",
                                                tt("remainder", "Scalar"), "remainder"),
    "aten::pow.Scalar_out": gen_pow_scalar,
    "aten::pow.Tensor_Scalar_out": gen_pow_tensor_scalar,
    "aten::pow.Tensor_Tensor_out": gen_pow_tensor_tensor,
    "aten::atan2.out": gen_tensor_op("aten::atan2.out", tt("atan2", "default"), "atan2",
                                     loose=True),
    "aten::maximum.out": gen_tensor_op("aten::maximum.out", tt("maximum", "default"), "maximum"),
    "aten::minimum.out": gen_tensor_op("aten::minimum.out", tt("minimum", "default"), "minimum"),
    **{f"aten::{n}.{o}_out": gen_bitwise(n, o == "Scalar")
       for n in ("bitwise_and", "bitwise_or", "bitwise_xor") for o in ("Scalar", "Tensor")},
    **{f"aten::{n}.{o}_out": gen_shift(n, o == "Tensor_Scalar")
       for n in ("bitwise_left_shift", "bitwise_right_shift") for o in ("Tensor", "Tensor_Scalar")},
    **{f"aten::{n}.out": gen_logical(n) for n in ("logical_and", "logical_or", "logical_xor")},
    "aten::where.self_out": gen_where,
    "aten::clamp.out": gen_clamp,
    "aten::clamp.Tensor_out": gen_clamp_tensor,
    "aten::masked_fill.Scalar_out": gen_masked_fill,
}


@pytest.mark.parametrize("op", sorted(GENERATORS))
def test_kernel_matches_pytorch(lib: KernelLib, op: str) -> None:  # noqa: F811
    n = 0
    for seed in (0, 1):
        for case in GENERATORS[op](np.random.default_rng(seed)):
            assert case.op == op
            run_case(lib, case, dynamic=False)
            run_case(lib, case, dynamic=True)
            n += 1
    assert n > 0


F32, I64, I8, BOOL = np.float32, np.int64, np.int8, np.bool_


def z(dtype: type, shape: tuple[int, ...] = (3,)) -> np.ndarray:
    return np.zeros(shape, dtype)


def ints(*v: int, dtype: type = I64) -> np.ndarray:
    return np.array(v, dtype)


@pytest.mark.parametrize(
    ("op", "args", "out_dtype", "needle"),
    [
        ("aten::add.Scalar_out", [ints(1, 2), 1, 1.5], I64, "alpha"),
        ("aten::add.Scalar_out", [ints(1, 2), 1, True], I64, "alpha: Bool"),
        ("aten::add.Scalar_out", [ints(1, 2), z(F32), 1], I64, "other: expected a Scalar"),
        ("aten::add.Scalar_out", [z(F32), 1.5, 1], I64, "out: dtype cannot hold"),
        ("aten::sub.Scalar_out", [z(BOOL), True, 1], BOOL, "self: subtracting Bool"),
        ("aten::rsub.Scalar_out", [z(BOOL), True, 1], BOOL, "self: subtracting Bool"),
        ("aten::mul.Scalar_out", [z(F32), None], F32, "other: expected a Scalar"),
        ("aten::div.Scalar_out", [ints(1, 2), 2], I64, "out: dtype cannot hold"),
        ("aten::div.Scalar_mode_out", [ints(1, 2), 0, Str("floor")], I64,
         "other: integer division by zero"),
        ("aten::div.Scalar_mode_out", [ints(1, 2), 2, Str("round")], I64, "rounding_mode"),
        ("aten::div.out_mode", [ints(1, 2), ints(1, 0), Str("trunc")], I64,
         "other: integer division by zero"),
        ("aten::div.out_mode", [z(F32, (2, 3)), z(F32, (4,)), None], F32, "other: shape"),
        ("aten::floor_divide.out", [ints(5, 6), ints(0)], I64, "other: integer division by zero"),
        ("aten::floor_divide.out", [z(BOOL), z(BOOL)], BOOL, "self: Bool"),
        ("aten::fmod.Tensor_out", [ints(5), ints(0)], I64, "other: integer division by zero"),
        ("aten::fmod.Scalar_out", [np.array([5], np.uint8), 256], np.uint8,
         "other: integer division by zero"),  # 256 wraps to 0 in uint8
        ("aten::remainder.Tensor_out", [ints(5), np.array(0, I8)], I64,
         "other: integer division by zero"),
        ("aten::remainder.Scalar_out", [ints(5), 0], I64, "other: integer division by zero"),
        ("aten::pow.Tensor_Scalar_out", [ints(2, 3), -1], I64, "exponent: integers to negative"),
        ("aten::pow.Tensor_Scalar_out", [z(F32), Str("2")], F32, "exponent: expected a Scalar"),
        ("aten::pow.Tensor_Tensor_out", [z(BOOL), z(BOOL)], BOOL, "self: Bool"),
        ("aten::pow.Scalar_out", [None, z(F32)], F32, "self: expected a Scalar"),
        ("aten::atan2.out", [z(F32), z(I64)], I64, "out: dtype cannot hold"),
        ("aten::maximum.out", [z(F32, (2,)), z(F32, (3,))], F32, "other: shape"),
        ("aten::minimum.out", [z(F32), 1.0], F32, "other: expected a tensor"),
        ("aten::bitwise_and.Scalar_out", [ints(1), 2.0], F32, "bitwise ops need integer"),
        ("aten::bitwise_or.Tensor_out", [z(F32), z(F32)], F32, "bitwise ops need integer"),
        ("aten::bitwise_xor.Tensor_out", [z(I64), z(I64)], BOOL, "out: dtype cannot hold"),
        ("aten::bitwise_and.Tensor_out", [z(I64), 3], I64, "other: expected a tensor"),
        ("aten::bitwise_or.Scalar_out", [z(I64), None], I64, "other: expected a Scalar"),
        ("aten::bitwise_xor.Scalar_out", [z(F32), True], F32, "bitwise ops need integer"),
        ("aten::bitwise_left_shift.Tensor_out", [z(BOOL), z(BOOL)], BOOL, "self: shifting Bool"),
        ("aten::bitwise_left_shift.Tensor_Scalar_out", [z(F32), 1], F32, "bitwise ops"),
        ("aten::bitwise_right_shift.Tensor_out", [z(I64), z(F32)], F32, "bitwise ops"),
        ("aten::bitwise_right_shift.Tensor_Scalar_out", [z(I64), 1.0], F32, "bitwise ops"),
        ("aten::logical_and.out", [z(F32, (2,)), z(F32, (3,))], BOOL, "other: shape"),
        ("aten::logical_or.out", [z(F32), 1], BOOL, "other: expected a tensor"),
        ("aten::logical_xor.out", [1.0, z(F32)], BOOL, "self: expected a tensor"),
        ("aten::where.self_out", [z(np.int32), z(F32), z(F32)], F32, "condition: must be Bool"),
        ("aten::where.self_out", [z(BOOL), z(F32), z(I64)], I64, "out: dtype must be"),
        ("aten::where.self_out", [z(BOOL, (2,)), z(F32), z(F32)], F32, "shapes do not broadcast"),
        ("aten::clamp.out", [z(F32), None, None], F32, "min: at least one"),
        ("aten::clamp.out", [z(BOOL), True, None], BOOL, "self: clamp of Bool"),
        ("aten::clamp.out", [z(I8), 0, 300], I8, "max: out of range"),
        ("aten::clamp.out", [z(I64), 0.5, None], I64, "out: dtype cannot hold"),
        ("aten::clamp.out", [z(F32), z(F32), None], F32, "min: expected a Scalar"),
        ("aten::clamp.Tensor_out", [z(F32), None, None], F32, "min: at least one"),
        ("aten::clamp.Tensor_out", [z(F32), 1.0, None], F32, "min: expected a tensor"),
        ("aten::clamp.Tensor_out", [z(F32), None, z(F32, (2,))], F32, "shapes do not broadcast"),
        ("aten::masked_fill.Scalar_out", [z(F32), z(np.uint8), 1.0], F32, "mask: must be Bool"),
        ("aten::masked_fill.Scalar_out", [z(F32), z(BOOL), None], F32, "value: expected"),
        ("aten::masked_fill.Scalar_out", [z(F32), z(BOOL), 1.0], I64, "out: dtype must equal"),
        ("aten::masked_fill.Scalar_out", [z(I8), z(BOOL), 300], I8, "value: out of range"),
        ("aten::masked_fill.Scalar_out", [z(I64), z(BOOL), np.inf], I64, "value: out of range"),
        ("aten::masked_fill.Scalar_out", [z(F32, (2,)), z(BOOL), 1.0], F32, "mask: shape"),
    ],
)
def test_rejects_bad_arguments(lib: KernelLib, op: str, args: list[object],  # noqa: F811
                               out_dtype: type, needle: str) -> None:
    out = Out(np.dtype(out_dtype), (3,), dynamic=True, capacity_elems=64)
    err, msg, _ = lib.call(op, [*args, out, ("alias", len(args))])
    assert err != 0 and needle in msg, (ERROR_NAMES[err] if err >= 0 else err, msg)


def test_wrong_arg_count_and_non_contiguous(lib: KernelLib) -> None:  # noqa: F811
    from kernel_abi_ctypes import Strided

    x = np.zeros((2, 3), np.float32)
    err, msg, _ = lib.call("aten::maximum.out", [x, x, Out(np.dtype(F32), (2, 3))])
    assert err != 0 and "args" in msg
    err, msg, _ = lib.call("aten::where.self_out", [
        np.zeros((2, 3), BOOL), Strided(x, [1, 0]), x, Out(np.dtype(F32), (2, 3)), ("alias", 3)])
    assert err != 0 and msg == "self: must be contiguous"
    out = Out(np.dtype(F32), (3, 2))
    err, msg, _ = lib.call("aten::clamp.out", [x, 0.0, 1.0, out, ("alias", 3)])
    assert err != 0 and msg.startswith("out:")
