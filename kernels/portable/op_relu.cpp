// aten::relu.out(Tensor self, *, Tensor(a!) out) -> Tensor(a!)
// out = max(self, 0). args: [self, out, return]. Float, Double and integer
// dtypes; out has self's dtype. NaN stays NaN, as in PyTorch. Dtype-selective
// (runtime/kernel/dtype_selection.h).
#include "kernels/portable/util.h"
#include "runtime/kernel/dtype_selection.h"

namespace slimtorch {
namespace native {

Error relu_out(KernelContext& ctx, EValue** args, size_t nargs) {
  UnaryArgs u;
  ST_TRY(prepare_unary(ctx, args, nargs, &u));
  const Tensor& x = *u.self;
  Tensor& out = *u.out;
  if (out.dtype != x.dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  if (!ST_DTYPE_SELECTED(relu_out, x.dtype)) return dtype_left_out(ctx, x.dtype);
  const uint32_t n = x.numel;
  if (ST_DTYPE_SELECTED(relu_out, ScalarType::Float) && x.dtype == ScalarType::Float) {
    const float* in = x.data_as<float>();
    float* o = out.data_as<float>();
#ifdef SLIMTORCH_HELIUM_F32
    if (helium::enabled()) {
      helium::relu_f32(in, o, n);
      return Error::Ok;
    }
#endif
    for (uint32_t i = 0; i < n; ++i) o[i] = in[i] < 0.0f ? 0.0f : in[i];
  } else if (ST_DTYPE_SELECTED(relu_out, ScalarType::Double) && x.dtype == ScalarType::Double) {
    const double* in = x.data_as<double>();
    double* o = out.data_as<double>();
    for (uint32_t i = 0; i < n; ++i) o[i] = in[i] < 0.0 ? 0.0 : in[i];
  } else if (ST_INTEGRAL_SELECTED(relu_out) && is_integral(x.dtype)) {
    for (uint32_t i = 0; i < n; ++i) {
      const int64_t v = load_int(x.data, x.dtype, i);
      store_int(out.data, out.dtype, i, v < 0 ? 0 : v);
    }
  } else {
    return ctx.fail("self: relu supports Float, Double and integer dtypes", Error::NotSupported);
  }
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
