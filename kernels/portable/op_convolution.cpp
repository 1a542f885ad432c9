// aten::convolution.out(Tensor input, Tensor weight, Tensor? bias, SymInt[] stride,
//     SymInt[] padding, SymInt[] dilation, bool transposed, SymInt[] output_padding,
//     SymInt groups, *, Tensor(a!) out) -> Tensor(a!)
// 1-D ([N, C, L]) and 2-D ([N, C, H, W]) convolution with stride, zero padding,
// dilation and groups; bias optional. Float only; transposed convolution is not
// supported. args: [input, weight, bias, stride, padding, dilation, transposed,
// output_padding, groups, out, return].
//
// Loops (no scratch memory, so no im2col). On platforms with Helium every case is
// helium::conv2d_f32 (kernels/portable/helium/f32.h), bias included; elsewhere:
//  - 1x1, stride 1, no padding: per group a GEMM out[oc x HW] = w[oc x ic] @ in[ic x HW].
//  - at least kCB output channels per group (dense convolutions: ResNet-8, first
//    layers): blocked direct convolution. kCB output channels at a time, each
//    output row in tiles of kXB columns whose every tap is inside the input row:
//    a kCB x kXB accumulator block (registers) sums over input channels and taps,
//    each input value loaded once for kCB channels, the inner loop over the tile's
//    columns (constant trip count, vectorised); the output is written once. Tiles
//    may overlap at the end of a row (they write, not accumulate, so overlap is
//    harmless); the few columns where a tap falls in the padding are computed one
//    point at a time with bounds checks. Measured on ResNet-8 (host, -O2): 2.6x
//    faster than the per-channel-pair loop below.
//  - otherwise (depthwise, fewer than kCB output channels per group) direct
//    convolution per (output channel, input channel) plane pair:
//    for every kernel tap, each output row gets w * (a run of an input row); the
//    valid output range of the run is computed once per tap, so the inner loop has
//    no bounds checks and (stride 1) reads and writes contiguous memory.
#include <stdint.h>

#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

