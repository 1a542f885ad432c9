// Gather and the scatters (out = self with some positions overwritten), any real dtype or Bool.
// aten::gather.out(Tensor self, int dim, Tensor index, *, bool sparse_grad=False,
//     Tensor(a!) out) -> Tensor(a!)    args: [self, dim, index, sparse_grad, out, return]
//   out[i][j][k] = self[i][index[i][j][k]][k] (dim = 1); out has index's shape.
// aten::scatter.src_out(Tensor self, int dim, Tensor index, Tensor src, *, Tensor(a!) out)
//   args: [self, dim, index, src, out, return]; out[i][index[i][j][k]][k] = src[i][j][k]
//   (dim = 1) for every element of index (Long or Int, as many dims as self; no larger than
//   src in any dim, nor than self outside dim). Duplicate positions: the last write wins.
// aten::scatter.value_out(Tensor self, int dim, Tensor index, Scalar value, *, Tensor(a!) out)
//   args: [self, dim, index, value, out, return]; the same with one value.
// aten::scatter_add.out(Tensor self, int dim, Tensor index, Tensor src, *, Tensor(a!) out)
//   the same, adding (integers wrap, Bool is logical or).
// aten::select_scatter.out(Tensor self, Tensor src, int dim, SymInt index, *, Tensor(a!) out)
//   args: [self, src, dim, index, out, return]; out.select(dim, index) = src.
// aten::slice_scatter.out(Tensor self, Tensor src, int dim=0, SymInt? start=None,
//     SymInt? end=None, SymInt step=1, *, Tensor(a!) out)
//   args: [self, src, dim, start, end, step, out, return]; out[start:end:step] (along dim) = src,
//   start/end clamped as slice_copy does.
// aten::masked_scatter.out(Tensor self, Tensor mask, Tensor source, *, Tensor(a!) out)
//   args: [self, mask, source, out, return]; self and mask (Bool) broadcast to out's shape;
//   where mask is true out takes source's next element (row-major), else self's.
// Indices out of range fail naming `index`; negative ones are out of range (as in PyTorch).
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

