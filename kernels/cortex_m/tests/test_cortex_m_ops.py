"""The cortex_m:: kernels against upstream ExecuTorch's Python reference implementations
(executorch 1.5.1, backends/cortex_m/ops/operators.py) on generated cases: random shapes,
strides, paddings, dilations, groups, zero points, per-channel multipliers and shifts (from
float scales, as upstream's passes compute them), scratch sizes that take each convolution
path, saturating values and activation clamps, then bad arguments.

Bit-exact where the reference is integer arithmetic (convolutions, linear, batch matmul, add,
mul, max pool, pad, transpose, min/max, LUT, quantize/dequantize); within one quantization
step where it is float arithmetic that CMSIS-NN does in integers or where float rounding may
land a tie the other way (avg pool: CMSIS-NN's integer mean; softmax).
Kernels are called through the kernel-ABI shim (kernel_abi_ctypes.py) with channels-last
(dim order 0,2,3,1) activations, as upstream's programs hold them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "portable" / "tests"))
from kernel_abi_ctypes import (  # noqa: E402
    ERROR_NAMES,
    IntList,
    KernelLib,
    Out,
    Strided,
    build_library,
)

# The passes first: importing the operators first is a circular import in the wheel.
pytest.importorskip("executorch.backends.cortex_m.passes",
                    reason="needs upstream executorch==1.5.1")
import executorch.backends.cortex_m.ops.operators  # noqa: E402,F401  (registers torch.ops.cortex_m)
from executorch.backends.cortex_m.passes.passes_utils import (  # noqa: E402
    quantize_multiplier_aot,
    requantize_cmsis,
)

TARGET = "//kernels/cortex_m/testing:libkernel_abi_cortex_m.so"
CL = [0, 2, 3, 1]  # channels last
cm = torch.ops.cortex_m


@pytest.fixture(scope="module")
def lib() -> KernelLib:
    try:
        return KernelLib(build_library(TARGET, "SLIMTORCH_CORTEX_M_KERNEL_ABI_LIB"))
    except RuntimeError as e:
        pytest.fail(str(e))


# ---- helpers -------------------------------------------------------------------------

def memory_of(x: np.ndarray, order: list[int]) -> np.ndarray:
    """The memory of a tensor with dim order `order` holding logical `x`, shaped like x."""
    return np.ascontiguousarray(x.transpose(order)).reshape(x.shape)


def logical_of(memory: np.ndarray, shape: tuple[int, ...], order: list[int]) -> np.ndarray:
    return memory.reshape(-1).reshape([shape[d] for d in order]).transpose(np.argsort(order))


def cl(x: torch.Tensor) -> Strided:
    """A 4-D NCHW-sized tensor passed channels-last."""
    return Strided(memory_of(x.numpy(), CL), CL)


def call(lib: KernelLib, op: str, args: list[object], out: Out) -> np.ndarray:
    """Calls `op` with args + [out, return alias]; the result in logical order."""
    n = len(args)
    err, msg, results = lib.call(op, [*args, out, ("alias", n)])
    assert err == 0, f"{op}: {ERROR_NAMES[err] if 0 <= err < len(ERROR_NAMES) else err}: {msg}"
    got = results[n]
    assert got is not None
    return logical_of(got, out.shape, out.dim_order) if out.dim_order else got


def call_err(lib: KernelLib, op: str, args: list[object], out: Out) -> tuple[str, str]:
    n = len(args)
    err, msg, _ = lib.call(op, [*args, out, ("alias", n)])
    return (ERROR_NAMES[err] if 0 <= err < len(ERROR_NAMES) else str(err)), msg


def i8(rng: np.random.Generator, *shape: int) -> torch.Tensor:
    """int8 values over the whole range, saturating ends included."""
    x = rng.integers(-128, 128, size=shape).astype(np.int8)
    if x.size > 2:
        x.flat[0], x.flat[-1] = -128, 127
    return torch.from_numpy(x)


def requant(rng: np.random.Generator, n: int, lo: float = 1e-4, hi: float = 0.05) -> tuple[
        torch.Tensor, torch.Tensor]:
    """Per-channel (multiplier, shift) int32 tensors from random float scales."""
    scales = np.exp(rng.uniform(np.log(lo), np.log(hi), n))
    pairs = [quantize_multiplier_aot(float(s)) for s in scales]
    return (torch.tensor([p[0] for p in pairs], dtype=torch.int32),
            torch.tensor([p[1] for p in pairs], dtype=torch.int32))


def act_range(rng: np.random.Generator) -> tuple[int, int]:
    return [(-128, 127), (0, 127), (-128, 0), (-20, 90)][int(rng.integers(0, 4))]


def assert_exact(got: np.ndarray, want: torch.Tensor, what: str) -> None:
    np.testing.assert_array_equal(got, want.contiguous().numpy(), err_msg=what)


def assert_one_step(got: np.ndarray, want: torch.Tensor, what: str, max_off_frac: float) -> None:
    w = want.contiguous().numpy().astype(np.int32)
    diff = np.abs(got.astype(np.int32) - w)
    assert diff.max(initial=0) <= 1, f"{what}: off by {diff.max()}"
    assert (diff != 0).mean() <= max_off_frac, f"{what}: {(diff != 0).mean():.3f} of outputs differ"


# ---- convolutions ----------------------------------------------------------------------

def conv_case(rng: np.random.Generator, depthwise: bool) -> dict[str, object]:
    n = int(rng.integers(1, 3))
    cin = int(rng.integers(1, 9))
    groups = 1
    mult = 1
    if depthwise:
        mult = int(rng.choice([1, 1, 2, 3]))
        cout = cin * mult
    else:
        if cin % 2 == 0 and rng.random() < 0.25:
            groups = 2
        cout = int(rng.integers(1, 7)) * groups
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    stride = [int(rng.integers(1, 3)), int(rng.integers(1, 3))]
    padding = [int(rng.integers(0, 3)), int(rng.integers(0, 3))]
    dilation = [int(rng.choice([1, 1, 2])), int(rng.choice([1, 1, 2]))]
    h = int(rng.integers(max(1, dilation[0] * (kh - 1) + 1 - 2 * padding[0]), 12))
    w = int(rng.integers(max(1, dilation[1] * (kw - 1) + 1 - 2 * padding[1]), 12))
    h, w = max(h, 1), max(w, 1)
    x = i8(rng, n, cin, h, w).to(memory_format=torch.channels_last)
    if depthwise:
        weight = i8(rng, 1, kh, kw, cout)
    else:
        weight = i8(rng, cout, kh, kw, cin // groups)
    bias = None if rng.random() < 0.2 else torch.from_numpy(
        rng.integers(-20000, 20000, size=cout).astype(np.int32))
    mults, shifts = requant(rng, cout, 1e-4, 0.02)
    lo, hi = act_range(rng)
    return dict(x=x, weight=weight, bias=bias, stride=stride, padding=padding, dilation=dilation,
                mult=mult, groups=groups,
                # Some zero points beyond int8 (upstream folds constants into them): a padded
                # convolution then takes the direct loop.
                input_offset=int(rng.integers(-127, 129) if rng.random() < 0.85
                                 else rng.integers(-400, 400)),
                output_offset=int(rng.integers(-128, 128)), mults=mults, shifts=shifts,
                lo=lo, hi=hi, kh=kh, kw=kw, cin=cin)


def conv_args(c: dict[str, object], scratch: np.ndarray, depthwise: bool, nhwc: bool,
              ) -> list[object]:
    x = c["x"]
    assert isinstance(x, torch.Tensor)
    xin: object = np.ascontiguousarray(x.permute(0, 2, 3, 1).numpy()) if nhwc else cl(x)
    bias = c["bias"]
    args: list[object] = [xin, c["weight"].numpy(), None if bias is None else bias.numpy(),
                          IntList(c["stride"]), IntList(c["padding"]), IntList(c["dilation"])]
    if depthwise:
        args.append(c["mult"])
    args += [c["input_offset"], c["output_offset"], c["mults"].numpy(), c["shifts"].numpy(),
             c["lo"], c["hi"], scratch]
    return args


def reference_conv(c: dict[str, object], depthwise: bool) -> torch.Tensor:
    if c["dilation"] != [1, 1]:
        return dilated_reference(c, depthwise)
    fn = cm.quantized_depthwise_conv2d if depthwise else cm.quantized_conv2d
    extra = [c["mult"]] if depthwise else []
    return fn(c["x"], c["weight"], c["bias"], c["stride"], c["padding"], c["dilation"], *extra,
              c["input_offset"], c["output_offset"], c["mults"], c["shifts"], c["lo"], c["hi"],
              torch.zeros(0, dtype=torch.uint8))


def dilated_reference(c: dict[str, object], depthwise: bool) -> torch.Tensor:
    """Upstream's reference calls aten's integer conv2d, which has no dilated kernel: the
    same computation with the sums in float64 (exact here) and upstream's requantize_cmsis."""
    x, w = c["x"], c["weight"]
    assert isinstance(x, torch.Tensor) and isinstance(w, torch.Tensor)
    xf = x.to(torch.float64) + float(c["input_offset"])  # type: ignore[arg-type]
    if depthwise:
        wf, groups = w.to(torch.float64).permute(3, 0, 1, 2), x.shape[1]
    else:
        wf, groups = w.to(torch.float64).permute(0, 3, 1, 2), c["groups"]
    bias = c["bias"]
    acc = torch.nn.functional.conv2d(
        xf, wf, None if bias is None else bias.to(torch.float64),  # type: ignore[union-attr]
        stride=c["stride"], padding=c["padding"], dilation=c["dilation"], groups=groups)
    acc = acc.round().to(torch.int64)
    mults, shifts = c["mults"], c["shifts"]
    assert isinstance(mults, torch.Tensor) and isinstance(shifts, torch.Tensor)
    out = torch.stack([requantize_cmsis(acc[:, o], int(mults[o]), int(shifts[o]))
                       for o in range(acc.shape[1])], dim=1)
    out = (out + int(c["output_offset"])).clamp(int(c["lo"]), int(c["hi"]))  # type: ignore[arg-type]
    return out.to(torch.int8)


