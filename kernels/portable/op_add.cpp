// aten::add.out(Tensor self, Tensor other, *, Scalar alpha=1, Tensor(a!) out) -> Tensor(a!)
// out = self + alpha * other, with broadcasting. args: [self, other, alpha, out, return].
// Float/Double/integer/Bool tensors; integer results need integer inputs.
// Dtype-selective (runtime/kernel/dtype_selection.h): a dtype left out of the
// build is refused before any work.
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

// The common case checked in a few compares: contiguous Float self, other and
// out of one shape (out already has it), a numeric alpha. Anything else goes
// through prepare_binary's full validation; both compute x + alpha * y in float.
static bool add_float_same_shape(EValue** args, size_t nargs) {
  if (nargs != 5 || !args[0]->is_tensor() || !args[1]->is_tensor() || !args[3]->is_tensor() ||
      !(args[2]->is_int() || args[2]->is_double() || args[2]->is_bool())) {
    return false;
  }
  const Tensor& a = args[0]->to_tensor();
  const Tensor& b = args[1]->to_tensor();
  const Tensor& out = args[3]->to_tensor();
  if (a.dtype != ScalarType::Float || b.dtype != ScalarType::Float || out.dtype != ScalarType::Float ||
      a.data == nullptr || b.data == nullptr || out.data == nullptr) {
    return false;
  }
  if (a.dim != b.dim || a.dim != out.dim) return false;
  for (uint8_t d = 0; d < a.dim; ++d) {  // one shape, identity dim order (contiguous)
    if (a.sizes[d] != b.sizes[d] || a.sizes[d] != out.sizes[d] || a.dim_order[d] != d || b.dim_order[d] != d ||
        out.dim_order[d] != d) {
      return false;
    }
  }
  return true;
}

// Everything but the common case: full validation, broadcasting, every dtype.
// Out of line so that add_out's common case needs no stack frame.
__attribute__((noinline)) static Error add_out_general(KernelContext& ctx, EValue** args, size_t nargs) {
  BinaryArgs p;
  ST_TRY(prepare_binary(ctx, args, nargs, /*has_alpha=*/true, /*float_out_only=*/false, &p));
  const ScalarType t = p.out->dtype;
  if (!ST_DTYPE_SELECTED(add_out, t)) return dtype_left_out(ctx, t);
  if (!ST_DTYPE_SELECTED(add_out, p.a->dtype)) return dtype_left_out(ctx, p.a->dtype);
  if (!ST_DTYPE_SELECTED(add_out, p.b->dtype)) return dtype_left_out(ctx, p.b->dtype);
  if (p.all_float && p.same_shape) {  // fast path: one flat loop the compiler vectorises
    const float* x = p.a->data_as<float>();
    const float* y = p.b->data_as<float>();
    float* o = p.out->data_as<float>();
    const uint32_t n = p.out->numel;
    const float alpha = static_cast<float>(p.alpha);
    for (uint32_t i = 0; i < n; ++i) o[i] = x[i] + alpha * y[i];
    return Error::Ok;
  }
  binary_generic(p, &add_f, &add_d, &add_i);  // broadcasting, mixed or non-Float dtypes
  return Error::Ok;
}

Error add_out(KernelContext& ctx, EValue** args, size_t nargs) {
  if (ST_DTYPE_SELECTED(add_out, ScalarType::Float) && add_float_same_shape(args, nargs)) {
    const float* x = args[0]->to_tensor().data_as<float>();
    const float* y = args[1]->to_tensor().data_as<float>();
    Tensor& out = args[3]->to_tensor();
    float* o = out.data_as<float>();
    const EValue& a = *args[2];
    // alpha is nearly always the Int 1: no conversion then.
    const float alpha = a.is_int() && a.v.i == 1 ? 1.0f : static_cast<float>(a.to_scalar_double());
    for (uint32_t i = 0; i < out.numel; ++i) o[i] = x[i] + alpha * y[i];
    return Error::Ok;
  }
  return add_out_general(ctx, args, nargs);
}

}  // namespace native
}  // namespace slimtorch
