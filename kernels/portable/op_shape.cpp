// Shape and layout ops: copies of self with another shape or another element order.
// Any dtype the runtime knows (elements are copied by size); out's dtype equals self's.
//
// Plain copies, args [self, out, return]:
//   aten::alias_copy.out, aten::detach_copy.out, aten::lift_fresh_copy.out
//   et_copy::_h2d_copy.out, et_copy::_d2h_copy.out (host <-> device: one memory here)
// Same elements, another shape (a byte copy):
//   aten::squeeze_copy.dim_out(Tensor self, int dim, *, Tensor(a!) out)      [self, dim, out, return]
//   aten::squeeze_copy.dims_out(Tensor self, int[] dim, *, Tensor(a!) out)   [self, dim, out, return]
//   aten::unsqueeze_copy.out(Tensor self, int dim, *, Tensor(a!) out)        [self, dim, out, return]
// Views of self copied out with strided_copy (util.h), each described by sizes, element
// strides and an element offset into self:
//   aten::t_copy.out(Tensor self, *, Tensor(a!) out)                          [self, out, return]
//   aten::transpose_copy.int_out(Tensor self, int dim0, int dim1, *, Tensor(a!) out)
//   aten::as_strided_copy.out(Tensor self, SymInt[] size, SymInt[] stride, SymInt? storage_offset=None,
//       *, Tensor(a!) out)   self's own elements are the storage (self is contiguous, offset 0)
//   aten::unbind_copy.int_out(Tensor self, int dim=0, *, Tensor(a!)[] out) -> ()
//   aten::split_copy.Tensor_out(Tensor self, SymInt split_size, int dim=0, *, Tensor(a!)[] out) -> ()
//   aten::repeat.out(Tensor self, SymInt[] repeats, *, Tensor(a!) out)
// And one that interleaves several inputs (cat's block copy):
//   aten::stack.out(Tensor[] tensors, int dim=0, *, Tensor(a!) out)   every dtype equals out's
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

namespace {

// Copies the view of `self` with sizes/strides[0..ndim) (elements) starting at element
// `offset` into contiguous `dst`. The caller checked that the view stays inside self.
void copy_view(const Tensor& self, const int32_t* sizes, const int32_t* strides, int ndim, size_t offset,
               void* dst) {
  const size_t esize = element_size(self.dtype);
  strided_copy(dst, static_cast<const uint8_t*>(self.data) + offset * esize, sizes, strides, ndim, esize);
}

// args[self_i] and args[out_i] are contiguous tensors of one dtype the runtime knows.
Error self_and_out(KernelContext& ctx, EValue** args, size_t self_i, size_t out_i, Tensor** self, Tensor** out) {
  ST_TRY(check_tensor(ctx, args[self_i], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[out_i], "out: expected a tensor", "out: must be contiguous"));
  *self = &args[self_i]->to_tensor();
  *out = &args[out_i]->to_tensor();
  if (element_size((*self)->dtype) == 0) return ctx.fail("self: unsupported dtype", Error::NotSupported);
  if ((*out)->dtype != (*self)->dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  return Error::Ok;
}

// out = self's elements in order, with shape sizes[0..ndim).
Error copy_reshaped(KernelContext& ctx, const Tensor& self, Tensor& out, const int32_t* sizes, int ndim) {
  ST_TRY(resize_out(ctx, out, sizes, ndim));
  if (out.data != self.data) __builtin_memcpy(out.data, self.data, self.nbytes());
  return Error::Ok;
}

// out = self with its dims permuted (out dim i is self dim perm[i]).
Error copy_permuted(KernelContext& ctx, const Tensor& self, Tensor& out, const int* perm) {
  int32_t in_strides[kMaxTensorDim];
  contiguous_strides(self, in_strides);
  int32_t sizes[kMaxTensorDim];
  int32_t strides[kMaxTensorDim];
  for (int d = 0; d < self.dim; ++d) {
    sizes[d] = self.sizes[perm[d]];
    strides[d] = in_strides[perm[d]];
  }
  ST_TRY(resize_out(ctx, out, sizes, self.dim));
  copy_view(self, sizes, strides, self.dim, 0, out.data);
  return Error::Ok;
}

// An int argument naming a dim of a tensor with `ndim` dims (0-dim accepts 0 and -1).
Error dim_arg(KernelContext& ctx, const EValue* v, int ndim, int* dim, const char* why) {
  if (!v->is_int() || !normalize_dim(v->to_int(), ndim, dim)) return ctx.fail(why, Error::InvalidArgument);
  return Error::Ok;
}

// A TensorList `out` argument whose items are contiguous tensors of self's dtype.
Error out_list(KernelContext& ctx, const EValue* v, const Tensor& self, TensorListRef* outs) {
  if (element_size(self.dtype) == 0) return ctx.fail("self: unsupported dtype", Error::NotSupported);
  if (v->tag != Tag::TensorList) return ctx.fail("out: expected a tensor list", Error::InvalidArgument);
  *outs = v->v.tl;
  for (uint32_t i = 0; i < outs->size; ++i) {
    ST_TRY(check_tensor(ctx, outs->items[i], "out: expected tensors", "out: must be contiguous"));
    if (outs->items[i]->to_tensor().dtype != self.dtype) {
      return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
    }
  }
  return Error::Ok;
}

// An int64 that must fit a tensor size (0..INT32_MAX).
bool as_size(int64_t v, int32_t* out) {
  if (v < 0 || v > INT32_MAX) return false;
  *out = static_cast<int32_t>(v);
  return true;
}

}  // namespace

// ---- plain copies -------------------------------------------------------------

static Error plain_copy(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 3, "expected 3 args: self, out, return value"));
  Tensor* x = nullptr;
  Tensor* out = nullptr;
  ST_TRY(self_and_out(ctx, args, 0, 1, &x, &out));
  return copy_reshaped(ctx, *x, *out, x->sizes, x->dim);
}

