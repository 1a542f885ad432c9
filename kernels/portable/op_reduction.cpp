// Reductions over any set of dims, and the scans and selections beside them:
//   aten::any.all_out(Tensor self, *, Tensor(a!) out)                      [self, out, ret]
//   aten::any.dims_out(Tensor self, int[]? dim=None, bool keepdim=False, *, Tensor(a!) out)
//   aten::any.out(Tensor self, int dim, bool keepdim=False, *, Tensor(a!) out)
//       [self, dim, keepdim, out, ret]; out Bool (or Byte); NaN counts as true; any.dims
//       with dim=[] reduces nothing (as PyTorch does), dim=None reduces every dim.
//   aten::argmax.out / argmin.out(Tensor self, int? dim=None, bool keepdim=False, *, out)
//       [self, dim, keepdim, out, ret]; out Long; dim None = the flattened index.
//   aten::max.dim_max / min.dim_min(Tensor self, int dim, bool keepdim=False, *, values, indices)
//       [self, dim, keepdim, values, indices, ret]
//   aten::max.unary_out / min.unary_out(Tensor self, *, out)                [self, out, ret]
//       NaN is the extreme (the first NaN's index); ties give the first index; an empty
//       run is an error.
//   aten::mean.dtype_out(Tensor self, *, ScalarType? dtype=None, out)     [self, dtype, out, ret]
//   aten::prod.int_out(Tensor self, int dim, bool keepdim=False, *, ScalarType? dtype=None, out)
//   aten::prod.out(Tensor self, *, ScalarType? dtype=None, out)
//       integer and Bool inputs give Long by default (wrapping like PyTorch).
//   aten::var.correction_out(Tensor self, int[1]? dim=None, *, Scalar? correction=None,
//       bool keepdim=False, out)                      [self, dim, correction, keepdim, out, ret]
//   aten::var.out(Tensor self, int[1]? dim, bool unbiased=True, bool keepdim=False, *, out)
//   aten::var_mean.correction_out(... same as var.correction_out ..., out0, out1)
//       floating only; divisor max(0, N - correction) (0 gives inf or NaN, as in PyTorch).
//   aten::cumsum.out(Tensor self, int dim, *, ScalarType? dtype=None, out)
//       [self, dim, dtype, out, ret]; integer and Bool inputs give Long by default.
//   aten::topk.values(Tensor self, SymInt k, int dim=-1, bool largest=True, bool sorted=True,
//       *, values, indices)          [self, k, dim, largest, sorted, values, indices, ret]
//       NaN is the largest value; the result is always sorted (also for sorted=False),
//       equal values keep their input order.
// Every `dtype` argument, when given, must equal out's dtype; out's dtype must be the
// result dtype PyTorch gives.
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

