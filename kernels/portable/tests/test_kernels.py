"""Every portable kernel against PyTorch eager on generated cases.

Each op in kernels/portable/functions.yaml has a case generator below; a case is
the op's schema arguments (numpy arrays, Python scalars, IntList) and PyTorch's
result. The kernel runs through the ctypes shim (kernel_abi_ctypes.py) twice:
with a static `out` of the result shape, and with a dynamic `out` it must resize.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from kernel_abi_ctypes import (
    ERROR_NAMES,
    REPO,
    Hidden,
    IntList,
    KernelLib,
    Out,
    Str,
    Strided,
    TensorListArg,
    build_library,
)

sys.path.insert(0, str(REPO / "codegen"))
from kernel_catalog import load_catalogs  # noqa: E402

CATALOG = REPO / "kernels/portable/functions.yaml"
aten = torch.ops.aten


@dataclass
class Case:
    op: str  # registry name, "aten::add.out"
    inputs: list[object]  # schema args before `out`
    expected: torch.Tensor | tuple[torch.Tensor, ...]
    rtol: float = 1e-5
    atol: float = 1e-6
    # "one": one `out`; "multi": one out per expected tensor, return value a TensorList of
    # them; "list": `out` is a Tensor[] (one per expected tensor), returned again.
    outs: str = "one"

    def id(self) -> str:
        parts = []
        for a in self.inputs:
            if isinstance(a, np.ndarray):
                parts.append(f"{a.dtype}{list(a.shape)}")
            elif isinstance(a, IntList):
                parts.append(str(a.values))
            elif isinstance(a, Hidden) and isinstance(a.tensor, np.ndarray):
                parts.append(f"{a.tensor.dtype}{list(a.tensor.shape)}")
            else:
                parts.append(repr(a))
        return f"{self.op}(" + ",".join(parts) + ")"


def rand(rng: np.random.Generator, shape: tuple[int, ...], dtype: type = np.float32) -> np.ndarray:
    if np.dtype(dtype) == np.bool_:
        return np.asarray(rng.integers(0, 2, size=shape), dtype=np.bool_)
    if np.dtype(dtype).kind in "iu":
        return np.asarray(rng.integers(-50, 50, size=shape), dtype=dtype)
    return np.asarray(rng.standard_normal(shape), dtype=dtype)


def t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.require(a, requirements="C"))  # keeps 0-dim arrays 0-dim


BROADCAST_SHAPES = [
    ((3, 4), (3, 4)),
    ((2, 3, 4), (4,)),
    ((4,), (2, 3, 4)),
    ((1,), (5,)),
    ((), (3,)),
    ((), ()),
    ((2, 1, 3), (4, 1)),
    ((1, 1), (1, 1)),
    ((0, 3), (1, 3)),
    ((17,), (17,)),
]


def gen_binary(name: str, has_alpha: bool) -> Callable[[np.random.Generator], Iterator[Case]]:
    def gen(rng: np.random.Generator) -> Iterator[Case]:
        fn = getattr(torch, name)
        for sa, sb in BROADCAST_SHAPES:
            dtypes = [(np.float32, np.float32)]
            if name != "div":
                dtypes += [(np.int64, np.int64), (np.int32, np.int32)]
            dtypes += [(np.int64, np.float32), (np.float64, np.float64)]
            if name in ("add", "mul"):
                dtypes.append((np.bool_, np.bool_))
            if name == "div":
                dtypes.append((np.int64, np.int64))
            for da, db in dtypes:
                a, b = rand(rng, sa, da), rand(rng, sb, db)
                if name == "div" and np.dtype(db).kind in "iu":
                    b[b == 0] = 7
                alphas: list[object] = [None]
                if has_alpha:
                    ints = np.dtype(da).kind in "iub" and np.dtype(db).kind in "iub"
                    alphas = (
                        [1, 3]
                        if ints and np.dtype(da) != np.bool_
                        else [1]
                        if ints
                        else [1, 2.5, -0.5]
                    )
                for alpha in alphas:
                    if alpha is None:
                        yield Case(f"aten::{name}.out", [a, b], fn(t(a), t(b)))
                    else:
                        yield Case(f"aten::{name}.out", [a, b, alpha], fn(t(a), t(b), alpha=alpha))
        if name == "div":  # division by zero and signed zeros follow IEEE like PyTorch
            a = np.array([1.0, -1.0, 0.0, 5.0], np.float32)
            b = np.array([0.0, 0.0, 0.0, -0.0], np.float32)
            yield Case("aten::div.out", [a, b], torch.div(t(a), t(b)))

    return gen


def gen_unary(name: str) -> Callable[[np.random.Generator], Iterator[Case]]:
    def gen(rng: np.random.Generator) -> Iterator[Case]:
        fn = getattr(torch, name)
        for shape in [(), (1,), (7,), (3, 5), (2, 1, 4), (0, 2), (129,)]:
            for dtype in (np.float32, np.float64):
                x = np.asarray(rand(rng, shape, dtype) * 4, dtype=dtype)
                yield Case(f"aten::{name}.out", [x], fn(t(x)))
        edges = np.array(
            [-np.inf, -100.0, -20.0, -1e-8, 0.0, -0.0, 1e-8, 20.0, 100.0, np.inf, np.nan],
            np.float32,
        )
        yield Case(f"aten::{name}.out", [edges], fn(t(edges)))
        if name == "sigmoid":  # exp_float where e^-x overflows (x < -88.72) or underflows
            tails = np.array(
                [-88.0, -88.72, -88.73, -90.0, -30.0, 30.0, 88.8, 104.0, 1e30, -1e30], np.float32
            )
            yield Case("aten::sigmoid.out", [tails], fn(t(tails)), 1e-6, 1e-44)
        ints = np.arange(-5, 5, dtype=np.int64).reshape(2, 5)
        yield Case(f"aten::{name}.out", [ints], fn(t(ints)))

    return gen


def gen_softmax(log: bool) -> Callable[[np.random.Generator], Iterator[Case]]:
    op = "aten::_log_softmax.out" if log else "aten::_softmax.out"
    fn = aten._log_softmax.default if log else aten._softmax.default

    def gen(rng: np.random.Generator) -> Iterator[Case]:
        for shape in [(5,), (1, 4), (3, 4), (2, 3, 4), (4, 1), (2, 1, 3, 2)]:
            x = np.asarray(rand(rng, shape) * 3, dtype=np.float32)
            for dim in range(-len(shape), len(shape)):
                yield Case(op, [x, dim, False], fn(t(x), dim, False))
        x0 = np.array(1.5, np.float32)
        yield Case(op, [x0, 0, False], fn(t(x0), 0, False))
        yield Case(op, [x0, -1, False], fn(t(x0), -1, False))
        edges = np.array(
            [
                [1e30, 1e30, 0.0, -1e30],
                [88.0, 89.0, 90.0, 100.0],
                [-np.inf, 0.0, 1.0, -np.inf],
                [-np.inf, -np.inf, -np.inf, -np.inf],
                [3.0, 3.0, 3.0, 3.0],
                [-1e4, 0.0, 1e4, 5.0],
            ],
            np.float32,
        )
        for dim in (0, 1):
            yield Case(op, [edges, dim, False], fn(t(edges), dim, False))
        # exp_float (kernels/portable/util.cc) at the ends of its range, held to
        # ~1 ulp: e^-87 (smallest normal results), e^-100 and e^-103.9
        # (subnormal), e^-104 and e^-inf (0); a NaN row stays NaN.
        tails = np.array(
            [
                [0.0, -87.0, -87.5, -100.0],
                [0.0, -103.9, -104.0, -np.inf],
                [0.0, -20.5, -42.25, -0.125],
                [1.0, np.nan, 0.0, -1.0],
            ],
            np.float32,
        )
        yield Case(op, [tails, 1, False], fn(t(tails), 1, False), 1e-6, 1e-44)

    return gen


def gen_addmm(rng: np.random.Generator) -> Iterator[Case]:
    for m, k, n in [
        (1, 1, 1),
        (2, 3, 4),
        (5, 16, 3),
        (1, 8, 10),
        (7, 1, 5),
        (4, 33, 17),
        (3, 0, 2),
    ]:
        a, b = rand(rng, (m, k)), rand(rng, (k, n))
        for bias_shape in [(n,), (m, n), (1, n), (m, 1), (), (1,)]:
            bias = rand(rng, bias_shape)
            yield Case(
                "aten::addmm.out", [bias, a, b, 1, 1], torch.addmm(t(bias), t(a), t(b)), 1e-4, 1e-5
            )
        bias = rand(rng, (n,))
        for beta, alpha in [(0.5, 2.0), (0, 1), (1, -1.5), (2, 0)]:
            yield Case(
                "aten::addmm.out",
                [bias, a, b, beta, alpha],
                torch.addmm(t(bias), t(a), t(b), beta=beta, alpha=alpha),
                1e-4,
                1e-5,
            )
    # beta == 0 ignores NaN in self, as in PyTorch.
    a, b = rand(rng, (2, 3)), rand(rng, (3, 2))
    bias = np.full((2,), np.nan, np.float32)
    yield Case(
        "aten::addmm.out",
        [bias, a, b, 0.0, 1.0],
        torch.addmm(t(bias), t(a), t(b), beta=0.0),
        1e-4,
        1e-5,
    )


def gen_mm(rng: np.random.Generator) -> Iterator[Case]:
    for m, k, n in [
        (1, 1, 1),
        (2, 3, 4),
        (5, 16, 3),
        (1, 8, 10),
        (7, 1, 5),
        (4, 33, 17),
        (3, 0, 2),
        (0, 2, 3),
    ]:
        a, b = rand(rng, (m, k)), rand(rng, (k, n))
        yield Case("aten::mm.out", [a, b], torch.mm(t(a), t(b)), 1e-4, 1e-5)


def gen_bmm(rng: np.random.Generator) -> Iterator[Case]:
    for bsz, m, k, n in [(1, 1, 1, 1), (2, 3, 4, 5), (3, 1, 8, 2), (4, 5, 1, 3), (2, 6, 17, 9)]:
        a, b = rand(rng, (bsz, m, k)), rand(rng, (bsz, k, n))
        yield Case("aten::bmm.out", [a, b], torch.bmm(t(a), t(b)), 1e-4, 1e-5)


def gen_permute(rng: np.random.Generator) -> Iterator[Case]:
    cases = [
        ((3, 4), [1, 0]),
        ((3, 4), [0, 1]),
        ((1, 5), [1, 0]),
        ((2, 3, 4), [2, 0, 1]),
        ((2, 3, 4), [-1, -3, -2]),
        ((2, 1, 3, 2), [3, 1, 2, 0]),
        ((6,), [0]),
        ((), []),
    ]
    for shape, dims in cases:
        for dtype in (np.float32, np.int64, np.bool_, np.int8, np.float64):
            x = rand(rng, shape, dtype)
            yield Case("aten::permute_copy.out", [x, IntList(dims)], aten.permute_copy(t(x), dims))


def gen_view(rng: np.random.Generator) -> Iterator[Case]:
    cases = [
        ((3, 4), [12]),
        ((3, 4), [2, -1]),
        ((12,), [2, 3, 2]),
        ((2, 3), [-1]),
        ((), [1, 1]),
        ((1,), []),
        ((0, 3), [3, 0]),
        ((4, 1), [1, 4]),
    ]
    for shape, size in cases:
        for dtype in (np.float32, np.int64, np.bool_, np.int16):
            x = rand(rng, shape, dtype)
            yield Case("aten::view_copy.out", [x, IntList(size)], aten.view_copy(t(x), size))


def gen_clone(rng: np.random.Generator) -> Iterator[Case]:
    for shape in [(), (1,), (3, 4), (2, 0), (2, 3, 4)]:
        for dtype in (np.float32, np.int64, np.bool_, np.uint8):
            x = rand(rng, shape, dtype)
            yield Case("aten::clone.out", [x, None], torch.clone(t(x)))
    x = rand(rng, (2, 2))
    yield Case("aten::clone.out", [x, 0], torch.clone(t(x), memory_format=torch.contiguous_format))
    yield Case("aten::clone.out", [x, 1], torch.clone(t(x), memory_format=torch.preserve_format))


def gen_expand(rng: np.random.Generator) -> Iterator[Case]:
    cases = [
        ((3, 1), [3, 4]),
        ((4,), [2, 3, 4]),
        ((3, 1), [-1, 5]),
        ((), [2, 2]),
        ((1, 1), [1, 1]),
        ((2, 1, 3), [4, 2, 5, 3]),
        ((1,), [0]),
        ((2, 3), [2, 3]),
    ]
    for shape, size in cases:
        for dtype in (np.float32, np.int64, np.bool_):
            x = rand(rng, shape, dtype)
            yield Case(
                "aten::expand_copy.out", [x, IntList(size), False], aten.expand_copy(t(x), size)
            )


def gen_dim_order_copy(clone: bool) -> Callable[[np.random.Generator], Iterator[Case]]:
    op = "dim_order_ops::_clone_dim_order.out" if clone else "dim_order_ops::_to_dim_order_copy.out"
    dtypes = [np.float32, np.float64, np.int64, np.int32, np.int8, np.uint8, np.bool_]

    def gen(rng: np.random.Generator) -> Iterator[Case]:
        for shape in [(), (1,), (3, 4), (2, 0), (2, 3, 4)]:
            for src in dtypes:
                x = rand(rng, shape, src)
                if np.dtype(src).kind == "f":  # fractions and values outside small int ranges
                    x = np.asarray(x * 40, dtype=src)
                for dst in [src] if clone else dtypes:
                    if np.dtype(src).kind == "f" and np.dtype(dst) in (np.uint8, np.int8):
                        continue  # out-of-range float -> small int is undefined in C and PyTorch
                    ref = t(x).to(torch.from_numpy(np.zeros((), dst)).dtype)
                    order = IntList(list(range(len(shape)))) if len(shape) % 2 else None
                    yield Case(op, [x, False, order], ref)
        halves = np.array([0.5, -0.5, 0.0, -0.0, np.nan, 2.7, -2.7], np.float32)
        if not clone:
            yield Case(op, [halves, False, None], t(halves).to(torch.bool))
            yield Case(op, [halves[2:4], False, None], t(halves[2:4]).to(torch.int64))
            yield Case(op, [halves[5:], False, None], t(halves[5:]).to(torch.int32))

    return gen


def gen_convolution(rng: np.random.Generator) -> Iterator[Case]:
    # (N, C, spatial, OC, kernel, stride, padding, dilation, groups, bias)
    cases = [
        (1, 3, (8, 8), 4, (3, 3), [1, 1], [1, 1], [1, 1], 1, True),
        (2, 4, (9, 7), 6, (3, 3), [2, 2], [1, 1], [1, 1], 2, True),
        (1, 6, (10, 10), 6, (3, 3), [1], [1], [1], 6, False),  # depthwise, stride 1
        (1, 8, (11, 9), 8, (3, 3), [2, 2], [1, 1], [1, 1], 8, True),  # depthwise, stride 2
        (1, 4, (12, 12), 8, (1, 1), [1, 1], [0, 0], [1, 1], 1, True),  # pointwise (GEMM)
        (1, 6, (5, 7), 9, (1, 1), [1, 1], [0, 0], [1, 1], 3, False),  # grouped pointwise
        (1, 1, (49, 10), 5, (10, 4), [2, 2], [5, 1], [1, 1], 1, True),  # DS-CNN's first layer
        (1, 2, (9, 9), 3, (3, 3), [1, 1], [2, 2], [2, 2], 1, True),  # dilation
        (1, 3, (7, 8), 2, (2, 3), [3, 2], [0, 1], [2, 1], 1, True),
        (2, 2, (1, 1), 3, (1, 1), [2, 2], [0, 0], [1, 1], 1, True),
        (1, 3, (6, 6), 2, (6, 6), [1, 1], [0, 0], [1, 1], 1, True),  # kernel == input
        (1, 2, (3, 3), 2, (3, 3), [1, 1], [1, 1], [1, 1], 1, True),  # every tap at an edge
        (1, 3, (16,), 4, (3,), [1], [1], [1], 1, True),  # 1-D
        (2, 4, (15,), 4, (5,), [2], [2], [2], 2, False),
        (0, 2, (4, 4), 2, (3, 3), [1, 1], [1, 1], [1, 1], 1, True),  # empty batch
        # blocked path (>= 4 output channels per group): whole blocks and a rest, rows of
        # 1..3 tiles with an overlapping last tile, 4-wide tiles, point-only rows
        (1, 5, (19, 21), 10, (3, 3), [1, 1], [1, 1], [1, 1], 1, True),
        (2, 6, (17, 13), 8, (3, 3), [2, 2], [1, 1], [1, 1], 2, True),
        (1, 3, (9, 6), 4, (3, 3), [1, 1], [1, 1], [1, 1], 1, False),
        (1, 2, (5, 3), 4, (3, 3), [1, 1], [1, 1], [1, 1], 1, True),
        (1, 3, (12, 20), 8, (3, 5), [2, 3], [2, 0], [2, 2], 1, True),
        (1, 4, (10, 11), 12, (2, 2), [1, 2], [0, 1], [1, 1], 1, False),
        (2, 3, (40,), 8, (3,), [1], [1], [1], 1, True),  # 1-D, blocked
    ]
    for n, c, sp, oc, k, stride, pad, dil, groups, has_bias in cases:
        x = rand(rng, (n, c, *sp))
        w = rand(rng, (oc, c // groups, *k))
        b = rand(rng, (oc,)) if has_bias else None
        ref = aten.convolution(
            t(x), t(w), None if b is None else t(b), stride, pad, dil, False, [0] * len(sp), groups
        )
        yield Case(
            "aten::convolution.out",
            [
                x,
                w,
                b,
                IntList(stride),
                IntList(pad),
                IntList(dil),
                False,
                IntList([0] * len(sp)),
                groups,
            ],
            ref,
            1e-4,
            1e-5,
        )


def gen_batch_norm(rng: np.random.Generator) -> Iterator[Case]:
    for shape in [(2, 3, 4, 5), (1, 8, 3, 3), (4, 6), (2, 3, 7), (1, 1, 1, 1), (0, 3, 2)]:
        c = shape[1]
        mean, var = rand(rng, (c,)), np.abs(rand(rng, (c,))) + 0.1
        x = rand(rng, shape)
        for affine in (True, False):
            w = rand(rng, (c,)) if affine else None
            b = rand(rng, (c,)) if affine else None
            ref = aten._native_batch_norm_legit_no_training(
                t(x),
                None if w is None else t(w),
                None if b is None else t(b),
                t(mean),
                t(var),
                0.1,
                1e-5,
            )
            yield Case(
                "aten::_native_batch_norm_legit_no_training.out",
                [x, w, b, mean, var, 0.1, 1e-5],
                tuple(ref),
                1e-5,
                1e-5,
                "multi",
            )


def gen_layer_norm(rng: np.random.Generator) -> Iterator[Case]:
    for shape, norm in [
        ((2, 5, 8), [8]),
        ((3, 4), [4]),
        ((2, 3, 4), [3, 4]),
        ((6,), [6]),
        ((2, 1), [1]),
    ]:
        x = np.asarray(rand(rng, shape) * 3 + 1, np.float32)
        for affine in (True, False):
            w = rand(rng, tuple(norm)) if affine else None
            b = rand(rng, tuple(norm)) if affine else None
            ref = aten.native_layer_norm(
                t(x), norm, None if w is None else t(w), None if b is None else t(b), 1e-5
            )
            yield Case(
                "aten::native_layer_norm.out",
                [x, IntList(norm), w, b, 1e-5],
                tuple(ref),
                1e-4,
                1e-5,
                "multi",
            )


def gen_avg_pool(rng: np.random.Generator) -> Iterator[Case]:
    # (shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    cases = [
        ((1, 2, 6, 6), [2, 2], [2, 2], [0, 0], False, True, None),
        ((2, 3, 7, 7), [3, 3], [2, 2], [1, 1], False, True, None),
        ((2, 3, 7, 7), [3, 3], [2, 2], [1, 1], False, False, None),
        ((1, 2, 7, 6), [3, 2], [2, 2], [1, 0], True, True, None),
        ((1, 2, 7, 6), [3, 2], [2, 2], [1, 0], True, False, None),
        ((1, 2, 5, 5), [2, 2], [], [0, 0], True, True, None),
        ((1, 64, 25, 5), [25, 5], [25, 5], [0, 0], False, True, None),  # DS-CNN's pool
        ((3, 5, 5), [3], [1], [1], False, True, 4),
        ((1, 1, 4, 4), [2, 2], [1, 1], [1, 1], True, True, None),
    ]
    for shape, k, s, p, ceil, inc, div in cases:
        x = rand(rng, shape)
        ref = aten.avg_pool2d(t(x), k, s, p, ceil, inc, div)
        yield Case(
            "aten::avg_pool2d.out", [x, IntList(k), IntList(s), IntList(p), ceil, inc, div], ref
        )


def gen_max_pool(rng: np.random.Generator) -> Iterator[Case]:
    cases = [
        ((1, 2, 6, 6), [2, 2], [2, 2], [0, 0], [1, 1], False),
        ((2, 3, 7, 7), [3, 3], [2, 2], [1, 1], [1, 1], False),
        ((1, 2, 7, 6), [3, 2], [2, 2], [1, 0], [1, 1], True),
        ((1, 2, 9, 9), [3, 3], [], [1, 1], [2, 2], False),
        ((3, 5, 5), [2], [1], [0], [1], True),
        ((1, 1, 5, 5), [2, 2], [2, 2], [1, 1], [1, 1], True),
    ]
    for shape, k, s, p, d, ceil in cases:
        x = rand(rng, shape)
        ref = aten.max_pool2d_with_indices(t(x), k, s, p, d, ceil)
        yield Case(
            "aten::max_pool2d_with_indices.out",
            [x, IntList(k), IntList(s), IntList(p), IntList(d), ceil],
            tuple(ref),
            outs="multi",
        )
    x = np.array([[[[1.0, np.nan], [3.0, -np.inf]]]], np.float32)  # NaN wins
    ref = aten.max_pool2d_with_indices(t(x), [2, 2], [2, 2], [0, 0], [1, 1], False)
    yield Case(
        "aten::max_pool2d_with_indices.out",
        [x, IntList([2, 2]), IntList([2, 2]), IntList([0, 0]), IntList([1, 1]), False],
        tuple(ref),
        outs="multi",
    )


REDUCE_CASES: list[tuple[tuple[int, ...], list[int] | None]] = [
    ((2, 3, 4), [1]),
    ((2, 3, 4), [-1]),
    ((2, 3, 4), [0]),
    ((2, 3, 4, 5), [2, 3]),
    ((2, 3, 4, 5), [-2, -1]),
    ((2, 3, 4), [0, 1, 2]),
    ((5,), [0]),
    ((3, 1), [1]),
    ((), [0]),
    ((4, 3), []),
    ((2, 3), None),
    # non-adjacent dims (also out of order, negative, with size-1 and size-0 dims between)
    ((2, 3, 4), [0, 2]),
    ((2, 3, 4, 5), [3, 1]),
    ((2, 3, 4, 5), [-4, -2, -1]),
    ((3, 1, 4, 2), [0, 2]),
    ((2, 0, 3), [0, 2]),
]


def gen_mean(rng: np.random.Generator) -> Iterator[Case]:
    for shape, dims in REDUCE_CASES:
        for dtype in (np.float32, np.float64):
            x = rand(rng, shape, dtype)
            for keep in (False, True):
                ref = torch.mean(t(x), dim=dims, keepdim=keep)
                args = [x, None if dims is None else IntList(dims), keep, None]
                yield Case("aten::mean.out", args, ref, 1e-5, 1e-6)
    x = rand(rng, (2, 0, 3))
    yield Case("aten::mean.out", [x, IntList([1]), False, None], torch.mean(t(x), dim=[1]))
    x = rand(rng, (2, 3))
    yield Case(
        "aten::mean.out",
        [x, IntList([1]), False, 6],
        torch.mean(t(x), dim=[1], dtype=torch.float32),
    )
    # Half, and integer/Bool inputs with a floating dtype, over adjacent and non-adjacent dims
    for dims in ([1], [0, 2], [2, 0], None):
        d = None if dims is None else IntList(dims)
        x16 = rand(rng, (3, 4, 5), np.float16)
        yield Case(
            "aten::mean.out", [x16, d, False, None], torch.mean(t(x16), dim=dims), 1e-3, 1e-3
        )
        for dtype in (np.int64, np.int8, np.bool_):
            xi = rand(rng, (3, 4, 5), dtype)
            ref = torch.mean(t(xi), dim=dims, dtype=torch.float32)
            yield Case("aten::mean.out", [xi, d, False, 6], ref, 1e-5, 1e-6)
    # NaN, inf and -0.0 over non-adjacent dims; a Float self into a Double out (dtype None)
    e = np.array([[[1.0, np.nan], [-0.0, -0.0]], [[np.inf, 2.0], [-0.0, -np.inf]]], np.float32)
    yield Case("aten::mean.out", [e, IntList([0, 2]), True, None],
               torch.mean(t(e), dim=[0, 2], keepdim=True))
    yield Case("aten::mean.out", [e, IntList([0, 2]), False, None],
               torch.mean(t(e).double(), dim=[0, 2]))


def gen_extreme(name: str) -> Callable[[np.random.Generator], Iterator[Case]]:
    fn = getattr(torch, name)

    def gen(rng: np.random.Generator) -> Iterator[Case]:
        for shape, dims in REDUCE_CASES:
            if dims is None:
                continue
            for dtype in (np.float32, np.int64, np.int8, np.float64):
                x = rand(rng, shape, dtype)
                for keep in (False, True):
                    yield Case(
                        f"aten::{name}.out",
                        [x, IntList(dims), keep],
                        fn(t(x), dim=dims, keepdim=keep),
                    )
        x = np.array([[1.0, np.nan, 3.0], [-np.inf, 2.0, np.inf]], np.float32)
        for d in (0, 1):
            yield Case(f"aten::{name}.out", [x, IntList([d]), False], fn(t(x), dim=[d]))

    return gen


def gen_hardtanh(rng: np.random.Generator) -> Iterator[Case]:
    for shape in [(), (7,), (3, 5), (2, 0), (129,)]:
        for dtype in (np.float32, np.float64, np.int64, np.int32):
            x = np.asarray(
                rand(rng, shape, dtype) * (4 if np.dtype(dtype).kind == "f" else 1), dtype=dtype
            )
            for lo, hi in [(-1.0, 1.0), (0.0, 6.0), (-3, 2)]:
                yield Case("aten::hardtanh.out", [x, lo, hi], aten.hardtanh(t(x), lo, hi))
    edges = np.array([-np.inf, -6.5, 0.0, -0.0, 5.9, 6.0, 7.0, np.inf, np.nan], np.float32)
    yield Case("aten::hardtanh.out", [edges, 0.0, 6.0], aten.hardtanh(t(edges), 0.0, 6.0))


def gen_float_unary(
    name: str, extra: list[object]
) -> Callable[[np.random.Generator], Iterator[Case]]:
    def gen(rng: np.random.Generator) -> Iterator[Case]:
        fn = getattr(aten, name)
        kwargs = {"approximate": extra[0].value} if extra and isinstance(extra[0], Str) else {}
        for shape in [(), (1,), (7,), (3, 5), (2, 1, 4), (0, 2), (129,)]:
            for dtype in (np.float32, np.float64):
                x = np.asarray(rand(rng, shape, dtype) * 4, dtype=dtype)
                yield Case(f"aten::{name}.out", [x, *extra], fn(t(x), **kwargs), 1e-5, 1e-6)
        edges = np.array(
            [-np.inf, -100.0, -3.0, -1e-8, 0.0, -0.0, 3.0, 20.0, np.inf, np.nan], np.float32
        )
        if name == "gelu":  # PyTorch's vectorised CPU gelu gives NaN at +inf, its scalar path inf
            edges = edges[np.isfinite(edges) | np.isnan(edges)]
        yield Case(f"aten::{name}.out", [edges, *extra], fn(t(edges), **kwargs), 1e-5, 1e-6)

    return gen


def gen_gelu(rng: np.random.Generator) -> Iterator[Case]:
    yield from gen_float_unary("gelu", [Str("none")])(rng)
    yield from gen_float_unary("gelu", [Str("tanh")])(rng)


def gen_embedding(rng: np.random.Generator) -> Iterator[Case]:
    for vocab, dim, ishape in [
        (10, 4, (3,)),
        (256, 64, (1, 32)),
        (5, 3, (2, 3, 2)),
        (7, 1, ()),
        (4, 2, (0,)),
    ]:
        for wdtype in (np.float32, np.int64):
            w = rand(rng, (vocab, dim), wdtype)
            for idtype in (np.int64, np.int32):
                ix = np.asarray(rng.integers(0, vocab, size=ishape), dtype=idtype)
                yield Case(
                    "aten::embedding.out", [w, ix, -1, False, False], aten.embedding(t(w), t(ix))
                )


def gen_slice(rng: np.random.Generator) -> Iterator[Case]:
    cases = [
        ((5, 4), 0, 1, 4, 1),
        ((5, 4), 1, 0, 4, 2),
        ((5, 4), -1, -3, None, 1),
        ((2, 6, 3), 1, None, -2, 3),
        ((2, 6, 3), 1, 4, 2, 1),  # empty
        ((7,), 0, -100, 100, 2),
        ((3, 4), 0, 5, None, 1),
    ]
    for shape, dim, start, end, step in cases:
        for dtype in (np.float32, np.int64, np.bool_):
            x = rand(rng, shape, dtype)
            ref = aten.slice_copy(t(x), dim, start, end, step)
            yield Case("aten::slice_copy.Tensor_out", [x, dim, start, end, step], ref)


def gen_select(rng: np.random.Generator) -> Iterator[Case]:
    for shape, dim, index in [
        ((5, 4), 0, 2),
        ((5, 4), 1, -1),
        ((2, 3, 4), -2, 0),
        ((3,), 0, 1),
        ((2, 1, 3), 1, 0),
        ((3, 4), 0, 2),
        ((2, 3, 4), 1, 0),
        ((5,), 0, 3),
        ((2, 3, 4), -1, 3),
    ]:
        for dtype in (np.float32, np.int32, np.int64, np.bool_):
            x = rand(rng, shape, dtype)
            yield Case(
                "aten::select_copy.int_out", [x, dim, index], aten.select_copy(t(x), dim, index)
            )


def gen_split(rng: np.random.Generator) -> Iterator[Case]:
    for shape, sizes, dim in [
        ((6, 4), [2, 4], 0),
        ((1, 32, 192), [64, 64, 64], -1),
        ((3, 5), [1, 0, 4], 1),
        ((4,), [4], 0),
    ]:
        for dtype in (np.float32, np.int64):
            x = rand(rng, shape, dtype)
            ref = tuple(aten.split_with_sizes_copy(t(x), sizes, dim))
            yield Case(
                "aten::split_with_sizes_copy.out", [x, IntList(sizes), dim], ref, outs="list"
            )


def gen_cat(rng: np.random.Generator) -> Iterator[Case]:
    cases = [
        ([(2, 3), (4, 3)], 0),
        ([(2, 3), (2, 1), (2, 5)], 1),
        ([(2, 3, 4), (2, 2, 4)], -2),
        ([(3,), (0,), (2,)], 0),
        ([(2, 2), (0,), (2, 2)], 1),
        ([(1, 2, 2)], 0),
    ]
    for shapes, dim in cases:
        for dtype in (np.float32, np.int64, np.bool_):
            xs = [rand(rng, s, dtype) for s in shapes]
            ref = torch.cat([t(x) for x in xs], dim)
            n = len(xs)
            # the tensors are hidden args 0..n-1, listed by the first real argument
            yield Case(
                "aten::cat.out", [*(Hidden(x) for x in xs), TensorListArg(list(range(n))), dim], ref
            )


GENERATORS: dict[str, Callable[[np.random.Generator], Iterator[Case]]] = {
    "aten::add.out": gen_binary("add", True),
    "aten::sub.out": gen_binary("sub", True),
    "aten::mul.out": gen_binary("mul", False),
    "aten::div.out": gen_binary("div", False),
    "aten::relu.out": gen_unary("relu"),
    "aten::sigmoid.out": gen_unary("sigmoid"),
    "aten::tanh.out": gen_unary("tanh"),
    "aten::_softmax.out": gen_softmax(False),
    "aten::_log_softmax.out": gen_softmax(True),
    "aten::addmm.out": gen_addmm,
    "aten::mm.out": gen_mm,
    "aten::bmm.out": gen_bmm,
    "aten::permute_copy.out": gen_permute,
    "aten::view_copy.out": gen_view,
    "aten::clone.out": gen_clone,
    "aten::expand_copy.out": gen_expand,
    "dim_order_ops::_to_dim_order_copy.out": gen_dim_order_copy(False),
    "dim_order_ops::_clone_dim_order.out": gen_dim_order_copy(True),
    "aten::convolution.out": gen_convolution,
    "aten::_native_batch_norm_legit_no_training.out": gen_batch_norm,
    "aten::native_layer_norm.out": gen_layer_norm,
    "aten::avg_pool2d.out": gen_avg_pool,
    "aten::max_pool2d_with_indices.out": gen_max_pool,
    "aten::mean.out": gen_mean,
    "aten::amax.out": gen_extreme("amax"),
    "aten::amin.out": gen_extreme("amin"),
    "aten::hardtanh.out": gen_hardtanh,
    "aten::hardswish.out": gen_float_unary("hardswish", []),
    "aten::gelu.out": gen_gelu,
    "aten::embedding.out": gen_embedding,
    "aten::slice_copy.Tensor_out": gen_slice,
    "aten::select_copy.int_out": gen_select,
    "aten::split_with_sizes_copy.out": gen_split,
    "aten::cat.out": gen_cat,
}

SEEDS = (0, 1, 2)


def all_cases() -> list[Case]:
    cases: list[Case] = []
    for op, gen in GENERATORS.items():
        for seed in SEEDS:
            cases += list(gen(np.random.default_rng(seed)))
        assert any(c.op == op for c in cases), op
    return cases


@pytest.fixture(scope="module")
def lib() -> KernelLib:
    try:
        path = build_library()
    except RuntimeError as e:
        pytest.fail(str(e))
    return KernelLib(path)


def make_out(expected: np.ndarray, dynamic: bool) -> Out:
    shape = tuple(expected.shape)
    if dynamic:
        numel = int(np.prod(shape, dtype=np.int64))
        return Out(expected.dtype, tuple(1 for _ in shape), dynamic=True, capacity_elems=numel + 8)
    return Out(expected.dtype, shape)


def run_case(lib: KernelLib, case: Case, dynamic: bool) -> None:
    expected = case.expected if isinstance(case.expected, tuple) else (case.expected,)
    np_expected = [e.numpy() for e in expected]
    n_in = len(case.inputs)
    outs = [make_out(e, dynamic) for e in np_expected]
    out_idx = list(range(n_in, n_in + len(outs)))
    args: list[object]
    if case.outs == "one":
        args = [*case.inputs, outs[0], ("alias", n_in)]
    elif case.outs == "multi":
        args = [*case.inputs, *outs, TensorListArg(out_idx)]
    else:
        args = [
            *case.inputs,
            *(Hidden(o) for o in outs),
            TensorListArg(out_idx),
            TensorListArg(out_idx),
        ]
    err, msg, results = lib.call(case.op, args)
    assert err == 0, (
        f"{case.id()}: kernel failed with {ERROR_NAMES[err] if err >= 0 else err}: {msg}"
    )
    for i, exp in zip(out_idx, np_expected, strict=True):
        got = results[i]
        assert got is not None
        shape = tuple(exp.shape)
        assert got.shape == shape, f"{case.id()}: out shape {got.shape}, PyTorch {shape}"
        if exp.dtype.kind == "f":
            np.testing.assert_allclose(
                got, exp, rtol=case.rtol, atol=case.atol, equal_nan=True, err_msg=case.id()
            )
        else:
            np.testing.assert_array_equal(got, exp, err_msg=case.id())


def check_generated_cases(
    lib: KernelLib,
    generator: Callable[[np.random.Generator], Iterator[Case]],
    op: str,
    run: Callable[[KernelLib, Case, bool], None] | None = None,
    seeds: tuple[int, ...] = (0, 1),
) -> None:
    """Runs every case `generator` makes for `op` (per seed) with a static and a dynamic
    out: the body of each family file's test_kernel_matches_pytorch."""
    run = run or run_case
    n = 0
    for seed in seeds:
        for case in generator(np.random.default_rng(seed)):
            assert case.op == op, f"{op}'s generator made a case for {case.op}"
            run(lib, case, False)
            run(lib, case, True)
            n += 1
    assert n > 0, f"{op}: the generator made no case"


