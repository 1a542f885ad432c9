// The int8 compute primitives under kernels/cortex_m/'s operators: the loops
// that hold the multiply-accumulates. Each primitive has two implementations
// with the same bits out:
//   *_plain  (nn_s8_plain.cc)   portable C++, every platform;
//   *_helium (nn_s8_helium.cc)  Arm Helium (MVE) intrinsics, compiled only when
//            the platform has Helium (Bazel defines SLIMTORCH_HELIUM from the
//            platform's constraints, kernels/cortex_m/BUILD.bazel).
// The unsuffixed inline functions below are what operators call: they pick the
// Helium path where it is compiled in. Tests call both and compare the bits.
//
// Numerics are those of upstream ExecuTorch's Cortex-M reference kernels
// (backends/cortex_m/ops/operators.py), which follow CMSIS-NN:
//   requantize(acc, m, s) = rounding_divide_by_pot(doubling_high_mult(acc << max(s, 0), m),
//                                                 max(-s, 0))
//   doubling_high_mult(v, m) = (v * m + 2^30) >> 31   (64-bit product, no saturation)
//   rounding_divide_by_pot(v, e) = v >> e, rounded half away from zero.
//
// Tensors are int8, channels-last (NHWC) where spatial, one batch per call.
// Nothing here allocates; every buffer is the caller's.
#pragma once

#include <stdint.h>

