// Helium implementations of f32.h, for Armv8.1-M with the floating-point MVE
// (Cortex-M55). Compiled only for platforms with Helium (BUILD.bazel).
//
// Shape of the code (8 Q registers: at most 6 accumulators, so a loaded vector and
// the scalar weights, which VFMA takes from core registers, fit beside them):
// - GEMM: blocks of 3 rows x 8 columns (6 accumulators); per step of the reduction
//   two vector loads of b, three scalar loads of a, six VFMA: 24 MACs in about 13
//   instructions. Columns past the last whole block use predicated loads/stores;
//   1 or 2 leftover rows the same loop with fewer accumulators.
// - Convolution: tiles of R <= 3 output channels x 8 output columns of one row, all
//   in registers for the whole reduction; the reduction runs kernel row, kernel
//   column, then input channel innermost (one uniform stride through input planes
//   and weights, so the inner loop is the same 2 loads + R scalar loads + 2R VFMA for
//   every tap). Three loads of a tap's 8 input columns:
//     contiguous - stride 1, every column inside the row;
//     gather     - stride > 1, every column inside the row (VLDRW gather, offsets
//                  0, s, 2s, 3s);
//     masked     - anything else (the row's edges with padding): predicated loads
//                  (gathers for stride > 1) whose lanes outside the row read
//                  nothing and give 0.
//   A row is covered by tiles at 0, 8, 16, ... and one more ending at the row's end
//   (overlapping the one before: tiles write, so overlap only repeats work). Rows
//   narrower than 8 columns go one pixel at a time instead (conv_pixels).
// - Elementwise loops: 4 lanes per instruction, a predicated tail.
#include <arm_mve.h>

#include "kernels/portable/helium/f32.h"