@pytest.mark.parametrize("op", sorted(GENERATORS))
def test_kernel_matches_pytorch(lib: KernelLib, op: str) -> None:
    cases = [c for c in all_cases_cached() if c.op == op]
    assert cases
    for case in cases:
        run_case(lib, case, dynamic=False)
        run_case(lib, case, dynamic=True)


_CACHE: list[Case] = []


def all_cases_cached() -> list[Case]:
    if not _CACHE:
        _CACHE.extend(all_cases())
    return _CACHE


def family_modules() -> list[object]:
    """Every kernel family's test module (test_*_kernels.py beside this file): each defines
    GENERATORS (op -> case generator) and may define IN_PLACE_TESTED (ops tested by hand)."""
    import importlib

    here = Path(__file__).parent
    return [importlib.import_module(p.stem) for p in sorted(here.glob("test_*_kernels.py"))]


def test_every_catalog_op_has_generated_cases() -> None:
    catalog = load_catalogs([str(CATALOG)])
    generators: dict[str, Callable[[np.random.Generator], Iterator[Case]]] = dict(GENERATORS)
    in_place: set[str] = set()
    for module in family_modules():
        family = module.GENERATORS  # type: ignore[attr-defined]
        twice = sorted(set(family) & set(generators))
        assert not twice, f"{module.__name__}: ops with generators in two files: {twice}"
        generators.update(family)
        in_place |= set(getattr(module, "IN_PLACE_TESTED", set()))
    missing = sorted(set(catalog) - set(generators) - in_place)
    assert not missing, (
        f"kernels without generated cases in kernels/portable/tests: {missing}; add a generator"
    )
    stale = sorted(set(generators) - set(catalog))
    assert not stale, f"generators for ops not in functions.yaml: {stale}"
    covered = {c.op for c in all_cases_cached()}
    for op, gen in generators.items():
        if op not in GENERATORS:
            covered |= {c.op for c in gen(np.random.default_rng(0))}
    assert covered | in_place == set(catalog)


