// aten::tanh.out(Tensor self, *, Tensor(a!) out) -> Tensor(a!)
// out = tanh(x). args: [self, out, return]. self: Float, Double, integer or
// Bool; out: Float or Double (integer inputs give a floating result, as in PyTorch).
#include <math.h>

#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

static float tanh_f(float x) { return tanhf(x); }
static double tanh_d(double x) { return tanh(x); }

Error tanh_out(KernelContext& ctx, EValue** args, size_t nargs) { return unary_float_op(ctx, args, nargs, tanh_f, tanh_d); }

}  // namespace native
}  // namespace slimtorch