namespace {

using ConvGeom = helium::ConvShape;  // the plain and Helium paths' one description

// First output index o >= 0 whose input index o*s - p + k*d is >= 0, and the end
// (exclusive) of those whose index is < size. Empty range when begin >= end.
inline void valid_range(int32_t size, int32_t out, int32_t s, int32_t p, int32_t off, int32_t* begin, int32_t* end) {
  // input index i(o) = o*s + (off - p), off = k*d
  const int32_t shift = off - p;
  int32_t b = shift >= 0 ? 0 : (-shift + s - 1) / s;
  int32_t e = size - shift <= 0 ? 0 : (size - shift + s - 1) / s;
  if (e > out) e = out;
  if (b > e) b = e;
  *begin = b;
  *end = e;
}

// out_plane[oh x ow] += conv(in_plane[h x w], k[kh x kw]) for one channel pair.
void conv_plane_accumulate(const float* __restrict in, const float* __restrict k, float* __restrict out,
                           const ConvGeom& g) {
  for (int32_t ky = 0; ky < g.kh; ++ky) {
    int32_t oy0 = 0;
    int32_t oy1 = 0;
    valid_range(g.h, g.oh, g.sh, g.ph, ky * g.dh, &oy0, &oy1);
    for (int32_t kx = 0; kx < g.kw; ++kx) {
      const float wv = k[ky * g.kw + kx];
      int32_t ox0 = 0;
      int32_t ox1 = 0;
      valid_range(g.w, g.ow, g.sw, g.pw, kx * g.dw, &ox0, &ox1);
      if (ox0 >= ox1) continue;
      for (int32_t oy = oy0; oy < oy1; ++oy) {
        const int32_t iy = oy * g.sh - g.ph + ky * g.dh;
        const float* src = in + static_cast<size_t>(iy) * g.w + (kx * g.dw - g.pw);
        float* dst = out + static_cast<size_t>(oy) * g.ow;
        if (g.sw == 1) {
          for (int32_t ox = ox0; ox < ox1; ++ox) dst[ox] += wv * src[ox];
        } else {
          for (int32_t ox = ox0; ox < ox1; ++ox) dst[ox] += wv * src[ox * g.sw];
        }
      }
    }
  }
}

// As conv_plane_accumulate for a 3x3 kernel, stride 1 or 2, dilation 1, padding 1
// (depthwise layers of MobileNets and DS-CNN): interior rows take all nine taps
// in one pass over the output row, so each output element is loaded and stored once.
void conv3x3_plane(const float* __restrict in, const float* __restrict k, float* __restrict out, const ConvGeom& g) {
  const int32_t s = g.sw;
  for (int32_t oy = 0; oy < g.oh; ++oy) {
    const int32_t iy0 = oy * g.sh - 1;
    float* dst = out + static_cast<size_t>(oy) * g.ow;
    // columns whose three taps are all inside the row: ix = ox*s - 1 + kx in [0, w)
    int32_t ox0 = 0;
    int32_t ox1 = 0;
    valid_range(g.w, g.ow, s, 1, 0, &ox0, &ox1);
    int32_t e2 = 0;
    int32_t b2 = 0;
    valid_range(g.w, g.ow, s, 1, 2, &b2, &e2);
    if (e2 < ox1) ox1 = e2;
    for (int32_t ky = 0; ky < 3; ++ky) {
      const int32_t iy = iy0 + ky;
      if (iy < 0 || iy >= g.h) continue;
      const float* row = in + static_cast<size_t>(iy) * g.w;
      const float w0 = k[ky * 3];
      const float w1 = k[ky * 3 + 1];
      const float w2 = k[ky * 3 + 2];
      for (int32_t ox = 0; ox < g.ow; ++ox) {  // edges: checked taps
        if (ox == ox0 && ox0 < ox1) ox = ox1;
        if (ox >= g.ow) break;
        const int32_t ix = ox * s - 1;
        float acc = 0.0f;
        if (ix >= 0 && ix < g.w) acc += w0 * row[ix];
        if (ix + 1 >= 0 && ix + 1 < g.w) acc += w1 * row[ix + 1];
        if (ix + 2 >= 0 && ix + 2 < g.w) acc += w2 * row[ix + 2];
        dst[ox] += acc;
      }
      const float* r = row - 1;
      if (s == 1) {
        for (int32_t ox = ox0; ox < ox1; ++ox) dst[ox] += w0 * r[ox] + w1 * r[ox + 1] + w2 * r[ox + 2];
      } else {
        for (int32_t ox = ox0; ox < ox1; ++ox) {
          dst[ox] += w0 * r[ox * s] + w1 * r[ox * s + 1] + w2 * r[ox * s + 2];
        }
      }
    }
  }
}

// Blocked dense convolution (see the top of the file). kCB output channels share
// each input load; kXB columns per tile. The Cortex-M55 (-Os, scalar FPU with 32
// single-precision registers) keeps a 4 x 4 block in registers; the host a 4 x 8
// (eight SSE registers), or with AVX (host_avx2) an 8 x 8 (eight of its sixteen).
#ifdef __AVX__
constexpr int32_t kCB = 8;
#else
constexpr int32_t kCB = 4;
#endif
#ifdef SLIMTORCH_BARE_METAL
constexpr int32_t kXB = 4;
// -Os does not unroll by itself, and an indexed array would live on the stack:
// unrolling keeps the block in registers. (On the host, -O2 vectorises the loops
// as written; unrolling them first would hide them from the loop vectoriser.)
#define ST_UNROLL _Pragma("GCC unroll 8")
#else
constexpr int32_t kXB = 8;
#define ST_UNROLL
#endif

struct BlockArgs {
  const float* in;   // the group's input planes [icg][h][w]
  const float* w;    // weights of the block's first output channel [icg][kh][kw]
  float* out;        // output plane of the block's first output channel
  size_t wstride;    // floats from one output channel's weights to the next (icg * kh * kw)
  size_t in_plane;   // h * w
  size_t out_plane;  // oh * ow
  int32_t icg;
};

// out[j][oy][ox .. ox+XB) = sum over input channels and taps, j < kCB; every tap's
// input column ox*sw - pw + kx*dw (kx < kw) is inside the row for the whole tile.
template <int32_t XB, bool kUnitStride>
void conv_tile(const BlockArgs& a, const ConvGeom& g, int32_t oy, int32_t ox) {
  float acc[kCB][XB];
ST_UNROLL
  for (int32_t j = 0; j < kCB; ++j) {
ST_UNROLL
    for (int32_t x = 0; x < XB; ++x) acc[j][x] = 0.0f;
  }
  const int32_t sw = kUnitStride ? 1 : g.sw;
  const size_t kplane = static_cast<size_t>(g.kh) * g.kw;
  for (int32_t ci = 0; ci < a.icg; ++ci) {
    const float* inc = a.in + ci * a.in_plane;
    const float* wc = a.w + ci * kplane;
    for (int32_t ky = 0; ky < g.kh; ++ky) {
      const int32_t iy = oy * g.sh - g.ph + ky * g.dh;
      if (iy < 0 || iy >= g.h) continue;
      const float* row = inc + static_cast<size_t>(iy) * g.w + (ox * sw - g.pw);
      const float* wr = wc + ky * g.kw;
      for (int32_t kx = 0; kx < g.kw; ++kx) {
        const float* src = row + kx * g.dw;
        float wv[kCB];
#pragma GCC unroll 8
        for (int32_t j = 0; j < kCB; ++j) wv[j] = wr[kx + j * a.wstride];
ST_UNROLL
        for (int32_t x = 0; x < XB; ++x) {
          const float v = src[x * sw];
#pragma GCC unroll 8
          for (int32_t j = 0; j < kCB; ++j) acc[j][x] += wv[j] * v;
        }
      }
    }
  }
  float* dst = a.out + static_cast<size_t>(oy) * g.ow + ox;
ST_UNROLL
  for (int32_t j = 0; j < kCB; ++j) {
ST_UNROLL
    for (int32_t x = 0; x < XB; ++x) dst[j * a.out_plane + x] = acc[j][x];
  }
}

// One output column of the block, taps in the padding skipped (row edges).
void conv_point(const BlockArgs& a, const ConvGeom& g, int32_t oy, int32_t ox) {
  float acc[kCB] = {};
  const size_t kplane = static_cast<size_t>(g.kh) * g.kw;
  for (int32_t ci = 0; ci < a.icg; ++ci) {
    for (int32_t ky = 0; ky < g.kh; ++ky) {
      const int32_t iy = oy * g.sh - g.ph + ky * g.dh;
      if (iy < 0 || iy >= g.h) continue;
      const float* row = a.in + ci * a.in_plane + static_cast<size_t>(iy) * g.w;
      for (int32_t kx = 0; kx < g.kw; ++kx) {
        const int32_t ix = ox * g.sw - g.pw + kx * g.dw;
        if (ix < 0 || ix >= g.w) continue;
        const float v = row[ix];
        const float* wk = a.w + ci * kplane + ky * g.kw + kx;
        for (int32_t j = 0; j < kCB; ++j) acc[j] += wk[j * a.wstride] * v;
      }
    }
  }
  for (int32_t j = 0; j < kCB; ++j) a.out[j * a.out_plane + static_cast<size_t>(oy) * g.ow + ox] = acc[j];
}

template <bool kUnitStride>
void conv_tiles(const BlockArgs& a, const ConvGeom& g, int32_t oy, int32_t x0, int32_t x1) {
  if (x1 - x0 >= kXB) {
    for (int32_t ox = x0;; ox += kXB) {
      if (ox > x1 - kXB) ox = x1 - kXB;  // last tile overlaps the previous one
      conv_tile<kXB, kUnitStride>(a, g, oy, ox);
      if (ox + kXB >= x1) break;
    }
  } else if (kXB > 4 && x1 - x0 >= 4) {
    conv_tile<4, kUnitStride>(a, g, oy, x0);
    conv_tile<4, kUnitStride>(a, g, oy, x1 - 4);
  } else {
    for (int32_t ox = x0; ox < x1; ++ox) conv_point(a, g, oy, ox);
  }
}

// Writes (no accumulation) kCB whole output planes.
void conv_block(const BlockArgs& a, const ConvGeom& g) {
  // columns whose taps are all inside the row: [x0, x1)
  int32_t x0 = 0;
  int32_t x1 = 0;
  int32_t unused = 0;
  valid_range(g.w, g.ow, g.sw, g.pw, 0, &x0, &unused);
  valid_range(g.w, g.ow, g.sw, g.pw, (g.kw - 1) * g.dw, &unused, &x1);
  if (x1 < x0) x1 = x0;
  for (int32_t oy = 0; oy < g.oh; ++oy) {
    for (int32_t ox = 0; ox < x0; ++ox) conv_point(a, g, oy, ox);
    if (g.sw == 1) {
      conv_tiles<true>(a, g, oy, x0, x1);
    } else {
      conv_tiles<false>(a, g, oy, x0, x1);
    }
    for (int32_t ox = x1; ox < g.ow; ++ox) conv_point(a, g, oy, ox);
  }
}

}  // namespace