def test_registry_lists_every_catalog_op(lib: KernelLib) -> None:
    assert sorted(lib.kernel_names()) == sorted(load_catalogs([str(CATALOG)]))
    assert lib.kernel_names() == sorted(lib.kernel_names(), key=str.encode)


# ---- rejected arguments: error codes and messages naming the argument ---------

INVALID_ARGUMENT, NOT_SUPPORTED = 1, 3


def test_unknown_op_is_not_found(lib: KernelLib) -> None:
    err, _, _ = lib.call("aten::nope.out", [])
    assert err == -1


@pytest.mark.parametrize(
    ("op", "args", "code", "needle"),
    [
        (
            "aten::add.out",
            [np.zeros((2, 3), np.float32), np.zeros((4,), np.float32), 1],
            INVALID_ARGUMENT,
            "other",
        ),
        (
            "aten::mm.out",
            [np.zeros((2, 3), np.float32), np.zeros((4, 2), np.float32)],
            INVALID_ARGUMENT,
            "mat2",
        ),
        (
            "aten::addmm.out",
            [
                np.zeros((3,), np.float32),
                np.zeros((2, 3), np.float32),
                np.zeros((3, 4), np.float32),
                1,
                1,
            ],
            INVALID_ARGUMENT,
            "self",
        ),
        (
            "aten::bmm.out",
            [np.zeros((2, 2, 3), np.float32), np.zeros((3, 3, 2), np.float32)],
            INVALID_ARGUMENT,
            "batch",
        ),
        (
            "aten::mm.out",
            [np.zeros((2, 2), np.int64), np.zeros((2, 2), np.int64)],
            NOT_SUPPORTED,
            "Float",
        ),
        (
            "aten::permute_copy.out",
            [np.zeros((2, 3), np.float32), IntList([0, 0])],
            INVALID_ARGUMENT,
            "dims",
        ),
        (
            "aten::view_copy.out",
            [np.zeros((2, 3), np.float32), IntList([5])],
            INVALID_ARGUMENT,
            "size",
        ),
        (
            "aten::expand_copy.out",
            [np.zeros((2, 3), np.float32), IntList([4, 3]), False],
            INVALID_ARGUMENT,
            "size",
        ),
        ("aten::_softmax.out", [np.zeros((2, 3), np.float32), 2, False], INVALID_ARGUMENT, "dim"),
        (
            "aten::_softmax.out",
            [np.zeros((2, 3), np.float32), 1, True],
            NOT_SUPPORTED,
            "half_to_float",
        ),
        ("aten::clone.out", [np.zeros((2,), np.float32), 2], NOT_SUPPORTED, "memory_format"),
        (
            "aten::sub.out",
            [np.zeros((2,), np.bool_), np.zeros((2,), np.bool_), 1],
            INVALID_ARGUMENT,
            "Bool",
        ),
        (
            "aten::relu.out",
            [Strided(np.zeros((2, 3), np.float32), [1, 0])],
            NOT_SUPPORTED,
            "self: must be contiguous",
        ),
        (
            "dim_order_ops::_to_dim_order_copy.out",
            [np.zeros((2, 3), np.float32), False, IntList([1, 0])],
            INVALID_ARGUMENT,
            "dim_order: must be out's dim order",
        ),
        (
            "aten::add.out",
            [np.zeros((2,), np.float32), 1.0, 1],
            INVALID_ARGUMENT,
            "other: expected a tensor",
        ),
        (
            "aten::add.out",
            [np.zeros((2,), np.int64), np.zeros((2,), np.int64), 1.5],
            INVALID_ARGUMENT,
            "alpha",
        ),
        (
            "aten::convolution.out",
            [
                np.zeros((1, 2, 4, 4), np.float32),
                np.zeros((2, 2, 3, 3), np.float32),
                None,
                IntList([1]),
                IntList([0]),
                IntList([1]),
                True,
                IntList([0]),
                1,
            ],
            NOT_SUPPORTED,
            "transposed",
        ),
        (
            "aten::convolution.out",
            [
                np.zeros((1, 3, 4, 4), np.float32),
                np.zeros((2, 1, 3, 3), np.float32),
                None,
                IntList([1]),
                IntList([0]),
                IntList([1]),
                False,
                IntList([0]),
                2,
            ],
            INVALID_ARGUMENT,
            "groups",
        ),
        (  # padding near INT32_MAX (bit-flip sweep finding: 2 * padding overflowed int)
            "aten::convolution.out",
            [
                np.zeros((1, 1, 4, 4), np.float32),
                np.zeros((1, 1, 3, 3), np.float32),
                None,
                IntList([1]),
                IntList([1073741825]),
                IntList([1]),
                False,
                IntList([0]),
                1,
            ],
            INVALID_ARGUMENT,
            "padding: output size out of range",
        ),
        (
            "aten::gelu.out",
            [np.zeros((2,), np.float32), Str("fast")],
            INVALID_ARGUMENT,
            "approximate",
        ),
        (
            "aten::embedding.out",
            [np.zeros((4, 2), np.float32), np.array([1, 4]), -1, False, False],
            INVALID_ARGUMENT,
            "indices",
        ),
        (
            "aten::avg_pool2d.out",
            [
                np.zeros((1, 1, 4, 4), np.float32),
                IntList([2, 2]),
                IntList([2, 2]),
                IntList([2, 2]),
                False,
                True,
                None,
            ],
            INVALID_ARGUMENT,
            "padding",
        ),
        (
            "aten::mean.out",
            [np.zeros((2, 3, 4), np.float32), IntList([0, 3]), False, None],
            INVALID_ARGUMENT,
            "dim: out of range",
        ),
        (
            "aten::mean.out",
            [np.zeros((2, 3, 4), np.int64), IntList([0, 2]), False, None],
            INVALID_ARGUMENT,
            "dtype: needed",
        ),
        (
            "aten::amax.out",
            [np.zeros((2, 3, 4), np.float32), IntList([0, -3]), False],
            INVALID_ARGUMENT,
            "dim: a dim appears more than once",
        ),
    ],
)
def test_rejects_bad_arguments(
    lib: KernelLib, op: str, args: list[object], code: int, needle: str
) -> None:
    first = args[0].array if isinstance(args[0], Strided) else args[0]
    assert isinstance(first, np.ndarray)
    out = Out(
        first.dtype, first.shape, dynamic=True, capacity_elems=64
    )  # never the reason for failing
    err, msg, _ = lib.call(op, [*args, out, ("alias", len(args))])
    assert err == code, f"{op}: expected {ERROR_NAMES[code]}, got {err} ({msg})"
    assert needle in msg, f"{op}: message {msg!r} does not mention {needle!r}"


