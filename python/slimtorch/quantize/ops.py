"""The `cortex_m::` operators slimtorch's int8 lowering emits, for torch.export and the emitter.

Schemas are upstream ExecuTorch's (executorch/backends/cortex_m/ops/operators.yaml of the
1.5.1 wheel), so a program slimtorch lowers calls the same operators upstream's Cortex-M flow
emits and slimtorch's kernels/cortex_m/ (or upstream's CMSIS-NN kernels) run either.

Defining them without clashing with upstream's wheel: upstream defines the namespace with
`Library("cortex_m", "DEF")` when `executorch.backends.cortex_m.ops.operators` is imported, and
a second DEF (or a second definition of the same op) raises. So `ensure_defined()` defines, with
a FRAGMENT library, only the ops that `torch.ops.cortex_m` lacks at that moment, each with a
fake (meta) implementation and no eager kernel: the exporter only traces them (torch.export
and run_decompositions need shapes, dtypes and memory formats) and emits them. Tests that run
the lowered graph through upstream's Python reference kernels import upstream's module FIRST
(python/slimtorch/tests/conftest.py does), so the ops exist already and are upstream's,
reference kernels included; importing upstream after slimtorch defined them would fail with
upstream's "already defined" error, which is why the order is fixed in conftest.
The fake implementations return what upstream's do (same shapes, int8 channels-last results
for the spatial ops), so the traced graph is the same whichever library defined the ops.

The exporter never imports upstream's wheel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

# name -> functional schema (the `.out` overload adds `*, Tensor(a!) out) -> Tensor(a!)`).
SCHEMAS: dict[str, str] = {
    "quantize_per_tensor": "(Tensor input, float scale, int zero_point, int quant_min, "
    "int quant_max, ScalarType dtype)",
    "dequantize_per_tensor": "(Tensor input, float scale, int zero_point, int quant_min, "
    "int quant_max, ScalarType dtype)",
    "quantized_add": "(Tensor self, int self_zero_point, int self_multiplier, int self_shift, "
    "Tensor other, int other_zero_point, int other_multiplier, int other_shift, "
    "int output_zero_point, int output_multiplier, int output_shift, int activation_min, "
    "int activation_max)",
    "quantized_mul": "(Tensor self, int self_zero_point, Tensor other, int other_zero_point, "
    "int output_zero_point, int output_multiplier, int output_shift)",
    "quantized_linear": "(Tensor input, Tensor weights, Tensor? bias, Tensor? kernel_sum, "
    "int input_offset, int filter_offset, int output_offset, int[] requantize_multipliers, "
    "int[] requantize_shifts, int activation_max, int activation_min)",
    "transpose": "(Tensor input, int[] perm)",
    "pad": "(Tensor input, int[] pre_pad, int[] post_pad, int pad_value)",
    "quantized_conv2d": "(Tensor input, Tensor weight, Tensor? bias, int[] stride, "
    "int[] padding, int[] dilation, int input_offset, int output_offset, "
    "Tensor requantize_multipliers, Tensor requantize_shifts, int activation_min, "
    "int activation_max, Tensor scratch)",
    "quantized_depthwise_conv2d": "(Tensor input, Tensor weight, Tensor? bias, int[] stride, "
    "int[] padding, int[] dilation, int depth_multiplier, int input_offset, "
    "int output_offset, Tensor requantize_multipliers, Tensor requantize_shifts, "
    "int activation_min, int activation_max, Tensor scratch)",
    "quantized_avg_pool2d": "(Tensor input, int[] kernel_size, int[] stride, int[] padding, "
    "bool ceil_mode, int zero_point, int multiplier, int shift, Tensor scratch)",
    "quantized_max_pool2d": "(Tensor input, int[] kernel_size, int[] stride, int[] padding, "
    "int[] dilation, bool ceil_mode, int input_zero_point, int output_zero_point, "
    "int activation_min, int activation_max)",
}

_library: torch.library.Library | None = None  # kept alive: dropping it deregisters the ops


def _pool_size(size: int, k: int, s: int, p: int, d: int = 1) -> int:
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _channels_last(shape: Sequence[int], like: torch.Tensor) -> torch.Tensor:
    return torch.empty(list(shape), dtype=torch.int8, device=like.device,
                       memory_format=torch.channels_last)


def _conv_fake(input: torch.Tensor, weight: torch.Tensor, bias: Any, stride: Sequence[int],
               padding: Sequence[int], dilation: Sequence[int], *rest: Any) -> torch.Tensor:
    n, _, h, w = input.shape
    kh, kw = weight.shape[1], weight.shape[2]  # OHWI, depthwise [1, kH, kW, Cout]
    cout = weight.shape[0] if len(rest) == 7 else weight.shape[3]  # depthwise: 8 more args
    return _channels_last([n, cout, _pool_size(h, kh, stride[0], padding[0], dilation[0]),
                           _pool_size(w, kw, stride[1], padding[1], dilation[1])], input)


def _fakes() -> dict[str, Callable[..., torch.Tensor]]:
    def quantize(input: torch.Tensor, scale: float, zp: int, qmin: int, qmax: int,
                 dtype: torch.dtype) -> torch.Tensor:
        return torch.empty_like(input, dtype=dtype)

    def dequantize(input: torch.Tensor, scale: float, zp: int, qmin: int, qmax: int,
                   dtype: torch.dtype) -> torch.Tensor:
        return torch.empty_like(input, dtype=torch.float)

    def binary(self: torch.Tensor, *args: Any) -> torch.Tensor:
        other = next(a for a in args if isinstance(a, torch.Tensor))
        return torch.empty_like(self if self.numel() >= other.numel() else other)

    def linear(input: torch.Tensor, weights: torch.Tensor, *args: Any) -> torch.Tensor:
        return torch.empty((*input.shape[:-1], weights.shape[0]), dtype=input.dtype,
                           device=input.device)

    def transpose(input: torch.Tensor, perm: Sequence[int]) -> torch.Tensor:
        return torch.empty([input.shape[p] for p in perm], dtype=input.dtype,
                           device=input.device)

    def pad(input: torch.Tensor, pre: Sequence[int], post: Sequence[int],
            value: int) -> torch.Tensor:
        # pre/post are in physical (NHWC) order for a channels-last input, as upstream's.
        cl = input.dim() == 4 and input.is_contiguous(memory_format=torch.channels_last)
        order = [0, 3, 1, 2] if cl else list(range(4))
        offset = 4 - input.dim()
        shape = list(input.shape)
        for i in range(input.dim()):
            shape[i] += pre[order[offset + i]] + post[order[offset + i]]
        out = torch.empty(shape, dtype=input.dtype, device=input.device)
        return out.to(memory_format=torch.channels_last) if cl else out

    def avg_pool(input: torch.Tensor, k: Sequence[int], s: Sequence[int], p: Sequence[int],
                 ceil_mode: bool, *rest: Any) -> torch.Tensor:
        n, c, h, w = input.shape
        return _channels_last([n, c, _pool_size(h, k[0], s[0], p[0]),
                               _pool_size(w, k[1], s[1], p[1])], input)

    def max_pool(input: torch.Tensor, k: Sequence[int], s: Sequence[int], p: Sequence[int],
                 d: Sequence[int], *rest: Any) -> torch.Tensor:
        n, c, h, w = input.shape
        return _channels_last([n, c, _pool_size(h, k[0], s[0], p[0], d[0]),
                               _pool_size(w, k[1], s[1], p[1], d[1])], input)

    return {
        "quantize_per_tensor": quantize, "dequantize_per_tensor": dequantize,
        "quantized_add": binary, "quantized_mul": binary, "quantized_linear": linear,
        "transpose": transpose, "pad": pad, "quantized_conv2d": _conv_fake,
        "quantized_depthwise_conv2d": _conv_fake, "quantized_avg_pool2d": avg_pool,
        "quantized_max_pool2d": max_pool,
    }


def _has(name: str, overload: str) -> bool:
    try:
        packet = getattr(torch.ops.cortex_m, name)
    except (AttributeError, RuntimeError):
        return False
    return overload in packet.overloads()


def ensure_defined() -> None:
    """Defines every op of SCHEMAS (functional and .out) that torch.ops.cortex_m lacks."""
    global _library
    missing = [n for n in SCHEMAS if not (_has(n, "default") and _has(n, "out"))]
    if not missing:
        return
    if _library is None:
        _library = torch.library.Library("cortex_m", "FRAGMENT")
    fakes = _fakes()
    for name in missing:
        args = SCHEMAS[name]
        if not _has(name, "default"):
            _library.define(f"{name}{args} -> Tensor")
            torch.library.register_fake(f"cortex_m::{name}", fakes[name], lib=_library)
        if not _has(name, "out"):
            _library.define(f"{name}.out{args[:-1]}, *, Tensor(a!) out) -> Tensor(a!)")


def op(name: str) -> torch._ops.OpOverload:
    """torch.ops.cortex_m.<name>.default (defined on first use)."""
    ensure_defined()
    return getattr(torch.ops.cortex_m, name).default