namespace slimtorch {
namespace helium {

namespace {

bool g_enabled = true;

#define ST_UNROLL _Pragma("GCC unroll 8")

inline mve_pred16_t lanes_below(int32_t n) { return vctp32q(static_cast<uint32_t>(n < 0 ? 0 : n)); }

// {0, 1, 2, 3}, loaded (with VIDUP instead, GCC 12 allocates the depthwise and
// pixel loops worse: 5% more instructions on DS-CNN)
constexpr uint32_t kLaneIndex[4] = {0, 1, 2, 3};
inline uint32x4_t lane_index() { return vld1q_u32(kLaneIndex); }

// The kernel taps [*k0, *k1) of output index o whose input index o*s - p + k*d is
// inside [0, size).
__attribute__((always_inline)) inline void taps_inside(int32_t o, int32_t s, int32_t p, int32_t d, int32_t k, int32_t size, int32_t* k0,
                        int32_t* k1) {
  int32_t b = 0;
  int32_t e = k;
  while (b < e && o * s - p + b * d < 0) ++b;
  while (e > b && o * s - p + (e - 1) * d >= size) --e;
  *k0 = b;
  *k1 = e;
}

// ---- GEMM ---------------------------------------------------------------------

// Rows [0, R) of out, columns [j, j + cols), cols <= 8 (kFull: cols is 8, no predicates).
template <int R, bool kFull>
void gemm_block(const float* __restrict a, int32_t k, const float* __restrict b, int32_t n, float* __restrict out,
                int32_t cols, bool accumulate) {
  const mve_pred16_t p0 = lanes_below(cols);
  const mve_pred16_t p1 = lanes_below(cols - 4);
  float32x4_t c[R][2];
ST_UNROLL
  for (int r = 0; r < R; ++r) {
    if (accumulate) {
      c[r][0] = vldrwq_z_f32(out + static_cast<size_t>(r) * n, p0);
      c[r][1] = vldrwq_z_f32(out + static_cast<size_t>(r) * n + 4, p1);
    } else {
      c[r][0] = vdupq_n_f32(0.0f);
      c[r][1] = c[r][0];
    }
  }
  const float* ar[R];
ST_UNROLL
  for (int r = 0; r < R; ++r) ar[r] = a + static_cast<size_t>(r) * k;
  const float* bp = b;
  for (int32_t q = 0; q < k; ++q) {
    const float32x4_t v0 = kFull ? vld1q_f32(bp) : vldrwq_z_f32(bp, p0);
    const float32x4_t v1 = kFull ? vld1q_f32(bp + 4) : vldrwq_z_f32(bp + 4, p1);
    bp += n;
ST_UNROLL
    for (int r = 0; r < R; ++r) {
      const float s = *ar[r]++;
      c[r][0] = vfmaq_n_f32(c[r][0], v0, s);
      c[r][1] = vfmaq_n_f32(c[r][1], v1, s);
    }
  }
ST_UNROLL
  for (int r = 0; r < R; ++r) {
    float* o = out + static_cast<size_t>(r) * n;
    if (kFull) {
      vst1q_f32(o, c[r][0]);
      vst1q_f32(o + 4, c[r][1]);
    } else {
      vstrwq_p_f32(o, c[r][0], p0);
      vstrwq_p_f32(o + 4, c[r][1], p1);
    }
  }
}

template <int R>
void gemm_rows(const float* a, const float* b, float* out, int32_t k, int32_t n, bool accumulate) {
  int32_t j = 0;
  for (; j + 8 <= n; j += 8) gemm_block<R, true>(a, k, b + j, n, out + j, 8, accumulate);
  if (j < n) gemm_block<R, false>(a, k, b + j, n, out + j, n - j, accumulate);
}

// ---- convolution ----------------------------------------------------------------

enum class Load { kContiguous, kGather, kMasked };

struct ConvArgs {
  const float* in;    // input planes [icg][h][w]
  const float* w;     // weights of the tile's first output channel [icg][kh][kw]
  const float* bias;  // bias of the tile's first output channel, or null
  float* out;         // output plane of the tile's first output channel
  size_t wstride;     // floats from one output channel's weights to the next
  size_t in_plane;    // h * w
  size_t out_plane;   // oh * ow
  int32_t icg;
  ConvShape g;
};

// c[r][*] += (v0, v1) * wp[r * ws] for the tile's R channels.
template <int R>
__attribute__((always_inline)) inline void fma_channels(float32x4_t (&c)[R][2], float32x4_t v0, float32x4_t v1,
                                                        const float* wp, size_t ws) {
  const float s0 = wp[0];
  c[0][0] = vfmaq_n_f32(c[0][0], v0, s0);
  c[0][1] = vfmaq_n_f32(c[0][1], v1, s0);
  if (R > 1) {
    const float s1 = wp[ws];
    c[1 % R][0] = vfmaq_n_f32(c[1 % R][0], v0, s1);
    c[1 % R][1] = vfmaq_n_f32(c[1 % R][1], v1, s1);
  }
  if (R > 2) {
    const float s2 = wp[2 * ws];
    c[2 % R][0] = vfmaq_n_f32(c[2 % R][0], v0, s2);
    c[2 % R][1] = vfmaq_n_f32(c[2 % R][1], v1, s2);
  }
}

// The contiguous tap of three channels: for each of icg input planes, 8 columns at
// src times the three channels' weights (wp, wp + ws, wp + 2 ws), src stepping by
// in_plane and wp by kplane floats. In assembly: GCC 12 spills this loop's pointers
// and weights to the stack when it allocates the six accumulators itself (24 MACs
// in 13 instructions here, about 30 from the intrinsics).
template <int R>
__attribute__((always_inline)) inline void contiguous3(float32x4_t (&c)[R][2], const float* src, const float* wp,
                                                       int32_t icg, size_t in_plane, size_t ws, size_t kplane) {
  float32x4_t c00 = c[0][0], c01 = c[0][1], c10 = c[1 % R][0], c11 = c[1 % R][1], c20 = c[2 % R][0],
              c21 = c[2 % R][1];
  const uint32_t ip = static_cast<uint32_t>(in_plane * 4);
  const uint32_t ws1 = static_cast<uint32_t>(ws * 4);
  const uint32_t ws2 = static_cast<uint32_t>(ws * 8);
  const uint32_t kp = static_cast<uint32_t>(kplane * 4);
  uint32_t t0, t1, t2;
  __asm__ volatile(
      "  wls lr, %[n], 2f\n"
      "1:\n"
      "  vldrw.32 q6, [%[src]]\n"
      "  vldrw.32 q7, [%[src], #16]\n"
      "  ldr %[t0], [%[wp]]\n"
      "  ldr %[t1], [%[wp], %[ws1]]\n"
      "  ldr %[t2], [%[wp], %[ws2]]\n"
      "  add %[src], %[ip]\n"
      "  add %[wp], %[kp]\n"
      "  vfma.f32 %q[c00], q6, %[t0]\n"
      "  vfma.f32 %q[c01], q7, %[t0]\n"
      "  vfma.f32 %q[c10], q6, %[t1]\n"
      "  vfma.f32 %q[c11], q7, %[t1]\n"
      "  vfma.f32 %q[c20], q6, %[t2]\n"
      "  vfma.f32 %q[c21], q7, %[t2]\n"
      "  le lr, 1b\n"
      "2:\n"
      : [c00] "+w"(c00), [c01] "+w"(c01), [c10] "+w"(c10), [c11] "+w"(c11), [c20] "+w"(c20), [c21] "+w"(c21),
        [src] "+r"(src), [wp] "+r"(wp), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2)
      : [n] "r"(icg), [ip] "r"(ip), [ws1] "r"(ws1), [ws2] "r"(ws2), [kp] "r"(kp)
      : "lr", "q6", "q7", "memory");
  c[0][0] = c00;
  c[0][1] = c01;
  c[1 % R][0] = c10;
  c[1 % R][1] = c11;
  c[2 % R][0] = c20;
  c[2 % R][1] = c21;
}

// Output row oy, columns [ox, ox + 8), channels [0, R) of the tile; taps of kernel
// rows [ky0, ky1) (those inside the input).
template <int R, Load kLoad>
void conv_tile(const ConvArgs& args, int32_t oy, int32_t ky0, int32_t ky1, int32_t ox) {
  const ConvArgs a = args;  // a copy: the stores cannot change it
  const ConvShape& g = a.g;
  float32x4_t c[R][2];
ST_UNROLL
  for (int r = 0; r < R; ++r) {
    c[r][0] = vdupq_n_f32(a.bias != nullptr ? a.bias[r] : 0.0f);
    c[r][1] = c[r][0];
  }
  const size_t kplane = static_cast<size_t>(g.kh) * g.kw;
  const size_t in_plane = a.in_plane;
  const size_t ws = a.wstride;
  const int32_t icg = a.icg;
  const int32_t sw = g.sw;
  // input column of lane x for kernel column kx: (ox + x) * sw - pw + kx * dw
  const int32_t col0 = ox * sw - g.pw;
  const uint32x4_t steps = vmulq_n_u32(lane_index(), static_cast<uint32_t>(sw));
  for (int32_t ky = ky0; ky < ky1; ++ky) {
    const int32_t iy = oy * g.sh - g.ph + ky * g.dh;
    const float* row = a.in + static_cast<size_t>(iy) * g.w;
    for (int32_t kx = 0; kx < g.kw; ++kx) {
      const int32_t col = col0 + kx * g.dw;
      const float* wp = a.w + static_cast<size_t>(ky) * g.kw + kx;
      if (kLoad == Load::kContiguous) {
        const float* src = row + col;
        if (R == 3) {
          contiguous3(c, src, wp, icg, in_plane, ws, kplane);
          continue;
        }
        for (int32_t ci = icg; ci > 0; --ci) {
          const float32x4_t v0 = vld1q_f32(src);
          const float32x4_t v1 = vld1q_f32(src + 4);
          src += in_plane;
          fma_channels<R>(c, v0, v1, wp, ws);
          wp += kplane;
        }
      } else if (kLoad == Load::kGather) {
        const float* src = row + col;
        for (int32_t ci = icg; ci > 0; --ci) {
          const float32x4_t v0 = vldrwq_gather_shifted_offset_f32(src, steps);
          const float32x4_t v1 = vldrwq_gather_shifted_offset_f32(src + 4 * sw, steps);
          src += in_plane;
          fma_channels<R>(c, v0, v1, wp, ws);
          wp += kplane;
        }
      } else {
        // lanes whose column is inside [0, w)
        const int32x4_t ix0 = vaddq_n_s32(vreinterpretq_s32_u32(steps), col);
        const int32x4_t ix1 = vaddq_n_s32(ix0, 4 * sw);
        const mve_pred16_t p0 = vcmpltq_n_s32(ix0, g.w) & vcmpgeq_n_s32(ix0, 0);
        const mve_pred16_t p1 = vcmpltq_n_s32(ix1, g.w) & vcmpgeq_n_s32(ix1, 0);
        if ((p0 | p1) == 0) continue;
        if (sw == 1) {
          // The first lane's address may lie before the row (padding): computed as an
          // integer, and only the lanes inside the row are read.
          uintptr_t src = reinterpret_cast<uintptr_t>(row) + static_cast<uintptr_t>(static_cast<intptr_t>(col) * 4);
          for (int32_t ci = icg; ci > 0; --ci) {
            const float32x4_t v0 = vldrwq_z_f32(reinterpret_cast<const float*>(src), p0);
            const float32x4_t v1 = vldrwq_z_f32(reinterpret_cast<const float*>(src) + 4, p1);
            src += in_plane * 4;
            fma_channels<R>(c, v0, v1, wp, ws);
            wp += kplane;
          }
        } else {
          const int32x4_t zero = vdupq_n_s32(0);
          const uint32x4_t off0 = vreinterpretq_u32_s32(vpselq_s32(ix0, zero, p0));
          const uint32x4_t off1 = vreinterpretq_u32_s32(vpselq_s32(ix1, zero, p1));
          const float* src = row;
          for (int32_t ci = icg; ci > 0; --ci) {
            const float32x4_t v0 = vldrwq_gather_shifted_offset_z_f32(src, off0, p0);
            const float32x4_t v1 = vldrwq_gather_shifted_offset_z_f32(src, off1, p1);
            src += in_plane;
            fma_channels<R>(c, v0, v1, wp, ws);
            wp += kplane;
          }
        }
      }
    }
  }
  float* dst = a.out + static_cast<size_t>(oy) * g.ow + ox;
ST_UNROLL
  for (int r = 0; r < R; ++r) {
    vst1q_f32(dst, c[r][0]);
    vst1q_f32(dst + 4, c[r][1]);
    dst += a.out_plane;
  }
}

// The gathers and predicated loads leave room for only 4 accumulators beside their
// offsets: 3 channels are a tile of 2 and one of 1.
template <int R, Load kLoad>
void tile_split(const ConvArgs& a, int32_t oy, int32_t ky0, int32_t ky1, int32_t ox) {
  if (R < 3) {
    conv_tile<R, kLoad>(a, oy, ky0, ky1, ox);
    return;
  }
  conv_tile<2, kLoad>(a, oy, ky0, ky1, ox);
  ConvArgs third = a;
  third.w += 2 * a.wstride;
  third.out += 2 * a.out_plane;
  if (third.bias != nullptr) third.bias += 2;
  conv_tile<1, kLoad>(third, oy, ky0, ky1, ox);
}

// R output channels, every output plane whole; rows of at least 8 columns.
template <int R>
void conv_channels(const ConvArgs& a) {
  const ConvShape& g = a.g;
  // columns whose every tap is inside the row: [x0, x1)
  const int32_t last_tap = (g.kw - 1) * g.dw;
  int32_t x0 = g.pw <= 0 ? 0 : (g.pw + g.sw - 1) / g.sw;
  // (ox * sw - pw + last_tap) < w  <=>  ox < (w + pw - last_tap) / sw, rounded up
  const int32_t span = g.w + g.pw - last_tap;
  int32_t x1 = span <= 0 ? 0 : (span + g.sw - 1) / g.sw;
  if (x1 > g.ow) x1 = g.ow;
  if (x0 > x1) x0 = x1;
  for (int32_t oy = 0; oy < g.oh; ++oy) {
    int32_t ky0 = 0;
    int32_t ky1 = 0;
    taps_inside(oy, g.sh, g.ph, g.dh, g.kh, g.h, &ky0, &ky1);
    for (int32_t ox = 0;; ox += 8) {
      if (ox > g.ow - 8) ox = g.ow - 8;  // the last tile ends at the row's end
      if (ox < x0 || ox + 8 > x1) {
        tile_split<R, Load::kMasked>(a, oy, ky0, ky1, ox);
      } else if (g.sw == 1) {
        conv_tile<R, Load::kContiguous>(a, oy, ky0, ky1, ox);
      } else {
        tile_split<R, Load::kGather>(a, oy, ky0, ky1, ox);
      }
      if (ox + 8 >= g.ow) break;
    }
  }
}

// Dense convolution one output pixel at a time, 8 output channels per pass (two
// vectors of weights gathered across the channels' filters, times the input value as
// a scalar): for rows too narrow for the tiles above (DS-CNN's first layer: 5 columns
// of a 10x4 kernel). `count` <= 8 channels, the lanes past it predicated off
// (kFull: count is 8, no predicates).
template <bool kFull>
void conv_pixels(const float* in, const float* weight, const float* bias, float* out, int32_t count,
                 int32_t icg, const ConvShape g) {  // g by value: the stores cannot change it
  const size_t in_plane = static_cast<size_t>(g.h) * g.w;
  const size_t out_plane = static_cast<size_t>(g.oh) * g.ow;
  const size_t kplane = static_cast<size_t>(g.kh) * g.kw;
  const uint32_t wstride = static_cast<uint32_t>(icg * kplane);
  const uint32x4_t lanes = lane_index();
  const uint32x4_t w_off = vmulq_n_u32(lanes, wstride);
  const uint32x4_t out_off = vmulq_n_u32(lanes, static_cast<uint32_t>(out_plane));
  const mve_pred16_t p0 = lanes_below(count);
  const mve_pred16_t p1 = lanes_below(count - 4);
  const float* w1 = weight + 4 * static_cast<size_t>(wstride);
  float32x4_t b0 = vdupq_n_f32(0.0f);
  float32x4_t b1 = b0;
  if (bias != nullptr) {
    b0 = vldrwq_z_f32(bias, p0);
    b1 = vldrwq_z_f32(bias + 4, p1);
  }
  for (int32_t oy = 0; oy < g.oh; ++oy) {
    int32_t ky0 = 0;
    int32_t ky1 = 0;
    taps_inside(oy, g.sh, g.ph, g.dh, g.kh, g.h, &ky0, &ky1);
    for (int32_t ox = 0; ox < g.ow; ++ox) {
      int32_t kx0 = 0;
      int32_t kx1 = 0;
      taps_inside(ox, g.sw, g.pw, g.dw, g.kw, g.w, &kx0, &kx1);
      float32x4_t acc0 = b0;
      float32x4_t acc1 = b1;
      for (int32_t ci = 0; ci < icg; ++ci) {
        for (int32_t ky = ky0; ky < ky1; ++ky) {
          const float* src = in + ci * in_plane + static_cast<size_t>(oy * g.sh - g.ph + ky * g.dh) * g.w +
                             (ox * g.sw - g.pw);
          const size_t tap = ci * kplane + static_cast<size_t>(ky) * g.kw;
          const float* wa = weight + tap;
          const float* wb = w1 + tap;
          for (int32_t kx = kx0; kx < kx1; ++kx) {
            const float v = src[kx * g.dw];
            if (kFull) {
              acc0 = vfmaq_n_f32(acc0, vldrwq_gather_shifted_offset_f32(wa + kx, w_off), v);
              acc1 = vfmaq_n_f32(acc1, vldrwq_gather_shifted_offset_f32(wb + kx, w_off), v);
            } else {
              acc0 = vfmaq_n_f32(acc0, vldrwq_gather_shifted_offset_z_f32(wa + kx, w_off, p0), v);
              acc1 = vfmaq_n_f32(acc1, vldrwq_gather_shifted_offset_z_f32(wb + kx, w_off, p1), v);
            }
          }
        }
      }
      float* o = out + static_cast<size_t>(oy) * g.ow + ox;
      if (kFull) {
        vstrwq_scatter_shifted_offset_f32(o, out_off, acc0);
        vstrwq_scatter_shifted_offset_f32(o + 4 * out_plane, out_off, acc1);
      } else {
        vstrwq_scatter_shifted_offset_p_f32(o, out_off, acc0, p0);
        vstrwq_scatter_shifted_offset_p_f32(o + 4 * out_plane, out_off, acc1, p1);
      }
    }
  }
}

// Depthwise, 4 channels (lanes) at a time, full (all 4 exist) or predicated.
template <bool kFull>
void depthwise_channels(const float* in, const float* weight, const float* bias, float* out, int32_t count,
                        const ConvShape g) {  // g by value: the stores cannot change it
  const size_t in_plane = static_cast<size_t>(g.h) * g.w;
  const size_t out_plane = static_cast<size_t>(g.oh) * g.ow;
  const uint32_t kplane = static_cast<uint32_t>(g.kh * g.kw);
  const uint32x4_t lanes = lane_index();
  const uint32x4_t in_off = vmulq_n_u32(lanes, static_cast<uint32_t>(in_plane));
  const uint32x4_t w_off = vmulq_n_u32(lanes, kplane);
  const uint32x4_t out_off = vmulq_n_u32(lanes, static_cast<uint32_t>(out_plane));
  const mve_pred16_t p = lanes_below(count);
  const float32x4_t b = bias == nullptr ? vdupq_n_f32(0.0f) : kFull ? vld1q_f32(bias) : vldrwq_z_f32(bias, p);
  for (int32_t oy = 0; oy < g.oh; ++oy) {
    int32_t ky0 = 0;
    int32_t ky1 = 0;
    taps_inside(oy, g.sh, g.ph, g.dh, g.kh, g.h, &ky0, &ky1);
    float* orow = out + static_cast<size_t>(oy) * g.ow;
    for (int32_t ox = 0; ox < g.ow; ++ox) {
      int32_t kx0 = 0;
      int32_t kx1 = 0;
      taps_inside(ox, g.sw, g.pw, g.dw, g.kw, g.w, &kx0, &kx1);
      float32x4_t acc = b;
      if (kFull && ky1 - ky0 == 3 && kx1 - kx0 == 3 && g.kh == 3 && g.kw == 3 && g.dh == 1 && g.dw == 1) {
        // every tap of a 3x3 kernel inside the input
        const float* r0 = in + static_cast<size_t>(oy * g.sh - g.ph) * g.w + (ox * g.sw - g.pw);
        const float* r1 = r0 + g.w;
        const float* r2 = r1 + g.w;
#define ST_DW_TAP(r, k, kx)                                                                   \
  acc = vfmaq_f32(acc, vldrwq_gather_shifted_offset_f32((r) + (kx), in_off),                 \
                  vldrwq_gather_shifted_offset_f32(weight + (k), w_off))
        ST_DW_TAP(r0, 0, 0);
        ST_DW_TAP(r0, 1, 1);
        ST_DW_TAP(r0, 2, 2);
        ST_DW_TAP(r1, 3, 0);
        ST_DW_TAP(r1, 4, 1);
        ST_DW_TAP(r1, 5, 2);
        ST_DW_TAP(r2, 6, 0);
        ST_DW_TAP(r2, 7, 1);
        ST_DW_TAP(r2, 8, 2);
#undef ST_DW_TAP
        vstrwq_scatter_shifted_offset_f32(orow + ox, out_off, acc);
        continue;
      }
      for (int32_t ky = ky0; ky < ky1; ++ky) {
        const float* src = in + static_cast<size_t>(oy * g.sh - g.ph + ky * g.dh) * g.w + (ox * g.sw - g.pw);
        const float* wp = weight + ky * g.kw;
        if (kFull && kx1 - kx0 == 3 && g.dw == 1) {  // a whole 3-wide kernel row
          src += kx0;
          wp += kx0;
          acc = vfmaq_f32(acc, vldrwq_gather_shifted_offset_f32(src, in_off),
                          vldrwq_gather_shifted_offset_f32(wp, w_off));
          acc = vfmaq_f32(acc, vldrwq_gather_shifted_offset_f32(src + 1, in_off),
                          vldrwq_gather_shifted_offset_f32(wp + 1, w_off));
          acc = vfmaq_f32(acc, vldrwq_gather_shifted_offset_f32(src + 2, in_off),
                          vldrwq_gather_shifted_offset_f32(wp + 2, w_off));
          continue;
        }
        for (int32_t kx = kx0; kx < kx1; ++kx) {
          const float* s = src + kx * g.dw;
          if (kFull) {
            acc = vfmaq_f32(acc, vldrwq_gather_shifted_offset_f32(s, in_off),
                            vldrwq_gather_shifted_offset_f32(wp + kx, w_off));
          } else {
            acc = vfmaq_f32(acc, vldrwq_gather_shifted_offset_z_f32(s, in_off, p),
                            vldrwq_gather_shifted_offset_z_f32(wp + kx, w_off, p));
          }
        }
      }
      if (kFull) {
        vstrwq_scatter_shifted_offset_f32(orow + ox, out_off, acc);
      } else {
        vstrwq_scatter_shifted_offset_p_f32(orow + ox, out_off, acc, p);
      }
    }
  }
}

}  // namespace

bool enabled() { return g_enabled; }
void set_enabled(bool on) { g_enabled = on; }

void gemm_f32(const float* a, const float* b, float* out, int32_t m, int32_t k, int32_t n, bool accumulate) {
  int32_t i = 0;
  for (; i + 3 <= m; i += 3) {
    gemm_rows<3>(a + static_cast<size_t>(i) * k, b, out + static_cast<size_t>(i) * n, k, n, accumulate);
  }
  if (m - i == 2) gemm_rows<2>(a + static_cast<size_t>(i) * k, b, out + static_cast<size_t>(i) * n, k, n, accumulate);
  if (m - i == 1) gemm_rows<1>(a + static_cast<size_t>(i) * k, b, out + static_cast<size_t>(i) * n, k, n, accumulate);
}

void conv2d_f32(const float* in, const float* weight, const float* bias, float* out, int32_t oc, int32_t icg,
                const ConvShape& g) {
  const size_t out_plane = static_cast<size_t>(g.oh) * g.ow;
  if (g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0) {
    // 1x1: a GEMM over the whole plane (rows of any width), then the bias
    gemm_f32(weight, in, out, oc, icg, static_cast<int32_t>(out_plane), false);
    if (bias != nullptr) {
      for (int32_t co = 0; co < oc; ++co) {
        float* o = out + static_cast<size_t>(co) * out_plane;
        add_scalar_f32(o, bias[co], o, out_plane);
      }
    }
    return;
  }
  if (g.ow < 8) {
    for (int32_t co = 0; co < oc; co += 8) {
      const size_t wstride = static_cast<size_t>(icg) * g.kh * g.kw;
      const float* bc = bias != nullptr ? bias + co : nullptr;
      if (oc - co >= 8) {
        conv_pixels<true>(in, weight + co * wstride, bc, out + co * out_plane, 8, icg, g);
      } else {
        conv_pixels<false>(in, weight + co * wstride, bc, out + co * out_plane, oc - co, icg, g);
      }
    }
    return;
  }
  ConvArgs a;
  a.in = in;
  a.g = g;
  a.icg = icg;
  a.in_plane = static_cast<size_t>(g.h) * g.w;
  a.out_plane = static_cast<size_t>(g.oh) * g.ow;
  a.wstride = static_cast<size_t>(icg) * g.kh * g.kw;
  int32_t co = 0;
  for (; co < oc; co += 3) {
    a.w = weight + static_cast<size_t>(co) * a.wstride;
    a.bias = bias != nullptr ? bias + co : nullptr;
    a.out = out + static_cast<size_t>(co) * a.out_plane;
    if (oc - co >= 3) {
      conv_channels<3>(a);
    } else if (oc - co == 2) {
      conv_channels<2>(a);
    } else {
      conv_channels<1>(a);
    }
  }
}

void depthwise2d_f32(const float* in, const float* weight, const float* bias, float* out, int32_t channels,
                     const ConvShape& g) {
  const size_t in_plane = static_cast<size_t>(g.h) * g.w;
  const size_t out_plane = static_cast<size_t>(g.oh) * g.ow;
  const size_t kplane = static_cast<size_t>(g.kh) * g.kw;
  for (int32_t c = 0; c < channels; c += 4) {
    const float* bc = bias != nullptr ? bias + c : nullptr;
    if (channels - c >= 4) {
      depthwise_channels<true>(in + c * in_plane, weight + c * kplane, bc, out + c * out_plane, 4, g);
    } else {
      depthwise_channels<false>(in + c * in_plane, weight + c * kplane, bc, out + c * out_plane, channels - c, g);
    }
  }
}

// ---- elementwise ----------------------------------------------------------------

// Compares: VCMP's LT holds for unordered operands (NaN), so `x < y` is written
// `y > x` (GT is false for NaN), which keeps NaN where the plain path's `<` does.
//
// The elementwise loops: whole vectors unpredicated (GCC 12 moves the predicate
// through core registers around every predicated instruction: four times the
// instructions), then one predicated vector for the last n % 4 elements.
template <typename F>
__attribute__((always_inline)) inline void unary_loop(const float* in, float* out, size_t n, F f) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(out + i, f(vld1q_f32(in + i)));
  if (i < n) {
    const mve_pred16_t p = vctp32q(static_cast<uint32_t>(n - i));
    vstrwq_p_f32(out + i, f(vldrwq_z_f32(in + i, p)), p);
  }
}

