// Elementwise activations beside relu (op_relu.cpp):
// aten::hardtanh.out(Tensor self, Scalar min_val=-1, Scalar max_val=1, *, Tensor(a!) out)
//   out = min(max(x, min_val), max_val) (ReLU6 is hardtanh(0, 6)); Float, Double and
//   integer dtypes (out dtype == self dtype); NaN passes through.
// aten::hardswish.out(Tensor self, *, Tensor(a!) out) -> x * min(max(x + 3, 0), 6) / 6
// aten::gelu.out(Tensor self, *, str approximate="none", Tensor(a!) out)
//   "none": x/2 * (1 + erf(x/sqrt(2))); "tanh": x/2 * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
// hardswish and gelu: Float or Double, out dtype == self dtype.
#include <math.h>

#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

namespace {

float hardswish_f(float x) {
  const float r = x + 3.0f;
  return x * (r < 0.0f ? 0.0f : (r > 6.0f ? 6.0f : r)) / 6.0f;
}
double hardswish_d(double x) {
  const double r = x + 3.0;
  return x * (r < 0.0 ? 0.0 : (r > 6.0 ? 6.0 : r)) / 6.0;
}
float gelu_f(float x) { return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f)); }
double gelu_d(double x) { return 0.5 * x * (1.0 + erf(x * 0.70710678118654752)); }
float gelu_tanh_f(float x) {
  return 0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
}
double gelu_tanh_d(double x) { return 0.5 * x * (1.0 + tanh(0.79788456080286536 * (x + 0.044715 * x * x * x))); }

// Float/Double `self -> out` of the same dtype; args [self, (extra...), out, return].
Error float_same_dtype(KernelContext& ctx, EValue** args, size_t nargs, size_t out_i, UnaryFloatFn ff,
                       UnaryDoubleFn fd) {
  if (nargs != out_i + 2) return ctx.fail("wrong number of args for this op's schema", Error::InvalidArgument);
  EValue* pair[3] = {args[0], args[out_i], args[out_i + 1]};
  const Tensor* self = args[0]->is_tensor() ? &args[0]->to_tensor() : nullptr;
  if (self != nullptr && !is_floating(self->dtype)) return ctx.fail("self: must be Float or Double", Error::NotSupported);
  if (args[out_i]->is_tensor() && self != nullptr && args[out_i]->to_tensor().dtype != self->dtype) {
    return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  }
  return unary_float_op(ctx, pair, 3, ff, fd);
}

}  // namespace

Error hardswish_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return float_same_dtype(ctx, args, nargs, 1, hardswish_f, hardswish_d);
}

Error gelu_out(KernelContext& ctx, EValue** args, size_t nargs) {
  if (nargs != 4) return ctx.fail("expected 4 args: self, approximate, out, return value", Error::InvalidArgument);
  const EValue* a = args[1];
  if (a->tag != Tag::String) return ctx.fail("approximate: expected a string", Error::InvalidArgument);
  const StringRef s = a->v.s;
  const bool is_none = s.size == 4 && __builtin_memcmp(s.data, "none", 4) == 0;
  const bool is_tanh = s.size == 4 && __builtin_memcmp(s.data, "tanh", 4) == 0;
  if (!is_none && !is_tanh) return ctx.fail("approximate: must be \"none\" or \"tanh\"", Error::InvalidArgument);
  return is_tanh ? float_same_dtype(ctx, args, nargs, 2, gelu_tanh_f, gelu_tanh_d)
                 : float_same_dtype(ctx, args, nargs, 2, gelu_f, gelu_d);
}

Error hardtanh_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 5, "expected 5 args: self, min_val, max_val, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[3], "out: expected a tensor", "out: must be contiguous"));
  double lo = 0;
  double hi = 0;
  ST_TRY(scalar_as_double(ctx, args[1], &lo, "min_val: expected a number"));
  ST_TRY(scalar_as_double(ctx, args[2], &hi, "max_val: expected a number"));
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = args[3]->to_tensor();
  if (!is_floating(x.dtype) && !is_integral(x.dtype)) return ctx.fail("self: unsupported dtype (Bool)", Error::NotSupported);
  if (out.dtype != x.dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  ST_TRY(resize_out(ctx, out, x.sizes, x.dim));
  const uint32_t n = x.numel;
  if (x.dtype == ScalarType::Float) {
    const float* in = x.data_as<float>();
    float* o = out.data_as<float>();
    const float l = static_cast<float>(lo);
    const float h = static_cast<float>(hi);
#ifdef SLIMTORCH_HELIUM_F32
    if (helium::enabled()) {
      helium::clamp_f32(in, o, n, l, h);
      return Error::Ok;
    }
#endif
    for (uint32_t i = 0; i < n; ++i) {
      const float v = in[i];
      o[i] = v < l ? l : (v > h ? h : v);  // NaN compares false both ways: passes through
    }
    return Error::Ok;
  }
  for (uint32_t i = 0; i < n; ++i) {
    if (is_floating(x.dtype)) {
      const double v = load_double(x.data, x.dtype, i);
      store_double(out.data, out.dtype, i, v < lo ? lo : (v > hi ? hi : v));
    } else {
      const int64_t v = load_int(x.data, x.dtype, i);
      const int64_t l = static_cast<int64_t>(lo);
      const int64_t h = static_cast<int64_t>(hi);
      store_int(out.data, out.dtype, i, v < l ? l : (v > h ? h : v));
    }
  }
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
