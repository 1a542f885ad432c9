// aten::bmm.out(Tensor self, Tensor mat2, *, Tensor(a!) out) -> Tensor(a!)
// out[b x m x n] = self[b x m x k] @ mat2[b x k x n], batch by batch.
// args: [self, mat2, out, return]. Float only.
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

Error bmm_out(KernelContext& ctx, EValue** args, size_t nargs) {
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
  if (a.dim != 3) return ctx.fail("self: expected a 3-D tensor", Error::InvalidArgument);
  if (b.dim != 3) return ctx.fail("mat2: expected a 3-D tensor", Error::InvalidArgument);
  if (a.sizes[0] != b.sizes[0]) return ctx.fail("mat2: batch size must equal self's", Error::InvalidArgument);
  if (a.sizes[2] != b.sizes[1]) return ctx.fail("mat2: rows must equal self's columns", Error::InvalidArgument);
  const int32_t batch = a.sizes[0];
  const int32_t m = a.sizes[1];
  const int32_t k = a.sizes[2];
  const int32_t n = b.sizes[2];
  const int32_t out_sizes[3] = {batch, m, n};
  ST_TRY(resize_out(ctx, out, out_sizes, 3));
  float* o = out.data_as<float>();
  for (uint32_t i = 0; i < out.numel; ++i) o[i] = 0.0f;
  for (int32_t i = 0; i < batch; ++i) {
    matmul_accumulate_f32(a.data_as<float>() + static_cast<size_t>(i) * m * k,
                          b.data_as<float>() + static_cast<size_t>(i) * k * n,
                          o + static_cast<size_t>(i) * m * n, m, k, n, 1.0f);
  }
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
