// aten::expand_copy.out(Tensor self, SymInt[] size, *, bool implicit=False, Tensor(a!) out) -> Tensor(a!)
// out = self broadcast to `size` (dims aligned from the end; -1 keeps self's
// size; new leading dims may be added), copied into contiguous memory.
// Any dtype (copies elements by size). args: [self, size, implicit, out, return].
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

Error expand_copy_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 5, "expected 5 args: self, size, implicit, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[3], "out: expected a tensor", "out: must be contiguous"));
  if (!args[1]->is_int_list()) return ctx.fail("size: expected an int list", Error::InvalidArgument);
  if (!args[2]->is_bool()) return ctx.fail("implicit: expected a bool", Error::InvalidArgument);
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = args[3]->to_tensor();
  const IntListRef size = args[1]->v.il;
  if (out.dtype != x.dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  const size_t esize = element_size(x.dtype);
  if (esize == 0) return ctx.fail("self: unsupported dtype", Error::NotSupported);
  if (size.size > kMaxTensorDim) return ctx.fail("size: too many dims", Error::NotSupported);
  if (size.size < x.dim) return ctx.fail("size: must have at least as many dims as self", Error::InvalidArgument);

  const int ndim = static_cast<int>(size.size);
  const int lead = ndim - x.dim;
  int32_t sizes[kMaxTensorDim];
  for (int d = 0; d < ndim; ++d) {
    const int64_t s = size.at(static_cast<uint32_t>(d));
    if (s == -1 && d >= lead) {
      sizes[d] = x.sizes[d - lead];
    } else if (s < 0 || s > INT32_MAX) {
      return ctx.fail("size: entries must be >= 0 (-1 only for self's existing dims)", Error::InvalidArgument);
    } else {
      sizes[d] = static_cast<int32_t>(s);
    }
  }
  if (!broadcasts_to(x, sizes, ndim)) return ctx.fail("size: self's non-1 dims must match", Error::InvalidArgument);
  ST_TRY(resize_out(ctx, out, sizes, ndim));
  StridedIndex it(x, sizes, ndim);  // broadcast strides of self per out dim
  strided_copy(out.data, x.data, sizes, it.strides, ndim, esize);
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
