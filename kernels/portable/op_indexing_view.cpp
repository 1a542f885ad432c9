// Copies of rearranged views of self, any real dtype or Bool (out has self's dtype):
// aten::tril.out(Tensor self, SymInt diagonal=0, *, Tensor(a!) out)
//   args: [self, diagonal, out, return]; self at least 2-D; over the last two dims keeps
//   (i, j) with j - i <= diagonal and zeroes the rest.
// aten::diagonal_copy.out(Tensor self, int offset=0, int dim1=0, int dim2=1, *, Tensor(a!) out)
//   args: [self, offset, dim1, dim2, out, return]; self's other dims, then the diagonal.
// aten::flip.out(Tensor self, int[] dims, *, Tensor(a!) out)   args: [self, dims, out, return]
// aten::roll.out(Tensor self, SymInt[1] shifts, int[1] dims=[], *, Tensor(a!) out)
//   args: [self, shifts, dims, out, return]; dims=[] rolls the flattened tensor (one shift);
//   a dim listed twice rolls by the sum of its shifts.
// aten::unfold_copy.out(Tensor self, int dimension, int size, int step, *, Tensor(a!) out)
//   args: [self, dimension, size, step, out, return]; the windows of `size` every `step` along
//   dimension, as a new last dim.
// aten::narrow_copy.out(Tensor self, int dim, SymInt start, SymInt length, *, Tensor(a!) out)
//   args: [self, dim, start, length, out, return]; start in [-size, size].
// All but tril and roll are strided_copy (util.h) over a view of self; flip's view has
// negative strides, which StridedIndex's unsigned offsets handle by wrap-around.
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

namespace {

Error self_and_out(KernelContext& ctx, EValue** args, size_t out_i, const Tensor** self, Tensor** out) {
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[out_i], "out: expected a tensor", "out: must be contiguous"));
  *self = &args[0]->to_tensor();
  *out = &args[out_i]->to_tensor();
  if ((*out)->dtype != (*self)->dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  if (!is_real_or_bool((*self)->dtype)) return ctx.fail("self: dtype not supported", Error::NotSupported);
  return Error::Ok;
}

// A dim argument named `why` ("dim: ...") against a tensor of `ndim` dims.
Error dim_of(KernelContext& ctx, const EValue* v, int ndim, int* dim, const char* why) {
  if (!v->is_int() || !normalize_dim(v->to_int(), ndim, dim)) return ctx.fail(why, Error::InvalidArgument);
  return Error::Ok;
}

// Resizes out to sizes[0..ndim) and copies self's view (base offset, strides) into it.
Error copy_view(KernelContext& ctx, const Tensor& self, int64_t base, const int32_t* sizes, const int32_t* strides,
                int ndim, Tensor& out) {
  ST_TRY(resize_out(ctx, out, sizes, ndim));
  const size_t esize = element_size(self.dtype);
  strided_copy(out.data, static_cast<const uint8_t*>(self.data) + base * static_cast<int64_t>(esize), sizes, strides,
               ndim, esize);
  return Error::Ok;
}

}  // namespace

Error tril_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: self, diagonal, out, return value"));
  const Tensor* self = nullptr;
  Tensor* out = nullptr;
  ST_TRY(self_and_out(ctx, args, 2, &self, &out));
  if (self->dim < 2) return ctx.fail("self: must have at least 2 dims", Error::InvalidArgument);
  if (!args[1]->is_int()) return ctx.fail("diagonal: expected an int", Error::InvalidArgument);
  ST_TRY(resize_out(ctx, *out, self->sizes, self->dim));
  const int64_t rows = self->sizes[self->dim - 2];
  const int64_t cols = self->sizes[self->dim - 1];
  int64_t diagonal = args[1]->to_int();
  diagonal = diagonal < -rows ? -rows : (diagonal > cols ? cols : diagonal);  // no overflow below
  if (self->numel == 0) return Error::Ok;
  const size_t esize = element_size(self->dtype);
  const size_t n_rows = self->numel / static_cast<size_t>(cols);
  const uint8_t* src = static_cast<const uint8_t*>(self->data);
  uint8_t* dst = static_cast<uint8_t*>(out->data);
  for (size_t r = 0; r < n_rows; ++r) {
    const int64_t i = static_cast<int64_t>(r % static_cast<size_t>(rows));
    int64_t keep = i + diagonal + 1;
    keep = keep < 0 ? 0 : (keep > cols ? cols : keep);
    const size_t row = r * static_cast<size_t>(cols) * esize;
    if (dst != src) __builtin_memcpy(dst + row, src + row, static_cast<size_t>(keep) * esize);
    __builtin_memset(dst + row + static_cast<size_t>(keep) * esize, 0, static_cast<size_t>(cols - keep) * esize);
  }
  return Error::Ok;
}