template <typename F>
__attribute__((always_inline)) inline void binary_loop(const float* a, const float* b, float* out, size_t n, F f) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(out + i, f(vld1q_f32(a + i), vld1q_f32(b + i)));
  if (i < n) {
    const mve_pred16_t p = vctp32q(static_cast<uint32_t>(n - i));
    vstrwq_p_f32(out + i, f(vldrwq_z_f32(a + i, p), vldrwq_z_f32(b + i, p)), p);
  }
}

void relu_f32(const float* in, float* out, size_t n) {
  const float32x4_t zero = vdupq_n_f32(0.0f);
  // Whole vectors in assembly: a compare's predicate used at once by VPSEL (from the
  // intrinsics GCC 12 moves it out to a core register and back: 8 instructions, not 5).
  const uint32_t blocks = static_cast<uint32_t>(n / 4);
  const float* src = in;
  float* dst = out;
  __asm__ volatile(
      "  wls lr, %[n], 2f\n"
      "1:\n"
      "  vldrw.32 q6, [%[src]], #16\n"
      "  vcmp.f32 gt, %q[zero], q6\n"
      "  vpsel q6, %q[zero], q6\n"
      "  vstrw.32 q6, [%[dst]], #16\n"
      "  le lr, 1b\n"
      "2:\n"
      : [src] "+r"(src), [dst] "+r"(dst)
      : [n] "r"(blocks), [zero] "w"(zero)
      : "lr", "q6", "memory");  // and VPR, which GCC 12 has no name for: no predicate is live here
  const size_t done = static_cast<size_t>(blocks) * 4;
  unary_loop(in + done, out + done, n - done,
             [zero](float32x4_t v) { return vpselq_f32(zero, v, vcmpgtq_f32(zero, v)); });
}

