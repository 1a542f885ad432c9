// aten::index_put.out(Tensor self, Tensor?[] indices, Tensor values, bool accumulate=False, *,
//                     Tensor(a!) out) -> Tensor(a!)
// out = self, then out[indices] = values (or += with accumulate). args: [self, indices,
// values, accumulate, out, return]. This is what `x[idx] = v` / `index_put_` become after
// export (a KV cache written at positions `idx`).
// Indices: Long or Int tensors, None for a whole dimension; the index tensors broadcast
// together to shape B. As in PyTorch, when the indexed dims are adjacent B replaces them
// in place, otherwise B comes first; `values` broadcasts to that indexed shape.
// Negative indices count from the end; out-of-range ones fail. Boolean masks are not
// supported (NotSupported). Duplicate positions without accumulate: the last write wins.
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

Error index_put_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 6, "expected 6 args: self, indices, values, accumulate, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[2], "values: expected a tensor", "values: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[4], "out: expected a tensor", "out: must be contiguous"));
  if (args[1]->tag != Tag::OptionalTensorList && args[1]->tag != Tag::TensorList) {
    return ctx.fail("indices: expected a list of optional tensors", Error::InvalidArgument);
  }
  if (!args[3]->is_bool()) return ctx.fail("accumulate: expected a bool", Error::InvalidArgument);
  const Tensor& self = args[0]->to_tensor();
  const Tensor& values = args[2]->to_tensor();
  Tensor& out = args[4]->to_tensor();
  const bool accumulate = args[3]->to_bool();
  const TensorListRef& list = args[1]->v.tl;
  if (out.dtype != self.dtype || values.dtype != self.dtype) {
    return ctx.fail("values/out: dtype must equal self's dtype", Error::InvalidArgument);
  }
  if (!is_real_or_bool(self.dtype)) return ctx.fail("self: dtype not supported", Error::NotSupported);
  if (list.size > self.dim) return ctx.fail("indices: more indices than self has dims", Error::InvalidArgument);

  // Index tensors by dim, their broadcast shape B, and where B goes in the indexed shape.
  const Tensor* index[kMaxTensorDim] = {};
  Tensor b_shape;  // sizes only (a shape holder for broadcast_shape)
  int32_t b_sizes[kMaxTensorDim];
  int b_ndim = 0;
  int first = -1, last = -1, count = 0;
  for (uint32_t d = 0; d < list.size; ++d) {
    const EValue* e = list.items[d];
    if (e->is_none()) continue;
    if (!e->is_tensor()) return ctx.fail("indices: items must be tensors or None", Error::InvalidArgument);
    const Tensor& t = e->to_tensor();
    if (t.dtype != ScalarType::Long && t.dtype != ScalarType::Int) {
      return ctx.fail("indices: only Long/Int index tensors are supported (no boolean masks)", Error::NotSupported);
    }
    if (!is_contiguous(t)) return ctx.fail("indices: must be contiguous", Error::InvalidArgument);
    index[d] = &t;
    if (count == 0) {
      b_ndim = t.dim;
      for (int k = 0; k < t.dim; ++k) b_sizes[k] = t.sizes[k];
    } else {
      b_shape.sizes = b_sizes;
      b_shape.dim = static_cast<uint8_t>(b_ndim);
      int32_t merged[kMaxTensorDim];
      if (!broadcast_shape(b_shape, t, merged, &b_ndim)) {
        return ctx.fail("indices: index tensors do not broadcast together", Error::InvalidArgument);
      }
      for (int k = 0; k < b_ndim; ++k) b_sizes[k] = merged[k];
    }
    first = first < 0 ? static_cast<int>(d) : first;
    last = static_cast<int>(d);
    ++count;
  }
  ST_TRY(resize_out(ctx, out, self.sizes, self.dim));
  if (out.data != self.data) __builtin_memcpy(out.data, self.data, self.nbytes());
  if (count == 0) {  // no index tensors: every element is written
    first = last = -1;
  }
  const bool adjacent = count > 0 && last - first + 1 == count;
  const int b_pos = adjacent ? first : 0;
  // Indexed shape: the non-indexed dims of self, with B inserted at b_pos.
  int32_t shape[kMaxTensorDim];
  int src_dim[kMaxTensorDim];  // self dim of each indexed-shape dim, or -1 for a B dim
  int ndim = 0;
  for (int d = 0; d <= self.dim; ++d) {
    if (d == b_pos && count > 0) {
      if (ndim + b_ndim > kMaxTensorDim) return ctx.fail("indices: too many dims", Error::NotSupported);
      for (int k = 0; k < b_ndim; ++k) {
        shape[ndim] = b_sizes[k];
        src_dim[ndim++] = -1;
      }
    }
    if (d < self.dim && index[d] == nullptr) {
      shape[ndim] = self.sizes[d];
      src_dim[ndim++] = d;
    }
  }
  if (!broadcasts_to(values, shape, ndim)) {
    return ctx.fail("values: shape does not broadcast to the indexed shape", Error::InvalidArgument);
  }
  int32_t self_strides[kMaxTensorDim];
  contiguous_strides(self, self_strides);
  int32_t coord[kMaxTensorDim] = {};
  uint64_t total = 1;
  for (int k = 0; k < ndim; ++k) total *= static_cast<uint64_t>(shape[k]);
  const size_t esize = element_size(self.dtype);
  StridedIndex vi(values, shape, ndim);
  for (uint64_t n = 0; n < total; ++n) {
    // Coordinate in B (the B dims of coord, in order) -> element offset in each index tensor.
    size_t offset = 0;
    for (int k = 0; k < ndim; ++k) {
      if (src_dim[k] >= 0) offset += static_cast<size_t>(coord[k]) * static_cast<size_t>(self_strides[src_dim[k]]);
    }
    for (int d = 0; d < self.dim; ++d) {
      const Tensor* t = index[d];
      if (t == nullptr) continue;
      // Broadcast t against B: its dims align with the last t->dim dims of B.
      size_t ti = 0;
      int32_t stride = 1;
      for (int k = t->dim - 1; k >= 0; --k) {
        const int32_t c = t->sizes[k] == 1 ? 0 : coord[b_pos + (b_ndim - t->dim) + k];
        ti += static_cast<size_t>(c) * static_cast<size_t>(stride);
        stride *= t->sizes[k];
      }
      int64_t pos = t->dtype == ScalarType::Long ? t->data_as<int64_t>()[ti] : t->data_as<int32_t>()[ti];
      if (pos < 0) pos += self.sizes[d];
      if (pos < 0 || pos >= self.sizes[d]) return ctx.fail("indices: index out of range", Error::InvalidArgument);
      offset += static_cast<size_t>(pos) * static_cast<size_t>(self_strides[d]);
    }
    if (accumulate) {
      if (is_floating(self.dtype)) {
        store_double(out.data, out.dtype, offset, load_double(out.data, out.dtype, offset) + load_double(values.data, values.dtype, vi.offset));
      } else {
        const uint64_t s = static_cast<uint64_t>(load_int(out.data, out.dtype, offset)) + static_cast<uint64_t>(load_int(values.data, values.dtype, vi.offset));
        store_int(out.data, out.dtype, offset, self.dtype == ScalarType::Bool ? (s != 0) : static_cast<int64_t>(s));
      }
    } else {
      copy_element(out.data, offset, values.data, vi.offset, esize);
    }
    vi.next();
    for (int k = ndim - 1; k >= 0; --k) {  // next coordinate, row-major
      if (++coord[k] < shape[k]) break;
      coord[k] = 0;
    }
  }
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
