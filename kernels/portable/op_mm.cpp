// aten::mm.out(Tensor self, Tensor mat2, *, Tensor(a!) out) -> Tensor(a!)
// out[m x n] = self[m x k] @ mat2[k x n]. args: [self, mat2, out, return]. Float only.
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

Error mm_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: self, mat2, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[1], "mat2: expected a tensor", "mat2: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[2], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& a = args[0]->to_tensor();
  const Tensor& b = args[1]->to_tensor();
  Tensor& out = args[2]->to_tensor();
  if (a.dtype != ScalarType::Float || b.dtype != ScalarType::Float || out.dtype != ScalarType::Float) {
    return ctx.fail("self, mat2, out: only Float is supported", Error::NotSupported);
  }
  if (a.dim != 2) return ctx.fail("self: expected a 2-D tensor", Error::InvalidArgument);
  if (b.dim != 2) return ctx.fail("mat2: expected a 2-D tensor", Error::InvalidArgument);
  if (a.sizes[1] != b.sizes[0]) return ctx.fail("mat2: rows must equal self's columns", Error::InvalidArgument);
  const int32_t out_sizes[2] = {a.sizes[0], b.sizes[1]};
  ST_TRY(resize_out(ctx, out, out_sizes, 2));
  float* o = out.data_as<float>();
  for (uint32_t i = 0; i < out.numel; ++i) o[i] = 0.0f;
  matmul_accumulate_f32(a.data_as<float>(), b.data_as<float>(), o, a.sizes[0], a.sizes[1], b.sizes[1], 1.0f);
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