void clamp_f32(const float* in, float* out, size_t n, float lo, float hi) {
  const float32x4_t vlo = vdupq_n_f32(lo);
  const float32x4_t vhi = vdupq_n_f32(hi);
  const uint32_t blocks = static_cast<uint32_t>(n / 4);
  const float* src = in;
  float* dst = out;
  __asm__ volatile(  // as relu_f32's: lo > v ? lo : v, then v > hi ? hi : v
      "  wls lr, %[n], 2f\n"
      "1:\n"
      "  vldrw.32 q6, [%[src]], #16\n"
      "  vcmp.f32 gt, %q[lo], q6\n"
      "  vpsel q6, %q[lo], q6\n"
      "  vcmp.f32 gt, q6, %q[hi]\n"
      "  vpsel q6, %q[hi], q6\n"
      "  vstrw.32 q6, [%[dst]], #16\n"
      "  le lr, 1b\n"
      "2:\n"
      : [src] "+r"(src), [dst] "+r"(dst)
      : [n] "r"(blocks), [lo] "w"(vlo), [hi] "w"(vhi)
      : "lr", "q6", "memory");  // and VPR: no predicate is live here
  const size_t done = static_cast<size_t>(blocks) * 4;
  in += done;
  out += done;
  n -= done;
  unary_loop(in, out, n, [vlo, vhi](float32x4_t v) {
    v = vpselq_f32(vlo, v, vcmpgtq_f32(vlo, v));
    return vpselq_f32(vhi, v, vcmpgtq_f32(v, vhi));
  });
}

