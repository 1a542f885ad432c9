// Comparison ops, one kernel per (op, overload), all sharing one driver:
//   aten::{eq,ne,lt,le,gt,ge}.Scalar_out(Tensor self, Scalar other, *, Tensor(a!) out) -> Tensor(a!)
//     args: [self, other, out, return]
//   aten::{eq,ne,lt,le,gt,ge}.Tensor_out(Tensor self, Tensor other, *, Tensor(a!) out) -> Tensor(a!)
//     args: [self, other, out, return]; self and other broadcast (PyTorch rules).
// Inputs: Float, Double, integer or Bool tensors (any mix). Values are compared in
// double when either side is floating (PyTorch promotes), otherwise exactly in int64; an
// integer Scalar is first cast to an integer self's dtype, as PyTorch does.
// out: any real or Bool dtype (Bool in exported programs); it receives 1 / 0.
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {
namespace {

enum class Cmp : uint8_t { Eq, Ne, Lt, Le, Gt, Ge };

template <typename T>
bool compare(Cmp op, T a, T b) {
  switch (op) {
    case Cmp::Eq: return a == b;
    case Cmp::Ne: return a != b;
    case Cmp::Lt: return a < b;
    case Cmp::Le: return a <= b;
    case Cmp::Gt: return a > b;
    case Cmp::Ge: return a >= b;
  }
  return false;
}

Error check_operand(KernelContext& ctx, const Tensor& t, const char* why) {
  return is_real_or_bool(t.dtype) ? Error::Ok : ctx.fail(why, Error::NotSupported);
}

// Tensor-Tensor comparison with broadcasting.
Error compare_tensor(KernelContext& ctx, EValue** args, size_t nargs, Cmp op) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: self, other, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[1], "other: expected a tensor", "other: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[2], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& a = args[0]->to_tensor();
  const Tensor& b = args[1]->to_tensor();
  Tensor& out = args[2]->to_tensor();
  ST_TRY(check_operand(ctx, a, "self: dtype not supported (real or Bool only)"));
  ST_TRY(check_operand(ctx, b, "other: dtype not supported (real or Bool only)"));
  ST_TRY(check_operand(ctx, out, "out: dtype not supported (real or Bool only)"));
  int32_t sizes[kMaxTensorDim];
  int ndim = 0;
  if (!broadcast_shape(a, b, sizes, &ndim)) {
    return ctx.fail("self and other: shapes do not broadcast", Error::InvalidArgument);
  }
  ST_TRY(resize_out(ctx, out, sizes, ndim));
  const bool as_double = is_floating(a.dtype) || is_floating(b.dtype);
  StridedIndex ia(a, sizes, ndim);
  StridedIndex ib(b, sizes, ndim);
  for (uint32_t i = 0; i < out.numel; ++i) {
    const bool r = as_double ? compare(op, load_double(a.data, a.dtype, ia.offset), load_double(b.data, b.dtype, ib.offset))
                             : compare(op, load_int(a.data, a.dtype, ia.offset), load_int(b.data, b.dtype, ib.offset));
    store_int(out.data, out.dtype, i, r ? 1 : 0);
    ia.next();
    ib.next();
  }
  return Error::Ok;
}

// Tensor-Scalar comparison.
Error compare_scalar(KernelContext& ctx, EValue** args, size_t nargs, Cmp op) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: self, other, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[2], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& a = args[0]->to_tensor();
  Tensor& out = args[2]->to_tensor();
  ST_TRY(check_operand(ctx, a, "self: dtype not supported (real or Bool only)"));
  ST_TRY(check_operand(ctx, out, "out: dtype not supported (real or Bool only)"));
  double bd = 0;
  int64_t bi = 0;
  ST_TRY(scalar_as_double(ctx, args[1], &bd, "other: expected a Scalar (Int, Double or Bool)"));
  const bool as_double = is_floating(a.dtype) || args[1]->is_double();
  if (!as_double) {
    ST_TRY(scalar_as_int(ctx, args[1], &bi, "other: expected a Scalar (Int, Double or Bool)"));
    if (is_integral(a.dtype)) {  // PyTorch casts an integer scalar to self's dtype (wraps)
      int64_t slot = 0;
      store_int(&slot, a.dtype, 0, bi);
      bi = load_int(&slot, a.dtype, 0);
    }
  }
  ST_TRY(resize_out(ctx, out, a.sizes, a.dim));
  for (uint32_t i = 0; i < out.numel; ++i) {
    const bool r = as_double ? compare(op, load_double(a.data, a.dtype, i), bd) : compare(op, load_int(a.data, a.dtype, i), bi);
    store_int(out.data, out.dtype, i, r ? 1 : 0);
  }
  return Error::Ok;
}

}  // namespace

Error eq_scalar_out(KernelContext& ctx, EValue** args, size_t nargs) { return compare_scalar(ctx, args, nargs, Cmp::Eq); }
Error ne_scalar_out(KernelContext& ctx, EValue** args, size_t nargs) { return compare_scalar(ctx, args, nargs, Cmp::Ne); }
Error lt_scalar_out(KernelContext& ctx, EValue** args, size_t nargs) { return compare_scalar(ctx, args, nargs, Cmp::Lt); }
Error le_scalar_out(KernelContext& ctx, EValue** args, size_t nargs) { return compare_scalar(ctx, args, nargs, Cmp::Le); }
Error gt_scalar_out(KernelContext& ctx, EValue** args, size_t nargs) { return compare_scalar(ctx, args, nargs, Cmp::Gt); }
Error ge_scalar_out(KernelContext& ctx, EValue** args, size_t nargs) { return compare_scalar(ctx, args, nargs, Cmp::Ge); }
Error eq_tensor_out(KernelContext& ctx, EValue** args, size_t nargs) { return compare_tensor(ctx, args, nargs, Cmp::Eq); }
Error ne_tensor_out(KernelContext& ctx, EValue** args, size_t nargs) { return compare_tensor(ctx, args, nargs, Cmp::Ne); }
Error lt_tensor_out(KernelContext& ctx, EValue** args, size_t nargs) { return compare_tensor(ctx, args, nargs, Cmp::Lt); }
Error le_tensor_out(KernelContext& ctx, EValue** args, size_t nargs) { return compare_tensor(ctx, args, nargs, Cmp::Le); }
Error gt_tensor_out(KernelContext& ctx, EValue** args, size_t nargs) { return compare_tensor(ctx, args, nargs, Cmp::Gt); }
Error ge_tensor_out(KernelContext& ctx, EValue** args, size_t nargs) { return compare_tensor(ctx, args, nargs, Cmp::Ge); }

}  // namespace native
}  // namespace slimtorch
