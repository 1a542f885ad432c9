// 2-D pooling over the last two dims of [C, H, W] or [N, C, H, W], Float only:
// aten::avg_pool2d.out(Tensor self, int[2] kernel_size, int[2] stride=[], int[2] padding=0,
//     bool ceil_mode=False, bool count_include_pad=True, int? divisor_override=None, *,
//     Tensor(a!) out) -> Tensor(a!)
//   args: [self, kernel_size, stride, padding, ceil_mode, count_include_pad,
//   divisor_override, out, return]
// aten::max_pool2d_with_indices.out(Tensor self, int[2] kernel_size, int[2] stride=[],
//     int[2] padding=0, int[2] dilation=1, bool ceil_mode=False, *, Tensor(a!) out,
//     Tensor(b!) indices) -> (Tensor(a!), Tensor(b!))
//   args: [self, kernel_size, stride, padding, dilation, ceil_mode, out, indices, return];
//   indices (Long) are flat offsets into each input plane; NaN wins, as in PyTorch.
// Output size follows PyTorch: (in + 2p - d(k-1) - 1 + (ceil ? s-1 : 0)) / s + 1, and
// with ceil_mode a last window that would start inside the right padding is dropped.
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

namespace {

struct PoolGeom {
  int32_t planes, h, w, oh, ow;
  int32_t k[2], s[2], p[2], d[2];
};

int32_t pooled_size(int32_t in, int32_t k, int32_t s, int32_t p, int32_t d, bool ceil) {
  const int64_t span = static_cast<int64_t>(in) + 2 * p - static_cast<int64_t>(d) * (k - 1) - 1;
  int64_t o = (span + (ceil ? s - 1 : 0)) / s + 1;
  if (ceil && (o - 1) * s >= static_cast<int64_t>(in) + p) --o;
  return static_cast<int32_t>(o);
}

// Validates the shared arguments and resizes `out` (and `indices` when given).
Error prepare_pool(KernelContext& ctx, EValue** args, const EValue* dilation, bool ceil, Tensor& out,
                   Tensor* indices, PoolGeom* g) {
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  const Tensor& x = args[0]->to_tensor();
  if (x.dim != 3 && x.dim != 4) return ctx.fail("self: expected [C, H, W] or [N, C, H, W]", Error::InvalidArgument);
  if (x.dtype != ScalarType::Float || out.dtype != ScalarType::Float) {
    return ctx.fail("self, out: only Float is supported", Error::NotSupported);
  }
  ST_TRY(int_list_n(ctx, args[1], 2, nullptr, g->k, "kernel_size: expected 1 or 2 ints"));
  ST_TRY(int_list_n(ctx, args[2], 2, g->k, g->s, "stride: expected 0, 1 or 2 ints"));
  ST_TRY(int_list_n(ctx, args[3], 2, nullptr, g->p, "padding: expected 1 or 2 ints"));
  g->d[0] = g->d[1] = 1;
  if (dilation != nullptr) ST_TRY(int_list_n(ctx, dilation, 2, nullptr, g->d, "dilation: expected 1 or 2 ints"));
  for (int i = 0; i < 2; ++i) {
    if (g->k[i] <= 0) return ctx.fail("kernel_size: must be positive", Error::InvalidArgument);
    if (g->s[i] <= 0) return ctx.fail("stride: must be positive", Error::InvalidArgument);
    if (g->d[i] <= 0) return ctx.fail("dilation: must be positive", Error::InvalidArgument);
    if (g->p[i] < 0 || g->p[i] * 2 > g->k[i]) return ctx.fail("padding: must be >= 0 and at most half the kernel size", Error::InvalidArgument);
  }
  g->h = x.sizes[x.dim - 2];
  g->w = x.sizes[x.dim - 1];
  g->planes = static_cast<int32_t>(x.numel / (static_cast<uint32_t>(g->h) * g->w == 0 ? 1 : static_cast<uint32_t>(g->h) * g->w));
  if (g->h == 0 || g->w == 0) return ctx.fail("self: spatial dims must be non-empty", Error::InvalidArgument);
  g->oh = pooled_size(g->h, g->k[0], g->s[0], g->p[0], g->d[0], ceil);
  g->ow = pooled_size(g->w, g->k[1], g->s[1], g->p[1], g->d[1], ceil);
  if (g->oh <= 0 || g->ow <= 0) return ctx.fail("self: too small for kernel_size", Error::InvalidArgument);
  int32_t sizes[4];
  for (int dd = 0; dd < x.dim - 2; ++dd) sizes[dd] = x.sizes[dd];
  sizes[x.dim - 2] = g->oh;
  sizes[x.dim - 1] = g->ow;
  ST_TRY(resize_out(ctx, out, sizes, x.dim));
  if (indices != nullptr) ST_TRY(resize_out(ctx, *indices, sizes, x.dim));
  return Error::Ok;
}

}  // namespace

