// Advanced indexing and index_select, any real dtype or Bool (gather: op_scatter.cpp):
// aten::index.Tensor_out(Tensor self, Tensor?[] indices, *, Tensor(a!) out) -> Tensor(a!)
//   args: [self, indices, out, return]; out = self[indices].
// aten::index_put.out(Tensor self, Tensor?[] indices, Tensor values, bool accumulate=False, *,
//     Tensor(a!) out) -> Tensor(a!)   args: [self, indices, values, accumulate, out, return]
//   out = self, then out[indices] = values (or += with accumulate). What `x[idx] = v` becomes
//   after export (a KV cache written at positions `idx`).
// aten::index_put_(Tensor(a!) self, Tensor?[] indices, Tensor values, bool accumulate=False)
//     -> Tensor(a!)                    args: [self, indices, values, accumulate, return]
//   the same, written into self.
// aten::index_select.out(Tensor self, int dim, Tensor index, *, Tensor(a!) out) -> Tensor(a!)
//   args: [self, dim, index, out, return]; index 0-D or 1-D.
//
// Indices (advanced indexing, PyTorch's rules): Long or Int tensors, None for a whole
// dimension, Bool masks (a k-D mask covers k dims of self, whose sizes it must match, and
// stands for the positions of its true elements). The index tensors broadcast together to
// a shape B. When the indexed dims are adjacent, B replaces them in place; otherwise B comes
// first. Negative indices count from the end here (not in index_select, as in PyTorch);
// out-of-range ones fail naming `indices` / `index`. Duplicate positions in index_put
// without accumulate: the last write wins. Byte (uint8) masks, deprecated in PyTorch, are
// not accepted.
// Every kernel copies contiguous runs as blocks (the dims after the indexed ones), so the
// row gathers of an embedding-like index are one memcpy per row.
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