namespace {

// ---- the reduction plan ------------------------------------------------------

// A reduction of `x` over any set of dims as two strided walks over x's elements:
// the kept dims (one step per output element, in out's row-major order) and the
// reduced dims (one step per element of one output's run, in row-major order).
// Adjacent dims of one kind are merged and size-1 dims dropped, so the common
// one-run case walks one dim each way.
struct Reduction {
  int32_t out_sizes[kMaxTensorDim];
  int out_ndim;
  int32_t keep_sizes[kMaxTensorDim];
  int32_t keep_strides[kMaxTensorDim];
  int nkeep;
  int32_t red_sizes[kMaxTensorDim];
  int32_t red_strides[kMaxTensorDim];
  int nred;
  size_t out_numel;  // output elements (product of kept sizes)
  size_t len;        // input elements per output (1 when nothing is reduced)
};

void push_dim(int32_t* sizes, int32_t* strides, int* n, int32_t size, int32_t stride) {
  if (size == 1) return;
  if (*n > 0 && strides[*n - 1] == stride * size) {  // contiguous with the previous dim
    sizes[*n - 1] *= size;
    strides[*n - 1] = stride;
    return;
  }
  sizes[*n] = size;
  strides[*n] = stride;
  ++*n;
}

void plan(const Tensor& x, const bool* reduce, bool keepdim, Reduction* r) {
  int32_t strides[kMaxTensorDim];
  contiguous_strides(x, strides);
  r->out_ndim = r->nkeep = r->nred = 0;
  r->out_numel = r->len = 1;
  for (int d = 0; d < x.dim; ++d) {
    const int32_t s = x.sizes[d];
    if (reduce[d]) {
      push_dim(r->red_sizes, r->red_strides, &r->nred, s, strides[d]);
      r->len *= static_cast<size_t>(s);
      if (keepdim) r->out_sizes[r->out_ndim++] = 1;
    } else {
      push_dim(r->keep_sizes, r->keep_strides, &r->nkeep, s, strides[d]);
      r->out_numel *= static_cast<size_t>(s);
      r->out_sizes[r->out_ndim++] = s;
    }
  }
}

// Marks the dims `dims` names: None = every dim; an Int = that dim; an int list =
// its dims (an empty list = every dim when `empty_is_all`, else none). A 0-dim
// tensor accepts dim 0 and -1 and reduces nothing.
Error parse_dims(KernelContext& ctx, const Tensor& x, const EValue* dims, bool empty_is_all, bool* reduce) {
  for (int d = 0; d < kMaxTensorDim; ++d) reduce[d] = false;
  bool all = dims->is_none();
  if (dims->is_int() || (dims->is_int_list() && !(empty_is_all && dims->v.il.size == 0))) {
    const uint32_t n = dims->is_int() ? 1 : dims->v.il.size;
    for (uint32_t i = 0; i < n; ++i) {
      int d = 0;
      const int64_t raw = dims->is_int() ? dims->to_int() : dims->v.il.at(i);
      if (!normalize_dim(raw, x.dim, &d)) return ctx.fail("dim: out of range for self", Error::InvalidArgument);
      if (x.dim == 0) continue;
      if (reduce[d]) return ctx.fail("dim: a dim appears more than once", Error::InvalidArgument);
      reduce[d] = true;
    }
  } else if (dims->is_int_list()) {
    all = true;
  } else if (!all) {
    return ctx.fail("dim: expected an int, an int list or None", Error::InvalidArgument);
  }
  if (all) {
    for (int d = 0; d < x.dim; ++d) reduce[d] = true;
  }
  return Error::Ok;
}

// Offsets into x of one output's run (output base offset `base`).
struct RowWalk {
  StridedIndex it;
  size_t base;
  RowWalk(const Reduction& r, size_t b) : it(r.red_sizes, r.red_strides, r.nred), base(b) {}
  size_t offset() const { return base + it.offset; }
  void next() { it.next(); }
};

// Base offsets of the output elements, in out's order.
struct OutWalk {
  StridedIndex it;
  explicit OutWalk(const Reduction& r) : it(r.keep_sizes, r.keep_strides, r.nkeep) {}
};

// ---- argument helpers ---------------------------------------------------------

Error get_bool(KernelContext& ctx, const EValue* v, bool* out, const char* why) {
  if (!v->is_bool()) return ctx.fail(why, Error::InvalidArgument);
  *out = v->to_bool();
  return Error::Ok;
}

// A `ScalarType? dtype` argument: None gives `dflt`. The result must equal out's dtype.
Error result_dtype(KernelContext& ctx, const EValue* dtype, ScalarType dflt, const Tensor& out) {
  ScalarType want = dflt;
  if (dtype->is_int()) {
    const int64_t n = dtype->to_int();
    if (n < 0 || n > 127 || !is_real_or_bool(static_cast<ScalarType>(n))) {
      return ctx.fail("dtype: not a supported dtype", Error::NotSupported);
    }
    want = static_cast<ScalarType>(n);
  } else if (!dtype->is_none()) {
    return ctx.fail("dtype: expected a dtype or None", Error::InvalidArgument);
  }
  if (out.dtype != want) return ctx.fail("out: dtype must be the result dtype (dtype, or PyTorch's default)", Error::InvalidArgument);
  return Error::Ok;
}

// Long for integer and Bool inputs (sum-like ops), else the input's dtype.
ScalarType widened(ScalarType t) { return is_floating(t) ? t : ScalarType::Long; }

// ---- extremes -------------------------------------------------------------------

// x loaded as float (fast path), double (other floating) or int64 (integers, Bool).
struct LoadFloat {
  const float* p;
  float operator()(size_t i) const { return p[i]; }
};
struct LoadDouble {
  const Tensor* x;
  double operator()(size_t i) const { return load_double(x->data, x->dtype, i); }
};
struct LoadInt {
  const Tensor* x;
  int64_t operator()(size_t i) const { return load_int(x->data, x->dtype, i); }
};
struct LoadU64 {  // UInt64 above 2^63 must not compare as negative
  const uint64_t* p;
  uint64_t operator()(size_t i) const { return p[i]; }
};

struct Extreme {
  size_t index;   // position in the run
  size_t offset;  // element offset into x
};

// The max (or min) of one run: the first NaN if any, else the first extreme value.
template <typename Load>
Extreme find_extreme(Load load, const Reduction& r, size_t base, bool want_max) {
  RowWalk w(r, base);
  Extreme best{0, w.offset()};
  auto bv = load(best.offset);
  for (size_t k = 1; k < r.len && bv == bv; ++k) {
    w.next();
    const auto v = load(w.offset());
    if (v != v || (want_max ? v > bv : v < bv)) {
      bv = v;
      best = Extreme{k, w.offset()};
    }
  }
  return best;
}

Extreme extreme_of(const Tensor& x, const Reduction& r, size_t base, bool want_max) {
  if (x.dtype == ScalarType::Float) return find_extreme(LoadFloat{x.data_as<float>()}, r, base, want_max);
  if (is_floating(x.dtype)) return find_extreme(LoadDouble{&x}, r, base, want_max);
  if (x.dtype == ScalarType::UInt64) return find_extreme(LoadU64{x.data_as<uint64_t>()}, r, base, want_max);
  return find_extreme(LoadInt{&x}, r, base, want_max);
}

// Writes, for each output element, the extreme's value (values != nullptr, x's dtype)
// and/or its index in the run (indices != nullptr, Long).
Error write_extremes(KernelContext& ctx, const Tensor& x, const Reduction& r, Tensor* values, Tensor* indices,
                     bool want_max) {
  if (r.len == 0 && r.out_numel != 0) return ctx.fail("self: cannot reduce an empty dim (no identity)", Error::InvalidArgument);
  if (values != nullptr) ST_TRY(resize_out(ctx, *values, r.out_sizes, r.out_ndim));
  if (indices != nullptr) ST_TRY(resize_out(ctx, *indices, r.out_sizes, r.out_ndim));
  const size_t esize = element_size(x.dtype);
  OutWalk o(r);
  for (size_t i = 0; i < r.out_numel; ++i) {
    const Extreme e = extreme_of(x, r, o.it.offset, want_max);
    if (values != nullptr) copy_element(values->data, i, x.data, e.offset, esize);
    if (indices != nullptr) indices->data_as<int64_t>()[i] = static_cast<int64_t>(e.index);
    o.it.next();
  }
  return Error::Ok;
}

Error arg_extreme(KernelContext& ctx, EValue** args, size_t nargs, bool want_max) {
  ST_TRY(check_nargs(ctx, nargs, 5, "expected 5 args: self, dim, keepdim, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[3], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = args[3]->to_tensor();
  if (!is_floating(x.dtype) && !is_integral(x.dtype)) return ctx.fail("self: must be a real dtype (not Bool)", Error::NotSupported);
  if (out.dtype != ScalarType::Long) return ctx.fail("out: must be Long", Error::InvalidArgument);
  if (!args[1]->is_none() && !args[1]->is_int()) return ctx.fail("dim: expected an int or None", Error::InvalidArgument);
  bool keepdim = false;
  ST_TRY(get_bool(ctx, args[2], &keepdim, "keepdim: expected a bool"));
  bool reduce[kMaxTensorDim];
  ST_TRY(parse_dims(ctx, x, args[1], true, reduce));
  Reduction r;
  plan(x, reduce, keepdim, &r);
  return write_extremes(ctx, x, r, nullptr, &out, want_max);
}

Error dim_extreme(KernelContext& ctx, EValue** args, size_t nargs, bool want_max) {
  ST_TRY(check_nargs(ctx, nargs, 6, "expected 6 args: self, dim, keepdim, values, indices, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[3], "values: expected a tensor", "values: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[4], "indices: expected a tensor", "indices: must be contiguous"));
  const Tensor& x = args[0]->to_tensor();
  Tensor& values = args[3]->to_tensor();
  Tensor& indices = args[4]->to_tensor();
  if (!is_real_or_bool(x.dtype)) return ctx.fail("self: unsupported dtype", Error::NotSupported);
  if (values.dtype != x.dtype) return ctx.fail("values: dtype must equal self's dtype", Error::InvalidArgument);
  if (indices.dtype != ScalarType::Long) return ctx.fail("indices: must be Long", Error::InvalidArgument);
  if (!args[1]->is_int()) return ctx.fail("dim: expected an int", Error::InvalidArgument);
  bool keepdim = false;
  ST_TRY(get_bool(ctx, args[2], &keepdim, "keepdim: expected a bool"));
  bool reduce[kMaxTensorDim];
  ST_TRY(parse_dims(ctx, x, args[1], true, reduce));
  Reduction r;
  plan(x, reduce, keepdim, &r);
  return write_extremes(ctx, x, r, &values, &indices, want_max);
}

Error unary_extreme(KernelContext& ctx, EValue** args, size_t nargs, bool want_max) {
  ST_TRY(check_nargs(ctx, nargs, 3, "expected 3 args: self, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[1], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = args[1]->to_tensor();
  if (!is_real_or_bool(x.dtype)) return ctx.fail("self: unsupported dtype", Error::NotSupported);
  if (out.dtype != x.dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  if (x.numel == 0) return ctx.fail("self: cannot reduce an empty tensor (no identity)", Error::InvalidArgument);
  bool reduce[kMaxTensorDim];
  for (int d = 0; d < kMaxTensorDim; ++d) reduce[d] = d < x.dim;
  Reduction r;
  plan(x, reduce, false, &r);
  return write_extremes(ctx, x, r, &out, nullptr, want_max);
}

// ---- any, prod, mean, var ---------------------------------------------------------

enum class Fold { Any, Prod, Mean, Var };

// One value per output element of `r` into `out` (and, for Var with mean != nullptr,
// the mean too). Floating results accumulate in double, integer ones in wrapping int64.
// `correction` is Var's divisor offset.
void fold(const Tensor& x, const Reduction& r, Fold kind, Tensor& out, Tensor* mean, double correction) {
  const bool float_math = is_floating(out.dtype) || kind == Fold::Mean || kind == Fold::Var;
  const bool x_float = is_floating(x.dtype);
  OutWalk o(r);
  for (size_t i = 0; i < r.out_numel; ++i) {
    const size_t base = o.it.offset;
    o.it.next();
    RowWalk w(r, base);
    if (kind == Fold::Any) {
      bool any = false;
      for (size_t k = 0; k < r.len && !any; ++k, w.next()) {
        any = x_float ? load_double(x.data, x.dtype, w.offset()) != 0.0 : load_int(x.data, x.dtype, w.offset()) != 0;
      }
      store_int(out.data, out.dtype, i, any ? 1 : 0);
    } else if (kind == Fold::Prod && !float_math) {
      uint64_t p = 1;
      for (size_t k = 0; k < r.len; ++k, w.next()) p *= static_cast<uint64_t>(load_int(x.data, x.dtype, w.offset()));
      store_int(out.data, out.dtype, i, static_cast<int64_t>(p));
    } else if (kind == Fold::Prod) {
      double p = 1.0;
      for (size_t k = 0; k < r.len; ++k, w.next()) p *= load_double(x.data, x.dtype, w.offset());
      store_double(out.data, out.dtype, i, p);
    } else {
      double s = 0.0;
      for (size_t k = 0; k < r.len; ++k, w.next()) s += load_double(x.data, x.dtype, w.offset());
      const double m = s / static_cast<double>(r.len);  // NaN for an empty run
      if (kind == Fold::Mean) {
        store_double(out.data, out.dtype, i, m);
        continue;
      }
      double m2 = 0.0;  // second pass: numerically safer than E[x^2] - mean^2
      RowWalk w2(r, base);
      for (size_t k = 0; k < r.len; ++k, w2.next()) {
        const double d = load_double(x.data, x.dtype, w2.offset()) - m;
        m2 += d * d;
      }
      const double dof = static_cast<double>(r.len) - correction;
      store_double(out.data, out.dtype, i, m2 / (dof > 0.0 ? dof : 0.0));
      if (mean != nullptr) store_double(mean->data, mean->dtype, i, m);
    }
  }
}

Error any_common(KernelContext& ctx, EValue** args, const EValue* dims, size_t out_i, bool keepdim, bool empty_is_all) {
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[out_i], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = args[out_i]->to_tensor();
  if (!is_real_or_bool(x.dtype)) return ctx.fail("self: unsupported dtype", Error::NotSupported);
  if (out.dtype != ScalarType::Bool && out.dtype != ScalarType::Byte) return ctx.fail("out: must be Bool (or Byte)", Error::InvalidArgument);
  bool reduce[kMaxTensorDim];
  ST_TRY(parse_dims(ctx, x, dims, empty_is_all, reduce));
  Reduction r;
  plan(x, reduce, keepdim, &r);
  ST_TRY(resize_out(ctx, out, r.out_sizes, r.out_ndim));
  fold(x, r, Fold::Any, out, nullptr, 0.0);
  return Error::Ok;
}

// prod over `dims` (nullptr = every dim).
Error prod_common(KernelContext& ctx, EValue** args, const EValue* dims, bool keepdim, const EValue* dtype,
                  size_t out_i) {
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[out_i], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = args[out_i]->to_tensor();
  if (!is_real_or_bool(x.dtype)) return ctx.fail("self: unsupported dtype", Error::NotSupported);
  ST_TRY(result_dtype(ctx, dtype, widened(x.dtype), out));
  bool reduce[kMaxTensorDim];
  for (int d = 0; d < kMaxTensorDim; ++d) reduce[d] = d < x.dim;
  if (dims != nullptr) {
    if (!dims->is_int()) return ctx.fail("dim: expected an int", Error::InvalidArgument);
    ST_TRY(parse_dims(ctx, x, dims, true, reduce));
  }
  Reduction r;
  plan(x, reduce, keepdim, &r);
  ST_TRY(resize_out(ctx, out, r.out_sizes, r.out_ndim));
  fold(x, r, Fold::Prod, out, nullptr, 0.0);
  return Error::Ok;
}

// var / var_mean: args [self, dim, (correction | unbiased), keepdim, out(, mean), ...].
Error var_common(KernelContext& ctx, EValue** args, double correction, size_t out_i, bool with_mean) {
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[out_i], "out: expected a tensor", "out: must be contiguous"));
  if (with_mean) ST_TRY(check_tensor(ctx, args[out_i + 1], "out1: expected a tensor", "out1: must be contiguous"));
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = args[out_i]->to_tensor();
  Tensor* mean = with_mean ? &args[out_i + 1]->to_tensor() : nullptr;
  if (!is_floating(x.dtype)) return ctx.fail("self: var supports floating dtypes only", Error::NotSupported);
  if (out.dtype != x.dtype || (mean != nullptr && mean->dtype != x.dtype)) {
    return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  }
  bool keepdim = false;
  ST_TRY(get_bool(ctx, args[3], &keepdim, "keepdim: expected a bool"));
  if (!args[1]->is_none() && !args[1]->is_int_list()) return ctx.fail("dim: expected an int list or None", Error::InvalidArgument);
  bool reduce[kMaxTensorDim];
  ST_TRY(parse_dims(ctx, x, args[1], true, reduce));
  Reduction r;
  plan(x, reduce, keepdim, &r);
  ST_TRY(resize_out(ctx, out, r.out_sizes, r.out_ndim));
  if (mean != nullptr) ST_TRY(resize_out(ctx, *mean, r.out_sizes, r.out_ndim));
  fold(x, r, Fold::Var, out, mean, correction);
  return Error::Ok;
}

Error correction_arg(KernelContext& ctx, const EValue* v, double* c) {
  *c = 1.0;
  if (v->is_none()) return Error::Ok;
  return scalar_as_double(ctx, v, c, "correction: expected a number or None");
}

// ---- topk -------------------------------------------------------------------------

// Three-way comparison of a[ia] and b[ib] (both of dtype t); NaN is above everything
// (and equal to NaN).
int compare(const void* a, size_t ia, const void* b, size_t ib, ScalarType t) {
  if (is_floating(t)) {
    const double x = load_double(a, t, ia);
    const double y = load_double(b, t, ib);
    if (x != x || y != y) return (x != x ? 1 : 0) - (y != y ? 1 : 0);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (t == ScalarType::UInt64) {
    const uint64_t x = static_cast<uint64_t>(load_int(a, t, ia));
    const uint64_t y = static_cast<uint64_t>(load_int(b, t, ib));
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const int64_t x = load_int(a, t, ia);
  const int64_t y = load_int(b, t, ib);
  return x < y ? -1 : x > y ? 1 : 0;
}

}  // namespace

// ---- kernels ------------------------------------------------------------------------

Error any_all_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 3, "expected 3 args: self, out, return value"));
  EValue none;
  return any_common(ctx, args, &none, 1, false, true);
}

Error any_dims_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 5, "expected 5 args: self, dim, keepdim, out, return value"));
  if (!args[1]->is_none() && !args[1]->is_int_list()) return ctx.fail("dim: expected an int list or None", Error::InvalidArgument);
  bool keepdim = false;
  ST_TRY(get_bool(ctx, args[2], &keepdim, "keepdim: expected a bool"));
  return any_common(ctx, args, args[1], 3, keepdim, false);
}