namespace {

enum class ScatterMode { Src, Value, Add };

// out = self (same dtype and shape), the common start of every scatter.
Error copy_self_to_out(KernelContext& ctx, const Tensor& self, Tensor& out) {
  if (out.dtype != self.dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  if (!is_real_or_bool(self.dtype)) return ctx.fail("self: dtype not supported", Error::NotSupported);
  ST_TRY(resize_out(ctx, out, self.sizes, self.dim));
  if (out.data != self.data) __builtin_memcpy(out.data, self.data, self.nbytes());
  return Error::Ok;
}

// Shape of t with a 0-dim tensor as 1-D of size 1 (PyTorch's rule for gather/scatter).
void dims_of(const Tensor& t, int32_t* sizes) {
  if (t.dim == 0) sizes[0] = 1;
  for (int d = 0; d < t.dim; ++d) sizes[d] = t.sizes[d];
}

void strides_of(const int32_t* sizes, int nd, int32_t* strides) {
  int32_t s = 1;
  for (int d = nd - 1; d >= 0; --d) {
    strides[d] = s;
    s *= sizes[d];
  }
}

// How gather and scatter address self: index (Long or Int, as many dims as self, no larger
// than self outside dim) walks its own shape; element i sits at self offset
// walk.offset + index[i] * dim_stride (sstrides has 0 at dim).
struct DimWalk {
  const Tensor* index;
  int nd;
  int dim;
  int32_t n;  // self's size along dim
  size_t dim_stride;
  int32_t isizes[kMaxTensorDim];
  int32_t sstrides[kMaxTensorDim];
};

Error plan_dim_walk(KernelContext& ctx, const Tensor& self, const EValue* dim_arg, const EValue* index_arg,
                    DimWalk* w) {
  if (!dim_arg->is_int()) return ctx.fail("dim: expected an int", Error::InvalidArgument);
  if (!normalize_dim(dim_arg->to_int(), self.dim, &w->dim)) return ctx.fail("dim: out of range for self", Error::InvalidArgument);
  ST_TRY(check_tensor(ctx, index_arg, "index: expected a tensor", "index: must be contiguous"));
  const Tensor& index = index_arg->to_tensor();
  w->index = &index;
  if (!is_index_dtype(index.dtype)) return ctx.fail("index: must be Long or Int", Error::InvalidArgument);
  w->nd = self.dim == 0 ? 1 : self.dim;
  if ((index.dim == 0 ? 1 : index.dim) != w->nd) return ctx.fail("index: must have as many dims as self", Error::InvalidArgument);
  int32_t ssizes[kMaxTensorDim];
  dims_of(index, w->isizes);
  dims_of(self, ssizes);
  for (int d = 0; d < w->nd; ++d) {
    if (d != w->dim && w->isizes[d] > ssizes[d]) return ctx.fail("index: larger than self outside dim", Error::InvalidArgument);
  }
  strides_of(ssizes, w->nd, w->sstrides);
  w->n = ssizes[w->dim];
  w->dim_stride = static_cast<size_t>(w->sstrides[w->dim]);
  w->sstrides[w->dim] = 0;
  return Error::Ok;
}

// Self offset of index element i (it: the walk's StridedIndex at i); fails when out of range.
Error dim_walk_offset(KernelContext& ctx, const DimWalk& w, const StridedIndex& it, uint32_t i, size_t* offset) {
  const int64_t pos = index_at(*w.index, i);
  if (pos < 0 || pos >= w.n) return ctx.fail("index: out of range for self's dim", Error::InvalidArgument);
  *offset = it.offset + static_cast<size_t>(pos) * w.dim_stride;
  return Error::Ok;
}

Error scatter(KernelContext& ctx, EValue** args, size_t nargs, ScatterMode mode) {
  ST_TRY(check_nargs(ctx, nargs, 6, "expected 6 args: self, dim, index, src/value, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[4], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& self = args[0]->to_tensor();
  Tensor& out = args[4]->to_tensor();
  DimWalk w;
  ST_TRY(plan_dim_walk(ctx, self, args[1], args[2], &w));
  const Tensor* src = nullptr;
  uint64_t value_bits = 0;  // scatter.value: the value in self's dtype
  int32_t rstrides[kMaxTensorDim];
  if (mode == ScatterMode::Value) {
    const EValue* v = args[3];
    if (v->is_double()) {
      store_double(&value_bits, self.dtype, 0, v->to_double());
    } else if (v->is_int() || v->is_bool()) {
      store_int(&value_bits, self.dtype, 0, v->is_int() ? v->to_int() : (v->to_bool() ? 1 : 0));
    } else {
      return ctx.fail("value: expected a number", Error::InvalidArgument);
    }
  } else {
    ST_TRY(check_tensor(ctx, args[3], "src: expected a tensor", "src: must be contiguous"));
    src = &args[3]->to_tensor();
    if (src->dtype != self.dtype) return ctx.fail("src: dtype must equal self's dtype", Error::InvalidArgument);
    if ((src->dim == 0 ? 1 : src->dim) != w.nd) return ctx.fail("src: must have as many dims as self", Error::InvalidArgument);
    int32_t rsizes[kMaxTensorDim];
    dims_of(*src, rsizes);
    for (int d = 0; d < w.nd; ++d) {
      if (w.isizes[d] > rsizes[d]) return ctx.fail("index: larger than src", Error::InvalidArgument);
    }
    strides_of(rsizes, w.nd, rstrides);
  }
  ST_TRY(copy_self_to_out(ctx, self, out));
  StridedIndex oi(w.isizes, w.sstrides, w.nd);
  StridedIndex ri(w.isizes, src != nullptr ? rstrides : w.sstrides, w.nd);
  const size_t esize = element_size(self.dtype);
  for (uint32_t i = 0; i < w.index->numel; ++i) {
    size_t o = 0;
    ST_TRY(dim_walk_offset(ctx, w, oi, i, &o));
    if (mode == ScatterMode::Value) {
      copy_element(out.data, o, &value_bits, 0, esize);
    } else if (mode == ScatterMode::Add) {
      add_element(out.data, o, src->data, ri.offset, self.dtype);
    } else {
      copy_element(out.data, o, src->data, ri.offset, esize);
    }
    oi.next();
    ri.next();
  }
  return Error::Ok;
}

// Writes contiguous src into out's window base + (sizes, strides) (elements), row by row.
void store_window(Tensor& out, size_t base, const int32_t* sizes, const int32_t* strides, int ndim, const Tensor& src) {
  if (src.numel == 0) return;
  const size_t esize = element_size(out.dtype);
  StridedIndex it(sizes, strides, ndim);
  for (uint32_t i = 0; i < src.numel; ++i) {
    copy_element(out.data, base + it.offset, src.data, i, esize);
    it.next();
  }
}

// src must have exactly the window's shape sizes[0..ndim).
Error check_src_shape(KernelContext& ctx, const Tensor& src, const int32_t* sizes, int ndim) {
  bool ok = src.dim == ndim;
  for (int d = 0; ok && d < ndim; ++d) ok = src.sizes[d] == sizes[d];
  return ok ? Error::Ok : ctx.fail("src: shape must equal the shape of the slice of self it replaces", Error::InvalidArgument);
}

Error scatter_prologue(KernelContext& ctx, EValue** args, size_t out_i, const Tensor** self, const Tensor** src,
                       Tensor** out, int* dim) {
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[1], "src: expected a tensor", "src: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[out_i], "out: expected a tensor", "out: must be contiguous"));
  *self = &args[0]->to_tensor();
  *src = &args[1]->to_tensor();
  *out = &args[out_i]->to_tensor();
  if ((*src)->dtype != (*self)->dtype) return ctx.fail("src: dtype must equal self's dtype", Error::InvalidArgument);
  if (!args[2]->is_int()) return ctx.fail("dim: expected an int", Error::InvalidArgument);
  if ((*self)->dim == 0 || !normalize_dim(args[2]->to_int(), (*self)->dim, dim)) {
    return ctx.fail("dim: out of range for self", Error::InvalidArgument);
  }
  return Error::Ok;
}

}  // namespace

Error gather_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 6, "expected 6 args: self, dim, index, sparse_grad, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[4], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& self = args[0]->to_tensor();
  Tensor& out = args[4]->to_tensor();
  DimWalk w;
  ST_TRY(plan_dim_walk(ctx, self, args[1], args[2], &w));
  if (!args[3]->is_bool()) return ctx.fail("sparse_grad: expected a bool", Error::InvalidArgument);
  if (out.dtype != self.dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  if (!is_real_or_bool(self.dtype)) return ctx.fail("self: dtype not supported", Error::NotSupported);
  ST_TRY(resize_out(ctx, out, w.index->sizes, w.index->dim));
  StridedIndex it(w.isizes, w.sstrides, w.nd);
  const size_t esize = element_size(self.dtype);
  const bool f32 = self.dtype == ScalarType::Float;
  for (uint32_t i = 0; i < w.index->numel; ++i) {
    size_t src = 0;
    ST_TRY(dim_walk_offset(ctx, w, it, i, &src));
    if (f32) {
      out.data_as<float>()[i] = self.data_as<float>()[src];
    } else {
      copy_element(out.data, i, self.data, src, esize);
    }
    it.next();
  }
  return Error::Ok;
}

Error scatter_src_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return scatter(ctx, args, nargs, ScatterMode::Src);
}

Error scatter_value_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return scatter(ctx, args, nargs, ScatterMode::Value);
}

Error scatter_add_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return scatter(ctx, args, nargs, ScatterMode::Add);
}

