// Spatial ops over NCHW tensors (contiguous):
//
// aten::_adaptive_avg_pool2d.out(Tensor self, SymInt[2] output_size, *, Tensor(a!) out)
//   args: [self, output_size, out, return]; self [C, H, W] or [N, C, H, W]. Window o of a
//   dim covers [floor(o * in / out), ceil((o + 1) * in / out)); the sum is kept in float
//   (Float/Half/BFloat16) or double (Double), as PyTorch's CPU kernel.
// aten::pixel_shuffle.out(Tensor self, int upscale_factor, *, Tensor(a!) out)
// aten::pixel_unshuffle.out(Tensor self, int downscale_factor, *, Tensor(a!) out)
//   args: [self, factor, out, return]; [*, C r^2, H, W] <-> [*, C, H r, W r], every dtype
//   (one strided copy of a 6-D view).
// aten::grid_sampler_2d.out(Tensor input, Tensor grid, int interpolation_mode,
//     int padding_mode, bool align_corners, *, Tensor(a!) out)
//   args: [input, grid, interpolation, padding, align_corners, out, return]; input
//   [N, C, H, W], grid [N, OH, OW, 2] of (x, y) in [-1, 1], out [N, C, OH, OW].
//   interpolation 0 bilinear, 1 nearest (round half to even), 2 bicubic (A = -0.75);
//   padding 0 zeros, 1 border, 2 reflection. Non-finite grid values as in PyTorch: border
//   and reflection clip NaN to 0 (and reflect +-inf to 0); bilinear with zeros padding and
//   bicubic then give NaN (NaN weights), nearest reads zeros.
// aten::max_pool2d_with_indices_backward.grad_input(Tensor grad_output, Tensor self,
//     int[2] kernel_size, int[2] stride, int[2] padding, int[2] dilation, bool ceil_mode,
//     Tensor indices, *, Tensor(a!) grad_input)
//   args: [grad_output, self, kernel_size, stride, padding, dilation, ceil_mode, indices,
//   grad_input, return]; grad_input = zeros like self, plus grad_output scattered to the
//   flat per-plane `indices` that max_pool2d_with_indices returned.
#include <math.h>

#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

namespace {

// ---- adaptive average pooling ------------------------------------------------

template <typename T, bool kF32>
void adaptive_avg(const Tensor& x, Tensor& out, int32_t planes, int32_t h, int32_t w, int32_t oh, int32_t ow) {
  const ScalarType dt = x.dtype;
  size_t o = 0;
  for (int32_t p = 0; p < planes; ++p) {
    const size_t base = static_cast<size_t>(p) * h * w;
    for (int32_t oy = 0; oy < oh; ++oy) {
      const int32_t y0 = static_cast<int32_t>(static_cast<int64_t>(oy) * h / oh);
      const int32_t y1 = static_cast<int32_t>((static_cast<int64_t>(oy + 1) * h + oh - 1) / oh);
      for (int32_t ox = 0; ox < ow; ++ox, ++o) {
        const int32_t x0 = static_cast<int32_t>(static_cast<int64_t>(ox) * w / ow);
        const int32_t x1 = static_cast<int32_t>((static_cast<int64_t>(ox + 1) * w + ow - 1) / ow);
        T sum = 0;
        for (int32_t y = y0; y < y1; ++y) {
          const size_t row = base + static_cast<size_t>(y) * w;
          for (int32_t xx = x0; xx < x1; ++xx) sum += load_as<T, kF32>(x.data, dt, row + xx);
        }
        store_as<T, kF32>(out.data, dt, o, sum / static_cast<T>(y1 - y0) / static_cast<T>(x1 - x0));
      }
    }
  }
}

// ---- grid sampling ------------------------------------------------------------

enum GridInterp : int64_t { kBilinear = 0, kNearest = 1, kBicubic = 2 };
enum GridPadding : int64_t { kZeros = 0, kBorder = 1, kReflection = 2 };

// floor / rint / trunc in the op's math type.
inline float round_down(float x) { return floorf(x); }
inline double round_down(double x) { return floor(x); }
inline float round_even(float x) { return rintf(x); }
inline double round_even(double x) { return rint(x); }
inline float round_zero(float x) { return truncf(x); }
inline double round_zero(double x) { return trunc(x); }

// One spatial dim of the input as the sampler sees it (PyTorch's ComputeLocation).
template <typename T>
struct GridAxis {
  int32_t size;
  bool align;
  int64_t padding;