Error any_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 5, "expected 5 args: self, dim, keepdim, out, return value"));
  if (!args[1]->is_int()) return ctx.fail("dim: expected an int", Error::InvalidArgument);
  bool keepdim = false;
  ST_TRY(get_bool(ctx, args[2], &keepdim, "keepdim: expected a bool"));
  return any_common(ctx, args, args[1], 3, keepdim, false);
}

Error argmax_out(KernelContext& ctx, EValue** args, size_t nargs) { return arg_extreme(ctx, args, nargs, true); }
Error argmin_out(KernelContext& ctx, EValue** args, size_t nargs) { return arg_extreme(ctx, args, nargs, false); }
Error max_dim_max(KernelContext& ctx, EValue** args, size_t nargs) { return dim_extreme(ctx, args, nargs, true); }
Error min_dim_min(KernelContext& ctx, EValue** args, size_t nargs) { return dim_extreme(ctx, args, nargs, false); }
Error max_unary_out(KernelContext& ctx, EValue** args, size_t nargs) { return unary_extreme(ctx, args, nargs, true); }
Error min_unary_out(KernelContext& ctx, EValue** args, size_t nargs) { return unary_extreme(ctx, args, nargs, false); }

Error mean_dtype_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: self, dtype, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[2], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = args[2]->to_tensor();
  if (!is_real_or_bool(x.dtype)) return ctx.fail("self: unsupported dtype", Error::NotSupported);
  if (args[1]->is_none() && !is_floating(x.dtype)) {
    return ctx.fail("dtype: needed for a non-floating self (mean is floating)", Error::InvalidArgument);
  }
  ST_TRY(result_dtype(ctx, args[1], x.dtype, out));
  if (!is_floating(out.dtype)) return ctx.fail("dtype: mean's result must be floating", Error::InvalidArgument);
  ST_TRY(resize_out(ctx, out, nullptr, 0));
  if (x.dtype == ScalarType::Float && out.dtype == ScalarType::Float) {
    // Eight running sums (vectorisable, and each sees 1/8 of the values, so the
    // rounding error grows 8x slower than one running sum's).
    const float* in = x.data_as<float>();
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    const uint32_t n = x.numel;
    const uint32_t main = n - n % 8;
    for (uint32_t i = 0; i < main; i += 8) {
      for (int j = 0; j < 8; ++j) acc[j] += in[i + j];
    }
    for (uint32_t i = main; i < n; ++i) acc[i - main] += in[i];
    const float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    out.data_as<float>()[0] = n == 0 ? __builtin_nanf("") : s / static_cast<float>(n);
    return Error::Ok;
  }
  bool reduce[kMaxTensorDim];
  for (int d = 0; d < kMaxTensorDim; ++d) reduce[d] = d < x.dim;
  Reduction r;
  plan(x, reduce, false, &r);
  fold(x, r, Fold::Mean, out, nullptr, 0.0);
  return Error::Ok;
}

