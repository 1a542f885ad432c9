"""The indexing and scatter kernels against PyTorch eager on generated cases: advanced
indexing (index.Tensor, index_put_ with Long/Int/Bool indices, None slices, broadcasting,
adjacent and non-adjacent index dims), index_select, gather, the scatters, masked ops,
nonzero, repeat_interleave (data-dependent sizes), tril, diagonal_copy, flip, roll,
unfold_copy and narrow_copy. Every real dtype, Half and Bool; NaN/inf pass through;
empty and 0-dim tensors. Same shim and case runner as test_kernels.py (static and
dynamic out); index.Tensor's and index_put's machinery is op_indexing.cpp's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest
import torch
from kernel_abi_ctypes import ERROR_NAMES, IntList, KernelLib, Out
from test_kernels import Case, rand, run_case, t
from test_kernels import lib as lib  # noqa: F401  (the shared fixture)

aten = torch.ops.aten
DTYPES = [
    np.float32,
    np.float64,
    np.float16,
    np.int64,
    np.int32,
    np.int16,
    np.int8,
    np.uint8,
    np.bool_,
]
FLOATS = [np.float32, np.float64, np.float16]
EDGES = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1.5, -2.0, 65504.0], np.float32)
Gen = Callable[[np.random.Generator], Iterator[Case]]


def opt(items: list[np.ndarray | None]) -> list[torch.Tensor | None]:
    return [None if i is None else t(i) for i in items]


def idx(values: object, dtype: type = np.int64) -> np.ndarray:
    return np.asarray(values, dtype=dtype)


def index_cases(rng: np.random.Generator) -> Iterator[tuple[tuple[int, ...], list]]:
    """(self shape, indices) pairs covering PyTorch's advanced-indexing layouts."""
    yield (4, 5, 3), [idx([0, 3, -1, 2])]
    yield (4, 5, 3), [None, idx([4, 0, -5], np.int32)]
    yield (4, 5, 3), [idx([[0], [3]]), idx([1, 2, 4])]  # broadcast (2, 1) x (3,)
    yield (4, 5, 3), [idx([0, 2]), None, idx([1, 2])]  # non-adjacent: B goes first
    yield (4, 5, 3), [None, idx([1, 3]), idx([[0, 2], [2, 1]])]  # adjacent, not leading
    yield (4, 5, 3), [idx(2)]  # 0-dim index removes the dim
    yield (4, 5, 3), [idx([], np.int64)]  # empty index
    yield (4, 5, 3), [idx([[0, 1], [2, 3]])]  # embedding-like rows
    yield (4, 5, 3), [rng.integers(0, 2, (4, 5)).astype(np.bool_)]  # 2-D mask
    yield (4, 5, 3), [None, idx([True, False, True, True, False], np.bool_)]
    yield (4, 5, 3), [idx([True, False, True, False], np.bool_), None, idx([2])]  # mask, idx
    yield (4, 5, 3), [None, None, idx([False, False, False], np.bool_)]  # no true element
    yield (4, 5, 3), [idx([1, 0]), idx([2, 4]), idx([0, 2])]  # every dim: a gather of scalars
    # 0-dim masks (aten.index.Tensor asserts when one is the only index)
    yield (2, 3, 4), [None, idx(True, np.bool_), idx([1, 2])]
    yield (2, 3, 4), [idx(True, np.bool_), idx([0, 1])]
    yield (0, 3), [None, idx([2, 0])]
    yield (6,), [idx([5, -6, 0])]


def gen_index(rng: np.random.Generator) -> Iterator[Case]:
    for shape, indices in index_cases(rng):
        for dtype in DTYPES:
            x = rand(rng, shape, dtype)
            yield Case(
                "aten::index.Tensor_out", [x, indices], aten.index.Tensor(t(x), opt(indices))
            )
    x = np.resize(EDGES, (4, 2))
    yield Case(
        "aten::index.Tensor_out", [x, [idx([3, 0])]], aten.index.Tensor(t(x), [t(idx([3, 0]))])
    )


