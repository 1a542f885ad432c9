// Copies with dtype conversion and broadcasting of src to self's shape:
//   aten::copy_(Tensor(a!) self, Tensor src, bool non_blocking=False) -> Tensor(a!)
//     args: [self, src, non_blocking, return]; writes self in place (its shape stays).
//     Emitted for loop-carried state (scan, while_loop) and buffer write-back.
//   aten::copy.out(Tensor self, Tensor src, bool non_blocking=False, *, Tensor(a!) out) -> Tensor(a!)
//     args: [self, src, non_blocking, out, return]; out takes self's shape, src's values.
// Real and Bool dtypes; floating -> integer conversion truncates like C (and PyTorch).
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {
namespace {

// dst (shape kept) = src broadcast to dst's shape, converted to dst's dtype.
Error copy_into(KernelContext& ctx, Tensor& dst, const Tensor& src) {
  if (!is_real_or_bool(dst.dtype) || !is_real_or_bool(src.dtype)) {
    return ctx.fail("self/src: dtype not supported (real or Bool only)", Error::NotSupported);
  }
  if (!broadcasts_to(src, dst.sizes, dst.dim)) {
    return ctx.fail("src: shape does not broadcast to self's shape", Error::InvalidArgument);
  }
  if (dst.data == src.data) return Error::Ok;  // copying a tensor onto itself
  if (dst.dtype == src.dtype && same_shape(dst, src)) {
    __builtin_memcpy(dst.data, src.data, src.nbytes());
    return Error::Ok;
  }
  const bool floating = is_floating(dst.dtype) || is_floating(src.dtype);
  StridedIndex it(src, dst.sizes, dst.dim);
  for (uint32_t i = 0; i < dst.numel; ++i) {
    if (floating && is_floating(dst.dtype)) {
      store_double(dst.data, dst.dtype, i, load_double(src.data, src.dtype, it.offset));
    } else if (floating) {  // floating -> integer / bool
      const double v = load_double(src.data, src.dtype, it.offset);
      if (dst.dtype == ScalarType::Bool) {
        store_int(dst.data, dst.dtype, i, v != 0.0 ? 1 : 0);
      } else {
        store_int(dst.data, dst.dtype, i, double_to_int64(v));
      }
    } else {
      store_int(dst.data, dst.dtype, i, load_int(src.data, src.dtype, it.offset));
    }
    it.next();
  }
  return Error::Ok;
}

}  // namespace

Error copy_(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: self, src, non_blocking, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[1], "src: expected a tensor", "src: must be contiguous"));
  return copy_into(ctx, args[0]->to_tensor(), args[1]->to_tensor());
}

Error copy_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 5, "expected 5 args: self, src, non_blocking, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[1], "src: expected a tensor", "src: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[3], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& self = args[0]->to_tensor();
  Tensor& out = args[3]->to_tensor();
  if (out.dtype != self.dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  ST_TRY(resize_out(ctx, out, self.sizes, self.dim));
  return copy_into(ctx, out, args[1]->to_tensor());
}

}  // namespace native
}  // namespace slimtorch