namespace {

// One entry of `indices` that is not None.
struct IndexSlot {
  const Tensor* t;
  int self_dim;          // first dim of self it indexes
  int span;              // dims of self it covers: 1, or a mask's dim
  bool mask;
  const int32_t* sizes;  // its shape in B terms: t's sizes, or {nnz} for a mask
  int ndim;
  int32_t nnz;           // mask: number of true elements
  int64_t seen_rank;     // mask lookup cache: rank of the true element at seen_flat (-1: none)
  size_t seen_flat;
};

// Where self[indices] reads: the indexed shape (= the result's shape of index.Tensor) and
// for each of its dims the self dim it walks (-1 for a dim of B).
struct IndexPlan {
  IndexSlot slots[kMaxTensorDim];
  int nslots;
  int32_t b_sizes[kMaxTensorDim];
  int b_ndim;
  int b_pos;  // first dim of B in the indexed shape
  int32_t shape[kMaxTensorDim];
  int src_dim[kMaxTensorDim];
  int ndim;
  int outer_ndim;  // shape[outer_ndim..ndim) are self's last dims: one contiguous block
  size_t block;    // elements per block
  int32_t self_strides[kMaxTensorDim];
};

Error plan_index(KernelContext& ctx, const Tensor& self, const EValue* indices, IndexPlan* p) {
  if (indices == nullptr || (indices->tag != Tag::OptionalTensorList && indices->tag != Tag::TensorList)) {
    return ctx.fail("indices: expected a list of optional tensors", Error::InvalidArgument);
  }
  const TensorListRef& list = indices->v.tl;
  bool covered[kMaxTensorDim] = {};
  Tensor b_shape;  // sizes only (a shape holder for broadcast_shape)
  p->nslots = 0;
  p->b_ndim = 0;
  int d = 0;  // next dim of self
  for (uint32_t i = 0; i < list.size; ++i) {
    const EValue* e = list.items[i];
    if (e == nullptr || e->is_none()) {
      if (++d > self.dim) return ctx.fail("indices: more indices than self has dims", Error::InvalidArgument);
      continue;
    }
    if (!e->is_tensor() || e->v.t == nullptr) {
      return ctx.fail("indices: items must be tensors or None", Error::InvalidArgument);
    }
    // (a 0-dim mask covers no dim, so d alone does not bound the slot count)
    if (p->nslots >= kMaxTensorDim) return ctx.fail("indices: more index tensors than kMaxTensorDim", Error::NotSupported);
    const Tensor& t = e->to_tensor();
    if (!is_contiguous(t) || t.dim > kMaxTensorDim) return ctx.fail("indices: must be contiguous", Error::NotSupported);
    IndexSlot& s = p->slots[p->nslots];
    s.t = &t;
    s.self_dim = d;
    s.seen_rank = -1;
    s.seen_flat = 0;
    if (t.dtype == ScalarType::Bool) {
      s.mask = true;
      s.span = t.dim;
      if (d + t.dim > self.dim) return ctx.fail("indices: more indices than self has dims", Error::InvalidArgument);
      for (int k = 0; k < t.dim; ++k) {
        if (t.sizes[k] != self.sizes[d + k]) {
          return ctx.fail("indices: a boolean mask's shape must match the dims of self it indexes",
                          Error::InvalidArgument);
        }
      }
      const uint8_t* m = t.data_as<uint8_t>();
      int32_t nnz = 0;
      for (uint32_t k = 0; k < t.numel; ++k) nnz += m[k] != 0 ? 1 : 0;
      s.nnz = nnz;
      s.sizes = &s.nnz;
      s.ndim = 1;
    } else if (is_index_dtype(t.dtype)) {
      s.mask = false;
      s.span = 1;
      if (d >= self.dim) return ctx.fail("indices: more indices than self has dims", Error::InvalidArgument);
      s.sizes = t.sizes;
      s.ndim = t.dim;
    } else {
      return ctx.fail("indices: index tensors must be Long, Int or Bool", Error::NotSupported);
    }
    // B = the broadcast of every slot's shape.
    b_shape.sizes = p->b_sizes;
    b_shape.dim = static_cast<uint8_t>(p->b_ndim);
    Tensor slot_shape;
    slot_shape.sizes = const_cast<int32_t*>(s.sizes);
    slot_shape.dim = static_cast<uint8_t>(s.ndim);
    int32_t merged[kMaxTensorDim];
    int merged_ndim = 0;
    if (p->nslots == 0) {
      merged_ndim = s.ndim;
      for (int k = 0; k < s.ndim; ++k) merged[k] = s.sizes[k];
    } else if (!broadcast_shape(b_shape, slot_shape, merged, &merged_ndim)) {
      return ctx.fail("indices: index tensors do not broadcast together", Error::InvalidArgument);
    }
    p->b_ndim = merged_ndim;
    for (int k = 0; k < merged_ndim; ++k) p->b_sizes[k] = merged[k];
    for (int k = 0; k < s.span; ++k) covered[d + k] = true;
    d += s.span;
    ++p->nslots;
  }
  bool adjacent = true;
  for (int i = 1; i < p->nslots; ++i) {
    if (p->slots[i].self_dim != p->slots[i - 1].self_dim + p->slots[i - 1].span) adjacent = false;
  }
  p->b_pos = p->nslots > 0 && adjacent ? p->slots[0].self_dim : 0;
  // The indexed shape: self's dims that no slot covers, with B inserted at b_pos.
  p->ndim = 0;
  for (int k = 0; k <= self.dim; ++k) {
    if (k == p->b_pos && p->nslots > 0) {
      if (p->ndim + p->b_ndim > kMaxTensorDim) return ctx.fail("indices: result has too many dims", Error::NotSupported);
      for (int j = 0; j < p->b_ndim; ++j) {
        p->shape[p->ndim] = p->b_sizes[j];
        p->src_dim[p->ndim++] = -1;
      }
    }
    if (k < self.dim && !covered[k]) {
      if (p->ndim >= kMaxTensorDim) return ctx.fail("indices: result has too many dims", Error::NotSupported);
      p->shape[p->ndim] = self.sizes[k];
      p->src_dim[p->ndim++] = k;
    }
  }
  // Trailing dims that are self's own last dims, in order: contiguous in self and result.
  p->outer_ndim = p->ndim;
  p->block = 1;
  while (p->outer_ndim > 0 && p->src_dim[p->outer_ndim - 1] == self.dim - (p->ndim - p->outer_ndim + 1)) {
    --p->outer_ndim;
    p->block *= static_cast<size_t>(p->shape[p->outer_ndim]);
  }
  contiguous_strides(self, p->self_strides);
  return Error::Ok;
}

// Flat position in mask `s` of its true element number `rank` (< nnz). Scans forward from
// the last lookup, so walking B in order costs one pass over the mask.
size_t mask_position(IndexSlot& s, int64_t rank) {
  const uint8_t* m = s.t->data_as<uint8_t>();
  int64_t r = s.seen_rank;
  size_t f = s.seen_flat;
  if (r >= 0 && rank == r) return f;
  if (r < 0 || rank < r) {
    r = -1;
    f = 0;
  } else {
    ++f;
  }
  for (; f < s.t->numel; ++f) {
    if (m[f] != 0 && ++r == rank) break;
  }
  s.seen_rank = r;
  s.seen_flat = f;
  return f;
}

// Element offset in self of the block at outer coordinate coord[0..outer_ndim).
Error index_offset(KernelContext& ctx, IndexPlan& p, const Tensor& self, const int32_t* coord, size_t* offset) {
  size_t off = 0;
  for (int k = 0; k < p.outer_ndim; ++k) {
    if (p.src_dim[k] >= 0) off += static_cast<size_t>(coord[k]) * static_cast<size_t>(p.self_strides[p.src_dim[k]]);
  }
  for (int i = 0; i < p.nslots; ++i) {
    IndexSlot& s = p.slots[i];
    // The slot's element for this B coordinate: its dims align with B's last dims.
    size_t ti = 0;
    size_t stride = 1;
    for (int k = s.ndim - 1; k >= 0; --k) {
      const int32_t c = s.sizes[k] == 1 ? 0 : coord[p.b_pos + (p.b_ndim - s.ndim) + k];
      ti += static_cast<size_t>(c) * stride;
      stride *= static_cast<size_t>(s.sizes[k]);
    }
    if (s.mask) {
      // A mask covers consecutive dims of contiguous self: its flat position times the
      // stride of its last dim is the offset.
      if (s.span > 0) {
        off += mask_position(s, static_cast<int64_t>(ti)) * static_cast<size_t>(p.self_strides[s.self_dim + s.span - 1]);
      }
      continue;
    }
    const int32_t n = self.sizes[s.self_dim];
    int64_t pos = index_at(*s.t, ti);
    if (pos < 0) pos += n;
    if (pos < 0 || pos >= n) return ctx.fail("indices: index out of range for self", Error::InvalidArgument);
    off += static_cast<size_t>(pos) * static_cast<size_t>(p.self_strides[s.self_dim]);
  }
  *offset = off;
  return Error::Ok;
}

// Advances coord over sizes[0..ndim) in row-major order.
void next_coord(int32_t* coord, const int32_t* sizes, int ndim) {
  for (int k = ndim - 1; k >= 0; --k) {
    if (++coord[k] < sizes[k]) return;
    coord[k] = 0;
  }
}

// Copies a block of n elements of esize bytes: a single element (indexing the last dim)
// without a memcpy call.
void copy_block(uint8_t* dst, const uint8_t* src, size_t n, size_t esize) {
  if (n == 1) {
    copy_element(dst, 0, src, 0, esize);
  } else {
    __builtin_memcpy(dst, src, n * esize);
  }
}

size_t outer_count(const IndexPlan& p) {
  size_t n = 1;
  for (int k = 0; k < p.outer_ndim; ++k) n *= static_cast<size_t>(p.shape[k]);
  return n;
}

// out = self, out[indices] = values (+= when accumulate); out may be self.
Error index_put_into(KernelContext& ctx, const Tensor& self, const EValue* indices, const Tensor& values,
                     bool accumulate, Tensor& out) {
  if (out.dtype != self.dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  if (values.dtype != self.dtype) return ctx.fail("values: dtype must equal self's dtype", Error::InvalidArgument);
  if (!is_real_or_bool(self.dtype)) return ctx.fail("self: dtype not supported", Error::NotSupported);
  IndexPlan p;
  ST_TRY(plan_index(ctx, self, indices, &p));
  if (!broadcasts_to(values, p.shape, p.ndim)) {
    return ctx.fail("values: shape does not broadcast to the indexed shape", Error::InvalidArgument);
  }
  ST_TRY(resize_out(ctx, out, self.sizes, self.dim));
  if (out.data != self.data) __builtin_memcpy(out.data, self.data, self.nbytes());
  const size_t n_outer = outer_count(p);
  if (n_outer == 0 || p.block == 0) return Error::Ok;
  const size_t esize = element_size(self.dtype);
  // values with the indexed shape itself (no broadcast): its blocks are contiguous too.
  bool values_full = values.dim == p.ndim;
  for (int k = 0; values_full && k < p.ndim; ++k) values_full = values.sizes[k] == p.shape[k];
  StridedIndex vi(values, p.shape, p.ndim);
  int32_t coord[kMaxTensorDim] = {};
  uint8_t* dst = static_cast<uint8_t*>(out.data);
  for (size_t n = 0; n < n_outer; ++n) {
    size_t off = 0;
    ST_TRY(index_offset(ctx, p, self, coord, &off));
    if (values_full && !accumulate) {
      copy_block(dst + off * esize, static_cast<const uint8_t*>(values.data) + n * p.block * esize, p.block, esize);
    } else {
      for (size_t j = 0; j < p.block; ++j) {
        if (accumulate) {
          add_element(out.data, off + j, values.data, vi.offset, self.dtype);
        } else {
          copy_element(out.data, off + j, values.data, vi.offset, esize);
        }
        vi.next();
      }
    }
    next_coord(coord, p.shape, p.outer_ndim);
  }
  return Error::Ok;
}

Error index_put_checks(KernelContext& ctx, EValue** args) {
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[2], "values: expected a tensor", "values: must be contiguous"));
  if (!args[3]->is_bool()) return ctx.fail("accumulate: expected a bool", Error::InvalidArgument);
  return Error::Ok;
}