Error select_scatter_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 6, "expected 6 args: self, src, dim, index, out, return value"));
  const Tensor* self = nullptr;
  const Tensor* src = nullptr;
  Tensor* out = nullptr;
  int dim = 0;
  ST_TRY(scatter_prologue(ctx, args, 4, &self, &src, &out, &dim));
  if (!args[3]->is_int()) return ctx.fail("index: expected an int", Error::InvalidArgument);
  int64_t index = args[3]->to_int();
  const int32_t n = self->sizes[dim];
  if (index < 0) index += n;
  if (index < 0 || index >= n) return ctx.fail("index: out of range for self's dim", Error::InvalidArgument);
  int32_t strides[kMaxTensorDim], sizes[kMaxTensorDim], wstrides[kMaxTensorDim];
  contiguous_strides(*self, strides);
  int nd = 0;
  for (int d = 0; d < self->dim; ++d) {
    if (d == dim) continue;
    sizes[nd] = self->sizes[d];
    wstrides[nd++] = strides[d];
  }
  ST_TRY(check_src_shape(ctx, *src, sizes, nd));
  ST_TRY(copy_self_to_out(ctx, *self, *out));
  store_window(*out, static_cast<size_t>(index) * static_cast<size_t>(strides[dim]), sizes, wstrides, nd, *src);
  return Error::Ok;
}

