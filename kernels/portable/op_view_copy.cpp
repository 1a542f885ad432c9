// aten::view_copy.out(Tensor self, SymInt[] size, *, Tensor(a!) out) -> Tensor(a!)
// out = self's elements in the same order with shape `size` (one entry may be
// -1: inferred). Any dtype (copies bytes). args: [self, size, out, return].
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

Error view_copy_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: self, size, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[2], "out: expected a tensor", "out: must be contiguous"));
  if (!args[1]->is_int_list()) return ctx.fail("size: expected an int list", Error::InvalidArgument);
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = args[2]->to_tensor();
  const IntListRef size = args[1]->v.il;
  if (out.dtype != x.dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  if (size.size > kMaxTensorDim) return ctx.fail("size: too many dims", Error::NotSupported);

  int32_t sizes[kMaxTensorDim];
  int infer = -1;
  uint64_t known = 1;
  for (uint32_t i = 0; i < size.size; ++i) {
    const int64_t s = size.at(i);
    if (s == -1 && infer < 0) {
      infer = static_cast<int>(i);
      sizes[i] = 1;
      continue;
    }
    if (s < 0 || s > INT32_MAX) return ctx.fail("size: entries must be >= 0 (one may be -1)", Error::InvalidArgument);
    sizes[i] = static_cast<int32_t>(s);
    known *= static_cast<uint64_t>(s);
    if (known > UINT32_MAX) return ctx.fail("size: too many elements", Error::InvalidArgument);
  }
  if (infer >= 0) {
    if (known == 0 || x.numel % known != 0) return ctx.fail("size: -1 cannot be inferred for self's numel", Error::InvalidArgument);
    sizes[infer] = static_cast<int32_t>(x.numel / known);
  } else if (known != x.numel) {
    return ctx.fail("size: element count differs from self's", Error::InvalidArgument);
  }
  ST_TRY(resize_out(ctx, out, sizes, static_cast<int>(size.size)));
  if (out.data != x.data) __builtin_memcpy(out.data, x.data, x.nbytes());
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