namespace slimtorch {
namespace cortex_m {

// CMSIS-NN's arm_nn_requantize, as upstream's reference computes it.
inline int32_t requantize(int32_t acc, int32_t multiplier, int32_t shift) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift < 0 ? -shift : 0;
  const int64_t value = static_cast<int64_t>(acc) * (int64_t{1} << left);  // |value| <= 2^62
  // The product wraps modulo 2^64 like the reference's int64 tensors (a left shift of a large
  // accumulator can overflow it); unsigned arithmetic makes that defined behaviour.
  const uint64_t product = static_cast<uint64_t>(value) * static_cast<uint64_t>(static_cast<int64_t>(multiplier));
  int64_t result = static_cast<int64_t>(product + (uint64_t{1} << 30)) >> 31;
  if (right > 0) {
    const int64_t mask = (int64_t{1} << right) - 1;
    const int64_t remainder = result & mask;
    int64_t threshold = mask >> 1;
    result >>= right;
    if (result < 0) threshold += 1;
    if (remainder > threshold) result += 1;
  }
  return static_cast<int32_t>(result);
}

inline int32_t clamp_i32(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Output stage shared by the MAC primitives: per output channel n,
//   out = clamp(requantize(acc, multiplier[n or 0], shift[n or 0]) + output_offset,
//               activation_min, activation_max).
struct Requant {
  const int32_t* multipliers;  // per channel (per_channel) or one value
  const int32_t* shifts;
  bool per_channel;
  int32_t output_offset;
  int32_t activation_min;
  int32_t activation_max;
};

// ---- matrix multiply (fully connected, 1x1 convolution, im2col convolution) ----
// For m < rows, n < cols:
//   acc = sum_k (lhs[m * lhs_stride + k] + lhs_offset) * (rhs[n * depth + k] + rhs_offset)
//         + (col_bias ? col_bias[n] : 0)
//   dst[m * dst_stride + n] = output stage of acc.
// lhs: rows x depth (row stride lhs_stride >= depth); rhs: cols x depth, contiguous
// (weights [Cout, ...] flattened); col_bias: cols int32 or null.
// A caller with a precomputed kernel sum (upstream's quantized_linear on the M55:
// kernel_sum[n] = bias[n] + input_offset * sum_k w[n][k]) passes lhs_offset = 0 and
// col_bias = kernel_sum, which gives the same accumulator.
struct MatMulArgs {
  const int8_t* lhs;
  int32_t lhs_stride;
  int32_t rows;
  const int8_t* rhs;
  int32_t cols;
  int32_t depth;
  int32_t lhs_offset;
  int32_t rhs_offset;
  const int32_t* col_bias;
  Requant rq;
  int8_t* dst;
  int32_t dst_stride;
};
void mat_mult_s8_plain(const MatMulArgs& a);
void mat_mult_s8_helium(const MatMulArgs& a);

// The input offset of mat_mult folded into its column bias, for callers that multiply the
// same rhs many times: for n < cols (wrapping int32 arithmetic),
//   dst[n] = (col_bias ? col_bias[n] : 0) + lhs_offset * sum_k rhs[n * depth + k],
// so that mat_mult with lhs_offset 0 and col_bias = dst gives the accumulators of
// lhs_offset and col_bias (mod 2^32, as they wrap).
void fold_offset_s8_plain(const int8_t* rhs, int32_t cols, int32_t depth, const int32_t* col_bias,
                          int32_t lhs_offset, int32_t* dst);
void fold_offset_s8_helium(const int8_t* rhs, int32_t cols, int32_t depth, const int32_t* col_bias,
                           int32_t lhs_offset, int32_t* dst);

// ---- depthwise convolution, NHWC, one batch ----
// out[oy][ox][c * mult + j] = output stage of
//   bias[oc] + sum_{ky,kx} (in[iy][ix][c] + input_offset) * w[ky][kx][oc],  oc = c * mult + j,
// iy = oy * stride_h - pad_top + ky * dilation_h (likewise x); taps outside the input add 0.
// in: [in_h, in_w, in_c]; w: [kh, kw, in_c * mult] (upstream's [1, kH, kW, Cout]);
// bias: in_c * mult int32 or null; out: [out_h, out_w, in_c * mult].
struct DepthwiseArgs {
  const int8_t* in;
  int32_t in_h, in_w, in_c;
  const int8_t* w;
  int32_t kh, kw;
  int32_t mult;
  int32_t stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w;
  const int32_t* bias;
  int32_t input_offset;
  Requant rq;  // per_channel over in_c * mult
  int8_t* out;
  int32_t out_h, out_w;
};
void depthwise_s8_plain(const DepthwiseArgs& a);
void depthwise_s8_helium(const DepthwiseArgs& a);

// ---- elementwise, n elements, same shape ----
// add (upstream's quantized_add, CMSIS-NN arm_elementwise_add_s8):
//   x = requantize((a + a_offset) << 20, a_mult, a_shift), likewise y for b,
//   out = clamp(requantize(x + y, out_mult, out_shift) + out_offset, act_min, act_max).
// The offsets are the negated zero points.
struct AddArgs {
  const int8_t* a;
  const int8_t* b;
  int8_t* out;
  int32_t n;
  int32_t a_offset, a_mult, a_shift;
  int32_t b_offset, b_mult, b_shift;
  int32_t out_offset, out_mult, out_shift;
  int32_t act_min, act_max;
};
void add_s8_plain(const AddArgs& a);
void add_s8_helium(const AddArgs& a);

// mul (upstream's quantized_mul, arm_elementwise_mul_s8):
//   out = clamp(requantize((a + a_offset) * (b + b_offset), out_mult, out_shift) + out_offset,
//               act_min, act_max).
struct MulArgs {
  const int8_t* a;
  const int8_t* b;
  int8_t* out;
  int32_t n;
  int32_t a_offset, b_offset;
  int32_t out_offset, out_mult, out_shift;
  int32_t act_min, act_max;
};
void mul_s8_plain(const MulArgs& a);
void mul_s8_helium(const MulArgs& a);

// ---- pooling, NHWC, one batch ----
// The window of output (oy, ox) covers input rows oy * stride_h - pad_top .. + kh - 1
// (likewise columns), clipped to the input: padding taps count neither in the max nor in
// the average (count_include_pad = False).
//   max: out = clamp(max of the window, act_min, act_max)
//   avg: out = clamp(sum / count rounded half away from zero, act_min, act_max)
//        (CMSIS-NN arm_avgpool_s8; input and output share their quantization).
struct PoolArgs {
  const int8_t* in;
  int32_t in_h, in_w, c;
  int32_t kh, kw, stride_h, stride_w, pad_top, pad_left;
  int8_t* out;
  int32_t out_h, out_w;
  int32_t act_min, act_max;
};
// Calls f(oy, ox, y0, y1, x0, x1) with each output pixel's window clipped to the input
// (both paths walk windows this way).
template <typename F>
inline void for_each_window(const PoolArgs& a, F f) {
  for (int32_t oy = 0; oy < a.out_h; ++oy) {
    int32_t y0 = oy * a.stride_h - a.pad_top;
    int32_t y1 = y0 + a.kh;
    if (y0 < 0) y0 = 0;
    if (y1 > a.in_h) y1 = a.in_h;
    for (int32_t ox = 0; ox < a.out_w; ++ox) {
      int32_t x0 = ox * a.stride_w - a.pad_left;
      int32_t x1 = x0 + a.kw;
      if (x0 < 0) x0 = 0;
      if (x1 > a.in_w) x1 = a.in_w;
      f(oy, ox, y0, y1, x0, x1);
    }
  }
}

void max_pool_s8_plain(const PoolArgs& a);
void max_pool_s8_helium(const PoolArgs& a);
void avg_pool_s8_plain(const PoolArgs& a);
void avg_pool_s8_helium(const PoolArgs& a);

// ---- im2col: the patches of a batch of a convolution's output pixels, NHWC, one batch ----
// For r < n, output pixel p = p0 + r (oy = p / out_w, ox = p % out_w), ky < kh, kx < kw,
// i < cig:
//   rows[r * kh * kw * cig + (ky * kw + kx) * cig + i] =
//     in[(iy * in_w + ix) * in_c + c0 + i],  iy = oy * stride_h - pad_top + ky * dilation_h
//                                            (likewise ix),
//   or pad_value where iy or ix falls outside the input.
// in: [in_h, in_w, in_c]; channels [c0, c0 + cig) are one group's; strides and dilations >= 1.
struct Im2colArgs {
  const int8_t* in;
  int32_t in_h, in_w, in_c;
  int32_t c0, cig;
  int32_t kh, kw, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w;
  int32_t out_w;
  int32_t p0, n;
  int8_t pad_value;
  int8_t* rows;
};
void im2col_s8_plain(const Im2colArgs& a);
void im2col_s8_helium(const Im2colArgs& a);

// round(x) with ties to even (torch.round), for |x| < 2^22; larger values pass through.
inline float round_half_even(float x) {
  const float big = 12582912.0f;  // 1.5 * 2^23: adding it leaves no fraction bits
  if (!(x > -4194304.0f && x < 4194304.0f)) return x;
  const float t = x + big;  // rounds to an integer (ties to even); exact without -ffast-math
  return t - big;
}

// x rounded (ties to even) and clamped to [lo, hi]; NaN gives 0 clamped to [lo, hi].
inline int32_t round_clamp(float x, int32_t lo, int32_t hi) {
  if (x != x) return lo > 0 ? lo : (hi < 0 ? hi : 0);
  const float r = round_half_even(x);
  if (r <= static_cast<float>(lo)) return lo;
  if (r >= static_cast<float>(hi)) return hi;
  return static_cast<int32_t>(r);
}

// ---- quantize float32 -> int8 (upstream's quantize_per_tensor), n elements, strided ----
// For k < n, in float32 arithmetic:
//   out[k * out_stride] = round_clamp(round_half_even(in[k * in_stride] * inv_scale)
//                                     + zero_point, qmin, qmax)
// (rounded first, then the zero point added, as the reference does); qmin <= qmax, both
// int8; strides >= 0.
struct QuantizeArgs {
  const float* in;
  int32_t in_stride;
  int8_t* out;
  int32_t out_stride;
  int32_t n;
  float inv_scale;
  int32_t zero_point, qmin, qmax;
};
void quantize_s8_plain(const QuantizeArgs& a);
void quantize_s8_helium(const QuantizeArgs& a);

#if defined(SLIMTORCH_HELIUM)
inline void im2col_s8(const Im2colArgs& a) { im2col_s8_helium(a); }
inline void fold_offset_s8(const int8_t* rhs, int32_t cols, int32_t depth, const int32_t* col_bias,
                           int32_t lhs_offset, int32_t* dst) {
  fold_offset_s8_helium(rhs, cols, depth, col_bias, lhs_offset, dst);
}
inline void quantize_s8(const QuantizeArgs& a) { quantize_s8_helium(a); }
inline void mat_mult_s8(const MatMulArgs& a) { mat_mult_s8_helium(a); }
inline void depthwise_s8(const DepthwiseArgs& a) { depthwise_s8_helium(a); }
inline void add_s8(const AddArgs& a) { add_s8_helium(a); }
inline void mul_s8(const MulArgs& a) { mul_s8_helium(a); }
inline void max_pool_s8(const PoolArgs& a) { max_pool_s8_helium(a); }
inline void avg_pool_s8(const PoolArgs& a) { avg_pool_s8_helium(a); }
#else
inline void im2col_s8(const Im2colArgs& a) { im2col_s8_plain(a); }
inline void fold_offset_s8(const int8_t* rhs, int32_t cols, int32_t depth, const int32_t* col_bias,
                           int32_t lhs_offset, int32_t* dst) {
  fold_offset_s8_plain(rhs, cols, depth, col_bias, lhs_offset, dst);
}
inline void quantize_s8(const QuantizeArgs& a) { quantize_s8_plain(a); }
inline void mat_mult_s8(const MatMulArgs& a) { mat_mult_s8_plain(a); }
inline void depthwise_s8(const DepthwiseArgs& a) { depthwise_s8_plain(a); }
inline void add_s8(const AddArgs& a) { add_s8_plain(a); }
inline void mul_s8(const MulArgs& a) { mul_s8_plain(a); }
inline void max_pool_s8(const PoolArgs& a) { max_pool_s8_plain(a); }
inline void avg_pool_s8(const PoolArgs& a) { avg_pool_s8_plain(a); }
#endif

}  // namespace cortex_m
}  // namespace slimtorch