@pytest.mark.parametrize("nhwc", [False, True], ids=["channels_last", "nhwc"])
@pytest.mark.parametrize("depthwise", [False, True], ids=["conv", "depthwise"])
def test_conv_matches_reference(lib: KernelLib, depthwise: bool, nhwc: bool) -> None:
    rng = np.random.default_rng(1 + depthwise * 10 + nhwc)
    op = ("cortex_m::quantized_depthwise_conv2d" if depthwise else "cortex_m::quantized_conv2d")
    op += "_nhwc.out" if nhwc else ".out"
    values: set[int] = set()
    for case in range(60):
        c = conv_case(rng, depthwise)
        want = reference_conv(c, depthwise)
        depth = int(c["kh"]) * int(c["kw"]) * int(c["cin"]) // int(c["groups"])
        # Scratch sizes: none (direct loop), a part of a row, one row, three rows, plenty.
        sizes = [0, max(0, depth - 1), depth, 3 * depth + 1, 100000]
        scratch = np.zeros(sizes[case % len(sizes)], dtype=np.uint8)
        shape = tuple(want.shape)
        if nhwc:
            out = Out(np.dtype(np.int8), (shape[0], shape[2], shape[3], shape[1]))
            got = call(lib, op, conv_args(c, scratch, depthwise, nhwc), out).transpose(0, 3, 1, 2)
        else:
            out = Out(np.dtype(np.int8), shape, dim_order=CL)
            got = call(lib, op, conv_args(c, scratch, depthwise, nhwc), out)
        assert_exact(got, want, f"case {case}: {op} scratch {scratch.size} "
                     f"{ {k: v for k, v in c.items() if not isinstance(v, torch.Tensor)} }")
        values |= set(np.unique(got).tolist())
    assert len(values) > 100, "the cases should exercise most of the int8 range"