  // [-1, 1] -> pixel coordinates.
  T unnormalize(T c) const {
    if (align) return (c + 1) * (static_cast<T>(size - 1) / 2);
    return (c + 1) * (static_cast<T>(size) / 2) - static_cast<T>(0.5);
  }
  T clip(T x) const {
    const T hi = static_cast<T>(size - 1);
    return !(x > 0) ? static_cast<T>(0) : x > hi ? hi : x;  // NaN clips to 0, as in PyTorch
  }
  // Reflects x about the borders (the pixel centres with align_corners, else the edges)
  // until it lies inside, then clips.
  T reflect(T x) const {
    const T low = align ? static_cast<T>(0) : static_cast<T>(-0.5);
    const T twice_span = align ? static_cast<T>(size - 1) * 2 : static_cast<T>(size) * 2;
    if (twice_span <= 0) return 0;
    T a = x - low;
    if (a < 0) a = -a;
    const T flips = round_zero(a / twice_span);
    const T extra = a - flips * twice_span;
    const T r = (extra < twice_span - extra ? extra : twice_span - extra) + low;
    return clip(r);
  }
  T apply_padding(T x) const {
    if (padding == kBorder) return clip(x);
    if (padding == kReflection) return reflect(x);
    return x;
  }
};

// An integer pixel index for a coordinate: -100 (outside) for NaN, inf or huge values.
template <typename T>
int32_t grid_index(T x) {
  if (!(x > static_cast<T>(-1073741824.0)) || !(x < static_cast<T>(1073741824.0))) return -100;
  return static_cast<int32_t>(x);
}

template <typename T, bool kF32>
inline T grid_value(const void* d, ScalarType dt, size_t base, int32_t y, int32_t x, int32_t h, int32_t w) {
  if (y < 0 || y >= h || x < 0 || x >= w) return 0;
  return load_as<T, kF32>(d, dt, base + static_cast<size_t>(y) * w + x);
}

template <typename T>
void cubic_coeffs(T t, T* c) {
  const T a = static_cast<T>(-0.75);
  auto near = [a](T x) { return ((a + 2) * x - (a + 3)) * x * x + 1; };       // |x| <= 1
  auto far = [a](T x) { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a; };  // 1 < |x| < 2
  c[0] = far(t + 1);
  c[1] = near(t);
  c[2] = near(1 - t);
  c[3] = far(2 - t);
}

template <typename T, bool kF32>
void grid_sample(const Tensor& in, const Tensor& grid, Tensor& out, int64_t interp, int64_t padding, bool align) {
  const int32_t n = in.sizes[0], c = in.sizes[1], h = in.sizes[2], w = in.sizes[3];
  const int32_t oh = grid.sizes[1], ow = grid.sizes[2];
  const GridAxis<T> ax{w, align, padding};
  const GridAxis<T> ay{h, align, padding};
  const ScalarType dt = in.dtype;
  const size_t plane = static_cast<size_t>(h) * w;
  const size_t oplane = static_cast<size_t>(oh) * ow;
  for (int32_t b = 0; b < n; ++b) {
    for (int32_t p = 0; p < oh * ow; ++p) {
      const size_t g = (static_cast<size_t>(b) * oplane + p) * 2;
      const T gx = load_as<T, kF32>(grid.data, grid.dtype, g);
      const T gy = load_as<T, kF32>(grid.data, grid.dtype, g + 1);
      const T ux = ax.unnormalize(gx);
      const T uy = ay.unnormalize(gy);
      for (int32_t ch = 0; ch < c; ++ch) {
        const size_t base = (static_cast<size_t>(b) * c + ch) * plane;
        T v = 0;
        if (interp == kBilinear) {
          const T x = ax.apply_padding(ux), y = ay.apply_padding(uy);
          const T fx = round_down(x);
          const T fy = round_down(y);
          const int32_t x0 = grid_index<T>(fx), y0 = grid_index<T>(fy);
          const T tx = x - fx, ty = y - fy;
          // A non-finite coordinate gives NaN weights (x - floor(x)), so NaN, as in PyTorch.
          v = grid_value<T, kF32>(in.data, dt, base, y0, x0, h, w) * ((1 - tx) * (1 - ty)) +
              grid_value<T, kF32>(in.data, dt, base, y0, x0 + 1, h, w) * (tx * (1 - ty)) +
              grid_value<T, kF32>(in.data, dt, base, y0 + 1, x0, h, w) * ((1 - tx) * ty) +
              grid_value<T, kF32>(in.data, dt, base, y0 + 1, x0 + 1, h, w) * (tx * ty);
        } else if (interp == kNearest) {
          const T x = ax.apply_padding(ux), y = ay.apply_padding(uy);
          const int32_t xi = grid_index<T>(round_even(x));
          const int32_t yi = grid_index<T>(round_even(y));
          v = grid_value<T, kF32>(in.data, dt, base, yi, xi, h, w);
        } else {  // bicubic: 4 x 4 taps around floor(x), each tap's index padded
          const T fx = round_down(ux);
          const T fy = round_down(uy);
          T cx[4], cy[4];
          cubic_coeffs<T>(ux - fx, cx);
          cubic_coeffs<T>(uy - fy, cy);
          for (int i = 0; i < 4; ++i) {
            const int32_t yi = grid_index<T>(ay.apply_padding(fy - 1 + i));
            T row = 0;
            for (int j = 0; j < 4; ++j) {
              const int32_t xi = grid_index<T>(ax.apply_padding(fx - 1 + j));
              row += grid_value<T, kF32>(in.data, dt, base, yi, xi, h, w) * cx[j];
            }
            v += row * cy[i];
          }
        }
        store_as<T, kF32>(out.data, dt, (static_cast<size_t>(b) * c + ch) * oplane + p, v);
      }
    }
  }
}

// ---- pixel shuffle ------------------------------------------------------------

// [B, C r^2, H, W] <-> [B, C, H r, W r] through one 6-D strided copy.
Error pixel_shuffle_common(KernelContext& ctx, EValue** args, size_t nargs, bool shuffle) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: self, factor, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[2], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = args[2]->to_tensor();
  const char* bad_factor = shuffle ? "upscale_factor: must be a positive int" : "downscale_factor: must be a positive int";
  if (!args[1]->is_int() || args[1]->to_int() <= 0 || args[1]->to_int() > 65535) {
    return ctx.fail(bad_factor, Error::InvalidArgument);
  }
  const int32_t r = static_cast<int32_t>(args[1]->to_int());
  if (x.dim < 3) return ctx.fail("self: expected at least 3 dims [*, C, H, W]", Error::InvalidArgument);
  if (out.dtype != x.dtype) return ctx.fail("out: must have self's dtype", Error::InvalidArgument);
  const int nd = x.dim;
  const int64_t c = x.sizes[nd - 3], h = x.sizes[nd - 2], w = x.sizes[nd - 1];
  int32_t sizes[kMaxTensorDim];
  for (int d = 0; d < nd - 3; ++d) sizes[d] = x.sizes[d];
  int64_t oc, oh, ow;
  if (shuffle) {
    if (c % (static_cast<int64_t>(r) * r) != 0) {
      return ctx.fail("self: channels must be divisible by upscale_factor squared", Error::InvalidArgument);
    }
    oc = c / (static_cast<int64_t>(r) * r);
    oh = h * r;
    ow = w * r;
  } else {
    if (h % r != 0 || w % r != 0) {
      return ctx.fail("self: H and W must be divisible by downscale_factor", Error::InvalidArgument);
    }
    oc = c * r * r;
    oh = h / r;
    ow = w / r;
  }
  if (oc > INT32_MAX || oh > INT32_MAX || ow > INT32_MAX || c * h * w > INT32_MAX) {
    return ctx.fail("self: too large (the view's strides are 32-bit)", Error::NotSupported);
  }
  sizes[nd - 3] = static_cast<int32_t>(oc);
  sizes[nd - 2] = static_cast<int32_t>(oh);
  sizes[nd - 1] = static_cast<int32_t>(ow);
  ST_TRY(resize_out(ctx, out, sizes, nd));
  if (out.numel == 0) return Error::Ok;
  const int32_t batch = static_cast<int32_t>(x.numel / static_cast<uint32_t>(c * h * w));
  const int32_t hw = static_cast<int32_t>(h * w);
  int32_t view[6], strides[6];
  if (shuffle) {  // out[b, c, y, i, x, j] = in[b, c r^2 + i r + j, y, x]
    const int32_t c2 = static_cast<int32_t>(oc);
    const int32_t v[6] = {batch, c2, static_cast<int32_t>(h), r, static_cast<int32_t>(w), r};
    const int32_t s[6] = {static_cast<int32_t>(c * hw), r * r * hw, static_cast<int32_t>(w), r * hw, 1, hw};
    for (int i = 0; i < 6; ++i) {
      view[i] = v[i];
      strides[i] = s[i];
    }
  } else {  // out[b, c r^2 + i r + j, y, x] = in[b, c, y r + i, x r + j]
    const int32_t wi = static_cast<int32_t>(w);
    const int32_t v[6] = {batch, static_cast<int32_t>(c), r, r, static_cast<int32_t>(oh), static_cast<int32_t>(ow)};
    const int32_t s[6] = {static_cast<int32_t>(c * hw), hw, wi, 1, r * wi, r};
    for (int i = 0; i < 6; ++i) {
      view[i] = v[i];
      strides[i] = s[i];
    }
  }
  strided_copy(out.data, x.data, view, strides, 6, element_size(x.dtype));
  return Error::Ok;
}

}  // namespace

