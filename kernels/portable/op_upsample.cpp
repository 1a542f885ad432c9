// 2-D upsampling of NCHW tensors (contiguous, 4 dims), with PyTorch's source-index rules:
//
// aten::upsample_nearest2d.vec_out(Tensor input, SymInt[]? output_size, float[]? scale_factors,
//     *, Tensor(a!) out)                                  args: [input, size, scales, out, return]
// aten::upsample_bilinear2d.vec_out(Tensor input, SymInt[]? output_size, bool align_corners,
//     float[]? scale_factors, *, Tensor(a!) out)          args: [input, size, align, scales, out, return]
// aten::_upsample_bilinear2d_aa.out(Tensor self, SymInt[2] output_size, bool align_corners,
//     float? scales_h=None, float? scales_w=None, *, Tensor(a!) out)
//                                                         args: [self, size, align, sh, sw, out, return]
//
// .vec: exactly one of output_size and scale_factors is given; the output size is then
// floor(in * scale), and a given scale (not in/out) sets the source-index ratio 1/scale.
// Nearest: src = min(floor(dst * ratio), in - 1) in float (every dtype: elements are copied).
// Bilinear: src = ratio * (dst + 0.5) - 0.5 clamped at 0 (align_corners: ratio = (in-1)/(out-1),
// src = ratio * dst), computed in float for Float/Half/BFloat16 and in double for Double.
// Antialiased bilinear (torchvision's resize): a triangle filter widened by the scale when
// downsampling, its taps normalised to sum 1 (Float and Double, as PyTorch on the CPU).
#include <math.h>

#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