Error alias_copy_out(KernelContext& ctx, EValue** args, size_t nargs) { return plain_copy(ctx, args, nargs); }
Error detach_copy_out(KernelContext& ctx, EValue** args, size_t nargs) { return plain_copy(ctx, args, nargs); }
Error lift_fresh_copy_out(KernelContext& ctx, EValue** args, size_t nargs) { return plain_copy(ctx, args, nargs); }
Error _h2d_copy_out(KernelContext& ctx, EValue** args, size_t nargs) { return plain_copy(ctx, args, nargs); }
Error _d2h_copy_out(KernelContext& ctx, EValue** args, size_t nargs) { return plain_copy(ctx, args, nargs); }

// ---- squeeze / unsqueeze ------------------------------------------------------

// squeeze_copy.dim_out and .dims_out: drops the listed dims that have size 1.
static Error squeeze_copy(KernelContext& ctx, EValue** args, size_t nargs, bool list) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: self, dim, out, return value"));
  Tensor* x = nullptr;
  Tensor* out = nullptr;
  ST_TRY(self_and_out(ctx, args, 0, 2, &x, &out));
  bool listed[kMaxTensorDim] = {};  // (a 0-dim self has one pseudo-dim, 0: nothing to drop)
  if (list) {
    if (!args[1]->is_int_list()) return ctx.fail("dim: expected an int list", Error::InvalidArgument);
    const IntListRef dims = args[1]->v.il;
    for (uint32_t i = 0; i < dims.size; ++i) {
      int d = 0;
      if (!normalize_dim(dims.at(i), x->dim, &d)) return ctx.fail("dim: out of range for self", Error::InvalidArgument);
      if (listed[d]) return ctx.fail("dim: a dim appears more than once", Error::InvalidArgument);
      listed[d] = true;
    }
  } else {
    int d = 0;
    ST_TRY(dim_arg(ctx, args[1], x->dim, &d, "dim: expected an int in range for self"));
    listed[d] = true;
  }
  int32_t sizes[kMaxTensorDim];
  int n = 0;
  for (int d = 0; d < x->dim; ++d) {
    if (!(listed[d] && x->sizes[d] == 1)) sizes[n++] = x->sizes[d];
  }
  return copy_reshaped(ctx, *x, *out, sizes, n);
}

