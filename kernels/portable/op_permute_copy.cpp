// aten::permute_copy.out(Tensor self, int[] dims, *, Tensor(a!) out) -> Tensor(a!)
// out = self with its dims reordered (out.sizes[i] = self.sizes[dims[i]]),
// copied into contiguous memory. Any dtype (copies elements by size).
// args: [self, dims, out, return]. Dtype-selective (runtime/kernel/dtype_selection.h):
// with Float alone selected only the float paths are compiled.
#include "kernels/portable/util.h"
#include "runtime/kernel/dtype_selection.h"

namespace slimtorch {
namespace native {

Error permute_copy_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: self, dims, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[2], "out: expected a tensor", "out: must be contiguous"));
  if (!args[1]->is_int_list()) return ctx.fail("dims: expected an int list", Error::InvalidArgument);
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = args[2]->to_tensor();
  const IntListRef dims = args[1]->v.il;
  if (out.dtype != x.dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  if (!ST_DTYPE_SELECTED(permute_copy_out, x.dtype)) return dtype_left_out(ctx, x.dtype);
  const size_t esize = element_size(x.dtype);
  if (esize == 0) return ctx.fail("self: unsupported dtype", Error::NotSupported);
  if (dims.size != x.dim) return ctx.fail("dims: must list every dim of self once", Error::InvalidArgument);

  int32_t in_strides[kMaxTensorDim];
  contiguous_strides(x, in_strides);
  int32_t out_sizes[kMaxTensorDim];
  int32_t strides[kMaxTensorDim];  // self's stride for each out dim
  bool seen[kMaxTensorDim] = {};
  for (uint32_t i = 0; i < dims.size; ++i) {
    int d = 0;
    if (!normalize_dim(dims.at(i), x.dim, &d) || seen[d]) {
      return ctx.fail("dims: must be a permutation of self's dims", Error::InvalidArgument);
    }
    seen[d] = true;
    out_sizes[i] = x.sizes[d];
    strides[i] = in_strides[d];
  }
  ST_TRY(resize_out(ctx, out, out_sizes, x.dim));

  if (x.dim == 2 && x.dtype == ScalarType::Float && strides[0] == 1) {  // 2-D float transpose (weights)
    const float* in = x.data_as<float>();
    float* o = out.data_as<float>();
    const int32_t rows = out_sizes[0];
    const int32_t cols = out_sizes[1];
    for (int32_t r = 0; r < rows; ++r) {
      for (int32_t c = 0; c < cols; ++c) o[static_cast<size_t>(r) * cols + c] = in[static_cast<size_t>(c) * rows + r];
    }
    return Error::Ok;
  }
  strided_copy(out.data, x.data, out_sizes, strides, x.dim, esize);
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