Error prod_int_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 6, "expected 6 args: self, dim, keepdim, dtype, out, return value"));
  bool keepdim = false;
  ST_TRY(get_bool(ctx, args[2], &keepdim, "keepdim: expected a bool"));
  return prod_common(ctx, args, args[1], keepdim, args[3], 4);
}

Error prod_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: self, dtype, out, return value"));
  return prod_common(ctx, args, nullptr, false, args[1], 2);
}

Error var_correction_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 6, "expected 6 args: self, dim, correction, keepdim, out, return value"));
  double c = 1.0;
  ST_TRY(correction_arg(ctx, args[2], &c));
  return var_common(ctx, args, c, 4, false);
}

Error var_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 6, "expected 6 args: self, dim, unbiased, keepdim, out, return value"));
  bool unbiased = true;
  ST_TRY(get_bool(ctx, args[2], &unbiased, "unbiased: expected a bool"));
  return var_common(ctx, args, unbiased ? 1.0 : 0.0, 4, false);
}

Error var_mean_correction_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 7, "expected 7 args: self, dim, correction, keepdim, out0, out1, return value"));
  double c = 1.0;
  ST_TRY(correction_arg(ctx, args[2], &c));
  return var_common(ctx, args, c, 4, true);
}

Error cumsum_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 5, "expected 5 args: self, dim, dtype, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[3], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = args[3]->to_tensor();
  if (!is_real_or_bool(x.dtype)) return ctx.fail("self: unsupported dtype", Error::NotSupported);
  if (!args[1]->is_int()) return ctx.fail("dim: expected an int", Error::InvalidArgument);
  int dim = 0;
  if (!normalize_dim(args[1]->to_int(), x.dim, &dim)) return ctx.fail("dim: out of range for self", Error::InvalidArgument);
  ST_TRY(result_dtype(ctx, args[2], widened(x.dtype), out));
  ST_TRY(resize_out(ctx, out, x.sizes, x.dim));
  size_t outer = 1, len = 1, inner = 1;
  for (int d = 0; d < x.dim; ++d) {
    const size_t s = static_cast<size_t>(x.sizes[d]);
    if (d < dim) outer *= s;
    else if (d == dim) len = s;
    else inner *= s;
  }
  // Running sums in double (as PyTorch's CPU kernel) or wrapping int64, one per
  // (outer, inner) column, walking the scanned dim.
  const bool fast = x.dtype == ScalarType::Float && out.dtype == ScalarType::Float;
  const bool float_math = is_floating(out.dtype);
  for (size_t a = 0; a < outer; ++a) {
    for (size_t c = 0; c < inner; ++c) {
      const size_t base = a * len * inner + c;
      if (fast) {
        const float* in = x.data_as<float>() + base;
        float* o = out.data_as<float>() + base;
        double s = 0.0;
        for (size_t k = 0; k < len; ++k) {
          s += in[k * inner];
          o[k * inner] = static_cast<float>(s);
        }
      } else if (float_math) {
        double s = 0.0;
        for (size_t k = 0; k < len; ++k) {
          s += load_double(x.data, x.dtype, base + k * inner);
          store_double(out.data, out.dtype, base + k * inner, s);
        }
      } else {
        uint64_t s = 0;
        for (size_t k = 0; k < len; ++k) {
          s += static_cast<uint64_t>(load_int(x.data, x.dtype, base + k * inner));
          store_int(out.data, out.dtype, base + k * inner, static_cast<int64_t>(s));
        }
      }
    }
  }
  return Error::Ok;
}

