"""The control-flow, reduction and state kernels against PyTorch eager on generated cases:
comparisons (eq/ne/lt/le/gt/ge, Scalar and Tensor, every real dtype and Bool, with
broadcasting), sum.IntList_out (dims, keepdim, dtype), copy_/copy.out and index_put.out
(select_copy.int_out's cases are in test_kernels.py).
Same shim and case runner as test_kernels.py (static and dynamic out).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest
import torch
from kernel_abi_ctypes import ERROR_NAMES, IntList, KernelLib, Out
from test_kernels import BROADCAST_SHAPES, Case, rand, run_case, t
from test_kernels import lib as lib  # noqa: F401  (the shared fixture)

aten = torch.ops.aten
DTYPES = [np.float32, np.float64, np.int64, np.int32, np.int16, np.int8, np.uint8, np.bool_]
COMPARE_OPS = ["eq", "ne", "lt", "le", "gt", "ge"]


def small_ints(rng: np.random.Generator, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """Values from a small range, so that equal elements occur (eq/ne/le/ge both ways)."""
    if np.dtype(dtype) == np.bool_:
        return rand(rng, shape, np.bool_)
    return np.asarray(rng.integers(0, 4, size=shape), dtype=dtype)


def gen_compare(name: str, overload: str) -> Callable[[np.random.Generator], Iterator[Case]]:
    op = f"aten::{name}.{overload}_out"

    def gen(rng: np.random.Generator) -> Iterator[Case]:
        fn = getattr(torch, name)
        if overload == "Tensor":
            for sa, sb in BROADCAST_SHAPES:
                for da in DTYPES:
                    a, b = small_ints(rng, sa, da), small_ints(rng, sb, da)
                    yield Case(op, [a, b], fn(t(a), t(b)))
            for da, db in [(np.float32, np.int64), (np.int32, np.float64), (np.bool_, np.int64)]:
                a, b = small_ints(rng, (3, 4), da), small_ints(rng, (4,), db)
                a = a + np.asarray(0.5, dtype=da) if np.dtype(da).kind == "f" else a
                yield Case(op, [a, b], fn(t(a), t(b)))
        else:
            for shape in [(3, 4), (), (0,), (5,)]:
                for da in DTYPES:
                    a = small_ints(rng, shape, da)
                    for s in (2, 1.5, True, -1):
                        yield Case(op, [a, s], fn(t(a), s))

    return gen


def gen_sum(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::sum.IntList_out"
    for shape, dims in [((3, 4), [1]), ((3, 4), [0]), ((2, 3, 4), [0, 2]), ((2, 3, 4), [-1]),
                        ((2, 3, 4), None), ((2, 3, 4), []), ((5,), [0]), ((), None), ((0, 3), [0]),
                        ((2, 3, 4), [1, 0, 2])]:
        for dtype in (np.float32, np.float64, np.int64, np.int32, np.bool_):
            x = rand(rng, shape, dtype)
            for keepdim in (False, True):
                d = IntList(dims) if dims is not None else None
                expected = (torch.sum(t(x), dims, keepdim=keepdim) if dims is not None
                            else torch.sum(t(x)).reshape([1] * len(shape) if keepdim else []))
                yield Case(op, [x, d, keepdim, None], expected)
        x = rand(rng, shape, np.int32)  # dtype= gives the accumulation/out dtype
        yield Case(op, [x, IntList(dims or []), False, 4],
                   torch.sum(t(x), dims or [], dtype=torch.int64))
        xf = rand(rng, shape, np.float32)
        yield Case(op, [xf, IntList(dims or []), False, 7],
                   torch.sum(t(xf), dims or [], dtype=torch.float64))


def gen_copy(rng: np.random.Generator) -> Iterator[Case]:
    for ds, dd in [(np.float32, np.float32), (np.int64, np.float32), (np.float32, np.int32),
                   (np.bool_, np.float32), (np.float64, np.bool_), (np.int32, np.int64)]:
        for ss, sd in [((3, 4), (3, 4)), ((4,), (3, 4)), ((), (2, 2)), ((1, 3), (2, 3))]:
            src, self_ = rand(rng, ss, ds), rand(rng, sd, dd)
            yield Case("aten::copy.out", [self_, src, False],
                       aten.copy.default(t(self_), t(src)))


def gen_index_put(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::index_put.out"
    for dtype in (np.float32, np.int64, np.int32):
        cache = rand(rng, (2, 6, 3), dtype)
        # KV-cache shapes: positions along dim 1, batch and features kept (None).
        for pos in ([4], [0, 5], [-1], [2, 2]):
            idx = np.asarray(pos, dtype=np.int64)
            values = rand(rng, (2, len(pos), 3), dtype)
            for acc in (False, True):
                expected = aten.index_put.default(t(cache), [None, t(idx)], t(values), acc)
                yield Case(op, [cache, [None, idx], values, acc], expected)
        idx0 = np.asarray([1, 0], dtype=np.int32)
        values = rand(rng, (3,), dtype)  # broadcast values, leading index
        yield Case(op, [cache, [idx0], values, False],
                   aten.index_put.default(t(cache), [t(idx0)], t(values)))
        i0 = np.asarray([[0], [1]], dtype=np.int64)
        i2 = np.asarray([0, 2], dtype=np.int64)  # non-adjacent: B first
        values = rand(rng, (2, 2, 6), dtype)
        yield Case(op, [cache, [i0, None, i2], values, False],
                   aten.index_put.default(t(cache), [t(i0), None, t(i2)], t(values)))


GENERATORS: dict[str, Callable[[np.random.Generator], Iterator[Case]]] = {
    **{f"aten::{n}.{o}_out": gen_compare(n, o) for n in COMPARE_OPS for o in ("Scalar", "Tensor")},
    "aten::sum.IntList_out": gen_sum,
    "aten::copy.out": gen_copy,
    "aten::index_put.out": gen_index_put,
}

# In-place ops (no `out`): tested by their own tests below, not by the Case runner.
IN_PLACE_TESTED = {"aten::copy_"}


@pytest.mark.parametrize("op", sorted(GENERATORS))
def test_kernel_matches_pytorch(lib: KernelLib, op: str) -> None:  # noqa: F811
    n = 0
    for seed in (0, 1):
        for case in GENERATORS[op](np.random.default_rng(seed)):
            run_case(lib, case, dynamic=False)
            run_case(lib, case, dynamic=True)
            n += 1
    assert n > 0


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_, np.int8])
def test_copy_in_place_writes_self(lib: KernelLib, dtype: type) -> None:  # noqa: F811
    """copy_ writes self in place, keeping its shape; src broadcasts and converts."""
    rng = np.random.default_rng(3)
    for src_shape in [(3, 4), (4,), ()]:
        self_ = rand(rng, (3, 4), dtype)
        src = rand(rng, src_shape, np.float64)
        expected = t(self_.copy()).copy_(t(src)).numpy()
        err, msg, _ = lib.call("aten::copy_", [self_, src, False, ("alias", 0)])
        assert err == 0, f"{ERROR_NAMES[err]}: {msg}"
        np.testing.assert_array_equal(self_, expected)


@pytest.mark.parametrize(
    ("op", "args", "needle"),
    [
        ("aten::gt.Tensor_out", [np.zeros((2, 3), np.float32), np.zeros((4,), np.float32)],
         "do not broadcast"),
        ("aten::sum.IntList_out", [np.zeros((2, 3), np.float32), IntList([2]), False, None],
         "dim: out of range"),
        ("aten::sum.IntList_out", [np.zeros((2, 3), np.float32), IntList([1, 1]), False, None],
         "appears twice"),
        ("aten::index_put.out", [np.zeros((4,), np.float32), [np.asarray([4], np.int64)],
                                 np.zeros((1,), np.float32), False], "out of range"),
        ("aten::index_put.out", [np.zeros((4,), np.float32), [np.asarray([True] * 3)],
                                 np.zeros((4,), np.float32), False], "boolean mask's shape"),
        ("aten::select_copy.int_out", [np.zeros((3,), np.float32), 0, 3], "index: out of range"),
    ],
)
def test_rejects_bad_arguments(lib: KernelLib, op: str, args: list[object],  # noqa: F811
                               needle: str) -> None:
    out_dtype = np.float32 if "index_put" in op or "select" in op or "sum" in op else np.bool_
    err, msg, _ = lib.call(op, [*args, Out(np.dtype(out_dtype), (1,), dynamic=True,
                                           capacity_elems=64), ("alias", len(args))])
    assert err != 0 and needle in msg, (ERROR_NAMES[err] if err >= 0 else err, msg)