def test_rejects_wrong_arg_count(lib: KernelLib) -> None:
    x = np.zeros((2,), np.float32)
    err, msg, _ = lib.call(
        "aten::relu.out", [x, Out(np.dtype(np.float32), (2,))]
    )  # return value missing
    assert err == INVALID_ARGUMENT and "3 args" in msg


def test_static_out_of_wrong_shape_is_rejected(lib: KernelLib) -> None:
    x = np.zeros((2, 3), np.float32)
    err, msg, _ = lib.call("aten::relu.out", [x, Out(np.dtype(np.float32), (3, 2)), ("alias", 1)])
    assert err == INVALID_ARGUMENT and msg.startswith("out:")


def test_dynamic_out_over_capacity_is_rejected(lib: KernelLib) -> None:
    x = np.zeros((4, 4), np.float32)
    err, msg, _ = lib.call(
        "aten::relu.out", [x, Out(np.dtype(np.float32), (1, 1), True, 8), ("alias", 1)]
    )
    assert err == INVALID_ARGUMENT and msg.startswith("out:")


# ---- dim orders: the dim-order copies between layouts (channels last, ...) ----------

def _memory_of(logical: np.ndarray, order: list[int]) -> np.ndarray:
    """The bytes a tensor with dim order `order` holds for `logical` (its memory, flat)."""
    return np.ascontiguousarray(logical.transpose(order)).reshape(-1)