@pytest.mark.parametrize("nhwc", [False, True], ids=["channels_last", "nhwc"])
def test_transpose_conv_matches_reference(lib: KernelLib, nhwc: bool) -> None:
    """Transposed convolution: the gather through im2col rows (and the direct loop) against
    upstream's reference (float conv_transpose2d of the integer values: exact at these sizes)."""
    rng = np.random.default_rng(5 + nhwc)
    op = "cortex_m::quantized_transpose_conv2d" + ("_nhwc.out" if nhwc else ".out")
    for case in range(40):
        cin, cout = int(rng.integers(1, 7)), int(rng.integers(1, 7))
        kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        stride = [int(rng.integers(1, 4)), int(rng.integers(1, 4))]
        dilation = [int(rng.choice([1, 1, 2])), int(rng.choice([1, 1, 2]))]
        padding = [int(rng.integers(0, kh)), int(rng.integers(0, kw))]
        out_pad = [int(rng.integers(0, max(stride[a], dilation[a]))) for a in range(2)]
        h, w = int(rng.integers(2, 7)), int(rng.integers(2, 7))
        x = i8(rng, int(rng.integers(1, 3)), cin, h, w).to(memory_format=torch.channels_last)
        weight = i8(rng, cout, kh, kw, cin)
        bias = None if case % 4 == 3 else torch.from_numpy(
            rng.integers(-20000, 20000, size=cout).astype(np.int32))
        mults, shifts = requant(rng, cout, 1e-4, 0.02)
        lo, hi = act_range(rng)
        ioff, ooff = int(rng.integers(-127, 129)), int(rng.integers(-128, 128))
        scratch = torch.zeros([0, kh * kw * cin, 4 * kh * kw * cin, 10000][case % 4],
                              dtype=torch.uint8)
        try:
            want = cm.quantized_transpose_conv2d(x, weight, bias, stride, padding, out_pad,
                                                 dilation, ioff, ooff, mults, shifts, lo, hi,
                                                 scratch, scratch)
        except RuntimeError:
            continue  # a configuration PyTorch refuses (output smaller than zero)
        args: list[object] = [
            np.ascontiguousarray(x.permute(0, 2, 3, 1).numpy()) if nhwc else cl(x),
            weight.numpy(), None if bias is None else bias.numpy(), IntList(stride),
            IntList(padding), IntList(out_pad), IntList(dilation), ioff, ooff, mults.numpy(),
            shifts.numpy(), lo, hi, scratch.numpy(), scratch.numpy()]
        shape = tuple(want.shape)
        if nhwc:
            got = call(lib, op, args, Out(np.dtype(np.int8), (shape[0], shape[2], shape[3],
                                                              shape[1])))
            got = got.transpose(0, 3, 1, 2)
        else:
            got = call(lib, op, args, Out(np.dtype(np.int8), shape, dim_order=CL))
        assert_exact(got, want, f"case {case}: k {kh}x{kw} s {stride} p {padding} "
                     f"op {out_pad} d {dilation} scratch {scratch.numel()}")