Error squeeze_copy_dim_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return squeeze_copy(ctx, args, nargs, /*list=*/false);
}

Error squeeze_copy_dims_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return squeeze_copy(ctx, args, nargs, /*list=*/true);
}

Error unsqueeze_copy_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: self, dim, out, return value"));
  Tensor* x = nullptr;
  Tensor* out = nullptr;
  ST_TRY(self_and_out(ctx, args, 0, 2, &x, &out));
  if (x->dim >= kMaxTensorDim) return ctx.fail("self: already has kMaxTensorDim dims", Error::NotSupported);
  int dim = 0;  // in [-(dim+1), dim]: a dim of the result
  if (!args[1]->is_int() || !normalize_dim(args[1]->to_int(), x->dim + 1, &dim)) {
    return ctx.fail("dim: expected an int in range for self's dims + 1", Error::InvalidArgument);
  }
  int32_t sizes[kMaxTensorDim];
  for (int d = 0, s = 0; d <= x->dim; ++d) sizes[d] = d == dim ? 1 : x->sizes[s++];
  return copy_reshaped(ctx, *x, *out, sizes, x->dim + 1);
}

// ---- transposes ---------------------------------------------------------------

// out = self with dims a and b swapped.
static Error transpose(KernelContext& ctx, const Tensor& x, Tensor& out, int a, int b) {
  int perm[kMaxTensorDim];
  for (int d = 0; d < x.dim; ++d) perm[d] = d;
  if (x.dim > 0) {
    perm[a] = b;
    perm[b] = a;
  }
  return copy_permuted(ctx, x, out, perm);
}

Error t_copy_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 3, "expected 3 args: self, out, return value"));
  Tensor* x = nullptr;
  Tensor* out = nullptr;
  ST_TRY(self_and_out(ctx, args, 0, 1, &x, &out));
  if (x->dim > 2) return ctx.fail("self: t() expects a tensor with at most 2 dims", Error::InvalidArgument);
  return transpose(ctx, *x, *out, 0, x->dim == 2 ? 1 : 0);
}

Error transpose_copy_int_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 5, "expected 5 args: self, dim0, dim1, out, return value"));
  Tensor* x = nullptr;
  Tensor* out = nullptr;
  ST_TRY(self_and_out(ctx, args, 0, 3, &x, &out));
  int a = 0;
  int b = 0;
  ST_TRY(dim_arg(ctx, args[1], x->dim, &a, "dim0: expected an int in range for self"));
  ST_TRY(dim_arg(ctx, args[2], x->dim, &b, "dim1: expected an int in range for self"));
  return transpose(ctx, *x, *out, a, b);
}

// ---- as_strided ---------------------------------------------------------------

