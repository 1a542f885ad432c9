// The indexing ops whose result size depends on the data, any real dtype or Bool:
// aten::masked_select.out(Tensor self, Tensor mask, *, Tensor(a!) out) -> Tensor(a!)
//   args: [self, mask, out, return]; self and mask (Bool) broadcast; out is 1-D, the
//   elements where mask is true in row-major order.
// aten::nonzero.out(Tensor self, *, Tensor(a!) out) -> Tensor(a!)
//   args: [self, out, return]; out is Long [n, self.dim], the coordinates of the nonzero
//   elements (NaN counts as nonzero, -0.0 as zero).
// aten::repeat_interleave.Tensor_out(Tensor repeats, *, SymInt? output_size=None,
//     Tensor(a!) out) -> Tensor(a!)   args: [repeats, output_size, out, return]
//   repeats 1-D Long or Int, >= 0; out (repeats' dtype) holds i repeats[i] times;
//   output_size, when given, must equal the sum.
// The program plans an upper bound for out: a dynamic out is resized to the result, a static
// out whose shape differs fails (resize_out). The size is counted in a first pass, so
// nothing is written when it does not fit.
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

namespace {

bool nonzero_at(const Tensor& t, size_t i) {
  if (is_floating(t.dtype)) return load_double(t.data, t.dtype, i) != 0.0;  // NaN != 0
  return load_int(t.data, t.dtype, i) != 0;
}

}  // namespace

Error masked_select_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: self, mask, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[1], "mask: expected a tensor", "mask: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[2], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& self = args[0]->to_tensor();
  const Tensor& mask = args[1]->to_tensor();
  Tensor& out = args[2]->to_tensor();
  if (out.dtype != self.dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  if (!is_real_or_bool(self.dtype)) return ctx.fail("self: dtype not supported", Error::NotSupported);
  int32_t sizes[kMaxTensorDim];
  int ndim = 0;
  size_t total = 0;
  uint64_t count = 0;
  ST_TRY(broadcast_mask(ctx, self, mask, sizes, &ndim, &total, &count));
  const uint8_t* m = mask.data_as<uint8_t>();
  if (count > INT32_MAX) return ctx.fail("mask: selects more elements than a tensor can hold", Error::InvalidArgument);
  const int32_t size = static_cast<int32_t>(count);
  ST_TRY(resize_out(ctx, out, &size, 1));
  StridedIndex mi(mask, sizes, ndim);
  StridedIndex si(self, sizes, ndim);
  const size_t esize = element_size(self.dtype);
  size_t k = 0;
  for (size_t i = 0; i < total; ++i) {
    if (m[mi.offset] != 0) copy_element(out.data, k++, self.data, si.offset, esize);
    mi.next();
    si.next();
  }
  return Error::Ok;
}

Error nonzero_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 3, "expected 3 args: self, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[1], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& self = args[0]->to_tensor();
  Tensor& out = args[1]->to_tensor();
  if (out.dtype != ScalarType::Long) return ctx.fail("out: must be Long", Error::InvalidArgument);
  if (!is_real_or_bool(self.dtype)) return ctx.fail("self: dtype not supported", Error::NotSupported);
  uint32_t count = 0;
  for (uint32_t i = 0; i < self.numel; ++i) count += nonzero_at(self, i) ? 1 : 0;
  if (count > INT32_MAX) return ctx.fail("self: has more nonzero elements than a tensor can hold", Error::InvalidArgument);
  const int32_t sizes[2] = {static_cast<int32_t>(count), static_cast<int32_t>(self.dim)};
  ST_TRY(resize_out(ctx, out, sizes, 2));
  int64_t* o = out.data_as<int64_t>();
  int32_t coord[kMaxTensorDim] = {};
  for (uint32_t i = 0; i < self.numel; ++i) {
    if (nonzero_at(self, i)) {
      for (int d = 0; d < self.dim; ++d) *o++ = coord[d];
    }
    for (int d = self.dim - 1; d >= 0; --d) {  // next coordinate, row-major
      if (++coord[d] < self.sizes[d]) break;
      coord[d] = 0;
    }
  }
  return Error::Ok;
}

Error repeat_interleave_Tensor_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: repeats, output_size, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "repeats: expected a tensor", "repeats: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[2], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& repeats = args[0]->to_tensor();
  Tensor& out = args[2]->to_tensor();
  if (!is_index_dtype(repeats.dtype)) return ctx.fail("repeats: must be Long or Int", Error::InvalidArgument);
  if (repeats.dim != 1) return ctx.fail("repeats: must be 1-D", Error::InvalidArgument);
  if (out.dtype != repeats.dtype) return ctx.fail("out: dtype must equal repeats' dtype", Error::InvalidArgument);
  int64_t total = 0;
  for (uint32_t i = 0; i < repeats.numel; ++i) {
    const int64_t r = index_at(repeats, i);
    if (r < 0) return ctx.fail("repeats: entries must be >= 0", Error::InvalidArgument);
    total += r;
    if (total > INT32_MAX) return ctx.fail("repeats: sum too large", Error::InvalidArgument);
  }
  if (!args[1]->is_none()) {
    if (!args[1]->is_int()) return ctx.fail("output_size: expected an int or None", Error::InvalidArgument);
    if (args[1]->to_int() != total) {
      return ctx.fail("output_size: does not match the sum of repeats", Error::InvalidArgument);
    }
  }
  const int32_t size = static_cast<int32_t>(total);
  ST_TRY(resize_out(ctx, out, &size, 1));
  size_t k = 0;
  for (uint32_t i = 0; i < repeats.numel; ++i) {
    const int64_t r = index_at(repeats, i);
    for (int64_t j = 0; j < r; ++j) store_int(out.data, out.dtype, k++, static_cast<int64_t>(i));
  }
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