def test_conv_1x1_paths(lib: KernelLib) -> None:
    """1x1 unpadded convolutions (stride 1: one mat_mult; stride 2: one per row) need no
    scratch; with padding they go through im2col (padded taps are the zero point)."""
    rng = np.random.default_rng(7)
    for stride, pad in [([1, 1], [0, 0]), ([2, 2], [0, 0]), ([2, 1], [0, 0]), ([1, 1], [1, 1])]:
        c = conv_case(rng, False)
        c.update(kh=1, kw=1, stride=stride, padding=pad, dilation=[1, 1], groups=1)
        cin, cout = 5, 6
        c["x"] = i8(rng, 1, cin, 7, 6).to(memory_format=torch.channels_last)
        c["weight"] = i8(rng, cout, 1, 1, cin)
        c["bias"] = torch.from_numpy(rng.integers(-3000, 3000, size=cout).astype(np.int32))
        c["mults"], c["shifts"] = requant(rng, cout)
        c["cin"] = cin
        want = reference_conv(c, False)
        out = Out(np.dtype(np.int8), tuple(want.shape), dim_order=CL)
        got = call(lib, "cortex_m::quantized_conv2d.out",
                   conv_args(c, np.zeros(cin if pad[0] else 0, np.uint8), False, False), out)
        assert_exact(got, want, f"stride {stride} pad {pad}")


def test_conv_bad_arguments(lib: KernelLib) -> None:
    rng = np.random.default_rng(3)
    c = conv_case(rng, False)
    c.update(stride=[1, 1], padding=[1, 1], dilation=[1, 1])
    want = reference_conv(c, False)
    shape = tuple(want.shape)
    op = "cortex_m::quantized_conv2d.out"

    def run(**changes: object) -> tuple[str, str]:
        d = dict(c)
        d.update(changes)
        args = conv_args(d, np.zeros(64, np.uint8), False, False)
        return call_err(lib, op, args, Out(np.dtype(np.int8), shape, dim_order=CL))

    cout = int(c["weight"].shape[0])
    cases: list[tuple[dict[str, object], str]] = [
        (dict(stride=[0, 1]), "stride"),
        (dict(padding=[-1, 0]), "padding"),
        (dict(dilation=[0, 1]), "dilation"),
        (dict(mults=torch.zeros(cout + 1, dtype=torch.int32)), "requantize_multipliers"),
        (dict(shifts=torch.zeros(max(cout - 1, 0), dtype=torch.int32)), "requantize_shifts"),
        (dict(bias=torch.zeros(cout + 2, dtype=torch.int32)), "bias"),
        (dict(bias=torch.zeros(cout, dtype=torch.int64)), "bias"),
        (dict(weight=c["weight"].to(torch.int32)), "weight"),
        (dict(lo=10, hi=5), "activation_min"),
        (dict(hi=300), "activation_max"),
        (dict(input_offset=40000), "input_offset"),
    ]
    for change, arg in cases:
        err, msg = run(**change)
        assert err == "InvalidArgument" and msg.startswith(arg), f"{change}: {err} {msg}"
    # A channels-first input with C > 1 is refused, not misread.
    x = c["x"]
    assert isinstance(x, torch.Tensor)
    if x.shape[1] > 1 and x.shape[2] * x.shape[3] > 1:
        args = conv_args(c, np.zeros(64, np.uint8), False, False)
        args[0] = np.ascontiguousarray(x.contiguous().numpy())
        err, msg = call_err(lib, op, args, Out(np.dtype(np.int8), shape, dim_order=CL))
        assert err == "NotSupported" and msg.startswith("input"), msg
    # An out of the wrong static shape, and too few arguments.
    err, msg = call_err(lib, op, conv_args(c, np.zeros(64, np.uint8), False, False),
                        Out(np.dtype(np.int8), (shape[0], shape[1], shape[2] + 1, shape[3]),
                            dim_order=CL))
    assert err == "InvalidArgument" and msg.startswith("out"), msg
    err, _, _ = lib.call(op, conv_args(c, np.zeros(64, np.uint8), False, False))
    assert ERROR_NAMES[err] == "InvalidArgument"


# ---- linear and batch matmul -------------------------------------------------------------

@pytest.mark.parametrize("with_kernel_sum", [True, False])
def test_linear_matches_reference(lib: KernelLib, with_kernel_sum: bool) -> None:
    rng = np.random.default_rng(11 + with_kernel_sum)
    for case in range(40):
        lead = [int(v) for v in rng.integers(1, 4, size=int(rng.integers(1, 3)))]
        k, n = int(rng.integers(1, 40)), int(rng.integers(1, 20))
        x = i8(rng, *lead, k)
        w = i8(rng, n, k)
        input_offset = int(rng.integers(-127, 129))
        filter_offset = 0 if case % 2 == 0 else int(rng.integers(-10, 10))
        bias = torch.from_numpy(rng.integers(-20000, 20000, size=n).astype(np.int32))
        ksum = None
        if with_kernel_sum:
            wsum = w.to(torch.int32).sum(dim=1)
            ksum = (bias + input_offset * wsum + input_offset * filter_offset * k)
            ksum = ksum.to(torch.int32).reshape(1, n)
        m, s = quantize_multiplier_aot(float(np.exp(rng.uniform(np.log(1e-4), np.log(0.02)))))
        output_offset = int(rng.integers(-128, 128))
        lo, hi = act_range(rng)
        b_arg = None if with_kernel_sum else bias
        want = cm.quantized_linear(x, w, b_arg, ksum, input_offset, filter_offset, output_offset,
                                   [m], [s], hi, lo)
        got = call(lib, "cortex_m::quantized_linear.out",
                   [x.numpy(), w.numpy(), None if b_arg is None else b_arg.numpy(),
                    None if ksum is None else ksum.numpy(), input_offset, filter_offset,
                    output_offset, IntList([m]), IntList([s]), hi, lo],
                   Out(np.dtype(np.int8), tuple(want.shape)))
        assert_exact(got, want, f"case {case}")


