// aten::add.out(Tensor self, Tensor other, *, Scalar alpha=1, Tensor(a!) out) -> Tensor(a!)
// out = self + alpha * other, with broadcasting. args: [self, other, alpha, out, return].
// Float/Double/integer/Bool tensors; integer results need integer inputs.
// Dtype-selective (runtime/kernel/dtype_selection.h): with Float alone selected
// only the flat float loop is compiled.
#include "kernels/portable/util.h"
#include "runtime/kernel/dtype_selection.h"

namespace slimtorch {
namespace native {

static float add_f(float a, float b, float alpha) {
  return a + alpha * b;
}
static double add_d(double a, double b, double alpha) {
  return a + alpha * b;
}
static int64_t add_i(int64_t a, int64_t b, int64_t alpha) {
  // Unsigned math wraps on overflow like PyTorch does (signed overflow is UB in C++).
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(alpha) * static_cast<uint64_t>(b));
}

Error add_out(KernelContext& ctx, EValue** args, size_t nargs) {
  BinaryArgs p;
  ST_TRY(prepare_binary(ctx, args, nargs, /*has_alpha=*/true, /*float_out_only=*/false, &p));
  if (p.all_float && p.same_shape) {  // fast path: one flat loop the compiler vectorises
    const float* x = p.a->data_as<float>();
    const float* y = p.b->data_as<float>();
    float* o = p.out->data_as<float>();
    const uint32_t n = p.out->numel;
    const float alpha = static_cast<float>(p.alpha);
    for (uint32_t i = 0; i < n; ++i) o[i] = x[i] + alpha * y[i];
    return Error::Ok;
  }
  const ScalarType t = p.out->dtype;
  if (!ST_DTYPE_SELECTED(add_out, t)) return dtype_left_out(ctx, t);
  if (!ST_DTYPE_SELECTED(add_out, p.a->dtype)) return dtype_left_out(ctx, p.a->dtype);
  if (!ST_DTYPE_SELECTED(add_out, p.b->dtype)) return dtype_left_out(ctx, p.b->dtype);
  // Broadcasting or mixed dtypes: the generic loop, unless this build kept Float alone.
  if (ST_DTYPE_SELECTED(add_out, ScalarType::Double) || ST_DTYPE_SELECTED(add_out, ScalarType::Bool) ||
      ST_INTEGRAL_SELECTED(add_out) || ST_DTYPE_SELECTED(add_out, ScalarType::Half) ||
      ST_DTYPE_SELECTED(add_out, ScalarType::BFloat16)) {
    binary_generic(p, &add_f, &add_d, &add_i);
    return Error::Ok;
  }
  return ctx.fail("broadcasting add left out of this Float-only dtype-selective build", Error::NotSupported);
}

}  // namespace native
}  // namespace slimtorch
