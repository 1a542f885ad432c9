// aten::embedding.out(Tensor weight, Tensor indices, SymInt padding_idx=-1,
//     bool scale_grad_by_freq=False, bool sparse=False, *, Tensor(a!) out) -> Tensor(a!)
// out[..., :] = weight[indices[...], :]; out shape = indices.shape + [weight.size(1)].
// weight: any dtype, 2-D; indices: Long or Int, each in [0, weight.size(0)) (an
// out-of-range index is an error, never a read outside weight). padding_idx,
// scale_grad_by_freq and sparse only affect training and are ignored.
// args: [weight, indices, padding_idx, scale_grad_by_freq, sparse, out, return].
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

Error embedding_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 7,
                     "expected 7 args: weight, indices, padding_idx, scale_grad_by_freq, sparse, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "weight: expected a tensor", "weight: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[1], "indices: expected a tensor", "indices: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[5], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& w = args[0]->to_tensor();
  const Tensor& ix = args[1]->to_tensor();
  Tensor& out = args[5]->to_tensor();
  if (w.dim != 2) return ctx.fail("weight: expected a 2-D tensor", Error::InvalidArgument);
  if (ix.dtype != ScalarType::Long && ix.dtype != ScalarType::Int) return ctx.fail("indices: must be Long or Int", Error::InvalidArgument);
  if (out.dtype != w.dtype) return ctx.fail("out: dtype must equal weight's dtype", Error::InvalidArgument);
  if (ix.dim + 1 > kMaxTensorDim) return ctx.fail("indices: too many dims", Error::NotSupported);
  const size_t esize = element_size(w.dtype);
  if (esize == 0) return ctx.fail("weight: unsupported dtype", Error::NotSupported);
  int32_t sizes[kMaxTensorDim];
  for (int d = 0; d < ix.dim; ++d) sizes[d] = ix.sizes[d];
  sizes[ix.dim] = w.sizes[1];
  ST_TRY(resize_out(ctx, out, sizes, ix.dim + 1));
  const size_t row = static_cast<size_t>(w.sizes[1]) * esize;
  for (uint32_t i = 0; i < ix.numel; ++i) {
    const int64_t r = load_int(ix.data, ix.dtype, i);
    if (r < 0 || r >= w.sizes[0]) return ctx.fail("indices: an index is out of range for weight", Error::InvalidArgument);
    __builtin_memcpy(static_cast<uint8_t*>(out.data) + i * row, static_cast<const uint8_t*>(w.data) + r * row, row);
  }
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