namespace {

struct Upsample {
  const Tensor* in;
  Tensor* out;
  int64_t planes;  // N * C
  int32_t ih, iw, oh, ow;
  bool has_scale[2];
  double scale[2];  // the given scale factors (has_scale), else unused
};

// Reads an optional `float?` argument (None or a number).
Error optional_scale(KernelContext& ctx, const EValue* v, bool* has, double* s, const char* why) {
  *has = false;
  *s = 0.0;
  if (v->is_none()) return Error::Ok;
  ST_TRY(scalar_as_double(ctx, v, s, why));
  *has = true;
  return Error::Ok;
}

// Validates input (4-D, non-empty spatial dims) and out (same dtype), sets the output size
// (oh, ow must be set by the caller before) and resizes out.
Error prepare_upsample(KernelContext& ctx, EValue** args, const EValue* out_arg, Upsample* u) {
  ST_TRY(check_tensor(ctx, args[0], "input: expected a tensor", "input: must be contiguous"));
  ST_TRY(check_tensor(ctx, out_arg, "out: expected a tensor", "out: must be contiguous"));
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = out_arg->to_tensor();
  if (x.dim != 4) return ctx.fail("input: expected a 4-D [N, C, H, W] tensor", Error::InvalidArgument);
  if (out.dtype != x.dtype) return ctx.fail("out: must have input's dtype", Error::InvalidArgument);
  if (x.sizes[2] <= 0 || x.sizes[3] <= 0) return ctx.fail("input: H and W must be non-empty", Error::InvalidArgument);
  u->in = &x;
  u->out = &out;
  u->ih = x.sizes[2];
  u->iw = x.sizes[3];
  u->planes = static_cast<int64_t>(x.sizes[0]) * x.sizes[1];
  return Error::Ok;
}

Error resize_upsample(KernelContext& ctx, Upsample* u) {
  if (u->oh <= 0 || u->ow <= 0) return ctx.fail("output_size: must be positive", Error::InvalidArgument);
  const int32_t sizes[4] = {u->in->sizes[0], u->in->sizes[1], u->oh, u->ow};
  return resize_out(ctx, *u->out, sizes, 4);
}

// The .vec overloads: exactly one of output_size (2 ints) and scale_factors (2 floats).
Error vec_output_size(KernelContext& ctx, const EValue* size, const EValue* scales, Upsample* u) {
  u->has_scale[0] = u->has_scale[1] = false;
  const bool has_size = !size->is_none();
  const bool has_scales = !scales->is_none();
  if (has_size == has_scales) {
    return ctx.fail("output_size, scale_factors: exactly one must be given", Error::InvalidArgument);
  }
  if (has_size) {
    if (!size->is_int_list() || size->v.il.size != 2) {
      return ctx.fail("output_size: expected 2 ints", Error::InvalidArgument);
    }
    for (uint32_t i = 0; i < 2; ++i) {
      const int64_t s = size->v.il.at(i);
      if (s <= 0 || s > INT32_MAX) return ctx.fail("output_size: must be positive", Error::InvalidArgument);
    }
    u->oh = static_cast<int32_t>(size->v.il.at(0));
    u->ow = static_cast<int32_t>(size->v.il.at(1));
    return resize_upsample(ctx, u);
  }
  if (scales->tag != Tag::DoubleList || scales->v.dl.size != 2) {
    return ctx.fail("scale_factors: expected 2 floats", Error::InvalidArgument);
  }
  int32_t osize[2];
  const int32_t in[2] = {u->ih, u->iw};
  for (uint32_t i = 0; i < 2; ++i) {
    const double s = scales->v.dl.at(i);
    const double o = static_cast<double>(in[i]) * s;
    if (!(s > 0.0) || !(o >= 1.0) || o > 2147483647.0) {
      return ctx.fail("scale_factors: must be positive and give a non-empty output", Error::InvalidArgument);
    }
    osize[i] = static_cast<int32_t>(o);
    u->has_scale[i] = true;
    u->scale[i] = s;
  }
  u->oh = osize[0];
  u->ow = osize[1];
  return resize_upsample(ctx, u);
}

// PyTorch's compute_scales_value: 1/scale when a positive scale was given, else in/out.
template <typename T>
T scales_value(bool has, double scale, int32_t in, int32_t out) {
  return has && scale > 0.0 ? static_cast<T>(1.0 / scale) : static_cast<T>(in) / static_cast<T>(out);
}

// area_pixel_compute_scale.
template <typename T>
T linear_ratio(bool has, double scale, int32_t in, int32_t out, bool align_corners) {
  if (align_corners) return out > 1 ? static_cast<T>(in - 1) / static_cast<T>(out - 1) : static_cast<T>(0);
  return scales_value<T>(has, scale, in, out);
}

// Source taps of output index o along one dim: i0, i1 and their weights.
template <typename T>
struct LinearTap {
  int32_t i0, i1;
  T w0, w1;
};

template <typename T>
LinearTap<T> linear_tap(T ratio, int32_t o, int32_t in, int32_t out, bool align_corners) {
  LinearTap<T> t;
  if (in == out) {  // scale 1: an exact copy, whatever the ratio says
    t.i0 = t.i1 = o;
    t.w0 = 1;
    t.w1 = 0;
    return t;
  }
  T src = align_corners ? ratio * static_cast<T>(o) : ratio * (static_cast<T>(o) + static_cast<T>(0.5)) - static_cast<T>(0.5);
  if (!align_corners && src < 0) src = 0;
  int32_t i0 = static_cast<int32_t>(floorf(static_cast<float>(src)));
  if (i0 > in - 1) i0 = in - 1;
  T l = src - static_cast<T>(i0);
  if (l < 0) l = 0;
  if (l > 1) l = 1;
  t.i0 = i0;
  t.i1 = i0 + (i0 < in - 1 ? 1 : 0);
  t.w1 = l;
  t.w0 = static_cast<T>(1) - l;
  return t;
}

// Output columns are done in chunks of kChunk whose taps are computed once (on the stack)
// and reused by every row of every plane.
constexpr int32_t kChunk = 32;

template <typename T, bool kF32>
void bilinear(const Upsample& u, bool align_corners) {
  const T rh = linear_ratio<T>(u.has_scale[0], u.scale[0], u.ih, u.oh, align_corners);
  const T rw = linear_ratio<T>(u.has_scale[1], u.scale[1], u.iw, u.ow, align_corners);
  const ScalarType dt = u.in->dtype;
  const void* d = u.in->data;
  LinearTap<T> tx[kChunk];
  for (int32_t c0 = 0; c0 < u.ow; c0 += kChunk) {
    const int32_t n = u.ow - c0 < kChunk ? u.ow - c0 : kChunk;
    for (int32_t j = 0; j < n; ++j) tx[j] = linear_tap<T>(rw, c0 + j, u.iw, u.ow, align_corners);
    for (int64_t p = 0; p < u.planes; ++p) {
      const size_t ib = static_cast<size_t>(p) * u.ih * u.iw;
      for (int32_t oy = 0; oy < u.oh; ++oy) {
        const LinearTap<T> ty = linear_tap<T>(rh, oy, u.ih, u.oh, align_corners);
        const size_t r0 = ib + static_cast<size_t>(ty.i0) * u.iw;
        const size_t r1 = ib + static_cast<size_t>(ty.i1) * u.iw;
        const size_t ob = (static_cast<size_t>(p) * u.oh + oy) * u.ow + c0;
        for (int32_t j = 0; j < n; ++j) {
          const LinearTap<T>& x = tx[j];
          const T top = x.w0 * load_as<T, kF32>(d, dt, r0 + x.i0) + x.w1 * load_as<T, kF32>(d, dt, r0 + x.i1);
          const T bot = x.w0 * load_as<T, kF32>(d, dt, r1 + x.i0) + x.w1 * load_as<T, kF32>(d, dt, r1 + x.i1);
          store_as<T, kF32>(u.out->data, dt, ob + j, ty.w0 * top + ty.w1 * bot);
        }
      }
    }
  }
}

// ---- antialiased bilinear -----------------------------------------------------

template <typename T>
T triangle(T x) {
  if (x < 0) x = -x;
  return x < 1 ? static_cast<T>(1) - x : static_cast<T>(0);
}

// The taps of one output index: inputs [first, first + count), weights
// triangle((j + first - center + 0.5) * invscale) / total.
template <typename T>
struct AaTaps {
  int32_t first, count;
  T center, invscale, total;
  T weight(int32_t j) const {
    const T w = triangle<T>((static_cast<T>(j + first) - center + static_cast<T>(0.5)) * invscale);
    return total != 0 ? w / total : w;
  }
};

template <typename T>
AaTaps<T> aa_taps(T ratio, int32_t o, int32_t in, int32_t out) {
  const T support = ratio >= 1 ? ratio : static_cast<T>(1);  // interp_size / 2 = 1, widened
  const int32_t max_taps = static_cast<int32_t>(ceilf(static_cast<float>(support))) * 2 + 1;
  AaTaps<T> t;
  if (out == in) {  // PyTorch skips a dim whose size does not change: one tap of weight 1
    t.first = o;
    t.count = 1;
    t.center = static_cast<T>(o) + static_cast<T>(0.5);
    t.invscale = 1;
    t.total = 1;
    return t;
  }
  t.center = ratio * (static_cast<T>(o) + static_cast<T>(0.5));
  t.invscale = ratio >= 1 ? static_cast<T>(1) / ratio : static_cast<T>(1);
  int64_t lo = static_cast<int64_t>(t.center - support + static_cast<T>(0.5));
  if (lo < 0) lo = 0;
  int64_t hi = static_cast<int64_t>(t.center + support + static_cast<T>(0.5));
  if (hi > in) hi = in;
  int64_t n = hi - lo;
  if (n < 0) n = 0;
  if (n > max_taps) n = max_taps;
  t.first = static_cast<int32_t>(lo);
  t.count = static_cast<int32_t>(n);
  t.total = 0;
  for (int32_t j = 0; j < t.count; ++j) {
    t.total += triangle<T>((static_cast<T>(j + t.first) - t.center + static_cast<T>(0.5)) * t.invscale);
  }
  return t;
}

template <typename T, bool kF32>
void bilinear_aa(const Upsample& u, bool align_corners) {
  const T rh = linear_ratio<T>(u.has_scale[0], u.scale[0], u.ih, u.oh, align_corners);
  const T rw = linear_ratio<T>(u.has_scale[1], u.scale[1], u.iw, u.ow, align_corners);
  const ScalarType dt = u.in->dtype;
  for (int32_t oy = 0; oy < u.oh; ++oy) {
    const AaTaps<T> ty = aa_taps<T>(rh, oy, u.ih, u.oh);
    for (int32_t ox = 0; ox < u.ow; ++ox) {
      const AaTaps<T> tx = aa_taps<T>(rw, ox, u.iw, u.ow);
      for (int64_t p = 0; p < u.planes; ++p) {
        const size_t ib = static_cast<size_t>(p) * u.ih * u.iw;
        T acc = 0;
        for (int32_t j = 0; j < ty.count; ++j) {  // the horizontal pass per row, then the vertical one
          const size_t row = ib + static_cast<size_t>(ty.first + j) * u.iw + tx.first;
          T h = 0;
          for (int32_t k = 0; k < tx.count; ++k) h += tx.weight(k) * load_as<T, kF32>(u.in->data, dt, row + k);
          acc += ty.weight(j) * h;
        }
        store_as<T, kF32>(u.out->data, dt, (static_cast<size_t>(p) * u.oh + oy) * u.ow + ox, acc);
      }
    }
  }
}

// ---- nearest ----------------------------------------------------------------

// PyTorch's nearest_idx: exact copy and 2x are special-cased, else floor(o * ratio) in float.
int32_t nearest_source(int32_t o, int32_t in, int32_t out, float ratio) {
  if (out == in) return o;
  if (out == 2 * in) return o >> 1;
  const int64_t i = static_cast<int64_t>(floorf(static_cast<float>(o) * ratio));
  return i < in - 1 ? static_cast<int32_t>(i) : in - 1;
}

template <typename E>
void nearest(const Upsample& u) {
  const float rh = scales_value<float>(u.has_scale[0], u.scale[0], u.ih, u.oh);
  const float rw = scales_value<float>(u.has_scale[1], u.scale[1], u.iw, u.ow);
  const E* in = static_cast<const E*>(u.in->data);
  E* out = static_cast<E*>(u.out->data);
  int32_t sx[kChunk];  // source columns of one chunk of output columns
  for (int32_t c0 = 0; c0 < u.ow; c0 += kChunk) {
    const int32_t n = u.ow - c0 < kChunk ? u.ow - c0 : kChunk;
    for (int32_t j = 0; j < n; ++j) sx[j] = nearest_source(c0 + j, u.iw, u.ow, rw);
    for (int64_t p = 0; p < u.planes; ++p) {
      const E* ip = in + static_cast<size_t>(p) * u.ih * u.iw;
      for (int32_t oy = 0; oy < u.oh; ++oy) {
        const E* row = ip + static_cast<size_t>(nearest_source(oy, u.ih, u.oh, rh)) * u.iw;
        E* o = out + (static_cast<size_t>(p) * u.oh + oy) * u.ow + c0;
        for (int32_t j = 0; j < n; ++j) o[j] = row[sx[j]];
      }
    }
  }
}

Error check_interp_dtype(KernelContext& ctx, ScalarType t) {
  if (!is_floating(t)) return ctx.fail("input: must be Float, Double, Half or BFloat16", Error::NotSupported);
  return Error::Ok;
}

}  // namespace