Error diagonal_copy_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 6, "expected 6 args: self, offset, dim1, dim2, out, return value"));
  const Tensor* self = nullptr;
  Tensor* out = nullptr;
  ST_TRY(self_and_out(ctx, args, 4, &self, &out));
  if (self->dim < 2) return ctx.fail("self: must have at least 2 dims", Error::InvalidArgument);
  if (!args[1]->is_int()) return ctx.fail("offset: expected an int", Error::InvalidArgument);
  int d1 = 0, d2 = 0;
  ST_TRY(dim_of(ctx, args[2], self->dim, &d1, "dim1: expected an int in range for self"));
  ST_TRY(dim_of(ctx, args[3], self->dim, &d2, "dim2: expected an int in range for self"));
  if (d1 == d2) return ctx.fail("dim2: must differ from dim1", Error::InvalidArgument);
  const int64_t offset = args[1]->to_int();
  const int64_t n1 = self->sizes[d1], n2 = self->sizes[d2];
  int32_t strides[kMaxTensorDim], sizes[kMaxTensorDim], vstrides[kMaxTensorDim];
  contiguous_strides(*self, strides);
  // Diagonal length and its first element: (0, offset) above the main diagonal, (-offset, 0) below.
  int64_t len = 0;
  int64_t base = 0;
  if (offset >= 0 && offset < n2) {
    len = n1 < n2 - offset ? n1 : n2 - offset;
    base = offset * strides[d2];
  } else if (offset < 0 && offset > -n1) {
    len = n1 + offset < n2 ? n1 + offset : n2;
    base = -offset * strides[d1];
  }
  int nd = 0;
  for (int d = 0; d < self->dim; ++d) {
    if (d == d1 || d == d2) continue;
    sizes[nd] = self->sizes[d];
    vstrides[nd++] = strides[d];
  }
  sizes[nd] = static_cast<int32_t>(len);
  vstrides[nd++] = strides[d1] + strides[d2];
  return copy_view(ctx, *self, len > 0 ? base : 0, sizes, vstrides, nd, *out);
}

Error flip_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: self, dims, out, return value"));
  const Tensor* self = nullptr;
  Tensor* out = nullptr;
  ST_TRY(self_and_out(ctx, args, 2, &self, &out));
  if (!args[1]->is_int_list()) return ctx.fail("dims: expected an int list", Error::InvalidArgument);
  const IntListRef dims = args[1]->v.il;
  bool flip[kMaxTensorDim] = {};
  for (uint32_t i = 0; i < dims.size; ++i) {
    int d = 0;
    if (!normalize_dim(dims.at(i), self->dim, &d)) return ctx.fail("dims: out of range for self", Error::InvalidArgument);
    if (self->dim == 0) continue;
    if (flip[d]) return ctx.fail("dims: a dim appears more than once", Error::InvalidArgument);
    flip[d] = true;
  }
  int32_t strides[kMaxTensorDim];
  contiguous_strides(*self, strides);
  int64_t base = 0;
  for (int d = 0; d < self->dim; ++d) {
    if (!flip[d] || self->sizes[d] == 0) continue;
    base += static_cast<int64_t>(self->sizes[d] - 1) * strides[d];
    strides[d] = -strides[d];
  }
  return copy_view(ctx, *self, self->numel == 0 ? 0 : base, self->sizes, strides, self->dim, *out);
}

Error roll_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 5, "expected 5 args: self, shifts, dims, out, return value"));
  const Tensor* self = nullptr;
  Tensor* out = nullptr;
  ST_TRY(self_and_out(ctx, args, 3, &self, &out));
  if (!args[1]->is_int_list()) return ctx.fail("shifts: expected an int list", Error::InvalidArgument);
  if (!args[2]->is_int_list()) return ctx.fail("dims: expected an int list", Error::InvalidArgument);
  const IntListRef shifts = args[1]->v.il;
  const IntListRef dims = args[2]->v.il;
  ST_TRY(resize_out(ctx, *out, self->sizes, self->dim));
  // The roll as a view of ndim dims: the flattened tensor, or self's own dims.
  int32_t sizes[kMaxTensorDim];
  int64_t shift[kMaxTensorDim] = {};
  int ndim = 0;
  if (dims.size == 0) {
    if (shifts.size != 1) return ctx.fail("shifts: must have one entry when dims is empty", Error::InvalidArgument);
    sizes[0] = static_cast<int32_t>(self->numel);
    shift[0] = shifts.at(0);
    ndim = 1;
  } else {
    if (shifts.size != dims.size) return ctx.fail("shifts: must have one entry per dim", Error::InvalidArgument);
    if (self->dim == 0) return ctx.fail("dims: out of range for a 0-dim self", Error::InvalidArgument);
    ndim = self->dim;
    for (int d = 0; d < ndim; ++d) sizes[d] = self->sizes[d];
    for (uint32_t i = 0; i < dims.size; ++i) {
      int d = 0;
      if (!normalize_dim(dims.at(i), self->dim, &d)) return ctx.fail("dims: out of range for self", Error::InvalidArgument);
      const int64_t s = shifts.at(i);
      const int64_t n = sizes[d] == 0 ? 1 : sizes[d];
      shift[d] = (shift[d] + s % n) % n;  // stays in (-n, n): no overflow
    }
  }
  if (self->numel == 0) return Error::Ok;
  for (int d = 0; d < ndim; ++d) {
    shift[d] %= sizes[d];
    if (shift[d] < 0) shift[d] += sizes[d];
  }
  int32_t strides[kMaxTensorDim];
  for (int d = ndim - 1, s = 1; d >= 0; --d) {
    strides[d] = s;
    s *= sizes[d];
  }
  // out[c] = self[(c - shift) mod size] per dim: per row of the last dim, two block copies.
  const size_t esize = element_size(self->dtype);
  const int32_t len = sizes[ndim - 1];
  const size_t head = static_cast<size_t>(shift[ndim - 1]);  // out[0..head) = row[len - head..len)
  const size_t n_rows = self->numel / static_cast<size_t>(len);
  const uint8_t* src = static_cast<const uint8_t*>(self->data);
  uint8_t* dst = static_cast<uint8_t*>(out->data);
  int32_t coord[kMaxTensorDim] = {};
  for (size_t r = 0; r < n_rows; ++r) {
    size_t row = 0;
    for (int d = 0; d + 1 < ndim; ++d) {
      int64_t c = coord[d] - shift[d];
      if (c < 0) c += sizes[d];
      row += static_cast<size_t>(c) * static_cast<size_t>(strides[d]);
    }
    const uint8_t* s = src + row * esize;
    uint8_t* o = dst + r * static_cast<size_t>(len) * esize;
    __builtin_memcpy(o, s + (static_cast<size_t>(len) - head) * esize, head * esize);
    __builtin_memcpy(o + head * esize, s, (static_cast<size_t>(len) - head) * esize);
    for (int d = ndim - 2; d >= 0; --d) {  // next row, row-major
      if (++coord[d] < sizes[d]) break;
      coord[d] = 0;
    }
  }
  return Error::Ok;
}

