// Copies of a strided window of self along one dim, any dtype:
// aten::slice_copy.Tensor_out(Tensor self, int dim=0, SymInt? start=None, SymInt? end=None,
//     SymInt step=1, *, Tensor(a!) out) -> Tensor(a!)   args: [self, dim, start, end, step, out, return]
//   start/end clamp to [0, size] after adding size to negatives (PyTorch's rule); step > 0.
// aten::select_copy.int_out(Tensor self, int dim, SymInt index, *, Tensor(a!) out) -> Tensor(a!)
//   args: [self, dim, index, out, return]; index may be negative; the dim is removed.
// aten::split_with_sizes_copy.out(Tensor self, SymInt[] split_sizes, int dim=0, *,
//     Tensor(a!)[] out) -> ()                            args: [self, split_sizes, dim, out, return]
//   out[i] = the i-th consecutive run of split_sizes[i] entries along dim.
// aten::cat.out(Tensor[] tensors, int dim=0, *, Tensor(a!) out) -> Tensor(a!)
//   args: [tensors, dim, out, return]; 1-D empty tensors ([0]) are skipped, as in PyTorch;
//   every input has out's dtype.
// All four are strided_copy (util.h) over a view of self described by sizes/strides.
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

namespace {

// Copies self[..., start : start + len*step : step, ...] (along `dim`) into dst, whose
// shape is self's with that dim's size replaced by len (or removed when `drop`).
void copy_window(const Tensor& self, int dim, int64_t start, int32_t len, int64_t step, void* dst) {
  int32_t strides[kMaxTensorDim];
  contiguous_strides(self, strides);
  int32_t sizes[kMaxTensorDim];
  for (int d = 0; d < self.dim; ++d) sizes[d] = self.sizes[d];
  sizes[dim] = len;
  const size_t esize = element_size(self.dtype);
  const uint8_t* src = static_cast<const uint8_t*>(self.data) + static_cast<size_t>(start) * strides[dim] * esize;
  strides[dim] = static_cast<int32_t>(strides[dim] * step);
  strided_copy(dst, src, sizes, strides, self.dim, esize);
}

Error check_dim_arg(KernelContext& ctx, const EValue* v, const Tensor& t, int* dim) {
  if (!v->is_int()) return ctx.fail("dim: expected an int", Error::InvalidArgument);
  if (t.dim == 0 || !normalize_dim(v->to_int(), t.dim, dim)) return ctx.fail("dim: out of range for self", Error::InvalidArgument);
  return Error::Ok;
}

}  // namespace

Error slice_copy_Tensor_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 7, "expected 7 args: self, dim, start, end, step, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[5], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = args[5]->to_tensor();
  int dim = 0;
  ST_TRY(check_dim_arg(ctx, args[1], x, &dim));
  if (out.dtype != x.dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  if (!args[4]->is_int() || args[4]->to_int() <= 0) return ctx.fail("step: must be a positive int", Error::InvalidArgument);
  const int64_t size = x.sizes[dim];
  int64_t se[2] = {0, size};
  for (int i = 0; i < 2; ++i) {
    const EValue* v = args[2 + i];
    if (v->is_none()) continue;
    if (!v->is_int()) return ctx.fail(i == 0 ? "start: expected an int or None" : "end: expected an int or None", Error::InvalidArgument);
    int64_t s = v->to_int();
    if (s < 0) s += size;
    se[i] = s < 0 ? 0 : (s > size ? size : s);
  }
  const int64_t step = args[4]->to_int();
  const int32_t len = se[1] > se[0] ? static_cast<int32_t>((se[1] - se[0] + step - 1) / step) : 0;
  int32_t sizes[kMaxTensorDim];
  for (int d = 0; d < x.dim; ++d) sizes[d] = x.sizes[d];
  sizes[dim] = len;
  ST_TRY(resize_out(ctx, out, sizes, x.dim));
  copy_window(x, dim, se[0], len, step, out.data);
  return Error::Ok;
}

Error select_copy_int_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 5, "expected 5 args: self, dim, index, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[3], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = args[3]->to_tensor();
  int dim = 0;
  ST_TRY(check_dim_arg(ctx, args[1], x, &dim));
  if (out.dtype != x.dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  if (!args[2]->is_int()) return ctx.fail("index: expected an int", Error::InvalidArgument);
  int64_t index = args[2]->to_int();
  if (index < 0) index += x.sizes[dim];
  if (index < 0 || index >= x.sizes[dim]) return ctx.fail("index: out of range for self's dim", Error::InvalidArgument);
  int32_t sizes[kMaxTensorDim];
  int n = 0;
  for (int d = 0; d < x.dim; ++d) {
    if (d != dim) sizes[n++] = x.sizes[d];
  }
  ST_TRY(resize_out(ctx, out, sizes, n));
  copy_window(x, dim, index, 1, 1, out.data);
  return Error::Ok;
}