Error upsample_nearest2d_vec_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 5, "expected 5 args: input, output_size, scale_factors, out, return value"));
  Upsample u;
  ST_TRY(prepare_upsample(ctx, args, args[3], &u));
  if (!is_real_or_bool(u.in->dtype)) return ctx.fail("input: unsupported dtype", Error::NotSupported);
  ST_TRY(vec_output_size(ctx, args[1], args[2], &u));
  switch (element_size(u.in->dtype)) {  // elements are copied: one loop per element width
    case 1: nearest<uint8_t>(u); break;
    case 2: nearest<uint16_t>(u); break;
    case 4: nearest<uint32_t>(u); break;
    default: nearest<uint64_t>(u); break;
  }
  return Error::Ok;
}

Error upsample_bilinear2d_vec_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 6,
                     "expected 6 args: input, output_size, align_corners, scale_factors, out, return value"));
  if (!args[2]->is_bool()) return ctx.fail("align_corners: expected a bool", Error::InvalidArgument);
  Upsample u;
  ST_TRY(prepare_upsample(ctx, args, args[4], &u));
  ST_TRY(check_interp_dtype(ctx, u.in->dtype));
  ST_TRY(vec_output_size(ctx, args[1], args[3], &u));
  const bool align = args[2]->to_bool();
  if (u.in->dtype == ScalarType::Float) {
    bilinear<float, true>(u, align);
  } else if (u.in->dtype == ScalarType::Double) {
    bilinear<double, false>(u, align);
  } else {
    bilinear<float, false>(u, align);
  }
  return Error::Ok;
}

