// aten::addmm.out(Tensor self, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1, Tensor(a!) out)
// out[m x n] = beta * self + alpha * (mat1[m x k] @ mat2[k x n]); self broadcasts
// to [m x n] (a bias row [n] is the usual case). With beta == 0, self is
// ignored (NaN/inf in it do not propagate), as in PyTorch.
// args: [self, mat1, mat2, beta, alpha, out, return]. Float only.
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

Error addmm_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 7, "expected 7 args: self, mat1, mat2, beta, alpha, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[1], "mat1: expected a tensor", "mat1: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[2], "mat2: expected a tensor", "mat2: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[5], "out: expected a tensor", "out: must be contiguous"));
  double beta = 1.0;
  double alpha = 1.0;
  ST_TRY(scalar_as_double(ctx, args[3], &beta, "beta: expected a number"));
  ST_TRY(scalar_as_double(ctx, args[4], &alpha, "alpha: expected a number"));
  const Tensor& self = args[0]->to_tensor();
  const Tensor& mat1 = args[1]->to_tensor();
  const Tensor& mat2 = args[2]->to_tensor();
  Tensor& out = args[5]->to_tensor();
  if (self.dtype != ScalarType::Float || mat1.dtype != ScalarType::Float || mat2.dtype != ScalarType::Float ||
      out.dtype != ScalarType::Float) {
    return ctx.fail("self, mat1, mat2, out: only Float is supported", Error::NotSupported);
  }
  if (mat1.dim != 2) return ctx.fail("mat1: expected a 2-D tensor", Error::InvalidArgument);
  if (mat2.dim != 2) return ctx.fail("mat2: expected a 2-D tensor", Error::InvalidArgument);
  if (mat1.sizes[1] != mat2.sizes[0]) return ctx.fail("mat2: rows must equal mat1's columns", Error::InvalidArgument);
  const int32_t m = mat1.sizes[0];
  const int32_t k = mat1.sizes[1];
  const int32_t n = mat2.sizes[1];
  const int32_t out_sizes[2] = {m, n};
  if (!broadcasts_to(self, out_sizes, 2)) return ctx.fail("self: does not broadcast to [m, n]", Error::InvalidArgument);
  ST_TRY(resize_out(ctx, out, out_sizes, 2));

  float* o = out.data_as<float>();
  const float* bias = self.data_as<float>();
  const float beta_f = static_cast<float>(beta);
  if (beta_f == 0.0f) {
    for (uint32_t i = 0; i < out.numel; ++i) o[i] = 0.0f;
  } else if (beta_f == 1.0f && self.dim >= 1 && self.numel == static_cast<uint32_t>(n) && self.sizes[self.dim - 1] == n) {
    // a bias row (Linear): copied into every row of out
    for (int32_t r = 0; r < m; ++r) __builtin_memcpy(o + static_cast<size_t>(r) * n, bias, static_cast<size_t>(n) * 4);
  } else {  // one loop for every broadcast of self
    StridedIndex it(self, out_sizes, 2);
    for (uint32_t i = 0; i < out.numel; ++i) {
      o[i] = beta_f * bias[it.offset];
      it.next();
    }
  }
#if !defined(__OPTIMIZE_SIZE__) || defined(SLIMTORCH_HELIUM_F32)
  // Speed builds and Helium images: the register-blocked GEMM of mm/bmm/convolution (Linear
  // layers are most of a transformer's time). Other size builds (-Os: the Cortex-M images
  // without Helium) keep the compact i-k-j loop.
  if (alpha == 1.0) {
    gemm_f32(mat1.data_as<float>(), mat2.data_as<float>(), o, m, k, n, /*accumulate=*/true);
    return Error::Ok;
  }
#endif
  matmul_accumulate_f32(mat1.data_as<float>(), mat2.data_as<float>(), o, m, k, n, static_cast<float>(alpha));
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