Error convolution_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 11,
                     "expected 11 args: input, weight, bias, stride, padding, dilation, transposed, "
                     "output_padding, groups, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "input: expected a tensor", "input: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[1], "weight: expected a tensor", "weight: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[9], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& x = args[0]->to_tensor();
  const Tensor& wt = args[1]->to_tensor();
  Tensor& out = args[9]->to_tensor();
  const Tensor* bias = nullptr;
  if (!args[2]->is_none()) {
    ST_TRY(check_tensor(ctx, args[2], "bias: expected a tensor or None", "bias: must be contiguous"));
    bias = &args[2]->to_tensor();
  }
  if (!args[6]->is_bool()) return ctx.fail("transposed: expected a bool", Error::InvalidArgument);
  if (args[6]->to_bool()) return ctx.fail("transposed: transposed convolution is not supported", Error::NotSupported);
  if (!args[8]->is_int()) return ctx.fail("groups: expected an int", Error::InvalidArgument);
  if (x.dtype != ScalarType::Float || wt.dtype != ScalarType::Float || out.dtype != ScalarType::Float ||
      (bias != nullptr && bias->dtype != ScalarType::Float)) {
    return ctx.fail("input, weight, bias, out: only Float is supported", Error::NotSupported);
  }
  if (x.dim != 3 && x.dim != 4) return ctx.fail("input: expected [N, C, L] or [N, C, H, W]", Error::NotSupported);
  if (wt.dim != x.dim) return ctx.fail("weight: must have as many dims as input", Error::InvalidArgument);
  const int sd = x.dim - 2;  // spatial dims
  int32_t stride[2];
  int32_t pad[2];
  int32_t dil[2];
  ST_TRY(int_list_n(ctx, args[3], sd, nullptr, stride, "stride: expected 1 or one per spatial dim"));
  ST_TRY(int_list_n(ctx, args[4], sd, nullptr, pad, "padding: expected 1 or one per spatial dim"));
  ST_TRY(int_list_n(ctx, args[5], sd, nullptr, dil, "dilation: expected 1 or one per spatial dim"));
  for (int i = 0; i < sd; ++i) {
    if (stride[i] <= 0) return ctx.fail("stride: must be positive", Error::InvalidArgument);
    if (pad[i] < 0) return ctx.fail("padding: must be >= 0", Error::InvalidArgument);
    if (dil[i] <= 0) return ctx.fail("dilation: must be positive", Error::InvalidArgument);
  }
  const int64_t groups = args[8]->to_int();
  const int32_t n = x.sizes[0];
  const int32_t c = x.sizes[1];
  const int32_t oc = wt.sizes[0];
  if (groups <= 0 || c % groups != 0 || oc % groups != 0) {
    return ctx.fail("groups: must be positive and divide input and output channels", Error::InvalidArgument);
  }
  const int32_t g = static_cast<int32_t>(groups);
  const int32_t icg = c / g;
  const int32_t ocg = oc / g;
  if (wt.sizes[1] != icg) return ctx.fail("weight: dim 1 must be input channels / groups", Error::InvalidArgument);
  if (bias != nullptr && (bias->dim != 1 || bias->sizes[0] != oc)) {
    return ctx.fail("bias: must be 1-D with one entry per output channel", Error::InvalidArgument);
  }
  ConvGeom geo;
  geo.h = sd == 2 ? x.sizes[2] : 1;
  geo.w = x.sizes[x.dim - 1];
  geo.kh = sd == 2 ? wt.sizes[2] : 1;
  geo.kw = wt.sizes[wt.dim - 1];
  geo.sh = sd == 2 ? stride[0] : 1;
  geo.sw = stride[sd - 1];
  geo.ph = sd == 2 ? pad[0] : 0;
  geo.pw = pad[sd - 1];
  geo.dh = sd == 2 ? dil[0] : 1;
  geo.dw = dil[sd - 1];
  // In 64 bits: padding and dilation come from the program and may be anything up to INT32_MAX.
  const int64_t eh = static_cast<int64_t>(geo.h) + 2 * static_cast<int64_t>(geo.ph) -
                     static_cast<int64_t>(geo.dh) * (geo.kh - 1) - 1;
  const int64_t ew = static_cast<int64_t>(geo.w) + 2 * static_cast<int64_t>(geo.pw) -
                     static_cast<int64_t>(geo.dw) * (geo.kw - 1) - 1;
  if (eh < 0 || ew < 0) return ctx.fail("input: smaller than the (dilated) kernel after padding", Error::InvalidArgument);
  if (eh / geo.sh >= INT32_MAX || ew / geo.sw >= INT32_MAX) {
    return ctx.fail("padding: output size out of range", Error::InvalidArgument);
  }
  geo.oh = static_cast<int32_t>(eh / geo.sh + 1);
  geo.ow = static_cast<int32_t>(ew / geo.sw + 1);
  int32_t out_sizes[4] = {n, oc, geo.oh, geo.ow};
  if (sd == 1) out_sizes[2] = geo.ow;
  ST_TRY(resize_out(ctx, out, out_sizes, x.dim));

  const size_t in_plane = static_cast<size_t>(geo.h) * geo.w;
  const size_t out_plane = static_cast<size_t>(geo.oh) * geo.ow;
  const size_t kplane = static_cast<size_t>(geo.kh) * geo.kw;
  const float* in = x.data_as<float>();
  const float* w = wt.data_as<float>();
  float* o = out.data_as<float>();
  const bool pointwise = kplane == 1 && geo.sh == 1 && geo.sw == 1 && geo.ph == 0 && geo.pw == 0;
  const bool is3x3 = geo.kh == 3 && geo.kw == 3 && geo.ph == 1 && geo.pw == 1 && geo.dh == 1 && geo.dw == 1 &&
                     geo.sh == geo.sw && (geo.sw == 1 || geo.sw == 2);
