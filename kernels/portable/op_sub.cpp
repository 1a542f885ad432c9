// aten::sub.out(Tensor self, Tensor other, *, Scalar alpha=1, Tensor(a!) out) -> Tensor(a!)
// out = self - alpha * other, with broadcasting. args: [self, other, alpha, out, return].
// Float/Double/integer/Bool tensors; integer results need integer inputs.
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

static float sub_f(float a, float b, float alpha) {
  return a - alpha * b;
}
static double sub_d(double a, double b, double alpha) {
  return a - alpha * b;
}
static int64_t sub_i(int64_t a, int64_t b, int64_t alpha) {
  // Unsigned math wraps on overflow like PyTorch does (signed overflow is UB in C++).
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(alpha) * static_cast<uint64_t>(b));
}

Error sub_out(KernelContext& ctx, EValue** args, size_t nargs) {
  BinaryArgs p;
  ST_TRY(prepare_binary(ctx, args, nargs, /*has_alpha=*/true, /*float_out_only=*/false, &p));
  if (p.a->dtype == ScalarType::Bool || p.b->dtype == ScalarType::Bool) {
    return ctx.fail("self: subtracting Bool tensors is not supported (use logical_xor)", Error::InvalidArgument);
  }
  if (p.all_float && p.same_shape) {  // fast path: one flat loop the compiler vectorises
    const float* x = p.a->data_as<float>();
    const float* y = p.b->data_as<float>();
    float* o = p.out->data_as<float>();
    const uint32_t n = p.out->numel;
    const float alpha = static_cast<float>(p.alpha);
    for (uint32_t i = 0; i < n; ++i) o[i] = x[i] - alpha * y[i];
    return Error::Ok;
  }
  binary_generic(p, &sub_f, &sub_d, &sub_i);
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