def test_linear_bad_arguments(lib: KernelLib) -> None:
    x, w = np.zeros((2, 8), np.int8), np.zeros((3, 8), np.int8)
    good: list[object] = [x, w, None, None, 0, 0, 0, IntList([1 << 30]), IntList([-1]), 127, -128]
    out = Out(np.dtype(np.int8), (2, 3))
    assert call_err(lib, "cortex_m::quantized_linear.out", good, out)[0] == "Ok"
    for idx, value, arg in [(1, np.zeros((3, 7), np.int8), "weights"),
                            (2, np.zeros(4, np.int32), "bias"),
                            (3, np.zeros(2, np.int32), "kernel_sum"),
                            (7, IntList([]), "requantize_multipliers"),
                            (8, IntList([40]), "requantize_shifts"),
                            (9, 200, "activation_max"),
                            (10, -129, "activation_min"),
                            (0, np.zeros((2, 8), np.float32), "input")]:
        args = list(good)
        args[idx] = value
        err, msg = call_err(lib, "cortex_m::quantized_linear.out", args, out)
        assert err == "InvalidArgument" and msg.startswith(arg), f"{arg}: {err} {msg}"


def test_batch_matmul_matches_reference(lib: KernelLib) -> None:
    rng = np.random.default_rng(21)
    for case in range(20):
        b, m, k, n = (int(v) for v in rng.integers(1, 12, size=4))
        lhs, rhs = i8(rng, b, m, k), i8(rng, b, n, k)
        lz, rz, oz = (int(v) for v in rng.integers(-128, 128, size=3))
        mult, shift = quantize_multiplier_aot(float(rng.uniform(1e-5, 1e-3)))
        scratch = torch.zeros(0, dtype=torch.uint8)
        want = cm.quantized_batch_matmul(lhs, lz, rhs, rz, oz, mult, shift, scratch)
        got = call(lib, "cortex_m::quantized_batch_matmul.out",
                   [lhs.numpy(), lz, rhs.numpy(), rz, oz, mult, shift, scratch.numpy()],
                   Out(np.dtype(np.int8), (b, m, n)))
        assert_exact(got, want, f"case {case}")


# ---- elementwise ---------------------------------------------------------------------------

def binary_shapes(rng: np.random.Generator) -> tuple[tuple[int, ...], tuple[int, ...], bool]:
    """(self shape, other shape, 4-D channels-last) for same-shape or channel broadcast."""
    n, c, h, w = (int(v) for v in rng.integers(1, 6, size=4))
    kind = int(rng.integers(0, 4))
    if kind == 0:
        return (n, c, h, w), (n, c, h, w), True
    if kind == 1:
        return (n, c, h, w), (1, c, 1, 1), True
    if kind == 2:
        return (1, c, 1, 1), (n, c, h, w), True
    shape = tuple(int(v) for v in rng.integers(1, 9, size=int(rng.integers(1, 4))))
    return shape, shape, False


def ref_in(x: torch.Tensor) -> torch.Tensor:
    """What upstream's reference takes: 4-D activations in channels-last memory."""
    return x.to(memory_format=torch.channels_last) if x.dim() == 4 else x


def as_arg(x: torch.Tensor, channels_last: bool) -> object:
    return cl(x) if channels_last else x.numpy()


def out_for(shape: tuple[int, ...], channels_last: bool) -> Out:
    return Out(np.dtype(np.int8), shape, dim_order=CL if channels_last else None)


def test_add_matches_reference(lib: KernelLib) -> None:
    rng = np.random.default_rng(31)
    for case in range(60):
        sa, sb, chl = binary_shapes(rng)
        a, b = i8(rng, *sa), i8(rng, *sb)
        za, zb, zo = (int(v) for v in rng.integers(-128, 128, size=3))
        # Upstream's rule: both inputs rescaled to twice the larger input scale, << 20.
        s_a, s_b, s_o = (float(v) for v in rng.uniform(0.005, 0.1, size=3))
        big = 2 * max(s_a, s_b)
        ma, sha = quantize_multiplier_aot(s_a / big)
        mb, shb = quantize_multiplier_aot(s_b / big)
        mo, sho = quantize_multiplier_aot(big / ((1 << 20) * s_o))
        lo, hi = act_range(rng)
        want = cm.quantized_add(ref_in(a), za, ma, sha, ref_in(b), zb, mb, shb, zo, mo, sho, lo, hi)
        shape = tuple(want.shape)
        got = call(lib, "cortex_m::quantized_add.out",
                   [as_arg(a, chl), za, ma, sha, as_arg(b, chl), zb, mb, shb, zo, mo, sho, lo, hi],
                   out_for(shape, chl))
        assert_exact(got, want, f"case {case} {sa} {sb}")