Error topk_values(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 8, "expected 8 args: self, k, dim, largest, sorted, values, indices, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[5], "values: expected a tensor", "values: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[6], "indices: expected a tensor", "indices: must be contiguous"));
  const Tensor& x = args[0]->to_tensor();
  Tensor& values = args[5]->to_tensor();
  Tensor& indices = args[6]->to_tensor();
  if (!is_floating(x.dtype) && !is_integral(x.dtype)) return ctx.fail("self: must be a real dtype (not Bool)", Error::NotSupported);
  if (values.dtype != x.dtype) return ctx.fail("values: dtype must equal self's dtype", Error::InvalidArgument);
  if (indices.dtype != ScalarType::Long) return ctx.fail("indices: must be Long", Error::InvalidArgument);
  if (!args[1]->is_int()) return ctx.fail("k: expected an int", Error::InvalidArgument);
  if (!args[2]->is_int()) return ctx.fail("dim: expected an int", Error::InvalidArgument);
  bool largest = true, sorted = true;
  ST_TRY(get_bool(ctx, args[3], &largest, "largest: expected a bool"));
  ST_TRY(get_bool(ctx, args[4], &sorted, "sorted: expected a bool"));
  (void)sorted;  // the result is sorted either way
  int dim = 0;
  if (!normalize_dim(args[2]->to_int(), x.dim, &dim)) return ctx.fail("dim: out of range for self", Error::InvalidArgument);
  const int64_t n = x.dim == 0 ? 1 : x.sizes[dim];
  const int64_t k_arg = args[1]->to_int();
  if (k_arg < 0 || k_arg > n) return ctx.fail("k: out of range (0 <= k <= self.size(dim))", Error::InvalidArgument);
  // A 0-dim self gives its element whatever k (0 or 1), as PyTorch does.
  const size_t k = x.dim == 0 ? 1 : static_cast<size_t>(k_arg);
  int32_t sizes[kMaxTensorDim];
  for (int d = 0; d < x.dim; ++d) sizes[d] = d == dim ? static_cast<int32_t>(k) : x.sizes[d];
  ST_TRY(resize_out(ctx, values, sizes, x.dim));
  ST_TRY(resize_out(ctx, indices, sizes, x.dim));
  size_t outer = 1, inner = 1;
  for (int d = 0; d < x.dim; ++d) {
    if (d < dim) outer *= static_cast<size_t>(x.sizes[d]);
    if (d > dim) inner *= static_cast<size_t>(x.sizes[d]);
  }
  const size_t len = static_cast<size_t>(n);
  const size_t esize = element_size(x.dtype);
  int64_t* idx = indices.data_as<int64_t>();
  // Insertion into the k best so far, kept sorted in the out buffers themselves
  // (no scratch): O(len * k) per row. A value moves ahead only past strictly
  // worse ones, so equal values keep their input order.
  for (size_t a = 0; a < outer; ++a) {
    for (size_t c = 0; c < inner; ++c) {
      const size_t in_base = a * len * inner + c;
      const size_t out_base = a * k * inner + c;
      size_t count = 0;
      for (size_t j = 0; j < len && k > 0; ++j) {
        const size_t src = in_base + j * inner;
        size_t pos = count < k ? count : k;  // slot the new value would take at the end
        while (pos > 0) {
          const int cmp = compare(x.data, src, values.data, out_base + (pos - 1) * inner, x.dtype);
          if (largest ? cmp <= 0 : cmp >= 0) break;
          --pos;
        }
        if (pos >= k) continue;  // not among the k best
        const size_t last = count < k ? count : k - 1;
        for (size_t q = last; q > pos; --q) {
          copy_element(values.data, out_base + q * inner, values.data, out_base + (q - 1) * inner, esize);
          idx[out_base + q * inner] = idx[out_base + (q - 1) * inner];
        }
        copy_element(values.data, out_base + pos * inner, x.data, src, esize);
        idx[out_base + pos * inner] = static_cast<int64_t>(j);
        if (count < k) ++count;
      }
    }
  }
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