def gen_index_select(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::index_select.out"
    for shape, dim, index in [
        ((4, 5), 0, [3, 0, 0, 1]),
        ((4, 5), 1, [4, 2]),
        ((4, 5), -1, [1]),
        ((2, 3, 4), 1, [2, 0, 1, 2]),
        ((2, 3, 4), 2, []),
        ((0, 3), 1, [2]),
        ((7,), 0, [6, 0, 3]),
        ((), 0, [0]),
    ]:
        for dtype in DTYPES:
            x = rand(rng, shape, dtype)
            for itype in (np.int64, np.int32):
                i = idx(index, itype)
                yield Case(op, [x, dim, i], torch.index_select(t(x), dim, t(i)))
    x = rand(rng, (4, 3))
    yield Case(op, [x, 0, idx(2)], torch.index_select(t(x), 0, t(idx(2))))  # 0-dim index
    yield Case(
        op, [EDGES, 0, idx([0, 1, 2, 3])], torch.index_select(t(EDGES), 0, t(idx([0, 1, 2, 3])))
    )


def gen_gather(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::gather.out"
    for shape, dim, ishape in [
        ((3, 4, 5), 0, (2, 4, 5)),
        ((3, 4, 5), 1, (3, 6, 2)),
        ((3, 4, 5), -1, (1, 2, 7)),
        ((4, 6), 1, (4, 6)),
        ((5,), 0, (8,)),
        ((), 0, ()),
        ((3, 4), 0, (0, 4)),
    ]:
        for dtype in DTYPES:
            x = rand(rng, shape, dtype)
            n = shape[dim] if shape else 1
            for itype in (np.int64, np.int32):
                i = rng.integers(0, n, ishape).astype(itype)
                yield Case(op, [x, dim, i, False], torch.gather(t(x), dim, t(i)))
    i = idx([7, 0, 3, 2])
    yield Case(op, [EDGES, 0, i, False], torch.gather(t(EDGES), 0, t(i)))


def unique_index(
    rng: np.random.Generator, full: tuple[int, ...], dim: int, ishape: tuple[int, ...]
) -> np.ndarray:
    """An index of shape ishape whose entries along dim are distinct (< full[dim]): a scatter
    without duplicate positions, whose result PyTorch defines."""
    lines = tuple(max(a, b) for a, b in zip(full, ishape, strict=True))
    lines = tuple(full[d] if d == dim else lines[d] for d in range(len(full)))
    perm = np.argsort(rng.random(lines), axis=dim)
    return np.ascontiguousarray(perm[tuple(slice(0, s) for s in ishape)]).astype(np.int64)


SCATTER_SHAPES = [
    ((3, 4, 5), 0, (2, 4, 5), (3, 4, 5)),
    ((3, 4, 5), 1, (3, 2, 4), (3, 4, 5)),
    ((3, 4, 5), -1, (2, 3, 5), (2, 3, 6)),
    ((6,), 0, (4,), (5,)),
    ((4, 3), 1, (0, 3), (4, 3)),
]


def gen_scatter(mode: str) -> Gen:
    op = {
        "src": "aten::scatter.src_out",
        "value": "aten::scatter.value_out",
        "add": "aten::scatter_add.out",
    }[mode]

    def gen(rng: np.random.Generator) -> Iterator[Case]:
        for shape, dim, ishape, sshape in SCATTER_SHAPES:
            nd = len(shape)
            d = dim % nd
            for dtype in DTYPES:
                x = rand(rng, shape, dtype)
                if mode == "add":  # duplicates are fine: the adds commute
                    i = rng.integers(0, shape[d], ishape).astype(np.int64)
                else:
                    i = unique_index(rng, shape, d, ishape)
                for itype in (np.int64, np.int32):
                    ii = i.astype(itype)
                    if mode == "value":
                        for v in [2, -3, 2.7] if np.dtype(dtype).kind in "iub" else [1.5, -2, True]:
                            yield Case(op, [x, dim, ii, v], torch.scatter(t(x), dim, t(ii), v))
                        continue
                    src = rand(rng, sshape, dtype)
                    fn = torch.scatter_add if mode == "add" else torch.scatter
                    yield Case(
                        op, [x, dim, ii, src], fn(t(x), dim, t(ii), t(src)), rtol=1e-3, atol=1e-3
                    )
        x = np.zeros((), np.float32)
        src = np.asarray(4.0, np.float32)
        if mode == "value":
            yield Case(op, [x, 0, idx(0), 9.0], torch.scatter(t(x), 0, t(idx(0)), 9.0))
        else:
            fn = torch.scatter_add if mode == "add" else torch.scatter
            yield Case(op, [x, 0, idx(0), src], fn(t(x), 0, t(idx(0)), t(src)))
        if mode == "add":  # integer wrap-around
            x8 = np.full((3,), 100, np.int8)
            s8 = np.full((4,), 100, np.int8)
            i = idx([0, 0, 2, 0])
            yield Case(op, [x8, 0, i, s8], torch.scatter_add(t(x8), 0, t(i), t(s8)))

    return gen


def gen_select_scatter(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::select_scatter.out"
    for shape, dim, index in [
        ((3, 4, 5), 0, 1),
        ((3, 4, 5), 1, -1),
        ((3, 4, 5), -1, 4),
        ((5,), 0, 2),
        ((0, 3), 1, 2),
    ]:
        for dtype in DTYPES:
            x = rand(rng, shape, dtype)
            src_shape = tuple(s for k, s in enumerate(shape) if k != dim % len(shape))
            src = rand(rng, src_shape, dtype)
            yield Case(op, [x, src, dim, index], torch.select_scatter(t(x), t(src), dim, index))


def gen_slice_scatter(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::slice_scatter.out"
    for shape, dim, start, end, step in [
        ((6, 4), 0, 1, 5, 2),
        ((6, 4), 1, None, None, 1),
        ((6, 4), -1, -3, None, 1),
        ((2, 7, 3), 1, 2, 100, 3),
        ((2, 7, 3), 1, 5, 2, 1),
        ((5,), 0, -100, -1, 2),
    ]:
        for dtype in DTYPES:
            x = rand(rng, shape, dtype)
            sl = [slice(None)] * len(shape)
            sl[dim] = slice(start, end, step)
            window = t(x)[tuple(sl)]  # the slice's shape, computed by PyTorch
            src = rand(rng, tuple(window.shape), dtype)
            yield Case(
                op,
                [x, src, dim, start, end, step],
                torch.slice_scatter(t(x), t(src), dim, start, end, step),
            )


def gen_masked_scatter(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::masked_scatter.out"
    for sshape, mshape in [
        ((3, 4), (3, 4)),
        ((3, 4), (4,)),
        ((4,), (3, 4)),
        ((), (2, 2)),
        ((2, 3), ()),
        ((0, 3), (1, 3)),
    ]:
        for dtype in DTYPES:
            x = rand(rng, sshape, dtype)
            m = rand(rng, mshape, np.bool_)
            n = int(np.prod(np.broadcast_shapes(sshape, mshape)))
            source = rand(rng, (n + 2,), dtype)
            yield Case(op, [x, m, source], torch.masked_scatter(t(x), t(m), t(source)))


def gen_masked_select(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::masked_select.out"
    for sshape, mshape in [
        ((3, 4), (3, 4)),
        ((3, 4), (4,)),
        ((4,), (3, 4)),
        ((), (3,)),
        ((2, 3), ()),
        ((0, 3), (3,)),
    ]:
        for dtype in DTYPES:
            x = rand(rng, sshape, dtype)
            m = rand(rng, mshape, np.bool_)
            yield Case(op, [x, m], torch.masked_select(t(x), t(m)))
    m = np.zeros((3, 4), np.bool_)  # nothing selected: a [0] result
    x = rand(rng, (3, 4))
    yield Case(op, [x, m], torch.masked_select(t(x), t(m)))
    m = np.ones(EDGES.shape, np.bool_)
    yield Case(op, [EDGES, m], torch.masked_select(t(EDGES), t(m)))


def gen_nonzero(rng: np.random.Generator) -> Iterator[Case]:
    for shape in [(), (7,), (3, 4), (2, 3, 4), (0, 3)]:
        for dtype in DTYPES:
            x = rand(rng, shape, dtype)
            if np.dtype(dtype).kind in "iu":
                x = np.asarray(x % 3, dtype=dtype)  # plenty of zeros
            yield Case("aten::nonzero.out", [x], torch.nonzero(t(x)))
    for dtype in FLOATS:  # NaN is nonzero, -0.0 is zero
        x = EDGES.astype(dtype)
        yield Case("aten::nonzero.out", [x], torch.nonzero(t(x)))
    yield Case(
        "aten::nonzero.out",
        [np.zeros((3, 2), np.float32)],
        torch.nonzero(t(np.zeros((3, 2), np.float32))),
    )


def gen_repeat_interleave(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::repeat_interleave.Tensor_out"
    for reps in ([2, 0, 1, 3], [1], [0, 0], [], list(rng.integers(0, 4, 9))):
        for dtype in (np.int64, np.int32):
            r = idx(reps, dtype)
            expected = torch.repeat_interleave(t(r))
            yield Case(op, [r, None], expected)
            yield Case(op, [r, int(sum(reps))], expected)


def gen_tril(rng: np.random.Generator) -> Iterator[Case]:
    for shape in [(4, 5), (5, 4), (2, 3, 4), (1, 1), (0, 3), (3, 0), (2, 2, 3, 3)]:
        for dtype in DTYPES:
            x = rand(rng, shape, dtype)
            for diagonal in (0, 1, -1, 2, -3, 100, -100):
                yield Case("aten::tril.out", [x, diagonal], torch.tril(t(x), diagonal))
    x = np.resize(EDGES, (3, 3))
    yield Case("aten::tril.out", [x, 0], torch.tril(t(x)))


def gen_diagonal(rng: np.random.Generator) -> Iterator[Case]:
    op = "aten::diagonal_copy.out"
    for shape, dim1, dim2 in [
        ((4, 5), 0, 1),
        ((5, 4), 1, 0),
        ((2, 3, 4), 0, 2),
        ((2, 3, 4), -1, 1),
        ((3, 3), 0, -1),
        ((0, 3), 0, 1),
    ]:
        for dtype in DTYPES:
            x = rand(rng, shape, dtype)
            for offset in (0, 1, -1, 2, -3, 5, -6):
                yield Case(
                    op, [x, offset, dim1, dim2], torch.diagonal_copy(t(x), offset, dim1, dim2)
                )


def gen_flip(rng: np.random.Generator) -> Iterator[Case]:
    for shape, dims in [
        ((), [0]),
        ((), []),
        ((7,), [0]),
        ((3, 4), [1]),
        ((3, 4), [0, -1]),
        ((2, 3, 4), [0, 2]),
        ((2, 3, 4), [1]),
        ((2, 3, 4), []),
        ((0, 3), [0, 1]),
    ]:
        for dtype in DTYPES:
            x = rand(rng, shape, dtype)
            yield Case("aten::flip.out", [x, IntList(dims)], torch.flip(t(x), dims))
    yield Case("aten::flip.out", [EDGES, IntList([0])], torch.flip(t(EDGES), [0]))


def gen_roll(rng: np.random.Generator) -> Iterator[Case]:
    for shape, shifts, dims in [
        ((7,), [2], [0]),
        ((7,), [-9], [0]),
        ((3, 4), [1], []),
        ((3, 4), [-5], []),
        ((3, 4), [1, 2], [0, 1]),
        ((3, 4), [1, 1], [1, 1]),
        ((2, 3, 4), [5, -1], [1, 0]),
        ((2, 3, 4), [3], [2]),
        ((), [1], []),
        ((0, 3), [1], [1]),
        ((3, 4), [0], [0]),
    ]:
        for dtype in DTYPES:
            x = rand(rng, shape, dtype)
            yield Case(
                "aten::roll.out",
                [x, IntList(shifts), IntList(dims)],
                aten.roll.default(t(x), shifts, dims),
            )


def gen_unfold(rng: np.random.Generator) -> Iterator[Case]:
    for shape, dim, size, step in [
        ((7,), 0, 2, 1),
        ((7,), 0, 3, 2),
        ((7,), 0, 7, 3),
        ((7,), 0, 0, 1),
        ((3, 8), 1, 4, 4),
        ((3, 8), 0, 2, 1),
        ((2, 5, 4), -2, 3, 2),
        ((), 0, 1, 1),
        ((0, 3), 1, 2, 1),
    ]:
        for dtype in DTYPES:
            x = rand(rng, shape, dtype)
            yield Case(
                "aten::unfold_copy.out",
                [x, dim, size, step],
                torch.unfold_copy(t(x), dim, size, step),
            )


def gen_narrow(rng: np.random.Generator) -> Iterator[Case]:
    for shape, dim, start, length in [
        ((7,), 0, 2, 3),
        ((7,), 0, -3, 3),
        ((7,), 0, 7, 0),
        ((3, 8), 1, 0, 8),
        ((3, 8), -1, 5, 2),
        ((2, 5, 4), 1, -5, 1),
        ((0, 3), 1, 1, 2),
    ]:
        for dtype in DTYPES:
            x = rand(rng, shape, dtype)
            yield Case(
                "aten::narrow_copy.out",
                [x, dim, start, length],
                torch.narrow_copy(t(x), dim, start, length),
            )


GENERATORS: dict[str, Gen] = {
    "aten::index.Tensor_out": gen_index,
    "aten::index_select.out": gen_index_select,
    "aten::gather.out": gen_gather,
    "aten::scatter.src_out": gen_scatter("src"),
    "aten::scatter.value_out": gen_scatter("value"),
    "aten::scatter_add.out": gen_scatter("add"),
    "aten::select_scatter.out": gen_select_scatter,
    "aten::slice_scatter.out": gen_slice_scatter,
    "aten::masked_scatter.out": gen_masked_scatter,
    "aten::masked_select.out": gen_masked_select,
    "aten::nonzero.out": gen_nonzero,
    "aten::repeat_interleave.Tensor_out": gen_repeat_interleave,
    "aten::tril.out": gen_tril,
    "aten::diagonal_copy.out": gen_diagonal,
    "aten::flip.out": gen_flip,
    "aten::roll.out": gen_roll,
    "aten::unfold_copy.out": gen_unfold,
    "aten::narrow_copy.out": gen_narrow,
}

# In-place ops (no `out`): tested by their own tests below, not by the Case runner.
IN_PLACE_TESTED = {"aten::index_put_"}


@pytest.mark.parametrize("op", sorted(GENERATORS))
def test_kernel_matches_pytorch(lib: KernelLib, op: str) -> None:  # noqa: F811
    n = 0
    for seed in (0, 1):
        for case in GENERATORS[op](np.random.default_rng(seed)):
            run_case(lib, case, dynamic=False)
            run_case(lib, case, dynamic=True)
            n += 1
    assert n > 0


def index_put_cases(
    rng: np.random.Generator,
) -> Iterator[tuple[np.ndarray, list, np.ndarray, bool]]:
    """(self, indices, values, accumulate): index_cases' layouts, values of the indexed shape
    or broadcast from its last dims; non-accumulating cases have no duplicate positions."""
    for shape, indices in index_cases(rng):
        for dtype in (np.float32, np.float16, np.int64, np.int8, np.bool_):
            x = rand(rng, shape, dtype)
            indexed = tuple(aten.index.Tensor(t(x), opt(indices)).shape)
            for acc in (False, True):
                # the flat positions written: a duplicate makes the last-write order matter
                pos = aten.index.Tensor(torch.arange(x.size).reshape(shape), opt(indices))
                dup = len(torch.unique(pos)) < pos.numel()
                if dup and not acc:
                    continue
                yield x, indices, rand(rng, indexed, dtype), acc
                if indexed:
                    yield x, indices, rand(rng, indexed[-1:], dtype), acc


@pytest.mark.parametrize("seed", [0, 1])
def test_index_put_in_place_writes_self(lib: KernelLib, seed: int) -> None:  # noqa: F811
    """index_put_ writes self in place: args [self, indices, values, accumulate, return]."""
    n = 0
    for x, indices, values, acc in index_put_cases(np.random.default_rng(seed)):
        expected = aten.index_put_.default(t(x.copy()), opt(indices), t(values), acc).numpy()
        self_ = x.copy()
        err, msg, _ = lib.call("aten::index_put_", [self_, indices, values, acc, ("alias", 0)])
        assert err == 0, f"{ERROR_NAMES[err]}: {msg}"
        if self_.dtype.kind == "f":
            np.testing.assert_allclose(self_, expected, rtol=1e-3, atol=1e-3, equal_nan=True)
        else:
            np.testing.assert_array_equal(self_, expected)
        n += 1
    assert n > 100


def test_index_put_out_takes_bool_masks(lib: KernelLib) -> None:  # noqa: F811
    """index_put.out shares index.Tensor's plan, masks included."""
    x = rand(np.random.default_rng(2), (4, 5))
    m = x > 0
    values = np.asarray([7.0], np.float32)
    expected = aten.index_put.default(t(x), [t(m)], t(values)).numpy()
    err, msg, res = lib.call(
        "aten::index_put.out",
        [x, [m], values, False, Out(np.dtype(np.float32), (4, 5)), ("alias", 4)],
    )
    assert err == 0, msg
    np.testing.assert_array_equal(res[4], expected)


@pytest.mark.parametrize("op", ["aten::nonzero.out", "aten::masked_select.out"])
def test_static_out_of_another_size_fails(lib: KernelLib, op: str) -> None:  # noqa: F811
    """The result size depends on the data: a static out of another size is an error."""
    x = np.asarray([1.0, 0.0, 2.0], np.float32)
    args: list[object] = [x] if op == "aten::nonzero.out" else [x, x != 0]
    shape = (3, 1) if op == "aten::nonzero.out" else (3,)
    dtype = np.int64 if op == "aten::nonzero.out" else np.float32
    err, msg, _ = lib.call(op, [*args, Out(np.dtype(dtype), shape), ("alias", len(args))])
    assert err != 0 and "out:" in msg, msg


F = np.float32
Z = np.zeros
L = np.int64


@pytest.mark.parametrize(
    ("op", "args", "out", "needle"),
    [
        ("aten::index.Tensor_out", [Z((4,), F), [idx([4])]], (F, 1), "indices: index out of range"),
        (
            "aten::index.Tensor_out",
            [Z((4,), F), [idx([-5])]],
            (F, 1),
            "indices: index out of range",
        ),
        (
            "aten::index.Tensor_out",
            [Z((4, 2), F), [idx([0]), idx([0]), idx([0])]],
            (F, 1),
            "indices: more indices",
        ),
        (
            "aten::index.Tensor_out",
            [Z((4, 2), F), [idx([0, 1]), idx([0, 1, 1])]],
            (F, 1),
            "indices: index tensors do not broadcast",
        ),
        (
            "aten::index.Tensor_out",
            [Z((4, 2), F), [Z((3,), np.bool_)]],
            (F, 2),
            "indices: a boolean",
        ),
        ("aten::index.Tensor_out", [Z((4, 2), F), [Z((2,), F)]], (F, 2), "indices: index tensors"),
        ("aten::index.Tensor_out", [Z((4,), F), [idx([0])]], (L, 1), "out: dtype"),
        ("aten::index.Tensor_out", [Z((4,), F), 3], (F, 1), "indices: expected a list"),
        (
            "aten::index_put.out",
            [Z((4,), F), [idx([1, 2])], Z((3,), F), False],
            (F, 1),
            "values: shape does not broadcast",
        ),
        (
            "aten::index_put.out",
            [Z((4,), F), [idx([1])], Z((1,), L), False],
            (F, 1),
            "values: dtype",
        ),
        ("aten::index_put.out", [Z((4,), F), [idx([1])], Z((1,), F), 1], (F, 1), "accumulate"),
        ("aten::index_select.out", [Z((4, 3), F), 0, idx([4])], (F, 2), "index: out of range"),
        ("aten::index_select.out", [Z((4, 3), F), 0, idx([-1])], (F, 2), "index: out of range"),
        ("aten::index_select.out", [Z((4, 3), F), 2, idx([0])], (F, 2), "dim: out of range"),
        ("aten::index_select.out", [Z((4, 3), F), 0, Z((1,), F)], (F, 2), "index: must be Long"),
        ("aten::index_select.out", [Z((4, 3), F), 0, Z((1, 1), L)], (F, 2), "index: must be 0-D"),
        ("aten::gather.out", [Z((4, 3), F), 1, idx([[3]]), False], (F, 2), "index: out of range"),
        (
            "aten::gather.out",
            [Z((4, 3), F), 1, idx([0]), False],
            (F, 1),
            "index: must have as many",
        ),
        ("aten::gather.out", [Z((4, 3), F), 1, Z((5, 1), L), False], (F, 2), "index: larger"),
        ("aten::gather.out", [Z((4, 3), F), 1, Z((1, 1), L), 0], (F, 2), "sparse_grad"),
        (
            "aten::scatter.src_out",
            [Z((4,), F), 0, idx([4]), Z((1,), F)],
            (F, 1),
            "index: out of range",
        ),
        (
            "aten::scatter.src_out",
            [Z((4,), F), 0, idx([1, 2]), Z((1,), F)],
            (F, 1),
            "index: larger than src",
        ),
        ("aten::scatter.src_out", [Z((4,), F), 0, idx([1]), Z((1,), L)], (F, 1), "src: dtype"),
        ("aten::scatter.value_out", [Z((4,), F), 0, idx([-1]), 1.0], (F, 1), "index: out of range"),
        ("aten::scatter.value_out", [Z((4,), F), 0, idx([0]), None], (F, 1), "value: expected"),
        (
            "aten::scatter_add.out",
            [Z((4,), F), 1, idx([0]), Z((1,), F)],
            (F, 1),
            "dim: out of range",
        ),
        (
            "aten::scatter_add.out",
            [Z((4,), F), 0, Z((1,), F), Z((1,), F)],
            (F, 1),
            "index: must be",
        ),
        (
            "aten::select_scatter.out",
            [Z((4, 3), F), Z((3,), F), 0, 4],
            (F, 2),
            "index: out of range",
        ),
        ("aten::select_scatter.out", [Z((4, 3), F), Z((4,), F), 0, 1], (F, 2), "src: shape"),
        ("aten::slice_scatter.out", [Z((4, 3), F), Z((2, 3), F), 0, 0, 4, 1], (F, 2), "src: shape"),
        ("aten::slice_scatter.out", [Z((4, 3), F), Z((4, 3), F), 0, None, None, 0], (F, 2), "step"),
        (
            "aten::masked_scatter.out",
            [Z((4,), F), np.ones((4,), np.bool_), Z((3,), F)],
            (F, 1),
            "source: has fewer",
        ),
        (
            "aten::masked_scatter.out",
            [Z((4,), F), Z((4,), F), Z((4,), F)],
            (F, 1),
            "mask: must be Bool",
        ),
        (
            "aten::masked_scatter.out",
            [Z((4,), F), Z((3,), np.bool_), Z((4,), F)],
            (F, 1),
            "mask: shape",
        ),
        ("aten::masked_select.out", [Z((4,), F), Z((3,), np.bool_)], (F, 1), "mask: shape"),
        ("aten::masked_select.out", [Z((4,), F), Z((4,), np.int64)], (F, 1), "mask: must be Bool"),
        ("aten::nonzero.out", [Z((4,), F)], (np.int32, 2), "out: must be Long"),
        ("aten::repeat_interleave.Tensor_out", [idx([1, -1]), None], (L, 1), "repeats: entries"),
        ("aten::repeat_interleave.Tensor_out", [idx([1, 2]), 4], (L, 1), "output_size"),
        ("aten::repeat_interleave.Tensor_out", [idx([[1]]), None], (L, 1), "repeats: must be 1-D"),
        ("aten::repeat_interleave.Tensor_out", [Z((2,), F), None], (F, 1), "repeats: must be Long"),
        ("aten::tril.out", [Z((4,), F), 0], (F, 1), "self: must have at least 2"),
        ("aten::tril.out", [Z((4, 4), F), 0.5], (F, 2), "diagonal"),
        ("aten::diagonal_copy.out", [Z((4, 4), F), 0, 1, 1], (F, 1), "dim2: must differ"),
        ("aten::diagonal_copy.out", [Z((4, 4), F), 0, 0, 2], (F, 1), "dim2"),
        ("aten::flip.out", [Z((4, 4), F), IntList([0, -2])], (F, 2), "dims: a dim appears"),
        ("aten::flip.out", [Z((4, 4), F), IntList([2])], (F, 2), "dims: out of range"),
        ("aten::roll.out", [Z((4, 4), F), IntList([1, 2]), IntList([0])], (F, 2), "shifts"),
        ("aten::roll.out", [Z((4, 4), F), IntList([1, 2]), IntList([])], (F, 2), "shifts"),
        ("aten::roll.out", [Z((4, 4), F), IntList([1]), IntList([3])], (F, 2), "dims: out of"),
        ("aten::roll.out", [Z((), F), IntList([1]), IntList([0])], (F, 0), "dims: out of"),
        ("aten::unfold_copy.out", [Z((4,), F), 0, 5, 1], (F, 2), "size: larger"),
        ("aten::unfold_copy.out", [Z((4,), F), 0, 2, 0], (F, 2), "step"),
        ("aten::unfold_copy.out", [Z((4,), F), 1, 2, 1], (F, 2), "dimension"),
        ("aten::narrow_copy.out", [Z((4,), F), 0, 3, 2], (F, 1), "length"),
        ("aten::narrow_copy.out", [Z((4,), F), 0, -5, 1], (F, 1), "start: out of range"),
        ("aten::narrow_copy.out", [Z((4,), F), 0, 0, -1], (F, 1), "length"),
    ],
)
def test_rejects_bad_arguments(
    lib: KernelLib,
    op: str,
    args: list[object],  # noqa: F811
    out: tuple[type, int],
    needle: str,
) -> None:
    dtype, ndim = out
    err, msg, _ = lib.call(
        op,
        [
            *args,
            Out(np.dtype(dtype), (1,) * ndim, dynamic=True, capacity_elems=64),
            ("alias", len(args)),
        ],
    )
    assert err > 0 and needle in msg, (ERROR_NAMES[err] if err >= 0 else err, msg)


def test_index_put_in_place_rejects_bad_arguments(lib: KernelLib) -> None:  # noqa: F811
    self_ = np.zeros((4,), np.float32)
    err, msg, _ = lib.call(
        "aten::index_put_", [self_, [idx([9])], np.ones((1,), np.float32), False, ("alias", 0)]
    )
    assert err > 0 and "indices: index out of range" in msg, msg
    err, msg, _ = lib.call(
        "aten::index_put_", [self_, [idx([1])], np.ones((1,), np.float32), ("alias", 0)]
    )
    assert err > 0 and "expected 5 args" in msg, msg