def test_mul_matches_reference(lib: KernelLib) -> None:
    rng = np.random.default_rng(32)
    for case in range(60):
        sa, sb, chl = binary_shapes(rng)
        a, b = i8(rng, *sa), i8(rng, *sb)
        za, zb, zo = (int(v) for v in rng.integers(-128, 128, size=3))
        if case % 6 == 0:
            zb = -341  # upstream's hardswish folds its +3 into a zero point beyond int8
        mo, sho = quantize_multiplier_aot(float(rng.uniform(1e-4, 1e-2)))
        want = cm.quantized_mul(ref_in(a), za, ref_in(b), zb, zo, mo, sho)
        got = call(lib, "cortex_m::quantized_mul.out",
                   [as_arg(a, chl), za, as_arg(b, chl), zb, zo, mo, sho],
                   out_for(tuple(want.shape), chl))
        assert_exact(got, want, f"case {case} {sa} {sb}")


@pytest.mark.parametrize("name", ["minimum", "maximum"])
def test_min_max_match_reference(lib: KernelLib, name: str) -> None:
    rng = np.random.default_rng(33)
    fn = getattr(cm, name)
    for case in range(30):
        sa, sb, chl = binary_shapes(rng)
        if case % 5 == 4:
            sb = (1,) * len(sa)  # a scalar-like operand
        a, b = i8(rng, *sa), i8(rng, *sb)
        want = fn(a, b)
        got = call(lib, f"cortex_m::{name}.out", [as_arg(a, chl), as_arg(b, chl)],
                   out_for(tuple(want.shape), chl))
        assert_exact(got, want, f"case {case}")


def test_activation_lut_matches_reference(lib: KernelLib) -> None:
    rng = np.random.default_rng(34)
    lut = i8(rng, 256)
    x = i8(rng, 2, 3, 4, 5)
    want = cm.quantized_activation(x, lut)
    got = call(lib, "cortex_m::quantized_activation.out", [cl(x), lut.numpy()],
               out_for(tuple(x.shape), True))
    assert_exact(got, want, "lut")
    err, msg = call_err(lib, "cortex_m::quantized_activation.out", [x.numpy(), lut[:255].numpy()],
                        out_for(tuple(x.shape), False))
    assert err == "InvalidArgument" and msg.startswith("lut"), msg


def test_div_matches_reference(lib: KernelLib) -> None:
    rng = np.random.default_rng(35)
    for case in range(20):
        shape = tuple(int(v) for v in rng.integers(1, 7, size=3))
        a, b = i8(rng, *shape), i8(rng, *shape)
        za, zb, zo = (int(v) for v in rng.integers(-128, 128, size=3))
        b.view(-1)[0] = zb  # a zero divisor
        scale = float(rng.uniform(0.5, 60.0))
        want = cm.quantized_div(a, za, b, zb, zo, scale)
        got = call(lib, "cortex_m::quantized_div.out", [a.numpy(), za, b.numpy(), zb, zo, scale],
                   Out(np.dtype(np.int8), shape))
        assert_one_step(got, want, f"case {case}", 0.01)


def test_elementwise_bad_arguments(lib: KernelLib) -> None:
    a, b = np.zeros((2, 3), np.int8), np.zeros((4, 3), np.int8)
    err, msg = call_err(lib, "cortex_m::quantized_add.out",
                        [a, 0, 1 << 30, 0, b, 0, 1 << 30, 0, 0, 1 << 30, 0, -128, 127],
                        Out(np.dtype(np.int8), (2, 3)))
    assert err == "InvalidArgument" and msg.startswith("other"), msg
    err, msg = call_err(lib, "cortex_m::quantized_add.out",
                        [a, 5000, 1 << 30, 0, a, 0, 1 << 30, 0, 0, 1 << 30, 0, -128, 127],
                        Out(np.dtype(np.int8), (2, 3)))
    assert err == "InvalidArgument" and msg.startswith("self_zero_point"), msg
    err, msg = call_err(lib, "cortex_m::quantized_mul.out",
                        [a.astype(np.int16), 0, a, 0, 0, 1 << 30, 0],
                        Out(np.dtype(np.int8), (2, 3)))
    assert err == "InvalidArgument" and msg.startswith("self"), msg


# ---- pooling -------------------------------------------------------------------------------