// A dim argument against self (0-dim self takes 0 and -1).
Error dim_arg(KernelContext& ctx, const EValue* v, const Tensor& self, int* dim) {
  if (!v->is_int()) return ctx.fail("dim: expected an int", Error::InvalidArgument);
  if (!normalize_dim(v->to_int(), self.dim, dim)) return ctx.fail("dim: out of range for self", Error::InvalidArgument);
  return Error::Ok;
}

Error index_tensor_arg(KernelContext& ctx, const EValue* v, Tensor** out) {
  ST_TRY(check_tensor(ctx, v, "index: expected a tensor", "index: must be contiguous"));
  *out = &v->to_tensor();
  if (!is_index_dtype((*out)->dtype)) return ctx.fail("index: must be Long or Int", Error::InvalidArgument);
  return Error::Ok;
}

}  // namespace

Error index_Tensor_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: self, indices, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[2], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& self = args[0]->to_tensor();
  Tensor& out = args[2]->to_tensor();
  if (out.dtype != self.dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  if (!is_real_or_bool(self.dtype)) return ctx.fail("self: dtype not supported", Error::NotSupported);
  IndexPlan p;
  ST_TRY(plan_index(ctx, self, args[1], &p));
  ST_TRY(resize_out(ctx, out, p.shape, p.ndim));
  const size_t n_outer = outer_count(p);
  if (n_outer == 0 || p.block == 0) return Error::Ok;
  const size_t esize = element_size(self.dtype);
  const size_t row = p.block * esize;
  int32_t coord[kMaxTensorDim] = {};
  for (size_t n = 0; n < n_outer; ++n) {
    size_t off = 0;
    ST_TRY(index_offset(ctx, p, self, coord, &off));
    copy_block(static_cast<uint8_t*>(out.data) + n * row, static_cast<const uint8_t*>(self.data) + off * esize, p.block,
               esize);
    next_coord(coord, p.shape, p.outer_ndim);
  }
  return Error::Ok;
}

