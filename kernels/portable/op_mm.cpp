// aten::mm.out(Tensor self, Tensor mat2, *, Tensor(a!) out) -> Tensor(a!)
// aten::bmm.out(Tensor self, Tensor mat2, *, Tensor(a!) out) -> Tensor(a!)
// mm: out[m x n] = self[m x k] @ mat2[k x n]; bmm: the same per batch
// (self [b x m x k], mat2 [b x k x n]). args: [self, mat2, out, return]. Float only.
// One body for both: bmm is mm over a leading batch dim.
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

static Error matmul_common(KernelContext& ctx, EValue** args, size_t nargs, bool batched) {
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
  const int nd = batched ? 3 : 2;
  if (a.dim != nd) return ctx.fail(batched ? "self: expected a 3-D tensor" : "self: expected a 2-D tensor", Error::InvalidArgument);
  if (b.dim != nd) return ctx.fail(batched ? "mat2: expected a 3-D tensor" : "mat2: expected a 2-D tensor", Error::InvalidArgument);
  const int lead = batched ? 1 : 0;
  const int32_t batch = batched ? a.sizes[0] : 1;
  if (batched && a.sizes[0] != b.sizes[0]) return ctx.fail("mat2: batch size must equal self's", Error::InvalidArgument);
  const int32_t m = a.sizes[lead];
  const int32_t k = a.sizes[lead + 1];
  const int32_t n = b.sizes[lead + 1];
  if (b.sizes[lead] != k) return ctx.fail("mat2: rows must equal self's columns", Error::InvalidArgument);
  const int32_t out_sizes[3] = {batched ? batch : m, batched ? m : n, n};
  ST_TRY(resize_out(ctx, out, out_sizes, nd));
  for (int32_t i = 0; i < batch; ++i) {
    gemm_f32(a.data_as<float>() + static_cast<size_t>(i) * m * k, b.data_as<float>() + static_cast<size_t>(i) * k * n,
             out.data_as<float>() + static_cast<size_t>(i) * m * n, m, k, n, false);
  }
  return Error::Ok;
}

Error mm_out(KernelContext& ctx, EValue** args, size_t nargs) { return matmul_common(ctx, args, nargs, false); }

Error bmm_out(KernelContext& ctx, EValue** args, size_t nargs) { return matmul_common(ctx, args, nargs, true); }

}  // namespace native
}  // namespace slimtorch