Error as_strided_copy_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 6, "expected 6 args: self, size, stride, storage_offset, out, return value"));
  Tensor* x = nullptr;
  Tensor* out = nullptr;
  ST_TRY(self_and_out(ctx, args, 0, 4, &x, &out));
  if (!args[1]->is_int_list()) return ctx.fail("size: expected an int list", Error::InvalidArgument);
  if (!args[2]->is_int_list()) return ctx.fail("stride: expected an int list", Error::InvalidArgument);
  const IntListRef size = args[1]->v.il;
  const IntListRef stride = args[2]->v.il;
  if (stride.size != size.size) return ctx.fail("stride: needs one entry per size entry", Error::InvalidArgument);
  if (size.size > kMaxTensorDim) return ctx.fail("size: more than kMaxTensorDim dims", Error::NotSupported);
  int64_t offset = 0;
  if (!args[3]->is_none()) {
    if (!args[3]->is_int() || args[3]->to_int() < 0) {
      return ctx.fail("storage_offset: expected None or an int >= 0", Error::InvalidArgument);
    }
    offset = args[3]->to_int();
  }
  int32_t sizes[kMaxTensorDim];
  int32_t strides[kMaxTensorDim];
  bool empty = false;
  for (uint32_t d = 0; d < size.size; ++d) {
    if (!as_size(size.at(d), &sizes[d])) return ctx.fail("size: entries must be in [0, INT32_MAX]", Error::InvalidArgument);
    if (stride.at(d) < 0) return ctx.fail("stride: negative strides are not supported", Error::InvalidArgument);
    empty = empty || sizes[d] == 0;
  }
  // The last element read is offset + sum((size - 1) * stride); it must lie inside self.
  // Summed in uint64 with a check per term: each term is below 2^63, the sum so far below 2^32.
  uint64_t last = static_cast<uint64_t>(offset);
  for (uint32_t d = 0; d < size.size && !empty; ++d) {
    strides[d] = 0;  // a size-1 dim never moves
    if (sizes[d] <= 1 || last >= x->numel) continue;
    if (stride.at(d) > INT32_MAX) {
      last = UINT64_MAX;
      continue;
    }
    strides[d] = static_cast<int32_t>(stride.at(d));
    last += static_cast<uint64_t>(sizes[d] - 1) * static_cast<uint64_t>(strides[d]);
  }
  if (!empty && last >= x->numel) {
    return ctx.fail("stride: size, stride and storage_offset read past the end of self", Error::InvalidArgument);
  }
  ST_TRY(resize_out(ctx, *out, sizes, static_cast<int>(size.size)));
  if (!empty) copy_view(*x, sizes, strides, static_cast<int>(size.size), static_cast<size_t>(offset), out->data);
  return Error::Ok;
}

// ---- unbind / split -----------------------------------------------------------

// out[i] = self's window [start, start + len) along dim (removed from the shape when `drop`).
static Error copy_window(KernelContext& ctx, const Tensor& x, int dim, int32_t start, int32_t len, bool drop,
                         Tensor& out) {
  int32_t strides[kMaxTensorDim];
  contiguous_strides(x, strides);
  const size_t offset = static_cast<size_t>(start) * static_cast<size_t>(strides[dim]);
  int32_t sizes[kMaxTensorDim];
  for (int d = 0; d < x.dim; ++d) sizes[d] = x.sizes[d];
  sizes[dim] = len;
  if (drop) {
    for (int d = dim; d + 1 < x.dim; ++d) {
      sizes[d] = sizes[d + 1];
      strides[d] = strides[d + 1];
    }
  }
  const int ndim = drop ? x.dim - 1 : x.dim;
  ST_TRY(resize_out(ctx, out, sizes, ndim));
  copy_view(x, sizes, strides, ndim, offset, out.data);
  return Error::Ok;
}

Error unbind_copy_int_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: self, dim, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  const Tensor& x = args[0]->to_tensor();
  int dim = 0;
  if (x.dim == 0) return ctx.fail("dim: self is 0-dim, it has no dim to unbind", Error::InvalidArgument);
  ST_TRY(dim_arg(ctx, args[1], x.dim, &dim, "dim: expected an int in range for self"));
  TensorListRef outs;
  ST_TRY(out_list(ctx, args[2], x, &outs));
  if (outs.size != static_cast<uint32_t>(x.sizes[dim])) {
    return ctx.fail("out: needs one tensor per entry of self along dim", Error::InvalidArgument);
  }
  for (uint32_t i = 0; i < outs.size; ++i) {
    ST_TRY(copy_window(ctx, x, dim, static_cast<int32_t>(i), 1, /*drop=*/true, outs.items[i]->to_tensor()));
  }
  return Error::Ok;
}