Error split_with_sizes_copy_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 5, "expected 5 args: self, split_sizes, dim, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  if (!args[1]->is_int_list()) return ctx.fail("split_sizes: expected an int list", Error::InvalidArgument);
  if (args[3]->tag != Tag::TensorList) return ctx.fail("out: expected a tensor list", Error::InvalidArgument);
  const Tensor& x = args[0]->to_tensor();
  int dim = 0;
  ST_TRY(check_dim_arg(ctx, args[2], x, &dim));
  const IntListRef split = args[1]->v.il;
  const TensorListRef outs = args[3]->v.tl;
  if (outs.size != split.size) return ctx.fail("out: needs one tensor per split size", Error::InvalidArgument);
  int64_t total = 0;
  for (uint32_t i = 0; i < split.size; ++i) {
    if (split.at(i) < 0) return ctx.fail("split_sizes: entries must be >= 0", Error::InvalidArgument);
    total += split.at(i);
  }
  if (total != x.sizes[dim]) return ctx.fail("split_sizes: must sum to self's size along dim", Error::InvalidArgument);
  int64_t start = 0;
  for (uint32_t i = 0; i < split.size; ++i) {
    ST_TRY(check_tensor(ctx, outs.items[i], "out: expected a tensor", "out: must be contiguous"));
    Tensor& o = outs.items[i]->to_tensor();
    if (o.dtype != x.dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
    int32_t sizes[kMaxTensorDim];
    for (int d = 0; d < x.dim; ++d) sizes[d] = x.sizes[d];
    sizes[dim] = static_cast<int32_t>(split.at(i));
    ST_TRY(resize_out(ctx, o, sizes, x.dim));
    copy_window(x, dim, start, sizes[dim], 1, o.data);
    start += split.at(i);
  }
  return Error::Ok;
}

Error cat_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: tensors, dim, out, return value"));
  if (args[0]->tag != Tag::TensorList) return ctx.fail("tensors: expected a tensor list", Error::InvalidArgument);
  ST_TRY(check_tensor(ctx, args[2], "out: expected a tensor", "out: must be contiguous"));
  if (!args[1]->is_int()) return ctx.fail("dim: expected an int", Error::InvalidArgument);
  const TensorListRef in = args[0]->v.tl;
  Tensor& out = args[2]->to_tensor();
  const Tensor* ref = nullptr;  // first input that is not a skipped 1-D empty tensor
  for (uint32_t i = 0; i < in.size; ++i) {
    ST_TRY(check_tensor(ctx, in.items[i], "tensors: expected tensors", "tensors: must be contiguous"));
    const Tensor& t = in.items[i]->to_tensor();
    if (t.dtype != out.dtype) return ctx.fail("tensors: every dtype must equal out's dtype", Error::NotSupported);
    if (ref == nullptr && !(t.dim == 1 && t.numel == 0)) ref = &t;
  }
  if (ref == nullptr) {  // every input is an empty 1-D tensor: out is empty too
    if (out.dim != 1) return ctx.fail("out: must be 1-D when every input is an empty 1-D tensor", Error::InvalidArgument);
    const int32_t empty[1] = {0};
    return resize_out(ctx, out, empty, 1);
  }
  int dim = 0;
  if (ref->dim == 0 || !normalize_dim(args[1]->to_int(), ref->dim, &dim)) return ctx.fail("dim: out of range for tensors", Error::InvalidArgument);
  int32_t sizes[kMaxTensorDim];
  for (int d = 0; d < ref->dim; ++d) sizes[d] = ref->sizes[d];
  sizes[dim] = 0;
  for (uint32_t i = 0; i < in.size; ++i) {
    const Tensor& t = in.items[i]->to_tensor();
    if (t.dim == 1 && t.numel == 0) continue;
    if (t.dim != ref->dim) return ctx.fail("tensors: must all have the same number of dims", Error::InvalidArgument);
    for (int d = 0; d < t.dim; ++d) {
      if (d != dim && t.sizes[d] != ref->sizes[d]) return ctx.fail("tensors: sizes must match except along dim", Error::InvalidArgument);
    }
    sizes[dim] += t.sizes[dim];
  }
  ST_TRY(resize_out(ctx, out, sizes, ref->dim));
  // out viewed with out's strides: each input fills a window [offset, offset + size) along dim.
  int32_t out_strides[kMaxTensorDim];
  contiguous_strides(out, out_strides);
  const size_t esize = element_size(out.dtype);
  size_t outer = 1;
  for (int d = 0; d < dim; ++d) outer *= static_cast<size_t>(sizes[d]);
  const size_t out_row = static_cast<size_t>(out_strides[dim]) * sizes[dim] * esize;  // bytes per outer index
  size_t offset = 0;
  for (uint32_t i = 0; i < in.size; ++i) {
    const Tensor& t = in.items[i]->to_tensor();
    if (t.dim == 1 && t.numel == 0) continue;
    const size_t chunk = static_cast<size_t>(t.sizes[dim]) * out_strides[dim] * esize;  // bytes per outer index
    for (size_t a = 0; a < outer; ++a) {
      __builtin_memcpy(static_cast<uint8_t*>(out.data) + a * out_row + offset,
                       static_cast<const uint8_t*>(t.data) + a * chunk, chunk);
    }
    offset += chunk;
  }
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
