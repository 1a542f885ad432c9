// Helium (Arm MVE, Armv8.1-M: the Cortex-M55) paths of the portable float kernels'
// hot loops: GEMM, direct convolution (dense, depthwise, strided, padded) and the
// elementwise loops. The portable kernels (kernels/portable/op_*.cpp) call these
// when SLIMTORCH_HELIUM_F32 is defined, which //kernels/portable/helium defines only
// for platforms with Helium (//platforms:has_helium); elsewhere this header declares
// what no one calls and f32_helium.cc is not compiled.
//
// Results: the same as the plain loops within float rounding. The sums are the same
// terms in another order, and each product is fused with its addition (VFMA), where
// the plain path rounds the product first. Elementwise results (relu, clamp, add,
// mul, bias) are bit-identical; scale_shift (batch norm) within one rounding. kernels/portable/helium/tests compares both paths on
// the same inputs on QEMU.
#ifndef SLIMTORCH_KERNELS_PORTABLE_HELIUM_F32_H_
#define SLIMTORCH_KERNELS_PORTABLE_HELIUM_F32_H_

#include <stddef.h>
#include <stdint.h>

namespace slimtorch {
namespace helium {

// Whether the portable kernels take these paths (true unless turned off). Tests and
// benchmarks turn it off to run the plain path in the same image.
bool enabled();
void set_enabled(bool on);

// out[m x n] = a[m x k] @ b[k x n] (+ out's previous value when `accumulate`),
// contiguous rows; native::gemm_f32's contract.
void gemm_f32(const float* a, const float* b, float* out, int32_t m, int32_t k, int32_t n, bool accumulate);

// One group of a 2-D convolution (a 1-D one has h = kh = 1): input [icg][h][w],
// weights [oc][icg][kh][kw], output [oc][oh][ow], written (not accumulated), plus
// bias[oc] when bias is not null. Zero padding, any stride and dilation.
struct ConvShape {
  int32_t h, w;    // input plane
  int32_t oh, ow;  // output plane
  int32_t kh, kw;  // kernel
  int32_t sh, sw;  // stride
  int32_t ph, pw;  // padding
  int32_t dh, dw;  // dilation
};
void conv2d_f32(const float* in, const float* weight, const float* bias, float* out, int32_t oc, int32_t icg,
                const ConvShape& g);

// Depthwise convolution of `channels` planes (one input and one output channel per
// group): input [channels][h][w], weights [channels][1][kh][kw], output
// [channels][oh][ow] (+ bias[channels] when not null), written. Four channels per
// vector (gathers across the planes), so narrow rows cost nothing extra.
void depthwise2d_f32(const float* in, const float* weight, const float* bias, float* out, int32_t channels,
                     const ConvShape& g);

// Elementwise, n elements, contiguous; out may be an input.
void relu_f32(const float* in, float* out, size_t n);                    // x < 0 ? 0 : x
void clamp_f32(const float* in, float* out, size_t n, float lo, float hi);  // min(max(x, lo), hi)
void add_f32(const float* a, const float* b, float* out, size_t n);      // a + b
void mul_f32(const float* a, const float* b, float* out, size_t n);      // a * b
void add_scalar_f32(const float* in, float s, float* out, size_t n);     // x + s
void mul_scalar_f32(const float* in, float s, float* out, size_t n);     // x * s
void scale_shift_f32(const float* in, float scale, float shift, float* out, size_t n);  // x * scale + shift
float sum_f32(const float* in, size_t n);  // four partial sums, then added: not the plain order

// Layer norm's passes over a row: sum of (x - mean)^2 (four partial sums), and
// ((x - mean) * rstd) * weight + bias (weight, bias may be null; bit for bit the plain
// expression).
float sum_sq_dev_f32(const float* in, float mean, size_t n);
void normalize_f32(const float* in, float mean, float rstd, const float* weight, const float* bias, float* out,
                   size_t n);

// Softmax of n contiguous values: e^(x - max) / sum, e^x lane by lane as native::exp_float
// computes it, the sum in four partial sums.
void softmax_f32(const float* in, float* out, size_t n);

}  // namespace helium
}  // namespace slimtorch

#endif  // SLIMTORCH_KERNELS_PORTABLE_HELIUM_F32_H_
