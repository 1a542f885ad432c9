// Reductions over a run of adjacent dims (plan_reduction in util.h):
// aten::mean.out(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None,
//     Tensor(a!) out) -> Tensor(a!)      args: [self, dim, keepdim, dtype, out, return]
//   Float or Double; dtype None or out's dtype; the mean of an empty run is NaN.
// aten::amax.out / aten::amin.out(Tensor self, int[1] dim=[], bool keepdim=False, *,
//     Tensor(a!) out) -> Tensor(a!)     args: [self, dim, keepdim, out, return]
//   any real dtype (out dtype == self dtype); NaN propagates; empty runs are an error.
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

Error mean_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 6, "expected 6 args: self, dim, keepdim, dtype, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[4], "out: expected a tensor", "out: must be contiguous"));
  if (!args[2]->is_bool()) return ctx.fail("keepdim: expected a bool", Error::InvalidArgument);
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = args[4]->to_tensor();
  if (!is_floating(x.dtype) || !is_floating(out.dtype)) return ctx.fail("self, out: must be Float or Double", Error::NotSupported);
  if (!args[3]->is_none() && !(args[3]->is_int() && args[3]->to_int() == static_cast<int64_t>(out.dtype))) {
    return ctx.fail("dtype: must be None or out's dtype", Error::InvalidArgument);
  }
  ReducePlan p;
  ST_TRY(plan_reduction(ctx, x, args[1], args[2]->to_bool(), &p));
  ST_TRY(resize_out(ctx, out, p.out_sizes, p.out_ndim));
  if (x.dtype == ScalarType::Float && out.dtype == ScalarType::Float && p.inner == 1) {
    const float* in = x.data_as<float>();
    float* o = out.data_as<float>();
    for (size_t a = 0; a < p.outer; ++a) {  // e.g. global average pooling: one plane per row
      float s = 0.0f;
      const float* r = in + a * p.len;
      for (size_t i = 0; i < p.len; ++i) s += r[i];
      o[a] = p.len == 0 ? __builtin_nanf("") : s / static_cast<float>(p.len);
    }
    return Error::Ok;
  }
  for (size_t a = 0; a < p.outer; ++a) {
    for (size_t c = 0; c < p.inner; ++c) {
      double s = 0.0;
      for (size_t i = 0; i < p.len; ++i) s += load_double(x.data, x.dtype, (a * p.len + i) * p.inner + c);
      store_double(out.data, out.dtype, a * p.inner + c, p.len == 0 ? __builtin_nan("") : s / static_cast<double>(p.len));
    }
  }
  return Error::Ok;
}

static Error extreme_common(KernelContext& ctx, EValue** args, size_t nargs, bool want_max) {
  ST_TRY(check_nargs(ctx, nargs, 5, "expected 5 args: self, dim, keepdim, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[3], "out: expected a tensor", "out: must be contiguous"));
  if (!args[2]->is_bool()) return ctx.fail("keepdim: expected a bool", Error::InvalidArgument);
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = args[3]->to_tensor();
  if (!is_real_or_bool(x.dtype)) return ctx.fail("self: unsupported dtype", Error::NotSupported);
  if (out.dtype != x.dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  ReducePlan p;
  ST_TRY(plan_reduction(ctx, x, args[1], args[2]->to_bool(), &p));
  if (p.len == 0 && p.outer * p.inner != 0) return ctx.fail("self: cannot reduce an empty dim (no identity)", Error::InvalidArgument);
  ST_TRY(resize_out(ctx, out, p.out_sizes, p.out_ndim));
  const bool fl = is_floating(x.dtype);
  for (size_t a = 0; a < p.outer; ++a) {
    for (size_t c = 0; c < p.inner; ++c) {
      const size_t base = a * p.len * p.inner + c;
      if (fl) {
        double best = load_double(x.data, x.dtype, base);
        for (size_t i = 1; i < p.len && best == best; ++i) {
          const double v = load_double(x.data, x.dtype, base + i * p.inner);
          if (v != v || (want_max ? v > best : v < best)) best = v;
        }
        store_double(out.data, out.dtype, a * p.inner + c, best);
      } else {
        int64_t best = load_int(x.data, x.dtype, base);
        for (size_t i = 1; i < p.len; ++i) {
          const int64_t v = load_int(x.data, x.dtype, base + i * p.inner);
          if (want_max ? v > best : v < best) best = v;
        }
        store_int(out.data, out.dtype, a * p.inner + c, best);
      }
    }
  }
  return Error::Ok;
}

Error amax_out(KernelContext& ctx, EValue** args, size_t nargs) { return extreme_common(ctx, args, nargs, true); }

Error amin_out(KernelContext& ctx, EValue** args, size_t nargs) { return extreme_common(ctx, args, nargs, false); }

}  // namespace native
}  // namespace slimtorch