Error slice_scatter_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 8, "expected 8 args: self, src, dim, start, end, step, out, return value"));
  const Tensor* self = nullptr;
  const Tensor* src = nullptr;
  Tensor* out = nullptr;
  int dim = 0;
  ST_TRY(scatter_prologue(ctx, args, 6, &self, &src, &out, &dim));
  if (!args[5]->is_int() || args[5]->to_int() <= 0) return ctx.fail("step: must be a positive int", Error::InvalidArgument);
  const int64_t step = args[5]->to_int();
  const int64_t size = self->sizes[dim];
  int64_t se[2] = {0, size};
  for (int i = 0; i < 2; ++i) {
    const EValue* v = args[3 + i];
    if (v->is_none()) continue;
    if (!v->is_int()) {
      return ctx.fail(i == 0 ? "start: expected an int or None" : "end: expected an int or None", Error::InvalidArgument);
    }
    int64_t s = v->to_int();
    if (s < 0) s += size;
    se[i] = s < 0 ? 0 : (s > size ? size : s);
  }
  const int32_t len = se[1] > se[0] ? static_cast<int32_t>((se[1] - se[0] + step - 1) / step) : 0;
  int32_t strides[kMaxTensorDim], sizes[kMaxTensorDim];
  contiguous_strides(*self, strides);
  for (int d = 0; d < self->dim; ++d) sizes[d] = self->sizes[d];
  sizes[dim] = len;
  ST_TRY(check_src_shape(ctx, *src, sizes, self->dim));
  ST_TRY(copy_self_to_out(ctx, *self, *out));
  const size_t base = static_cast<size_t>(se[0]) * static_cast<size_t>(strides[dim]);
  strides[dim] = static_cast<int32_t>(strides[dim] * step);
  store_window(*out, base, sizes, strides, self->dim, *src);
  return Error::Ok;
}

Error masked_scatter_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 5, "expected 5 args: self, mask, source, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[1], "mask: expected a tensor", "mask: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[2], "source: expected a tensor", "source: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[3], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& self = args[0]->to_tensor();
  const Tensor& mask = args[1]->to_tensor();
  const Tensor& source = args[2]->to_tensor();
  Tensor& out = args[3]->to_tensor();
  if (source.dtype != self.dtype) return ctx.fail("source: dtype must equal self's dtype", Error::InvalidArgument);
  if (out.dtype != self.dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  if (!is_real_or_bool(self.dtype)) return ctx.fail("self: dtype not supported", Error::NotSupported);
  int32_t sizes[kMaxTensorDim];
  int ndim = 0;
  size_t total = 0;
  uint64_t count = 0;
  ST_TRY(broadcast_mask(ctx, self, mask, sizes, &ndim, &total, &count));
  const uint8_t* m = mask.data_as<uint8_t>();
  if (count > source.numel) {
    return ctx.fail("source: has fewer elements than mask has true elements", Error::InvalidArgument);
  }
  ST_TRY(resize_out(ctx, out, sizes, ndim));
  if (out.data == self.data && !same_shape(out, self)) {
    return ctx.fail("out: cannot alias a self that broadcasts", Error::InvalidArgument);
  }
  StridedIndex mi(mask, sizes, ndim);
  StridedIndex si(self, sizes, ndim);
  const size_t esize = element_size(self.dtype);
  size_t k = 0;
  for (size_t i = 0; i < total; ++i) {
    if (m[mi.offset] != 0) {
      copy_element(out.data, i, source.data, k++, esize);
    } else {
      copy_element(out.data, i, self.data, si.offset, esize);
    }
    mi.next();
    si.next();
  }
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
