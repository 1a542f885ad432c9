// aten::select_copy.int_out(Tensor self, int dim, SymInt index, *, Tensor(a!) out) -> Tensor(a!)
// out = self.select(dim, index): self without dimension `dim`, at position `index`
// (negative counts from the end). Any dtype (copies bytes). args: [self, dim, index, out,
// return]. map/scan loops emit it to slice xs at the loop counter.
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

Error select_copy_int_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 5, "expected 5 args: self, dim, index, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[3], "out: expected a tensor", "out: must be contiguous"));
  if (!args[1]->is_int() || !args[2]->is_int()) return ctx.fail("dim, index: expected ints", Error::InvalidArgument);
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = args[3]->to_tensor();
  if (x.dim == 0) return ctx.fail("self: cannot select from a 0-dim tensor", Error::InvalidArgument);
  if (out.dtype != x.dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  int dim = 0;
  if (!normalize_dim(args[1]->to_int(), x.dim, &dim)) return ctx.fail("dim: out of range", Error::InvalidArgument);
  int64_t index = args[2]->to_int();
  if (index < 0) index += x.sizes[dim];
  if (index < 0 || index >= x.sizes[dim]) return ctx.fail("index: out of range", Error::InvalidArgument);
  int32_t sizes[kMaxTensorDim];
  int ndim = 0;
  size_t outer = 1, inner = element_size(x.dtype);
  for (int d = 0; d < x.dim; ++d) {
    if (d != dim) sizes[ndim++] = x.sizes[d];
    if (d < dim) outer *= static_cast<size_t>(x.sizes[d]);
    if (d > dim) inner *= static_cast<size_t>(x.sizes[d]);
  }
  ST_TRY(resize_out(ctx, out, sizes, ndim));
  const uint8_t* src = static_cast<const uint8_t*>(x.data);
  uint8_t* dst = static_cast<uint8_t*>(out.data);
  const size_t row = inner * static_cast<size_t>(x.sizes[dim]);
  for (size_t o = 0; o < outer; ++o) {
    __builtin_memcpy(dst + o * inner, src + o * row + static_cast<size_t>(index) * inner, inner);
  }
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