Error split_copy_Tensor_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 5, "expected 5 args: self, split_size, dim, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  const Tensor& x = args[0]->to_tensor();
  int dim = 0;
  if (x.dim == 0) return ctx.fail("dim: self is 0-dim, it has no dim to split", Error::InvalidArgument);
  ST_TRY(dim_arg(ctx, args[2], x.dim, &dim, "dim: expected an int in range for self"));
  if (!args[1]->is_int() || args[1]->to_int() < 0) return ctx.fail("split_size: expected an int >= 0", Error::InvalidArgument);
  const int64_t split = args[1]->to_int();
  const int64_t size = x.sizes[dim];
  if (split == 0 && size != 0) return ctx.fail("split_size: can be 0 only when self's dim is empty", Error::InvalidArgument);
  // PyTorch: max(ceil(size / split), 1) chunks, the last one shorter.
  int64_t chunks = split == 0 ? 1 : size / split + (size % split != 0 ? 1 : 0);
  if (chunks == 0) chunks = 1;
  TensorListRef outs;
  ST_TRY(out_list(ctx, args[3], x, &outs));
  if (outs.size != static_cast<uint64_t>(chunks)) {
    return ctx.fail("out: needs one tensor per chunk of split_size along dim", Error::InvalidArgument);
  }
  for (uint32_t i = 0; i < outs.size; ++i) {
    const int64_t start = static_cast<int64_t>(i) * split;
    const int64_t len = size - start < split ? size - start : split;
    ST_TRY(copy_window(ctx, x, dim, static_cast<int32_t>(start), static_cast<int32_t>(len), /*drop=*/false,
                       outs.items[i]->to_tensor()));
  }
  return Error::Ok;
}

// ---- repeat -------------------------------------------------------------------

// out has dims size[d] * repeats[d] (self padded with leading 1s); out index
// r * size + s along a dim reads self's index s. So out is the view of self with
// two dims per dim: (repeats[d], stride 0) then (size[d], self's stride). Dims of
// extent 1 are dropped and neighbours that form one run are merged. strided_copy
// takes kMaxTensorDim dims: a longer view (up to twice that) walks its leading dims
// with a StridedIndex and copies the inner kMaxTensorDim for each.
Error repeat_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: self, repeats, out, return value"));
  Tensor* x = nullptr;
  Tensor* out = nullptr;
  ST_TRY(self_and_out(ctx, args, 0, 2, &x, &out));
  if (!args[1]->is_int_list()) return ctx.fail("repeats: expected an int list", Error::InvalidArgument);
  const IntListRef reps = args[1]->v.il;
  if (reps.size < x->dim) return ctx.fail("repeats: needs at least one entry per dim of self", Error::InvalidArgument);
  if (reps.size > kMaxTensorDim) return ctx.fail("repeats: more than kMaxTensorDim entries", Error::NotSupported);
  const int ndim = static_cast<int>(reps.size);
  const int lead = ndim - x->dim;
  int32_t in_strides[kMaxTensorDim];
  contiguous_strides(*x, in_strides);
  int32_t out_sizes[kMaxTensorDim];
  int32_t view_sizes[2 * kMaxTensorDim];
  int32_t view_strides[2 * kMaxTensorDim];
  int n = 0;
  for (int d = 0; d < ndim; ++d) {
    int32_t r = 0;
    if (!as_size(reps.at(static_cast<uint32_t>(d)), &r)) {
      return ctx.fail("repeats: entries must be in [0, INT32_MAX]", Error::InvalidArgument);
    }
    const int32_t s = d < lead ? 1 : x->sizes[d - lead];
    const int64_t total = static_cast<int64_t>(r) * s;
    if (total > INT32_MAX) return ctx.fail("repeats: result dim larger than INT32_MAX", Error::InvalidArgument);
    out_sizes[d] = static_cast<int32_t>(total);
    const int32_t parts[2][2] = {{r, 0}, {s, d < lead ? 0 : in_strides[d - lead]}};
    for (const auto& p : parts) {
      if (p[0] == 1) continue;
      // The previous dim steps over exactly this one: one run, merged (if its size fits int32).
      if (n > 0 && view_strides[n - 1] == static_cast<int64_t>(p[0]) * p[1] &&
          static_cast<int64_t>(view_sizes[n - 1]) * p[0] <= INT32_MAX) {
        view_sizes[n - 1] *= p[0];
        view_strides[n - 1] = p[1];
      } else {
        view_sizes[n] = p[0];
        view_strides[n++] = p[1];
      }
    }
  }
  ST_TRY(resize_out(ctx, *out, out_sizes, ndim));
  if (out->numel == 0) return Error::Ok;
  const int n_outer = n > kMaxTensorDim ? n - kMaxTensorDim : 0;
  size_t block = element_size(x->dtype);  // bytes per copy of the inner dims
  for (int d = n_outer; d < n; ++d) block *= static_cast<size_t>(view_sizes[d]);
  StridedIndex outer(view_sizes, view_strides, n_outer);
  for (size_t done = 0; done < out->nbytes(); done += block) {
    copy_view(*x, view_sizes + n_outer, view_strides + n_outer, n - n_outer, outer.offset,
              static_cast<uint8_t*>(out->data) + done);
    outer.next();
  }
  return Error::Ok;
}

