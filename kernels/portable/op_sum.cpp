// aten::sum.IntList_out(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None,
//                       Tensor(a!) out) -> Tensor(a!)
// out = self summed over `dim` (None or [] = every dim), keeping reduced dims as size 1
// when keepdim. args: [self, dim, keepdim, dtype, out, return].
// Float/Double inputs accumulate in double; integer and Bool inputs in int64 (wrapping
// like PyTorch). `dtype`, when given, must equal out's dtype.
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

Error sum_intlist_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 6, "expected 6 args: self, dim, keepdim, dtype, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[4], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = args[4]->to_tensor();
  if (!is_real_or_bool(x.dtype) || !is_real_or_bool(out.dtype)) {
    return ctx.fail("self/out: dtype not supported (real or Bool only)", Error::NotSupported);
  }
  if (!args[3]->is_none() && !(args[3]->is_int() && args[3]->to_int() == static_cast<int64_t>(out.dtype))) {
    return ctx.fail("dtype: must be None or out's dtype", Error::InvalidArgument);
  }
  if (!args[2]->is_bool()) return ctx.fail("keepdim: expected a bool", Error::InvalidArgument);
  const bool keepdim = args[2]->to_bool();
  bool reduced[kMaxTensorDim] = {};
  bool all = args[1]->is_none();
  if (!all) {
    if (!args[1]->is_int_list()) return ctx.fail("dim: expected an int list or None", Error::InvalidArgument);
    const IntListRef& dims = args[1]->v.il;
    all = dims.size == 0;
    for (uint32_t k = 0; k < dims.size; ++k) {
      int d = 0;
      if (!normalize_dim(dims.at(k), x.dim, &d)) return ctx.fail("dim: out of range", Error::InvalidArgument);
      if (x.dim > 0 && reduced[d]) return ctx.fail("dim: appears twice", Error::InvalidArgument);
      if (x.dim > 0) reduced[d] = true;
    }
  }
  int32_t sizes[kMaxTensorDim];
  int ndim = 0;
  for (int d = 0; d < x.dim; ++d) {
    if (all) reduced[d] = true;
    if (!reduced[d]) {
      sizes[ndim++] = x.sizes[d];
    } else if (keepdim) {
      sizes[ndim++] = 1;
    }
  }
  ST_TRY(resize_out(ctx, out, sizes, ndim));
  // Output element of each input element: walk x in row-major order with an index
  // into out whose strides are 0 along reduced dims.
  int32_t x_sizes[kMaxTensorDim], out_strides[kMaxTensorDim];
  int32_t stride = 1;
  for (int d = x.dim - 1; d >= 0; --d) {
    x_sizes[d] = x.sizes[d];
    out_strides[d] = reduced[d] ? 0 : stride;
    stride *= reduced[d] ? 1 : x.sizes[d];
  }
  const bool floating = is_floating(x.dtype) || is_floating(out.dtype);
  for (uint32_t i = 0; i < out.numel; ++i) store_int(out.data, out.dtype, i, 0);
  StridedIndex it(x_sizes, out_strides, x.dim);
  for (uint32_t i = 0; i < x.numel; ++i) {
    if (floating) {
      store_double(out.data, out.dtype, it.offset, load_double(out.data, out.dtype, it.offset) + load_double(x.data, x.dtype, i));
    } else {
      const uint64_t s = static_cast<uint64_t>(load_int(out.data, out.dtype, it.offset)) + static_cast<uint64_t>(load_int(x.data, x.dtype, i));
      store_int(out.data, out.dtype, it.offset, static_cast<int64_t>(s));
    }
    it.next();
  }
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