Error _adaptive_avg_pool2d_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: self, output_size, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[2], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = args[2]->to_tensor();
  if (x.dim != 3 && x.dim != 4) return ctx.fail("self: expected [C, H, W] or [N, C, H, W]", Error::InvalidArgument);
  if (!is_floating(x.dtype)) return ctx.fail("self: must be Float, Double, Half or BFloat16", Error::NotSupported);
  if (out.dtype != x.dtype) return ctx.fail("out: must have self's dtype", Error::InvalidArgument);
  for (int d = x.dim - 3; d < x.dim; ++d) {
    if (x.sizes[d] == 0) return ctx.fail("self: dims other than the batch dim must be non-empty", Error::InvalidArgument);
  }
  int32_t osz[2];
  ST_TRY(int_list_n(ctx, args[1], 2, nullptr, osz, "output_size: expected 2 ints"));
  if (osz[0] < 0 || osz[1] < 0) return ctx.fail("output_size: must be >= 0", Error::InvalidArgument);
  int32_t sizes[4];
  for (int d = 0; d < x.dim - 2; ++d) sizes[d] = x.sizes[d];
  sizes[x.dim - 2] = osz[0];
  sizes[x.dim - 1] = osz[1];
  ST_TRY(resize_out(ctx, out, sizes, x.dim));
  if (out.numel == 0) return Error::Ok;
  const int32_t h = x.sizes[x.dim - 2], w = x.sizes[x.dim - 1];
  const int32_t planes = static_cast<int32_t>(x.numel / (static_cast<uint32_t>(h) * static_cast<uint32_t>(w)));
  if (x.dtype == ScalarType::Float) {
    adaptive_avg<float, true>(x, out, planes, h, w, osz[0], osz[1]);
  } else if (x.dtype == ScalarType::Double) {
    adaptive_avg<double, false>(x, out, planes, h, w, osz[0], osz[1]);
  } else {
    adaptive_avg<float, false>(x, out, planes, h, w, osz[0], osz[1]);
  }
  return Error::Ok;
}

