"""The padding, pooling, upsampling and sampling kernels against PyTorch eager on generated
cases: constant/reflection/replication padding (every dtype, negative pads), pixel
(un)shuffle, adaptive average pooling, nearest/bilinear/antialiased upsampling (output_size
and scale_factors, align_corners), grid_sampler_2d (every interpolation and padding mode)
and max_pool2d_with_indices_backward.
Same shim and case runner as test_kernels.py (static and dynamic out).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest
import torch
from kernel_abi_ctypes import ERROR_NAMES, DoubleList, IntList, KernelLib, Out
from test_kernels import Case, rand, run_case, t
from test_kernels import lib as lib  # noqa: F401  (the shared fixture)

aten = torch.ops.aten
ALL_DTYPES = [np.float32, np.float64, np.float16, np.int64, np.int32, np.int16, np.int8,
              np.uint8, np.bool_]
FLOAT_DTYPES = [np.float32, np.float64, np.float16]


def tol(dtype: type) -> tuple[float, float]:
    """(rtol, atol): half results are compared at half precision."""
    return (2e-3, 2e-3) if np.dtype(dtype) == np.float16 else (1e-5, 1e-6)


def torch_or_none(fn: Callable[[], torch.Tensor]) -> torch.Tensor | None:
    """PyTorch's result, or None where PyTorch rejects the case (that dtype, say)."""
    try:
        return fn()
    except (RuntimeError, ValueError, NotImplementedError):
        return None


# ---- padding ---------------------------------------------------------------------

def gen_pad(kind: str, n: int) -> Callable[[np.random.Generator], Iterator[Case]]:
    op = f"aten::{kind}_pad{n}d.out"
    fn = getattr(aten, f"{kind}_pad{n}d")
    spatial = [(5,), (4, 3), (3, 4, 2)][n - 1]
    pads = {
        1: [[1, 2], [0, 0], [3, 0], [-1, 2], [2, -2]],
        2: [[1, 1, 1, 1], [0, 2, 1, 0], [-1, 1, 2, -1], [2, 2, 3, 3]],
        3: [[1, 1, 1, 1, 1, 1], [0, 1, 2, 0, 1, 0], [-1, 1, 0, 1, 1, -1]],
    }[n]

    def gen(rng: np.random.Generator) -> Iterator[Case]:
        for lead in [(2,), (2, 3), (0, 2), (1, 1)]:
            shape = lead + spatial
            for pad in pads:
                for dtype in ALL_DTYPES:
                    x = rand(rng, shape, dtype)
                    expected = torch_or_none(lambda x=x, pad=pad: fn(t(x), pad))
                    if expected is not None:
                        yield Case(op, [x, IntList(pad)], expected)
        ones = np.ones((2,) + (1,) * n, np.float32)  # size-1 dims: replication only
        if kind == "replication":
            yield Case(op, [ones, IntList([2] * 2 * n)], fn(t(ones), [2] * 2 * n))

    return gen