// ---- stack --------------------------------------------------------------------

// out viewed as [outer, count, inner]: out[a, i, :] = tensors[i][a, :] (inner = the
// product of the dims from `dim` on). The same block copy as cat.
Error stack_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: tensors, dim, out, return value"));
  if (args[0]->tag != Tag::TensorList) return ctx.fail("tensors: expected a tensor list", Error::InvalidArgument);
  ST_TRY(check_tensor(ctx, args[2], "out: expected a tensor", "out: must be contiguous"));
  const TensorListRef in = args[0]->v.tl;
  Tensor& out = args[2]->to_tensor();
  if (in.size == 0) return ctx.fail("tensors: expected a non-empty list", Error::InvalidArgument);
  if (in.size > INT32_MAX) return ctx.fail("tensors: too many tensors", Error::InvalidArgument);
  for (uint32_t i = 0; i < in.size; ++i) {
    ST_TRY(check_tensor(ctx, in.items[i], "tensors: expected tensors", "tensors: must be contiguous"));
    const Tensor& t = in.items[i]->to_tensor();
    if (t.dtype != out.dtype) return ctx.fail("tensors: every dtype must equal out's dtype", Error::NotSupported);
    if (!same_shape(t, in.items[0]->to_tensor())) {
      return ctx.fail("tensors: every tensor must have the same shape", Error::InvalidArgument);
    }
  }
  const Tensor& ref = in.items[0]->to_tensor();
  const size_t esize = element_size(out.dtype);
  if (esize == 0) return ctx.fail("out: unsupported dtype", Error::NotSupported);
  if (ref.dim >= kMaxTensorDim) return ctx.fail("tensors: already have kMaxTensorDim dims", Error::NotSupported);
  int dim = 0;
  if (!args[1]->is_int() || !normalize_dim(args[1]->to_int(), ref.dim + 1, &dim)) {
    return ctx.fail("dim: expected an int in range for the tensors' dims + 1", Error::InvalidArgument);
  }
  int32_t sizes[kMaxTensorDim];
  size_t outer = 1;
  size_t inner = esize;  // bytes per block
  for (int d = 0, s = 0; d <= ref.dim; ++d) {
    if (d == dim) {
      sizes[d] = static_cast<int32_t>(in.size);
      continue;
    }
    sizes[d] = ref.sizes[s++];
    if (d < dim) {
      outer *= static_cast<size_t>(sizes[d]);
    } else {
      inner *= static_cast<size_t>(sizes[d]);
    }
  }
  ST_TRY(resize_out(ctx, out, sizes, ref.dim + 1));
  if (out.numel == 0) return Error::Ok;
  uint8_t* dst = static_cast<uint8_t*>(out.data);
  for (size_t a = 0; a < outer; ++a) {
    for (uint32_t i = 0; i < in.size; ++i) {
      __builtin_memcpy(dst, static_cast<const uint8_t*>(in.items[i]->to_tensor().data) + a * inner, inner);
      dst += inner;
    }
  }
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
