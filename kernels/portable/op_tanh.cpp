// aten::tanh.out(Tensor self, *, Tensor(a!) out) -> Tensor(a!)
// out = tanh(x). args: [self, out, return]. self: Float, Double, integer or
// Bool; out: Float or Double (integer inputs give a floating result, as in PyTorch).
#include <math.h>

#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

Error tanh_out(KernelContext& ctx, EValue** args, size_t nargs) {
  UnaryArgs u;
  ST_TRY(prepare_unary(ctx, args, nargs, &u));
  const Tensor& x = *u.self;
  Tensor& out = *u.out;
  if (!is_floating(out.dtype)) return ctx.fail("out: must be Float or Double", Error::InvalidArgument);
  if (!is_real_or_bool(x.dtype)) {
    return ctx.fail("self: unsupported dtype", Error::NotSupported);
  }
  const uint32_t n = x.numel;
  if (x.dtype == ScalarType::Float && out.dtype == ScalarType::Float) {
    const float* in = x.data_as<float>();
    float* o = out.data_as<float>();
    for (uint32_t i = 0; i < n; ++i) o[i] = tanhf(in[i]);
    return Error::Ok;
  }
  for (uint32_t i = 0; i < n; ++i) {
    const double v = load_double(x.data, x.dtype, i);
    store_double(out.data, out.dtype, i, tanh(v));
  }
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