def gen_constant_pad(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::constant_pad_nd.out"
    for shape, pad in [((3,), [1, 2]), ((2, 3, 4), [1, 1, 2, 0]), ((2, 3), [-1, 2]),
                       ((2, 3, 4), [0, 0, 1, 1, 2, 2]), ((2, 3), []), ((), []),
                       ((0, 3), [1, 1, 1, 1]), ((2, 3), [-3, 0]), ((4, 5), [-2, -1, 1, -3]),
                       ((1, 17), [5, 5])]:
        for dtype in ALL_DTYPES:
            x = rand(rng, shape, dtype)
            for value in (0, 1.5, -2, True, 3):
                expected = torch_or_none(
                    lambda x=x, pad=pad, value=value: aten.constant_pad_nd(t(x), pad, value)
                )
                if expected is not None:
                    yield Case(op, [x, IntList(pad), value], expected)
    big = np.asarray([1, 2], np.int64)  # int64 fill values stay exact
    yield Case(op, [big, IntList([1, 0]), 2**62 + 1],
               aten.constant_pad_nd(t(big), [1, 0], 2**62 + 1))
    f = np.asarray([1.0, 2.0], np.float32)
    for v in (float("nan"), float("inf"), -0.0):
        yield Case(op, [f, IntList([1, 1]), v], aten.constant_pad_nd(t(f), [1, 1], v))


# ---- pixel shuffle ---------------------------------------------------------------

def gen_pixel_shuffle(rng: np.random.Generator) -> Iterator[Case]:
    for shape, r in [((1, 4, 2, 3), 2), ((2, 9, 2, 2), 3), ((8, 3, 3), 2), ((2, 1, 8, 2, 2), 2),
                     ((1, 3, 2, 2), 1), ((0, 4, 2, 2), 2), ((1, 8, 1, 1), 2)]:
        for dtype in ALL_DTYPES:
            x = rand(rng, shape, dtype)
            yield Case("aten::pixel_shuffle.out", [x, r], aten.pixel_shuffle(t(x), r))


def gen_pixel_unshuffle(rng: np.random.Generator) -> Iterator[Case]:
    for shape, r in [((1, 1, 4, 6), 2), ((2, 2, 6, 3), 3), ((3, 4, 4), 2), ((2, 1, 2, 4, 2), 2),
                     ((1, 3, 2, 2), 1)]:
        # (PyTorch returns an empty self unchanged, [0, 1, 2, 2] for [0, 1, 2, 2], where the
        # kernel gives [0, 4, 1, 1]: empty inputs are left out.)
        for dtype in ALL_DTYPES:
            x = rand(rng, shape, dtype)
            yield Case("aten::pixel_unshuffle.out", [x, r], aten.pixel_unshuffle(t(x), r))


# ---- adaptive average pooling ----------------------------------------------------

def gen_adaptive_avg_pool(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::_adaptive_avg_pool2d.out"
    for shape, osize in [((1, 3, 7, 7), [1, 1]), ((2, 3, 14, 14), [7, 7]), ((3, 10, 10), [3, 4]),
                         ((1, 2, 5, 7), [2, 3]), ((1, 1, 4, 4), [8, 6]), ((0, 2, 3, 3), [2, 2]),
                         ((1, 64, 7, 7), [1, 1]), ((2, 2, 3, 5), [3, 5]), ((1, 2, 4, 4), [0, 2])]:
        for dtype in FLOAT_DTYPES:
            x = rand(rng, shape, dtype)
            expected = aten._adaptive_avg_pool2d(t(x), osize)
            yield Case(op, [x, IntList(osize)], expected, *tol(dtype))
    edges = np.asarray([[[[np.nan, 1.0], [2.0, 3.0]], [[np.inf, 1.0], [-np.inf, 3.0]]]],
                       np.float32)
    yield Case(op, [edges, IntList([1, 2])], aten._adaptive_avg_pool2d(t(edges), [1, 2]))


# ---- upsampling ------------------------------------------------------------------

UP_SIZES: list[tuple[list[int] | None, list[float] | None]] = [
    ([8, 10], None), ([3, 7], None), ([4, 5], None), ([1, 1], None), ([9, 2], None),
    (None, [2.0, 2.0]), (None, [1.5, 0.7]), (None, [3.0, 2.5]), (None, [1.0, 1.0]),
    (None, [0.5, 0.34]),
]


def upsample_args(size: list[int] | None, scales: list[float] | None) -> list[object]:
    return [IntList(size) if size is not None else None,
            DoubleList(scales) if scales is not None else None]


def gen_nearest(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::upsample_nearest2d.vec_out"
    for shape in [(1, 2, 4, 5), (2, 1, 3, 3), (0, 2, 4, 5), (1, 2, 3, 20)]:  # 20: 2 column chunks
        for size, scales in UP_SIZES:
            for dtype in ALL_DTYPES:
                x = rand(rng, shape, dtype)
                expected = torch_or_none(
                    lambda x=x, size=size, scales=scales: aten.upsample_nearest2d.vec(
                        t(x), size, scales)
                )
                if expected is not None:
                    yield Case(op, [x, *upsample_args(size, scales)], expected)


def gen_bilinear(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::upsample_bilinear2d.vec_out"
    for shape in [(1, 2, 4, 5), (2, 1, 3, 3), (1, 1, 1, 1), (0, 2, 4, 5), (1, 3, 16, 16)]:
        for size, scales in UP_SIZES:
            for align in (False, True):
                for dtype in FLOAT_DTYPES:
                    x = rand(rng, shape, dtype)
                    expected = torch_or_none(
                        lambda x=x, size=size, align=align, scales=scales:
                        aten.upsample_bilinear2d.vec(t(x), size, align, scales)
                    )
                    if expected is None:  # an empty output (small input, scale < 1)
                        continue
                    a = upsample_args(size, scales)
                    rtol, atol = tol(dtype)  # atol 1e-5: weights summed in another order
                    yield Case(op, [x, a[0], align, a[1]], expected, rtol, max(atol, 1e-5))


def gen_bilinear_aa(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::_upsample_bilinear2d_aa.out"
    for shape in [(1, 2, 4, 5), (2, 1, 9, 9), (1, 1, 1, 1), (1, 3, 16, 12)]:
        h, w = shape[2:]
        for size, scales in [([8, 10], None), ([3, 7], None), ([2, 2], None), ([4, 5], None),
                             ([1, 1], None), ([max(1, int(h * 0.6)), max(1, int(w * 0.6))],
                                              (0.6, 0.6)), ([2 * h, 3], (2.0, None))]:
            for align in (False, True):
                for dtype in (np.float32, np.float64):
                    x = rand(rng, shape, dtype)
                    sh, sw = scales if scales is not None else (None, None)
                    expected = aten._upsample_bilinear2d_aa(t(x), size, align, sh, sw)
                    yield Case(op, [x, IntList(size), align, sh, sw], expected)


# ---- grid sampling ---------------------------------------------------------------

def gen_grid_sampler(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::grid_sampler_2d.out"
    edge = np.asarray([-1.0, 1.0, 0.0, -1.5, 1.5, 3.7, -2.9, np.nan, np.inf, -np.inf], np.float32)
    for in_shape, grid_shape in [((2, 3, 5, 6), (2, 4, 3, 2)), ((1, 1, 1, 1), (1, 2, 2, 2)),
                                 ((1, 2, 4, 4), (1, 5, 5, 2)), ((0, 2, 3, 3), (0, 2, 2, 2))]:
        for dtype in FLOAT_DTYPES:
            x = rand(rng, in_shape, dtype)
            grid = np.asarray(rng.uniform(-1.3, 1.3, size=grid_shape), dtype=dtype)
            for interp in (0, 1, 2):
                for padding in (0, 1, 2):
                    for align in (False, True):
                        if interp == 1 and dtype == np.float16:
                            continue  # PyTorch rounds half coordinates: another nearest pixel
                        expected = aten.grid_sampler_2d(t(x), t(grid), interp, padding, align)
                        # PyTorch samples Half in half precision; the kernel in float.
                        rtol, atol = (2e-2, 2e-2) if dtype == np.float16 else tol(dtype)
                        yield Case(op, [x, grid, interp, padding, align], expected, rtol, atol)
    x = rand(rng, (1, 2, 4, 5), np.float32)
    grid = np.stack(np.meshgrid(edge, edge), -1).reshape(1, 10, 10, 2).astype(np.float32)
    for interp in (0, 1, 2):
        for padding in (0, 1, 2):
            for align in (False, True):
                expected = aten.grid_sampler_2d(t(x), t(grid), interp, padding, align)
                yield Case(op, [x, grid, interp, padding, align], expected)


# ---- max_pool2d backward ---------------------------------------------------------

def gen_max_pool_backward(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::max_pool2d_with_indices_backward.grad_input"
    for shape, k, s, p, d, ceil in [((2, 3, 6, 6), [2, 2], [2, 2], [0, 0], [1, 1], False),
                                    ((1, 2, 5, 5), [3, 3], [1, 1], [1, 1], [1, 1], False),
                                    ((3, 7, 6), [3, 2], [2, 1], [1, 0], [1, 2], True),
                                    ((0, 2, 4, 4), [2, 2], [2, 2], [0, 0], [1, 1], False)]:
        for dtype in FLOAT_DTYPES:
            x = rand(rng, shape, dtype)
            _, idx = aten.max_pool2d_with_indices(t(x), k, s, p, d, ceil)
            grad = rand(rng, tuple(idx.shape), dtype)
            expected = aten.max_pool2d_with_indices_backward(t(grad), t(x), k, s, p, d, ceil, idx)
            yield Case(op, [grad, x, IntList(k), IntList(s), IntList(p), IntList(d), ceil,
                            idx.numpy()], expected, *tol(dtype))


GENERATORS: dict[str, Callable[[np.random.Generator], Iterator[Case]]] = {
    **{f"aten::{k}_pad{n}d.out": gen_pad(k, n) for k in ("reflection", "replication")
       for n in (1, 2, 3)},
    "aten::constant_pad_nd.out": gen_constant_pad,
    "aten::pixel_shuffle.out": gen_pixel_shuffle,
    "aten::pixel_unshuffle.out": gen_pixel_unshuffle,
    "aten::_adaptive_avg_pool2d.out": gen_adaptive_avg_pool,
    "aten::upsample_nearest2d.vec_out": gen_nearest,
    "aten::upsample_bilinear2d.vec_out": gen_bilinear,
    "aten::_upsample_bilinear2d_aa.out": gen_bilinear_aa,
    "aten::grid_sampler_2d.out": gen_grid_sampler,
    "aten::max_pool2d_with_indices_backward.grad_input": gen_max_pool_backward,
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


F = np.float32
Z4 = np.zeros((1, 2, 4, 4), F)


@pytest.mark.parametrize(
    ("op", "args", "out_dtype", "needle"),
    [
        ("aten::constant_pad_nd.out", [np.zeros((2, 3), F), IntList([1]), 0], F, "pad:"),
        ("aten::constant_pad_nd.out", [np.zeros((2, 3), F), IntList([-2, -2]), 0], F, "pad:"),
        ("aten::constant_pad_nd.out", [np.zeros((2, 3), F), IntList([1, 1]), 0], np.int32,
         "out:"),
        ("aten::reflection_pad1d.out", [np.zeros((2, 3), F), IntList([3, 0])], F, "padding:"),
        ("aten::reflection_pad2d.out", [np.zeros((2, 3), F), IntList([1, 1, 1, 1])], F,
         "self:"),
        ("aten::reflection_pad3d.out", [np.zeros((1, 2, 2, 2), F), IntList([1, 1])], F,
         "padding:"),
        ("aten::replication_pad1d.out", [np.zeros((2, 0), F), IntList([1, 1])], F, "self:"),
        ("aten::replication_pad2d.out", [np.zeros((1, 2, 2), F), IntList([-2, 0, 0, 0])], F,
         "pad:"),
        ("aten::replication_pad3d.out", [np.zeros((2, 2, 2), F), IntList([1] * 6)], F, "self:"),
        ("aten::pixel_shuffle.out", [np.zeros((1, 3, 2, 2), F), 2], F, "self:"),
        ("aten::pixel_shuffle.out", [np.zeros((1, 4, 2, 2), F), 0], F, "upscale_factor:"),
        ("aten::pixel_unshuffle.out", [np.zeros((1, 1, 3, 4), F), 2], F, "self:"),
        ("aten::_adaptive_avg_pool2d.out", [np.zeros((2, 2), F), IntList([1, 1])], F, "self:"),
        ("aten::_adaptive_avg_pool2d.out", [Z4, IntList([1, 2, 3])], F, "output_size:"),
        ("aten::_adaptive_avg_pool2d.out", [Z4.astype(np.int32), IntList([1, 1])], np.int32,
         "self:"),
        ("aten::upsample_nearest2d.vec_out", [Z4, IntList([2, 2]), DoubleList([2.0, 2.0])], F,
         "exactly one"),
        ("aten::upsample_nearest2d.vec_out", [Z4, None, None], F, "exactly one"),
        ("aten::upsample_nearest2d.vec_out", [Z4, IntList([0, 2]), None], F, "output_size:"),
        ("aten::upsample_nearest2d.vec_out", [Z4, None, DoubleList([2.0])], F,
         "scale_factors:"),
        ("aten::upsample_nearest2d.vec_out", [np.zeros((2, 4, 4), F), IntList([2, 2]), None], F,
         "input:"),
        ("aten::upsample_bilinear2d.vec_out", [Z4, IntList([2, 2]), 1, None], F,
         "align_corners:"),
        ("aten::upsample_bilinear2d.vec_out", [Z4.astype(np.int64), IntList([2, 2]), False, None],
         np.int64, "input:"),
        ("aten::upsample_bilinear2d.vec_out", [Z4, None, False, DoubleList([-1.0, 2.0])], F,
         "scale_factors:"),
        ("aten::_upsample_bilinear2d_aa.out", [Z4, IntList([2]), False, None, None], F,
         "output_size:"),
        ("aten::_upsample_bilinear2d_aa.out", [Z4, IntList([2, 2]), False, "x", None], F,
         "scales_h:"),
        ("aten::grid_sampler_2d.out", [Z4, np.zeros((1, 2, 2, 3), F), 0, 0, False], F, "grid:"),
        ("aten::grid_sampler_2d.out", [Z4, np.zeros((2, 2, 2, 2), F), 0, 0, False], F, "grid:"),
        ("aten::grid_sampler_2d.out", [Z4, np.zeros((1, 2, 2, 2), F), 3, 0, False], F,
         "interpolation_mode:"),
        ("aten::grid_sampler_2d.out", [Z4, np.zeros((1, 2, 2, 2), F), 0, 5, False], F,
         "padding_mode:"),
        ("aten::grid_sampler_2d.out", [Z4, np.zeros((1, 2, 2, 2), np.float64), 0, 0, False], F,
         "grid:"),
        ("aten::max_pool2d_with_indices_backward.grad_input",
         [np.zeros((1, 2, 2, 2), F), Z4, IntList([2, 2]), IntList([2, 2]), IntList([0, 0]),
          IntList([1, 1]), False, np.full((1, 2, 2, 2), 16, np.int64)], F, "indices:"),
        ("aten::max_pool2d_with_indices_backward.grad_input",
         [np.zeros((1, 2, 2, 2), F), Z4, IntList([2, 2]), IntList([2, 2]), IntList([0, 0]),
          IntList([1, 1]), False, np.zeros((1, 2, 2, 2), np.int32)], F, "indices:"),
        ("aten::max_pool2d_with_indices_backward.grad_input",
         [np.zeros((2, 2, 2, 2), F), Z4, IntList([2, 2]), IntList([2, 2]), IntList([0, 0]),
          IntList([1, 1]), False, np.zeros((2, 2, 2, 2), np.int64)], F, "grad_output:"),
    ],
)
def test_rejects_bad_arguments(lib: KernelLib, op: str, args: list[object],  # noqa: F811
                               out_dtype: type, needle: str) -> None:
    from kernel_abi_ctypes import Str

    args = [Str(a) if isinstance(a, str) else a for a in args]
    err, msg, _ = lib.call(op, [*args, Out(np.dtype(out_dtype), (1, 1, 1, 1)[: 4], dynamic=True,
                                           capacity_elems=4096), ("alias", len(args))])
    assert err > 0 and needle in msg, (ERROR_NAMES[err] if err >= 0 else err, msg)


def test_wrong_nargs_are_rejected(lib: KernelLib) -> None:  # noqa: F811
    for op in GENERATORS:
        err, msg, _ = lib.call(op, [np.zeros((1, 1, 2, 2), F)])
        assert err > 0 and "expected" in msg, (op, msg)