Error unfold_copy_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 6, "expected 6 args: self, dimension, size, step, out, return value"));
  const Tensor* self = nullptr;
  Tensor* out = nullptr;
  ST_TRY(self_and_out(ctx, args, 4, &self, &out));
  int dim = 0;
  ST_TRY(dim_of(ctx, args[1], self->dim, &dim, "dimension: expected an int in range for self"));
  if (!args[2]->is_int() || args[2]->to_int() < 0) return ctx.fail("size: must be an int >= 0", Error::InvalidArgument);
  if (!args[3]->is_int() || args[3]->to_int() <= 0) return ctx.fail("step: must be a positive int", Error::InvalidArgument);
  const int64_t size = args[2]->to_int();
  const int64_t step = args[3]->to_int();
  const int64_t n = self->dim == 0 ? 1 : self->sizes[dim];
  if (size > n) return ctx.fail("size: larger than self's size along dimension", Error::InvalidArgument);
  int32_t sizes[kMaxTensorDim], strides[kMaxTensorDim];
  if (self->dim == 0) {  // a 0-dim self unfolds to [size]
    sizes[0] = static_cast<int32_t>(size);
    strides[0] = 1;
    return copy_view(ctx, *self, 0, sizes, strides, 1, *out);
  }
  if (self->dim + 1 > kMaxTensorDim) return ctx.fail("self: too many dims to unfold", Error::NotSupported);
  contiguous_strides(*self, strides);
  for (int d = 0; d < self->dim; ++d) sizes[d] = self->sizes[d];
  sizes[dim] = static_cast<int32_t>((n - size) / step + 1);
  sizes[self->dim] = static_cast<int32_t>(size);
  strides[self->dim] = strides[dim];
  strides[dim] = static_cast<int32_t>(strides[dim] * step);
  return copy_view(ctx, *self, 0, sizes, strides, self->dim + 1, *out);
}

Error narrow_copy_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 6, "expected 6 args: self, dim, start, length, out, return value"));
  const Tensor* self = nullptr;
  Tensor* out = nullptr;
  ST_TRY(self_and_out(ctx, args, 4, &self, &out));
  int dim = 0;
  if (self->dim == 0) return ctx.fail("self: must have at least 1 dim", Error::InvalidArgument);
  ST_TRY(dim_of(ctx, args[1], self->dim, &dim, "dim: expected an int in range for self"));
  if (!args[2]->is_int()) return ctx.fail("start: expected an int", Error::InvalidArgument);
  if (!args[3]->is_int() || args[3]->to_int() < 0) return ctx.fail("length: must be an int >= 0", Error::InvalidArgument);
  const int64_t n = self->sizes[dim];
  int64_t start = args[2]->to_int();
  const int64_t length = args[3]->to_int();
  if (start < -n || start > n) return ctx.fail("start: out of range for self's dim", Error::InvalidArgument);
  if (start < 0) start += n;
  if (length > n - start) return ctx.fail("length: start + length exceeds self's size along dim", Error::InvalidArgument);
  int32_t sizes[kMaxTensorDim], strides[kMaxTensorDim];
  contiguous_strides(*self, strides);
  for (int d = 0; d < self->dim; ++d) sizes[d] = self->sizes[d];
  sizes[dim] = static_cast<int32_t>(length);
  return copy_view(ctx, *self, start * strides[dim], sizes, strides, self->dim, *out);
}

}  // namespace native
}  // namespace slimtorch
