// aten::div.out(Tensor self, Tensor other, *, Tensor(a!) out) -> Tensor(a!)
// out = self / other (true division), with broadcasting. args: [self, other, out, return].
// Inputs of any real dtype or Bool; out must be Float or Double.
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

static float div_f(float a, float b, float alpha) {
  (void)alpha;
  return a / b;
}
static double div_d(double a, double b, double alpha) {
  (void)alpha;
  return a / b;
}

Error div_out(KernelContext& ctx, EValue** args, size_t nargs) {
  BinaryArgs p;
  ST_TRY(prepare_binary(ctx, args, nargs, /*has_alpha=*/false, /*float_out_only=*/true, &p));
  if (p.all_float && p.same_shape) {  // fast path: one flat loop the compiler vectorises
    const float* x = p.a->data_as<float>();
    const float* y = p.b->data_as<float>();
    float* o = p.out->data_as<float>();
    const uint32_t n = p.out->numel;
    for (uint32_t i = 0; i < n; ++i) o[i] = x[i] / y[i];
    return Error::Ok;
  }
  binary_generic(p, &div_f, &div_d, nullptr);
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