Error _upsample_bilinear2d_aa_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 7,
                     "expected 7 args: self, output_size, align_corners, scales_h, scales_w, out, return value"));
  if (!args[2]->is_bool()) return ctx.fail("align_corners: expected a bool", Error::InvalidArgument);
  Upsample u;
  ST_TRY(prepare_upsample(ctx, args, args[5], &u));
  if (u.in->dtype != ScalarType::Float && u.in->dtype != ScalarType::Double) {
    return ctx.fail("self: must be Float or Double", Error::NotSupported);
  }
  const EValue* size = args[1];
  if (!size->is_int_list() || size->v.il.size != 2) return ctx.fail("output_size: expected 2 ints", Error::InvalidArgument);
  for (uint32_t i = 0; i < 2; ++i) {
    const int64_t s = size->v.il.at(i);
    if (s <= 0 || s > INT32_MAX) return ctx.fail("output_size: must be positive", Error::InvalidArgument);
  }
  u.oh = static_cast<int32_t>(size->v.il.at(0));
  u.ow = static_cast<int32_t>(size->v.il.at(1));
  ST_TRY(optional_scale(ctx, args[3], &u.has_scale[0], &u.scale[0], "scales_h: expected a float or None"));
  ST_TRY(optional_scale(ctx, args[4], &u.has_scale[1], &u.scale[1], "scales_w: expected a float or None"));
  ST_TRY(resize_upsample(ctx, &u));
  const bool align = args[2]->to_bool();
  if (u.in->dtype == ScalarType::Float) {
    bilinear_aa<float, true>(u, align);
  } else {
    bilinear_aa<double, false>(u, align);
  }
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