void add_f32(const float* a, const float* b, float* out, size_t n) {
  binary_loop(a, b, out, n, [](float32x4_t x, float32x4_t y) { return vaddq_f32(x, y); });
}

void mul_f32(const float* a, const float* b, float* out, size_t n) {
  binary_loop(a, b, out, n, [](float32x4_t x, float32x4_t y) { return vmulq_f32(x, y); });
}

void add_scalar_f32(const float* in, float s, float* out, size_t n) {
  unary_loop(in, out, n, [s](float32x4_t v) { return vaddq_n_f32(v, s); });
}

void mul_scalar_f32(const float* in, float s, float* out, size_t n) {
  unary_loop(in, out, n, [s](float32x4_t v) { return vmulq_n_f32(v, s); });
}

float sum_f32(const float* in, size_t n) {
  float32x4_t acc = vdupq_n_f32(0.0f);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) acc = vaddq_f32(acc, vld1q_f32(in + i));
  if (i < n) acc = vaddq_f32(acc, vldrwq_z_f32(in + i, vctp32q(static_cast<uint32_t>(n - i))));
  return (vgetq_lane_f32(acc, 0) + vgetq_lane_f32(acc, 1)) + (vgetq_lane_f32(acc, 2) + vgetq_lane_f32(acc, 3));
}

