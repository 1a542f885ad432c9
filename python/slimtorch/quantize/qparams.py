"""Fixed-point requantization parameters computed at export (CMSIS-NN's convention).

A float scale ratio r > 0 becomes a Q31 multiplier m (2^30 <= m < 2^31) and a power-of-two
shift s with r = m * 2^s / 2^31; the kernels compute requantize(acc, m, s) =
rounding_divide_by_pot(doubling_high_mult(acc << max(s, 0), m), max(-s, 0))
(kernels/cortex_m/nn_s8.h). The split is the one upstream's exporter makes
(passes/passes_utils.py `quantize_multiplier_aot`): frexp's mantissa in [0.5, 1) rounded to
31 bits (Python's round: half to even), and a mantissa that rounds up to 2^31 halved with the
shift raised by one, so that the same float scale gives the same bits in both exporters.
"""

from __future__ import annotations

import math

# CMSIS-NN's int8 add shifts both operands left by 20 bits before rescaling them.
ADD_LEFT_SHIFT = 20
INT8_MIN, INT8_MAX = -128, 127


def quantize_multiplier(ratio: float) -> tuple[int, int]:
    """(multiplier, shift) with ratio ~= multiplier * 2**shift / 2**31; (0, 0) for 0."""
    if ratio == 0.0:
        return 0, 0
    if not math.isfinite(ratio):
        raise ValueError(f"requantization scale {ratio} is not finite")
    mantissa, shift = math.frexp(ratio)
    multiplier = round(mantissa * (1 << 31))
    if multiplier == 1 << 31:
        multiplier //= 2
        shift += 1
    return max(-(2**31), min(2**31 - 1, multiplier)), shift


def quantize_value(x: float, scale: float, zero_point: int) -> int:
    """x quantized to int8 (round half to even, as quantize_per_tensor), clamped."""
    return max(INT8_MIN, min(INT8_MAX, round(x / scale) + zero_point))