def pool_case(rng: np.random.Generator) -> tuple[torch.Tensor, list[int], list[int], list[int]]:
    k = [int(rng.integers(1, 4)), int(rng.integers(1, 4))]
    s = [int(rng.integers(1, 3)), int(rng.integers(1, 3))]
    p = [int(rng.integers(0, k[0] // 2 + 1)), int(rng.integers(0, k[1] // 2 + 1))]
    n, c = int(rng.integers(1, 3)), int(rng.integers(1, 9))
    h, w = int(rng.integers(k[0], 12)), int(rng.integers(k[1], 12))
    return i8(rng, n, c, h, w).to(memory_format=torch.channels_last), k, s, p


@pytest.mark.parametrize("nhwc", [False, True], ids=["channels_last", "nhwc"])
def test_max_pool_matches_reference(lib: KernelLib, nhwc: bool) -> None:
    rng = np.random.default_rng(41)
    op = "cortex_m::quantized_max_pool2d" + ("_nhwc.out" if nhwc else ".out")
    for case in range(40):
        x, k, s, p = pool_case(rng)
        zp = int(rng.integers(-128, 128))
        lo, hi = act_range(rng)
        want = cm.quantized_max_pool2d(x, k, s, p, [1, 1], False, zp, zp, lo, hi)
        args: list[object] = [IntList(k), IntList(s), IntList(p), IntList([1, 1]), False, zp, zp,
                              lo, hi]
        shape = tuple(want.shape)
        if nhwc:
            got = call(lib, op, [np.ascontiguousarray(x.permute(0, 2, 3, 1).numpy()), *args],
                       Out(np.dtype(np.int8), (shape[0], shape[2], shape[3], shape[1])))
            got = got.transpose(0, 3, 1, 2)
        else:
            got = call(lib, op, [cl(x), *args], out_for(shape, True))
        assert_exact(got, want, f"case {case} k {k} s {s} p {p}")


@pytest.mark.parametrize("nhwc", [False, True], ids=["channels_last", "nhwc"])
def test_avg_pool_within_one_step(lib: KernelLib, nhwc: bool) -> None:
    """CMSIS-NN's integer mean (ties away from zero) against the reference's float mean
    (ties to even): equal but for exact ties, never more than one step apart."""
    rng = np.random.default_rng(42)
    op = "cortex_m::quantized_avg_pool2d" + ("_nhwc.out" if nhwc else ".out")
    exact = 0
    total = 0
    for case in range(40):
        x, k, s, p = pool_case(rng)
        ceil = bool(case % 3 == 2)
        zp = int(rng.integers(-128, 128))
        mult, shift = quantize_multiplier_aot(float(rng.uniform(0.01, 0.2)))
        scratch = torch.zeros(0, dtype=torch.uint8)
        want = cm.quantized_avg_pool2d(x, k, s, p, ceil, zp, mult, shift, scratch)
        args: list[object] = [IntList(k), IntList(s), IntList(p), ceil, zp, mult, shift,
                              scratch.numpy()]
        shape = tuple(want.shape)
        if nhwc:
            got = call(lib, op, [np.ascontiguousarray(x.permute(0, 2, 3, 1).numpy()), *args],
                       Out(np.dtype(np.int8), (shape[0], shape[2], shape[3], shape[1])))
            got = got.transpose(0, 3, 1, 2)
        else:
            got = call(lib, op, [cl(x), *args], out_for(shape, True))
        what = f"case {case} k {k} s {s} p {p} ceil {ceil}"
        assert_one_step(got, want, what, 1.0)
        # Exactly CMSIS-NN's integer mean: the window's sum over its in-input count.
        mean = torch.nn.functional.avg_pool2d(x.to(torch.float64), k, s, p, ceil_mode=ceil,
                                              count_include_pad=False)
        cmsis = torch.sign(mean) * torch.floor(mean.abs() + 0.5)
        assert_exact(got, cmsis.clamp(-128, 127).to(torch.int8), what)
        exact += int((got == want.contiguous().numpy()).sum())
        total += got.size
    assert exact >= 0.8 * total, f"only {exact} of {total} averages equal the reference"


def test_pool_bad_arguments(lib: KernelLib) -> None:
    x = i8(np.random.default_rng(0), 1, 4, 6, 6).to(memory_format=torch.channels_last)
    op = "cortex_m::quantized_max_pool2d.out"
    base: list[object] = [cl(x), IntList([2, 2]), IntList([2, 2]), IntList([0, 0]),
                          IntList([1, 1]), False, 0, 0, -128, 127]
    out = out_for((1, 4, 3, 3), True)
    assert call_err(lib, op, base, out)[0] == "Ok"
    for idx, value, arg, kind in [(4, IntList([2, 2]), "dilation", "NotSupported"),
                                  (7, 5, "output_zero_point", "InvalidArgument"),
                                  (2, IntList([0, 1]), "stride", "InvalidArgument"),
                                  (3, IntList([2, 2]), "padding", "InvalidArgument")]:
        args = list(base)
        args[idx] = value
        err, msg = call_err(lib, op, args, out)
        assert err == kind and msg.startswith(arg), f"{arg}: {err} {msg}"


# ---- pad, transpose, softmax, quantize -------------------------------------------------

def test_pad_matches_reference(lib: KernelLib) -> None:
    rng = np.random.default_rng(51)
    for case in range(30):
        rank = int(rng.integers(1, 5))
        shape = tuple(int(v) for v in rng.integers(1, 6, size=rank))
        x = i8(rng, *shape)
        chl = rank == 4 and case % 2 == 0
        if chl:
            x = x.to(memory_format=torch.channels_last)
        pre = [int(v) for v in rng.integers(0, 3, size=4)]
        post = [int(v) for v in rng.integers(0, 3, size=4)]
        value = int(rng.integers(-128, 128))
        want = cm.pad(x, pre, post, value)
        got = call(lib, "cortex_m::pad.out",
                   [as_arg(x, chl), IntList(pre), IntList(post), value],
                   out_for(tuple(want.shape), chl))
        assert_exact(got, want, f"case {case} {shape} {pre} {post}")


def test_transpose_matches_reference(lib: KernelLib) -> None:
    rng = np.random.default_rng(52)
    for case in range(20):
        rank = int(rng.integers(1, 5))
        shape = tuple(int(v) for v in rng.integers(1, 6, size=rank))
        x = i8(rng, *shape)
        perm = [int(v) for v in rng.permutation(rank)]
        want = cm.transpose(x, perm)
        got = call(lib, "cortex_m::transpose.out", [x.numpy(), IntList(perm)],
                   Out(np.dtype(np.int8), tuple(want.shape)))
        assert_exact(got, want, f"case {case}")
    x = i8(rng, 2, 3, 4, 5)  # a channels-last input read by logical position
    want = cm.transpose(x, [0, 3, 1, 2])
    got = call(lib, "cortex_m::transpose.out", [cl(x), IntList([0, 3, 1, 2])],
               Out(np.dtype(np.int8), tuple(want.shape)))
    assert_exact(got, want, "channels-last input")


def test_softmax_within_one_step(lib: KernelLib) -> None:
    rng = np.random.default_rng(53)
    for case in range(20):
        rank = int(rng.integers(1, 4))
        shape = tuple(int(v) for v in rng.integers(1, 12, size=rank))
        x = i8(rng, *shape)
        dim = int(rng.integers(-rank, rank))
        zin = int(rng.integers(-128, 128))
        in_scale = float(rng.uniform(0.01, 0.2))
        mult, shift = quantize_multiplier_aot(in_scale * (1 << 26))  # 5 integer bits
        want = cm.softmax(x, dim, zin, -128, mult, shift, -1000)
        got = call(lib, "cortex_m::softmax.out", [x.numpy(), dim, zin, -128, mult, shift, -1000],
                   Out(np.dtype(np.int8), shape))
        assert_one_step(got, want, f"case {case}", 0.05)


def test_quantize_dequantize_match_reference(lib: KernelLib) -> None:
    rng = np.random.default_rng(54)
    for case in range(20):
        shape = tuple(int(v) for v in rng.integers(1, 7, size=4))
        scale = float(rng.uniform(0.001, 0.1))
        zp = int(rng.integers(-128, 128))
        x = torch.from_numpy(rng.uniform(-10, 10, size=shape).astype(np.float32))
        x.view(-1)[0] = scale * 0.5  # a tie
        x.view(-1)[-1] = 1e9  # saturates
        chl = case % 2 == 0
        xin = x.to(memory_format=torch.channels_last) if chl else x
        want_q = cm.quantize_per_tensor(x, scale, zp, -128, 127, torch.int8)
        got_q = call(lib, "cortex_m::quantize_per_tensor.out",
                     [Strided(memory_of(xin.numpy(), CL), CL) if chl else x.numpy(), scale, zp,
                      -128, 127, 1], out_for(shape, chl))
        assert_exact(got_q, want_q, f"quantize case {case}")
        want_d = cm.dequantize_per_tensor(want_q, scale, zp, -128, 127, torch.int8)
        got_d = call(lib, "cortex_m::dequantize_per_tensor.out",
                     [as_arg(want_q, chl), scale, zp, -128, 127, 1],
                     Out(np.dtype(np.float32), shape, dim_order=CL if chl else None))
        np.testing.assert_array_equal(got_d, want_d.numpy(), err_msg=f"dequantize case {case}")
    err, msg = call_err(lib, "cortex_m::quantize_per_tensor.out",
                        [np.zeros(3, np.float32), 0.1, 0, -128, 127, 3],
                        Out(np.dtype(np.int8), (3,)))
    assert err == "NotSupported" and msg.startswith("dtype"), msg
    err, msg = call_err(lib, "cortex_m::quantize_per_tensor.out",
                        [np.zeros(3, np.float32), -0.1, 0, -128, 127, 1],
                        Out(np.dtype(np.int8), (3,)))
    assert err == "InvalidArgument" and msg.startswith("scale"), msg


def test_catalog_lists_every_kernel(lib: KernelLib) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "codegen"))
    from kernel_catalog import load_catalogs

    catalog = Path(__file__).resolve().parents[1] / "functions.yaml"
    names = set(lib.kernel_names())
    assert set(load_catalogs([str(catalog)])) <= names
    upstream = Path(executorch.backends.cortex_m.ops.operators.__file__).with_suffix(".yaml")
    upstream_ops = set(load_catalogs([str(upstream)]))
    assert upstream_ops <= names, upstream_ops - names



def test_every_kernel_refuses_wrong_arguments(lib: KernelLib) -> None:
    """Any count of None arguments (wrong tags everywhere) or scalars where tensors belong is
    an error code, never a crash."""
    for name in lib.kernel_names():
        if not name.startswith("cortex_m::"):
            continue
        for n in range(0, 18):
            err, _, _ = lib.call(name, [None] * n)
            assert err != 0, f"{name} accepted {n} None arguments"
            err, _, _ = lib.call(name, [1] * n)
            assert err != 0, f"{name} accepted {n} int arguments"