namespace {

// e^x lane by lane with the operations of native::exp_float (kernels/portable/util.cc),
// in the same order: x = k ln2 + r, a degree-7 Taylor polynomial, times 2^k in two
// exact steps; NaN stays NaN, e^x past FLT_MAX is inf, below the smallest subnormal 0.
float32x4_t exp_vec(float32x4_t x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693145751953125f;
  constexpr float kLn2Lo = 1.42860676533018704e-06f;
  const float32x4_t zero = vdupq_n_f32(0.0f);
  const float32x4_t rnd = vpselq_f32(vdupq_n_f32(-0.5f), vdupq_n_f32(0.5f), vcmpgtq_f32(zero, x));
  const int32x4_t k = vcvtq_s32_f32(vaddq_f32(vmulq_n_f32(x, kLog2e), rnd));
  const float32x4_t kf = vcvtq_f32_s32(k);
  const float32x4_t r = vsubq_f32(vsubq_f32(x, vmulq_n_f32(kf, kLn2Hi)), vmulq_n_f32(kf, kLn2Lo));
  float32x4_t p = vdupq_n_f32(1.0f / 5040.0f);
  p = vaddq_n_f32(vmulq_f32(p, r), 1.0f / 720.0f);
  p = vaddq_n_f32(vmulq_f32(p, r), 1.0f / 120.0f);
  p = vaddq_n_f32(vmulq_f32(p, r), 1.0f / 24.0f);
  p = vaddq_n_f32(vmulq_f32(p, r), 1.0f / 6.0f);
  p = vaddq_n_f32(vmulq_f32(p, r), 0.5f);
  p = vaddq_n_f32(vmulq_f32(p, r), 1.0f);
  p = vaddq_n_f32(vmulq_f32(p, r), 1.0f);
  const int32x4_t k1 = vshrq_n_s32(vsubq_s32(k, vshrq_n_s32(k, 31)), 1);  // k / 2, toward zero
  const int32x4_t k2 = vsubq_s32(k, k1);
  const float32x4_t two1 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_n_s32(k1, 127), 23));
  const float32x4_t two2 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_n_s32(k2, 127), 23));
  float32x4_t e = vmulq_f32(vmulq_f32(p, two1), two2);
  e = vpselq_f32(vdupq_n_f32(__builtin_inff()), e, vcmpgtq_n_f32(x, 0x1.62e42ep+6f));
  e = vpselq_f32(zero, e, vcmpgtq_f32(vdupq_n_f32(-103.972084045410156f), x));
  return vpselq_f32(x, e, vcmpneq_f32(x, x));
}

}  // namespace