def _logical_of(memory: np.ndarray, shape: tuple[int, ...], order: list[int]) -> np.ndarray:
    """Inverse of _memory_of."""
    permuted = memory.reshape([shape[d] for d in order])
    return permuted.transpose(np.argsort(order))


@pytest.mark.parametrize("clone", [True, False])
def test_dim_order_copy_between_layouts(lib: KernelLib, clone: bool) -> None:
    """Every pair of layouts of a 4-D tensor (contiguous, channels last, another order), by
    logical position, against the values PyTorch gives (clone: same dtype; to_copy: int8 to
    float32, the Cortex-M programs' boundary)."""
    op = "dim_order_ops::_clone_dim_order.out" if clone else "dim_order_ops::_to_dim_order_copy.out"
    rng = np.random.default_rng(0)
    shape = (2, 3, 4, 5)
    orders = [[0, 1, 2, 3], [0, 2, 3, 1], [0, 3, 1, 2], [3, 2, 1, 0]]
    x = rng.integers(-128, 128, size=shape).astype(np.int8)
    dst = np.int8 if clone else np.float32
    expected = t(x).to(torch.int8 if clone else torch.float32).numpy()
    for src_order in orders:
        for out_order in orders:
            shaped = _memory_of(x, src_order).reshape(shape)  # memory, with the logical shape
            out = Out(np.dtype(dst), shape, dim_order=out_order)
            err, msg, results = lib.call(op, [Strided(shaped, src_order), False,
                                              IntList(out_order), out, ("alias", 3)])
            assert err == 0, f"{src_order} -> {out_order}: {msg}"
            got = results[3]
            assert got is not None
            np.testing.assert_array_equal(_logical_of(got.reshape(-1), shape, out_order),
                                          expected, err_msg=f"{src_order} -> {out_order}")
