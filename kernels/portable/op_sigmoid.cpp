// aten::sigmoid.out(Tensor self, *, Tensor(a!) out) -> Tensor(a!)
// out = 1 / (1 + exp(-x)). args: [self, out, return]. self: Float, Double, integer or
// Bool; out: Float or Double (integer inputs give a floating result, as in PyTorch).
#include <math.h>

#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

static float sigmoid_f(float x) { return 1.0f / (1.0f + exp_float(-x)); }
static double sigmoid_d(double x) { return 1.0 / (1.0 + exp(-x)); }

Error sigmoid_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return unary_float_op(ctx, args, nargs, sigmoid_f, sigmoid_d);
}

}  // namespace native
}  // namespace slimtorch