void softmax_f32(const float* in, float* out, size_t n) {
  if (n == 0) return;
  // max, as the plain loop's `x > max ? x : max` (a NaN after the first value is passed
  // over; it makes every output NaN through the sum either way)
  float32x4_t m = vdupq_n_f32(in[0]);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float32x4_t v = vld1q_f32(in + i);
    m = vpselq_f32(v, m, vcmpgtq_f32(v, m));
  }
  float max = vgetq_lane_f32(m, 0);
  for (int l = 1; l < 4; ++l) {
    const float v = m[l];
    max = v > max ? v : max;
  }
  for (; i < n; ++i) max = in[i] > max ? in[i] : max;
  // e^(x - max), stored, and summed in four lanes
  float32x4_t s = vdupq_n_f32(0.0f);
  for (i = 0; i + 4 <= n; i += 4) {
    const float32x4_t e = exp_vec(vsubq_n_f32(vld1q_f32(in + i), max));
    vst1q_f32(out + i, e);
    s = vaddq_f32(s, e);
  }
  if (i < n) {
    const mve_pred16_t p = vctp32q(static_cast<uint32_t>(n - i));
    const float32x4_t e = vpselq_f32(exp_vec(vsubq_n_f32(vldrwq_z_f32(in + i, p), max)), vdupq_n_f32(0.0f), p);
    vstrwq_p_f32(out + i, e, p);
    s = vaddq_f32(s, e);
  }
  const float sum = (vgetq_lane_f32(s, 0) + vgetq_lane_f32(s, 1)) + (vgetq_lane_f32(s, 2) + vgetq_lane_f32(s, 3));
  mul_scalar_f32(out, 1.0f / sum, out, n);
}