Error index_put_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 6, "expected 6 args: self, indices, values, accumulate, out, return value"));
  ST_TRY(index_put_checks(ctx, args));
  ST_TRY(check_tensor(ctx, args[4], "out: expected a tensor", "out: must be contiguous"));
  return index_put_into(ctx, args[0]->to_tensor(), args[1], args[2]->to_tensor(), args[3]->to_bool(),
                        args[4]->to_tensor());
}

Error index_put_(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 5, "expected 5 args: self, indices, values, accumulate, return value"));
  ST_TRY(index_put_checks(ctx, args));
  Tensor& self = args[0]->to_tensor();
  return index_put_into(ctx, self, args[1], args[2]->to_tensor(), args[3]->to_bool(), self);
}

Error index_select_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 5, "expected 5 args: self, dim, index, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[3], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& self = args[0]->to_tensor();
  Tensor& out = args[3]->to_tensor();
  int dim = 0;
  ST_TRY(dim_arg(ctx, args[1], self, &dim));
  Tensor* index = nullptr;
  ST_TRY(index_tensor_arg(ctx, args[2], &index));
  if (index->dim > 1) return ctx.fail("index: must be 0-D or 1-D", Error::InvalidArgument);
  if (out.dtype != self.dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  if (!is_real_or_bool(self.dtype)) return ctx.fail("self: dtype not supported", Error::NotSupported);
  int32_t sizes[kMaxTensorDim];
  for (int d = 0; d < self.dim; ++d) sizes[d] = self.sizes[d];
  if (self.dim == 0) {
    if (index->numel != 1) return ctx.fail("index: a 0-dim self takes exactly one index", Error::InvalidArgument);
  } else {
    sizes[dim] = static_cast<int32_t>(index->numel);
  }
  ST_TRY(resize_out(ctx, out, sizes, self.dim));
  const int32_t n = self.dim == 0 ? 1 : self.sizes[dim];
  size_t outer = 1, inner = 1;
  for (int d = 0; d < self.dim; ++d) {
    if (d < dim) outer *= static_cast<size_t>(self.sizes[d]);
    if (d > dim) inner *= static_cast<size_t>(self.sizes[d]);
  }
  const size_t esize = element_size(self.dtype);
  const size_t row = inner * esize;
  const uint8_t* src = static_cast<const uint8_t*>(self.data);
  uint8_t* dst = static_cast<uint8_t*>(out.data);
  for (size_t o = 0; o < outer; ++o) {
    for (uint32_t i = 0; i < index->numel; ++i) {
      const int64_t pos = index_at(*index, i);
      if (pos < 0 || pos >= n) return ctx.fail("index: out of range for self's dim", Error::InvalidArgument);
      copy_block(dst, src + (o * static_cast<size_t>(n) + static_cast<size_t>(pos)) * row, inner, esize);
      dst += row;
    }
  }
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