Error avg_pool2d_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 9,
                     "expected 9 args: self, kernel_size, stride, padding, ceil_mode, count_include_pad, "
                     "divisor_override, out, return value"));
  ST_TRY(check_tensor(ctx, args[7], "out: expected a tensor", "out: must be contiguous"));
  if (!args[4]->is_bool()) return ctx.fail("ceil_mode: expected a bool", Error::InvalidArgument);
  if (!args[5]->is_bool()) return ctx.fail("count_include_pad: expected a bool", Error::InvalidArgument);
  int64_t divisor = 0;
  if (!args[6]->is_none()) {
    if (!args[6]->is_int() || args[6]->to_int() == 0) return ctx.fail("divisor_override: expected a non-zero int or None", Error::InvalidArgument);
    divisor = args[6]->to_int();
  }
  Tensor& out = args[7]->to_tensor();
  PoolGeom g;
  ST_TRY(prepare_pool(ctx, args, nullptr, args[4]->to_bool(), out, nullptr, &g));
  const bool include_pad = args[5]->to_bool();
  const float* in = args[0]->to_tensor().data_as<float>();
  float* o = out.data_as<float>();
  for (int32_t pl = 0; pl < g.planes; ++pl) {
    const float* ip = in + static_cast<size_t>(pl) * g.h * g.w;
    float* op = o + static_cast<size_t>(pl) * g.oh * g.ow;
    for (int32_t oy = 0; oy < g.oh; ++oy) {
      const int32_t y0 = oy * g.s[0] - g.p[0];
      int32_t y1 = y0 + g.k[0];
      if (y1 > g.h + g.p[0]) y1 = g.h + g.p[0];
      const int32_t ya = y0 < 0 ? 0 : y0;
      const int32_t yb = y1 > g.h ? g.h : y1;
      for (int32_t ox = 0; ox < g.ow; ++ox) {
        const int32_t x0 = ox * g.s[1] - g.p[1];
        int32_t x1 = x0 + g.k[1];
        if (x1 > g.w + g.p[1]) x1 = g.w + g.p[1];
        const int32_t xa = x0 < 0 ? 0 : x0;
        const int32_t xb = x1 > g.w ? g.w : x1;
        float sum = 0.0f;
        int32_t y = ya;
#ifdef SLIMTORCH_HELIUM_F32
        if (helium::enabled() && xa == 0 && xb == g.w) {  // whole rows: one contiguous block
          sum = helium::sum_f32(ip + static_cast<size_t>(ya) * g.w, static_cast<size_t>(yb - ya) * g.w);
          y = yb;
        }
#endif
        for (; y < yb; ++y) {
          for (int32_t xx = xa; xx < xb; ++xx) sum += ip[static_cast<size_t>(y) * g.w + xx];
        }
        const int64_t count = divisor != 0 ? divisor
                              : include_pad ? static_cast<int64_t>(y1 - y0) * (x1 - x0)
                                            : static_cast<int64_t>(yb - ya) * (xb - xa);
        op[static_cast<size_t>(oy) * g.ow + ox] = sum / static_cast<float>(count);
      }
    }
  }
  return Error::Ok;
}

Error max_pool2d_with_indices_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 9,
                     "expected 9 args: self, kernel_size, stride, padding, dilation, ceil_mode, out, indices, "
                     "return value"));
  ST_TRY(check_tensor(ctx, args[6], "out: expected a tensor", "out: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[7], "indices: expected a tensor", "indices: must be contiguous"));
  if (!args[5]->is_bool()) return ctx.fail("ceil_mode: expected a bool", Error::InvalidArgument);
  Tensor& out = args[6]->to_tensor();
  Tensor& idx = args[7]->to_tensor();
  if (idx.dtype != ScalarType::Long) return ctx.fail("indices: must be Long", Error::InvalidArgument);
  PoolGeom g;
  ST_TRY(prepare_pool(ctx, args, args[4], args[5]->to_bool(), out, &idx, &g));
  const float* in = args[0]->to_tensor().data_as<float>();
  float* o = out.data_as<float>();
  int64_t* oi = idx.data_as<int64_t>();
  for (int32_t pl = 0; pl < g.planes; ++pl) {
    const float* ip = in + static_cast<size_t>(pl) * g.h * g.w;
    const size_t obase = static_cast<size_t>(pl) * g.oh * g.ow;
    for (int32_t oy = 0; oy < g.oh; ++oy) {
      for (int32_t ox = 0; ox < g.ow; ++ox) {
        float best = 0.0f;
        int64_t best_i = -1;
        for (int32_t ky = 0; ky < g.k[0]; ++ky) {
          const int32_t y = oy * g.s[0] - g.p[0] + ky * g.d[0];
          if (y < 0 || y >= g.h) continue;
          for (int32_t kx = 0; kx < g.k[1]; ++kx) {
            const int32_t xx = ox * g.s[1] - g.p[1] + kx * g.d[1];
            if (xx < 0 || xx >= g.w) continue;
            const int64_t i = static_cast<int64_t>(y) * g.w + xx;
            const float v = ip[i];
            if (best_i < 0 || v > best || (v != v && best == best)) {
              best = v;
              best_i = i;
            }
          }
        }
        o[obase + static_cast<size_t>(oy) * g.ow + ox] = best;
        oi[obase + static_cast<size_t>(oy) * g.ow + ox] = best_i;
      }
    }
  }
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