float sum_sq_dev_f32(const float* in, float mean, size_t n) {
  float32x4_t acc = vdupq_n_f32(0.0f);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float32x4_t d = vsubq_n_f32(vld1q_f32(in + i), mean);
    acc = vaddq_f32(acc, vmulq_f32(d, d));
  }
  if (i < n) {
    const mve_pred16_t p = vctp32q(static_cast<uint32_t>(n - i));
    const float32x4_t d = vpselq_f32(vsubq_n_f32(vldrwq_z_f32(in + i, p), mean), vdupq_n_f32(0.0f), p);
    acc = vaddq_f32(acc, vmulq_f32(d, d));
  }
  return (vgetq_lane_f32(acc, 0) + vgetq_lane_f32(acc, 1)) + (vgetq_lane_f32(acc, 2) + vgetq_lane_f32(acc, 3));
}

void normalize_f32(const float* in, float mean, float rstd, const float* weight, const float* bias, float* out,
                   size_t n) {
  size_t i = 0;
  for (; i < n; i += 4) {
    const mve_pred16_t p = vctp32q(static_cast<uint32_t>(n - i));
    float32x4_t v = vmulq_n_f32(vsubq_n_f32(vldrwq_z_f32(in + i, p), mean), rstd);
    if (weight != nullptr) v = vmulq_f32(v, vldrwq_z_f32(weight + i, p));
    if (bias != nullptr) v = vaddq_f32(v, vldrwq_z_f32(bias + i, p));
    vstrwq_p_f32(out + i, v, p);
  }
}

void scale_shift_f32(const float* in, float scale, float shift, float* out, size_t n) {
  unary_loop(in, out, n, [scale, shift](float32x4_t v) { return vaddq_n_f32(vmulq_n_f32(v, scale), shift); });
}

}  // namespace helium
}  // namespace slimtorch