Error pixel_shuffle_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return pixel_shuffle_common(ctx, args, nargs, true);
}

Error pixel_unshuffle_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return pixel_shuffle_common(ctx, args, nargs, false);
}

Error grid_sampler_2d_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 7,
                     "expected 7 args: input, grid, interpolation_mode, padding_mode, align_corners, out, "
                     "return value"));
  ST_TRY(check_tensor(ctx, args[0], "input: expected a tensor", "input: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[1], "grid: expected a tensor", "grid: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[5], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& in = args[0]->to_tensor();
  const Tensor& grid = args[1]->to_tensor();
  Tensor& out = args[5]->to_tensor();
  if (!args[2]->is_int() || args[2]->to_int() < 0 || args[2]->to_int() > 2) {
    return ctx.fail("interpolation_mode: expected 0 (bilinear), 1 (nearest) or 2 (bicubic)", Error::InvalidArgument);
  }
  if (!args[3]->is_int() || args[3]->to_int() < 0 || args[3]->to_int() > 2) {
    return ctx.fail("padding_mode: expected 0 (zeros), 1 (border) or 2 (reflection)", Error::InvalidArgument);
  }
  if (!args[4]->is_bool()) return ctx.fail("align_corners: expected a bool", Error::InvalidArgument);
  if (in.dim != 4) return ctx.fail("input: expected [N, C, H, W]", Error::InvalidArgument);
  if (!is_floating(in.dtype)) return ctx.fail("input: must be Float, Double, Half or BFloat16", Error::NotSupported);
  if (grid.dtype != in.dtype) return ctx.fail("grid: must have input's dtype", Error::InvalidArgument);
  if (out.dtype != in.dtype) return ctx.fail("out: must have input's dtype", Error::InvalidArgument);
  if (grid.dim != 4 || grid.sizes[0] != in.sizes[0] || grid.sizes[3] != 2) {
    return ctx.fail("grid: expected [N, OH, OW, 2] with input's N", Error::InvalidArgument);
  }
  if (in.sizes[2] == 0 || in.sizes[3] == 0) return ctx.fail("input: H and W must be non-empty", Error::InvalidArgument);
  const int32_t sizes[4] = {in.sizes[0], in.sizes[1], grid.sizes[1], grid.sizes[2]};
  ST_TRY(resize_out(ctx, out, sizes, 4));
  if (out.numel == 0) return Error::Ok;
  const int64_t interp = args[2]->to_int(), padding = args[3]->to_int();
  const bool align = args[4]->to_bool();
  if (in.dtype == ScalarType::Float) {
    grid_sample<float, true>(in, grid, out, interp, padding, align);
  } else if (in.dtype == ScalarType::Double) {
    grid_sample<double, false>(in, grid, out, interp, padding, align);
  } else {
    grid_sample<float, false>(in, grid, out, interp, padding, align);
  }
  return Error::Ok;
}

Error max_pool2d_with_indices_backward_grad_input(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 10,
                     "expected 10 args: grad_output, self, kernel_size, stride, padding, dilation, ceil_mode, "
                     "indices, grad_input, return value"));
  ST_TRY(check_tensor(ctx, args[0], "grad_output: expected a tensor", "grad_output: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[1], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[7], "indices: expected a tensor", "indices: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[8], "grad_input: expected a tensor", "grad_input: must be contiguous"));
  int32_t k[2], s[2], p[2], d[2];
  ST_TRY(int_list_n(ctx, args[2], 2, nullptr, k, "kernel_size: expected 1 or 2 ints"));
  ST_TRY(int_list_n(ctx, args[3], 2, k, s, "stride: expected 0, 1 or 2 ints"));
  ST_TRY(int_list_n(ctx, args[4], 2, nullptr, p, "padding: expected 1 or 2 ints"));
  ST_TRY(int_list_n(ctx, args[5], 2, nullptr, d, "dilation: expected 1 or 2 ints"));
  if (!args[6]->is_bool()) return ctx.fail("ceil_mode: expected a bool", Error::InvalidArgument);
  const Tensor& go = args[0]->to_tensor();
  const Tensor& x = args[1]->to_tensor();
  const Tensor& idx = args[7]->to_tensor();
  Tensor& gi = args[8]->to_tensor();
  if (x.dim != 3 && x.dim != 4) return ctx.fail("self: expected [C, H, W] or [N, C, H, W]", Error::InvalidArgument);
  if (!is_floating(x.dtype)) return ctx.fail("self: must be Float, Double, Half or BFloat16", Error::NotSupported);
  if (go.dtype != x.dtype) return ctx.fail("grad_output: must have self's dtype", Error::InvalidArgument);
  if (gi.dtype != x.dtype) return ctx.fail("grad_input: must have self's dtype", Error::InvalidArgument);
  if (idx.dtype != ScalarType::Long) return ctx.fail("indices: must be Long", Error::InvalidArgument);
  if (go.dim != x.dim) return ctx.fail("grad_output: must have self's number of dims", Error::InvalidArgument);
  for (int dd = 0; dd < x.dim - 2; ++dd) {
    if (go.sizes[dd] != x.sizes[dd]) return ctx.fail("grad_output: leading dims must match self", Error::InvalidArgument);
  }
  if (!same_shape(idx, go)) return ctx.fail("indices: must have grad_output's shape", Error::InvalidArgument);
  ST_TRY(resize_out(ctx, gi, x.sizes, x.dim));
  const size_t plane = static_cast<size_t>(x.sizes[x.dim - 2]) * static_cast<size_t>(x.sizes[x.dim - 1]);
  const size_t oplane = static_cast<size_t>(go.sizes[go.dim - 2]) * static_cast<size_t>(go.sizes[go.dim - 1]);
  const int64_t* ip = idx.data_as<int64_t>();
  for (uint32_t i = 0; i < idx.numel; ++i) {  // every index checked before anything is written
    if (ip[i] < 0 || static_cast<uint64_t>(ip[i]) >= plane) {
      return ctx.fail("indices: out of range for self's H x W", Error::InvalidArgument);
    }
  }
  __builtin_memset(gi.data, 0, gi.nbytes());  // +0.0 in every floating dtype
  if (oplane == 0) return Error::Ok;
  const size_t planes = go.numel / oplane;
  for (size_t pl = 0; pl < planes; ++pl) {
    for (size_t o = 0; o < oplane; ++o) {
      const size_t src = pl * oplane + o;
      const size_t dst = pl * plane + static_cast<size_t>(ip[src]);
      // in double, stored per step: each step rounds once to the dtype, as PyTorch's += does
      store_double(gi.data, gi.dtype, dst, load_double(gi.data, gi.dtype, dst) + load_double(go.data, go.dtype, src));
    }
  }
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
