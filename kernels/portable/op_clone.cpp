// aten::clone.out(Tensor self, *, MemoryFormat? memory_format=None, Tensor(a!) out) -> Tensor(a!)
// out = a copy of self. memory_format: None, contiguous_format (0) or
// preserve_format (1); both mean contiguous here. Any dtype (copies bytes).
// args: [self, memory_format, out, return].
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

Error clone_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: self, memory_format, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[2], "out: expected a tensor", "out: must be contiguous"));
  const EValue* fmt = args[1];
  if (!fmt->is_none() && !(fmt->is_int() && (fmt->to_int() == 0 || fmt->to_int() == 1))) {
    return ctx.fail("memory_format: only None, contiguous_format or preserve_format are supported",
                    Error::NotSupported);
  }
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = args[2]->to_tensor();
  if (out.dtype != x.dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  ST_TRY(resize_out(ctx, out, x.sizes, x.dim));
  if (out.data != x.data) __builtin_memcpy(out.data, x.data, x.nbytes());
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
