"""The unary elementwise kernels (kernels/portable/op_unary.cpp) against PyTorch eager on
generated cases: every op over every dtype PyTorch accepts for it (Float, Double, Half, the
integer types, Bool), shapes from 0-dim to empty, edge values (NaN, +-inf, -0.0, domain
errors, half-way rounding, integer wrap-around), and `out` dtypes other than self's where
PyTorch allows them. Same shim and case runner as test_kernels.py (static and dynamic out).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest
import torch
from kernel_abi_ctypes import ERROR_NAMES, KernelLib, Out, Str, Strided
from test_kernels import Case, run_case, t
from test_kernels import lib as lib  # noqa: F401  (the shared fixture)

aten = torch.ops.aten
Gen = Callable[[np.random.Generator], Iterator[Case]]

FLOATS = [np.float32, np.float64, np.float16]
INTS = [np.int64, np.int32, np.int16, np.int8, np.uint8]
SHAPES: list[tuple[int, ...]] = [(), (1,), (7,), (3, 5), (2, 1, 4), (0, 2), (129,)]

# Ops computed in floating point (integer and Bool self give a Float result), with the
# range their random inputs are drawn from (a little outside the domain, to get NaNs).
MATH_OPS: dict[str, tuple[float, float]] = {
    "acos": (-1.2, 1.2),
    "acosh": (0.5, 20.0),
    "asin": (-1.2, 1.2),
    "asinh": (-10.0, 10.0),
    "atan": (-10.0, 10.0),
    "atanh": (-1.2, 1.2),
    "cos": (-8.0, 8.0),
    "cosh": (-8.0, 8.0),
    "erf": (-4.0, 4.0),
    "exp": (-10.0, 10.0),
    "expm1": (-10.0, 10.0),
    "log": (-1.0, 20.0),
    "log10": (-1.0, 20.0),
    "log1p": (-1.5, 20.0),
    "log2": (-1.0, 20.0),
    "reciprocal": (-5.0, 5.0),
    "rsqrt": (-1.0, 20.0),
    "sin": (-8.0, 8.0),
    "sinh": (-8.0, 8.0),
    "sqrt": (-1.0, 20.0),
    "tan": (-1.5, 1.5),
}
# Ops whose result keeps self's dtype (out dtype == self dtype), with the dtypes PyTorch
# accepts for self.
SAME_DTYPE_OPS: dict[str, list[type]] = {
    "abs": FLOATS + INTS,
    "neg": FLOATS + INTS,
    "sign": [*FLOATS, *INTS, np.bool_],
    "ceil": FLOATS + INTS,
    "floor": FLOATS + INTS,
    "round": FLOATS + INTS,
    "trunc": FLOATS + INTS,
    "_conj_physical": [*FLOATS, *INTS, np.bool_],
    "bitwise_not": [*INTS, np.bool_],
}
PREDICATE_OPS = ["isinf", "isnan", "logical_not"]  # Bool result

EDGES = [-np.inf, -100.0, -20.0, -2.5, -1.5, -1.0, -0.5, -1e-8, -0.0, 0.0, 1e-8, 0.5, 0.99, 1.0,
         1.01, 1.5, 2.5, 3.5, 20.0, 100.0, np.inf, np.nan]
INT_EDGES: dict[type, list[int]] = {
    np.int64: [-(2**63), 2**63 - 1, -1, 0, 1],
    np.int32: [-(2**31), 2**31 - 1, -1, 0, 1],
    np.int16: [-(2**15), 2**15 - 1, -1, 0],
    np.int8: [-128, 127, -1, 0, 1],
    np.uint8: [0, 1, 127, 128, 255],
}


def tol(*dtypes: type) -> tuple[float, float]:
    """(rtol, atol) for a result computed through `dtypes`: PyTorch rounds some Half
    intermediates (rsqrt's sqrt), so Half results may differ by one half ulp."""
    half = any(np.dtype(d) == np.float16 for d in dtypes)
    return (2e-3, 1e-5) if half else (1e-5, 1e-6)


def torch_dtype(dtype: type) -> torch.dtype:
    return t(np.zeros((), dtype)).dtype


def values(rng: np.random.Generator, shape: tuple[int, ...], dtype: type,
           lo: float = -6.0, hi: float = 6.0) -> np.ndarray:
    if np.dtype(dtype) == np.bool_:
        return np.asarray(rng.integers(0, 2, size=shape), dtype=np.bool_)
    if np.dtype(dtype).kind in "iu":
        low = 0 if np.dtype(dtype).kind == "u" else -50
        return np.asarray(rng.integers(low, 50, size=shape), dtype=dtype)
    return np.asarray(rng.uniform(lo, hi, size=shape), dtype=dtype)


def with_out(fn: Callable[..., torch.Tensor], args: list[object], out_dtype: type) -> torch.Tensor:
    """PyTorch's result of `fn(*args, out=<empty tensor of out_dtype>)`."""
    out = torch.empty(0, dtype=torch_dtype(out_dtype))
    tensors = [t(a) if isinstance(a, np.ndarray) else a for a in args]
    return fn(*tensors, out=out)


def cases_over(op: str, fn: Callable[..., torch.Tensor], dtypes: list[type],
               rng: np.random.Generator, lo: float, hi: float,
               scalars: list[object]) -> Iterator[Case]:
    """Random shapes and dtypes, then the edge values, for `fn(self, *scalars)`."""
    for shape in SHAPES:
        for dtype in dtypes:
            x = values(rng, shape, dtype, lo, hi)
            ref = fn(t(x), *scalars)
            yield Case(op, [x, *scalars], ref, *tol(ref.numpy().dtype.type))
    for dtype in dtypes:
        if np.dtype(dtype).kind == "f":
            x = np.asarray(EDGES, dtype=dtype)
        elif np.dtype(dtype).kind in "iu":
            x = np.asarray(INT_EDGES[dtype], dtype=dtype)
        else:
            x = np.asarray([True, False])
        ref = fn(t(x), *scalars)
        yield Case(op, [x, *scalars], ref, *tol(ref.numpy().dtype.type))


def gen_math(name: str) -> Gen:
    op = f"aten::{name}.out"
    lo, hi = MATH_OPS[name]
    fn = getattr(aten, name)

    def gen(rng: np.random.Generator) -> Iterator[Case]:
        # integer inputs only from the small random range: large ones are NaN-free but test libm's
        # argument reduction more than the kernel
        for shape in SHAPES:
            for dtype in [*FLOATS, *INTS, np.bool_]:
                x = values(rng, shape, dtype, lo, hi)
                ref = fn(t(x))
                yield Case(op, [x], ref, *tol(ref.numpy().dtype.type))
        for dtype in FLOATS:
            x = np.asarray(EDGES, dtype=dtype)
            yield Case(op, [x], fn(t(x)), *tol(dtype))
        # out dtypes other than the default: computed in self's precision, then cast
        for self_dtype, out_dtype in [(np.float32, np.float64), (np.float32, np.float16),
                                      (np.float64, np.float32), (np.int64, np.float64),
                                      (np.int32, np.float16), (np.float16, np.float32)]:
            x = values(rng, (3, 4), self_dtype, lo, hi)
            yield Case(op, [x], with_out(fn.out, [x], out_dtype), *tol(self_dtype, out_dtype))

    return gen


def gen_same_dtype(name: str) -> Gen:
    op = f"aten::{name}.out"
    fn = getattr(aten, name)

    def gen(rng: np.random.Generator) -> Iterator[Case]:
        yield from cases_over(op, fn, SAME_DTYPE_OPS[name], rng, -6.0, 6.0, [])
        if name in ("round", "trunc", "ceil", "floor"):  # exact integers beyond 2^23, ties
            x = np.array([8388609.0, -8388609.5, 1e20, -1e20, 0.49999997, 4.5, -4.5], np.float32)
            yield Case(op, [x], fn(t(x)))

    return gen


def gen_predicate(name: str) -> Gen:
    op = f"aten::{name}.out"
    fn = getattr(aten, name)

    def gen(rng: np.random.Generator) -> Iterator[Case]:
        yield from cases_over(op, fn, [*FLOATS, *INTS, np.bool_], rng, -3.0, 3.0, [])
        if name == "logical_not":  # any out dtype
            for self_dtype, out_dtype in [(np.float32, np.float32), (np.int64, np.int32),
                                          (np.bool_, np.uint8), (np.float64, np.float16)]:
                x = values(rng, (2, 5), self_dtype)
                x.flat[0] = 0
                yield Case(op, [x], with_out(fn.out, [x], out_dtype))

    return gen


def gen_elu(rng: np.random.Generator) -> Iterator[Case]:
    params = [(1.0, 1.0, 1.0), (0.5, 2.0, 1.5), (2, 1, 0.5), (1.0, 1.0507, 1)]
    for alpha, scale, input_scale in params:
        yield from cases_over("aten::elu.out", aten.elu, FLOATS, rng, -6.0, 6.0,
                              [alpha, scale, input_scale])


def gen_leaky_relu(rng: np.random.Generator) -> Iterator[Case]:
    for slope in (0.01, 0.2, -0.5, 0, 3):
        yield from cases_over("aten::leaky_relu.out", aten.leaky_relu, FLOATS, rng, -6.0, 6.0,
                              [slope])


def gen_logit(rng: np.random.Generator) -> Iterator[Case]:
    for eps in (None, 1e-6, 0.1, 0.0, -0.5, 0.6):
        for case in cases_over("aten::logit.out", aten.logit, [*FLOATS, *INTS, np.bool_], rng,
                               -0.2, 1.2, [eps]):
            if case.expected.dtype == torch.float16:  # type: ignore[union-attr]
                # PyTorch rounds x / (1 - x) to Half before the log; the kernel keeps it in float
                case.atol = 2e-3
            yield case
    x = np.array([0.0, 1e-8, 0.25, 0.5, 0.75, 1.0, -0.0, np.nan], np.float32)
    yield Case("aten::logit.out", [x, 0.25], with_out(aten.logit.out, [x, 0.25], np.float64))


def gen_glu(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::glu.out"
    for shape, dim in [((4,), 0), ((3, 4), 1), ((3, 4), -1), ((4, 3), 0), ((2, 6, 3), 1),
                       ((2, 2, 2, 2), -3), ((0, 4), 1), ((2, 0), 1), ((2, 64), 1), ((1, 2), -1)]:
        for dtype in FLOATS:
            x = values(rng, shape, dtype)
            yield Case(op, [x, dim], aten.glu(t(x), dim), *tol(dtype))
    x = np.array([[1.0, -2.0, np.nan, 0.0], [np.inf, -np.inf, 100.0, -100.0]], np.float32)
    for dim in (0, 1):
        yield Case(op, [x, dim], aten.glu(t(x), dim))
    y = values(rng, (2, 6), np.float32)
    yield Case(op, [y, 1], with_out(aten.glu.out, [y, 1], np.float64))
    yield Case(op, [y, 0], with_out(aten.glu.out, [y, 0], np.float16), *tol(np.float16))
    h = values(rng, (4, 2), np.float16)
    yield Case(op, [h, 0], with_out(aten.glu.out, [h, 0], np.float32), *tol(np.float16))


GENERATORS: dict[str, Gen] = {
    **{f"aten::{n}.out": gen_math(n) for n in MATH_OPS},
    **{f"aten::{n}.out": gen_same_dtype(n) for n in SAME_DTYPE_OPS},
    **{f"aten::{n}.out": gen_predicate(n) for n in PREDICATE_OPS},
    "aten::elu.out": gen_elu,
    "aten::leaky_relu.out": gen_leaky_relu,
    "aten::logit.out": gen_logit,
    "aten::glu.out": gen_glu,
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


def test_documented_edge_values(lib: KernelLib) -> None:  # noqa: F811
    """The values the op's semantics hinge on, spelled out (bit patterns, not tolerances)."""
    f32 = np.float32

    def run(op: str, x: np.ndarray, out_dtype: type) -> np.ndarray:
        out = Out(np.dtype(out_dtype), x.shape)
        err, msg, res = lib.call(op, [x, out, ("alias", 1)])
        assert err == 0, msg
        got = res[1]
        assert got is not None
        return got

    assert np.signbit(run("aten::sqrt.out", np.array([-0.0], f32), f32))[0]
    assert np.isnan(run("aten::log.out", np.array([-1.0], f32), f32))[0]
    assert np.isnan(run("aten::acosh.out", np.array([0.5], f32), f32))[0]
    assert run("aten::rsqrt.out", np.array([-0.0], f32), f32)[0] == -np.inf
    assert run("aten::abs.out", np.array([-(2**63)], np.int64), np.int64)[0] == -(2**63)
    assert run("aten::neg.out", np.array([1], np.uint8), np.uint8)[0] == 255
    np.testing.assert_array_equal(run("aten::round.out", np.array([0.5, 1.5, 2.5, -2.5], f32), f32),
                                  [0.0, 2.0, 2.0, -2.0])
    np.testing.assert_array_equal(run("aten::bitwise_not.out", np.array([True, False]), np.bool_),
                                  [False, True])
    np.testing.assert_allclose(run("aten::sin.out", np.array([0, 1], np.int64), f32),
                               np.sin(np.array([0, 1], f32)), rtol=1e-6)


F32 = np.zeros((2, 4), np.float32)
I64 = np.zeros((2, 4), np.int64)
INVALID_ARGUMENT, NOT_SUPPORTED = 1, 3

# (op, args before out, out dtype, error code, text the message must contain)
BAD: list[tuple[str, list[object], type, int, str]] = [
    # every op: self not a tensor
    *[(f"aten::{n}.out", [1.5], np.float32, INVALID_ARGUMENT, "self: expected a tensor")
      for n in [*MATH_OPS, *SAME_DTYPE_OPS, *PREDICATE_OPS]],
    ("aten::elu.out", [1.5, 1.0, 1.0, 1.0], np.float32, INVALID_ARGUMENT,
     "self: expected a tensor"),
    ("aten::leaky_relu.out", [1.5, 0.1], np.float32, INVALID_ARGUMENT, "self: expected a tensor"),
    ("aten::logit.out", [1.5, None], np.float32, INVALID_ARGUMENT, "self: expected a tensor"),
    ("aten::glu.out", [1.5, 0], np.float32, INVALID_ARGUMENT, "self: expected a tensor"),
    # out dtypes PyTorch rejects
    *[(f"aten::{n}.out", [F32], np.int64, INVALID_ARGUMENT, "out: must be a floating")
      for n in MATH_OPS],
    ("aten::logit.out", [I64, None], np.int64, INVALID_ARGUMENT, "out: must be a floating"),
    *[(f"aten::{n}.out", [F32], np.float64, INVALID_ARGUMENT, "out: dtype must equal self's")
      for n in SAME_DTYPE_OPS if n != "bitwise_not"],
    ("aten::bitwise_not.out", [I64], np.int32, INVALID_ARGUMENT, "out: dtype must equal self's"),
    ("aten::isinf.out", [F32], np.float32, INVALID_ARGUMENT, "out: must be Bool"),
    ("aten::isnan.out", [F32], np.uint8, INVALID_ARGUMENT, "out: must be Bool"),
    ("aten::elu.out", [F32, 1.0, 1.0, 1.0], np.float64, INVALID_ARGUMENT, "out: dtype must equal"),
    ("aten::leaky_relu.out", [F32, 0.1], np.float16, INVALID_ARGUMENT, "out: dtype must equal"),
    ("aten::glu.out", [F32, 1], np.int64, INVALID_ARGUMENT, "out: must be a floating"),
    # self dtypes PyTorch rejects
    *[(f"aten::{n}.out", [np.zeros((3,), np.bool_)], np.bool_, INVALID_ARGUMENT, "self: Bool")
      for n in ("abs", "neg", "ceil", "floor", "round", "trunc")],
    ("aten::bitwise_not.out", [F32], np.float32, INVALID_ARGUMENT, "self: bitwise_not"),
    ("aten::elu.out", [I64, 1.0, 1.0, 1.0], np.int64, INVALID_ARGUMENT, "self: must be a floating"),
    ("aten::leaky_relu.out", [I64, 0.1], np.int64, INVALID_ARGUMENT, "self: must be a floating"),
    ("aten::glu.out", [I64, 1], np.int64, INVALID_ARGUMENT, "self: must be a floating"),
    # scalar arguments
    ("aten::elu.out", [F32, None, 1.0, 1.0], np.float32, INVALID_ARGUMENT, "alpha"),
    ("aten::elu.out", [F32, 1.0, Str("x"), 1.0], np.float32, INVALID_ARGUMENT, "scale"),
    ("aten::elu.out", [F32, 1.0, 1.0, None], np.float32, INVALID_ARGUMENT, "input_scale"),
    ("aten::leaky_relu.out", [F32, None], np.float32, INVALID_ARGUMENT, "negative_slope"),
    ("aten::logit.out", [F32, Str("eps")], np.float32, INVALID_ARGUMENT, "eps"),
    # glu's dim and halving
    ("aten::glu.out", [np.zeros((2, 3), np.float32), 1], np.float32, INVALID_ARGUMENT,
     "self: size along dim must be even"),
    ("aten::glu.out", [F32, 2], np.float32, INVALID_ARGUMENT, "dim: out of range"),
    ("aten::glu.out", [F32, -3], np.float32, INVALID_ARGUMENT, "dim: out of range"),
    ("aten::glu.out", [F32, None], np.float32, INVALID_ARGUMENT, "dim: expected an int"),
    ("aten::glu.out", [np.zeros((), np.float32), 0], np.float32, INVALID_ARGUMENT, "0-dim"),
    # layout
    ("aten::cos.out", [Strided(F32, [1, 0])], np.float32, NOT_SUPPORTED,
     "self: must be contiguous"),
    ("aten::glu.out", [Strided(F32, [1, 0]), 0], np.float32, NOT_SUPPORTED,
     "self: must be contiguous"),
]


@pytest.mark.parametrize(("op", "args", "out_dtype", "code", "needle"), BAD,
                         ids=[f"{b[0]}:{b[4]}" for b in BAD])
def test_rejects_bad_arguments(lib: KernelLib, op: str, args: list[object],  # noqa: F811
                               out_dtype: type, code: int, needle: str) -> None:
    first = args[0].array if isinstance(args[0], Strided) else args[0]
    ndim = first.ndim if isinstance(first, np.ndarray) else 0
    out = Out(np.dtype(out_dtype), (1,) * ndim, dynamic=True, capacity_elems=64)  # never the reason
    err, msg, _ = lib.call(op, [*args, out, ("alias", len(args))])
    assert err == code, f"{op}: expected {ERROR_NAMES[code]}, got {err} ({msg})"
    assert needle in msg, f"{op}: message {msg!r} does not mention {needle!r}"


@pytest.mark.parametrize("op", ["aten::sin.out", "aten::abs.out", "aten::elu.out",
                                "aten::leaky_relu.out", "aten::logit.out", "aten::glu.out"])
def test_rejects_wrong_arg_count(lib: KernelLib, op: str) -> None:  # noqa: F811
    err, msg, _ = lib.call(op, [F32, Out(np.dtype(np.float32), (2, 4))])  # return value missing
    assert err == INVALID_ARGUMENT and "args" in msg, (err, msg)


def test_static_out_of_wrong_shape_is_rejected(lib: KernelLib) -> None:  # noqa: F811
    err, msg, _ = lib.call("aten::exp.out", [F32, Out(np.dtype(np.float32), (4, 2)), ("alias", 1)])
    assert err == INVALID_ARGUMENT and msg.startswith("out:"), msg
    err, msg, _ = lib.call("aten::glu.out", [F32, 1, Out(np.dtype(np.float32), (2, 4)),
                                             ("alias", 2)])
    assert err == INVALID_ARGUMENT and msg.startswith("out:"), msg
