// aten::mul.out(Tensor self, Tensor other, *, Tensor(a!) out) -> Tensor(a!)
// out = self * other, with broadcasting. args: [self, other, out, return].
// Float/Double/integer/Bool tensors; integer results need integer inputs.
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

static float mul_f(float a, float b, float alpha) {
  (void)alpha;
  return a * b;
}
static double mul_d(double a, double b, double alpha) {
  (void)alpha;
  return a * b;
}
static int64_t mul_i(int64_t a, int64_t b, int64_t alpha) {
  (void)alpha;
  // Unsigned math wraps on overflow like PyTorch does (signed overflow is UB in C++).
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}

Error mul_out(KernelContext& ctx, EValue** args, size_t nargs) {
  BinaryArgs p;
  ST_TRY(prepare_binary(ctx, args, nargs, /*has_alpha=*/false, /*float_out_only=*/false, &p));
  if (p.all_float && p.same_shape) {  // fast path: one flat loop the compiler vectorises
    const float* x = p.a->data_as<float>();
    const float* y = p.b->data_as<float>();
    float* o = p.out->data_as<float>();
    const uint32_t n = p.out->numel;
    for (uint32_t i = 0; i < n; ++i) o[i] = x[i] * y[i];
    return Error::Ok;
  }
  binary_generic(p, &mul_f, &mul_d, &mul_i);
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