#ifdef SLIMTORCH_HELIUM_F32
  const bool use_helium = helium::enabled();  // every case, bias included
#else
  constexpr bool use_helium = false;
#endif
  const float* bv = bias != nullptr ? bias->data_as<float>() : nullptr;
  for (int32_t b = 0; b < n; ++b) {
    const float* inb = in + static_cast<size_t>(b) * c * in_plane;
    float* ob = o + static_cast<size_t>(b) * oc * out_plane;
#ifdef SLIMTORCH_HELIUM_F32
    if (use_helium && icg == 1 && ocg == 1 && g > 1) {  // depthwise, bias included
      helium::depthwise2d_f32(inb, w, bv, ob, g, geo);
      continue;
    }
#endif
    for (int32_t gi = 0; gi < g; ++gi) {
      const float* ing = inb + static_cast<size_t>(gi) * icg * in_plane;
      float* og = ob + static_cast<size_t>(gi) * ocg * out_plane;
      const float* wg = w + static_cast<size_t>(gi) * ocg * icg * kplane;
#ifdef SLIMTORCH_HELIUM_F32
      if (use_helium) {  // bias included
        helium::conv2d_f32(ing, wg, bv != nullptr ? bv + static_cast<size_t>(gi) * ocg : nullptr, og, ocg, icg, geo);
        continue;
      }
#endif
      if (pointwise) {
        gemm_f32(wg, ing, og, ocg, icg, static_cast<int32_t>(out_plane), false);
      } else {
        // whole blocks of kCB output channels (written), then the rest (accumulated)
        const int32_t blocked = ocg - ocg % kCB;
        BlockArgs ba;
        ba.in = ing;
        ba.wstride = static_cast<size_t>(icg) * kplane;
        ba.in_plane = in_plane;
        ba.out_plane = out_plane;
        ba.icg = icg;
        for (int32_t co = 0; co < blocked; co += kCB) {
          ba.w = wg + static_cast<size_t>(co) * icg * kplane;
          ba.out = og + co * out_plane;
          conv_block(ba, geo);
        }
        for (size_t i = static_cast<size_t>(blocked) * out_plane; i < static_cast<size_t>(ocg) * out_plane; ++i) {
          og[i] = 0.0f;
        }
        for (int32_t co = blocked; co < ocg; ++co) {
          for (int32_t ci = 0; ci < icg; ++ci) {
            const float* kk = wg + (static_cast<size_t>(co) * icg + ci) * kplane;
            if (is3x3) {
              conv3x3_plane(ing + ci * in_plane, kk, og + co * out_plane, geo);
            } else {
              conv_plane_accumulate(ing + ci * in_plane, kk, og + co * out_plane, geo);
            }
          }
        }
      }
    }
    if (bv != nullptr && !use_helium) {
      for (int32_t co = 0; co < oc; ++co) {
        float* p = ob + static_cast<size_t>(co) * out_plane;
        const float bb = bv[co];
        for (size_t i = 0; i < out_plane; ++i) p[i] += bb;
      }
    }
  }
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
