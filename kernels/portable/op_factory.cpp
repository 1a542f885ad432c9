// Factory ops: tensors made from a shape and a value, in out's dtype (any real dtype or Bool).
//   aten::full.out(SymInt[] size, Scalar fill_value, *, Tensor(a!) out)          [size, fill_value, out, return]
//   aten::full_like.out(Tensor self, Scalar fill_value, *, MemoryFormat? memory_format=None, Tensor(a!) out)
//                                                          [self, fill_value, memory_format, out, return]
//   aten::zeros.out(SymInt[] size, *, Tensor(a!) out), aten::ones.out(same)    [size, out, return]
//   aten::empty.out(SymInt[] size, *, MemoryFormat? memory_format=None, Tensor(a!) out)
//   dim_order_ops::_empty_dim_order.out(int[] size, *, int[]? dim_order=None, Tensor(a!) out)
//       empty: out is resized and left as it is          [size, memory_format / dim_order, out, return]
//   aten::fill.Scalar_out(Tensor self, Scalar value, *, Tensor(a!) out)         [self, value, out, return]
//   aten::fill.Tensor_out(Tensor self, Tensor value, *, Tensor(a!) out)   value: a 0-dim tensor
//   aten::scalar_tensor.out(Scalar s, *, Tensor(a!) out)                out: 0-dim   [s, out, return]
//   aten::arange.out(Scalar end, *, Tensor(a!) out)                                   [end, out, return]
//   aten::arange.start_out(Scalar start, Scalar end, Scalar step=1, *, Tensor(a!) out)
//                                                                   [start, end, step, out, return]
// A Scalar fill value is converted as PyTorch's checked conversion does (c10::checked_convert):
// a value out of out's range fails ("fill_value: out of range for out's dtype") instead of
// wrapping; Bool takes anything (!= 0); inf and NaN go into floating dtypes only; an unsigned
// dtype takes negative integers down to -max (they wrap, e.g. -1 -> 255), not negative doubles.
// A fill.Tensor_out value is cast unchecked, as PyTorch does.
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

namespace {

// A Scalar argument as it came: an integer (Int or Bool) or a double.
struct ScalarValue {
  bool integral;
  int64_t i;
  double d;
};

Error read_scalar(KernelContext& ctx, const EValue* v, ScalarValue* s, const char* why) {
  if (v->is_int() || v->is_bool()) {
    *s = {true, v->is_int() ? v->to_int() : (v->to_bool() ? 1 : 0), 0.0};
  } else if (v->is_double()) {
    *s = {false, 0, v->to_double()};
  } else {
    return ctx.fail(why, Error::InvalidArgument);
  }
  return Error::Ok;
}

double as_double(const ScalarValue& s) { return s.integral ? EValue::int64_to_double(s.i) : s.d; }

// Integer dtypes' ranges: [lo, hi] (hi as uint64 for UInt64).
bool int_range(ScalarType t, int64_t* lo, uint64_t* hi) {
  switch (t) {
    case ScalarType::Byte: *lo = 0; *hi = UINT8_MAX; return true;
    case ScalarType::Char: *lo = INT8_MIN; *hi = INT8_MAX; return true;
    case ScalarType::Short: *lo = INT16_MIN; *hi = INT16_MAX; return true;
    case ScalarType::Int: *lo = INT32_MIN; *hi = INT32_MAX; return true;
    case ScalarType::Long: *lo = INT64_MIN; *hi = INT64_MAX; return true;
    case ScalarType::UInt16: *lo = 0; *hi = UINT16_MAX; return true;
    case ScalarType::UInt32: *lo = 0; *hi = UINT32_MAX; return true;
    case ScalarType::UInt64: *lo = 0; *hi = UINT64_MAX; return true;
    default: return false;
  }
}

// PyTorch's overflow rule for a Scalar converted into dtype t (see the file comment).
bool scalar_fits(ScalarType t, const ScalarValue& s) {
  if (t == ScalarType::Bool || t == ScalarType::Double) return true;
  if (is_floating(t)) {
    const double d = as_double(s);
    const double max = t == ScalarType::Float ? 3.4028234663852886e38
                       : t == ScalarType::Half ? 65504.0
                                               : 3.3895313892515355e38;  // BFloat16
    return d != d || d == __builtin_inf() || d == -__builtin_inf() || (d >= -max && d <= max);
  }
  int64_t lo = 0;
  uint64_t hi = 0;
  if (!int_range(t, &lo, &hi)) return false;
  if (!s.integral) {  // NaN and inf fail these comparisons too
    return s.d >= static_cast<double>(lo) && s.d <= static_cast<double>(hi);
  }
  if (s.i >= 0) return static_cast<uint64_t>(s.i) <= hi;
  if (lo == 0) return 0 - static_cast<uint64_t>(s.i) <= hi;  // unsigned: down to -max
  return s.i >= lo;
}

// Writes `s` (already checked) into every element of out: element 0 is stored, then the
// filled prefix is doubled with memcpy, for every dtype alike.
void fill_all(Tensor& out, const ScalarValue& s) {
  if (out.numel == 0) return;
  if (s.integral && !is_floating(out.dtype)) {
    store_int(out.data, out.dtype, 0, s.i);
  } else {
    store_double(out.data, out.dtype, 0, as_double(s));
  }
  const size_t total = out.nbytes();
  uint8_t* p = static_cast<uint8_t*>(out.data);
  for (size_t done = element_size(out.dtype); done < total; done *= 2) {
    __builtin_memcpy(p + done, p, total - done < done ? total - done : done);
  }
}

// out (args[out_i]) a contiguous tensor of a real dtype or Bool.
Error factory_out(KernelContext& ctx, EValue** args, size_t out_i, Tensor** out) {
  ST_TRY(check_tensor(ctx, args[out_i], "out: expected a tensor", "out: must be contiguous"));
  *out = &args[out_i]->to_tensor();
  if (!is_real_or_bool((*out)->dtype)) return ctx.fail("out: unsupported dtype", Error::NotSupported);
  return Error::Ok;
}

// Resizes out to the int list `size` (entries in [0, INT32_MAX]).
Error resize_to_list(KernelContext& ctx, const EValue* v, Tensor& out) {
  if (!v->is_int_list()) return ctx.fail("size: expected an int list", Error::InvalidArgument);
  const IntListRef size = v->v.il;
  if (size.size > kMaxTensorDim) return ctx.fail("size: more than kMaxTensorDim dims", Error::NotSupported);
  int32_t sizes[kMaxTensorDim];
  for (uint32_t d = 0; d < size.size; ++d) {
    const int64_t s = size.at(d);
    if (s < 0 || s > INT32_MAX) return ctx.fail("size: entries must be in [0, INT32_MAX]", Error::InvalidArgument);
    sizes[d] = static_cast<int32_t>(s);
  }
  return resize_out(ctx, out, sizes, static_cast<int>(size.size));
}

// Reads the Scalar `v` and checks it against out's dtype (before out is touched).
Error fill_value(KernelContext& ctx, const EValue* v, const Tensor& out, ScalarValue* s, const char* why,
                 const char* why_overflow) {
  ST_TRY(read_scalar(ctx, v, s, why));
  return scalar_fits(out.dtype, *s) ? Error::Ok : ctx.fail(why_overflow, Error::InvalidArgument);
}

// A MemoryFormat? argument: None, contiguous_format (0) or preserve_format (1).
Error check_memory_format(KernelContext& ctx, const EValue* v) {
  if (v->is_none() || (v->is_int() && (v->to_int() == 0 || v->to_int() == 1))) return Error::Ok;
  return ctx.fail("memory_format: only None, contiguous_format or preserve_format are supported",
                  Error::NotSupported);
}

}  // namespace

// ---- full, zeros, ones, empty ---------------------------------------------------

Error full_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: size, fill_value, out, return value"));
  Tensor* out = nullptr;
  ST_TRY(factory_out(ctx, args, 2, &out));
  ScalarValue s;
  ST_TRY(fill_value(ctx, args[1], *out, &s, "fill_value: expected a number", "fill_value: out of range for out's dtype"));
  ST_TRY(resize_to_list(ctx, args[0], *out));
  fill_all(*out, s);
  return Error::Ok;
}

Error full_like_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 5, "expected 5 args: self, fill_value, memory_format, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  Tensor* out = nullptr;
  ST_TRY(factory_out(ctx, args, 3, &out));
  ScalarValue s;
  ST_TRY(fill_value(ctx, args[1], *out, &s, "fill_value: expected a number", "fill_value: out of range for out's dtype"));
  ST_TRY(check_memory_format(ctx, args[2]));
  const Tensor& x = args[0]->to_tensor();
  ST_TRY(resize_out(ctx, *out, x.sizes, x.dim));
  fill_all(*out, s);
  return Error::Ok;
}

static Error constant_out(KernelContext& ctx, EValue** args, size_t nargs, int64_t value) {
  ST_TRY(check_nargs(ctx, nargs, 3, "expected 3 args: size, out, return value"));
  Tensor* out = nullptr;
  ST_TRY(factory_out(ctx, args, 1, &out));
  ST_TRY(resize_to_list(ctx, args[0], *out));
  fill_all(*out, ScalarValue{true, value, 0.0});
  return Error::Ok;
}

Error zeros_out(KernelContext& ctx, EValue** args, size_t nargs) { return constant_out(ctx, args, nargs, 0); }
Error ones_out(KernelContext& ctx, EValue** args, size_t nargs) { return constant_out(ctx, args, nargs, 1); }

Error empty_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: size, memory_format, out, return value"));
  Tensor* out = nullptr;
  ST_TRY(factory_out(ctx, args, 2, &out));
  ST_TRY(check_memory_format(ctx, args[1]));
  return resize_to_list(ctx, args[0], *out);
}

Error _empty_dim_order_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: size, dim_order, out, return value"));
  Tensor* out = nullptr;
  ST_TRY(factory_out(ctx, args, 2, &out));
  if (!args[0]->is_int_list()) return ctx.fail("size: expected an int list", Error::InvalidArgument);
  const EValue* order = args[1];
  if (!order->is_none()) {
    if (!order->is_int_list()) return ctx.fail("dim_order: expected None or an int list", Error::InvalidArgument);
    const IntListRef l = order->v.il;
    if (l.size != args[0]->v.il.size) {
      return ctx.fail("dim_order: must have one entry per entry of size", Error::InvalidArgument);
    }
    for (uint32_t d = 0; d < l.size; ++d) {
      if (l.at(d) != static_cast<int64_t>(d)) {
        return ctx.fail("dim_order: only the contiguous dim order is supported", Error::NotSupported);
      }
    }
  }
  return resize_to_list(ctx, args[0], *out);
}

// ---- fill, scalar_tensor -------------------------------------------------------

Error fill_Scalar_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: self, value, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  Tensor* out = nullptr;
  ST_TRY(factory_out(ctx, args, 2, &out));
  const Tensor& x = args[0]->to_tensor();
  if (out->dtype != x.dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  ScalarValue s;
  ST_TRY(fill_value(ctx, args[1], *out, &s, "value: expected a number", "value: out of range for out's dtype"));
  ST_TRY(resize_out(ctx, *out, x.sizes, x.dim));
  fill_all(*out, s);
  return Error::Ok;
}

Error fill_Tensor_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: self, value, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[1], "value: expected a tensor", "value: must be contiguous"));
  Tensor* out = nullptr;
  ST_TRY(factory_out(ctx, args, 2, &out));
  const Tensor& x = args[0]->to_tensor();
  const Tensor& v = args[1]->to_tensor();
  if (out->dtype != x.dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  if (v.dim != 0) return ctx.fail("value: must be a 0-dim tensor", Error::InvalidArgument);
  if (!is_real_or_bool(v.dtype)) return ctx.fail("value: unsupported dtype", Error::NotSupported);
  ST_TRY(resize_out(ctx, *out, x.sizes, x.dim));
  // An unchecked cast, element 0 stored through load/store like every conversion.
  ScalarValue s = is_floating(v.dtype) ? ScalarValue{false, 0, load_double(v.data, v.dtype, 0)}
                                       : ScalarValue{true, load_int(v.data, v.dtype, 0), 0.0};
  fill_all(*out, s);
  return Error::Ok;
}

Error scalar_tensor_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 3, "expected 3 args: s, out, return value"));
  Tensor* out = nullptr;
  ST_TRY(factory_out(ctx, args, 1, &out));
  ScalarValue s;
  ST_TRY(fill_value(ctx, args[0], *out, &s, "s: expected a number", "s: out of range for out's dtype"));
  ST_TRY(resize_out(ctx, *out, nullptr, 0));
  fill_all(*out, s);
  return Error::Ok;
}

// ---- arange --------------------------------------------------------------------

// PyTorch's arange (RangeFactories.cpp, RangeUtils.h). First, in double: step must be
// nonzero, start and end finite, and step must point from start towards end. Then start,
// end and step are converted to out's accumulation type: int64 for integer dtypes (a
// double truncates, so a step of 0.5 becomes 0), double for Float/Double, float for
// Half/BFloat16. The length is ceil((end - start) / step) in double from the arguments as
// given, except for Long out: there it is the int64 (end - start + step - sign(step)) / step
// of the converted values (and a step that truncated to 0 fails). Element i is
// start + i * step (in int64 for integer dtypes, wrapping into narrow ones).
static Error arange(KernelContext& ctx, const EValue* start, const EValue* end, const EValue* step, Tensor& out) {
  if (out.dim != 1) return ctx.fail("out: must be 1-D", Error::InvalidArgument);
  if (out.dtype == ScalarType::Bool) return ctx.fail("out: arange does not support Bool", Error::NotSupported);
  const char* why[3] = {"start: expected a finite number", "end: expected a finite number",
                        "step: expected a number that fits out's accumulation type"};
  const EValue* in[3] = {start, end, step};
  ScalarValue s[3];
  double d[3];
  for (int k = 0; k < 3; ++k) {
    ST_TRY(read_scalar(ctx, in[k], &s[k], why[k]));
    d[k] = as_double(s[k]);
  }
  if (!(d[2] > 0.0 || d[2] < 0.0)) return ctx.fail("step: must be nonzero", Error::InvalidArgument);  // NaN too
  for (int k = 0; k < 2; ++k) {
    if (!(d[k] - d[k] == 0.0)) return ctx.fail(why[k], Error::InvalidArgument);  // NaN or inf
  }
  if (!((d[2] > 0 && d[1] >= d[0]) || (d[2] < 0 && d[1] <= d[0]))) {
    return ctx.fail("step: sign inconsistent with start and end", Error::InvalidArgument);
  }
  const bool integral = !is_floating(out.dtype);
  int64_t n[3] = {0, 0, 0};  // the int64 accumulation values
  for (int k = 0; k < 3; ++k) {
    if (integral) {  // a double must lie in int64's range (inf does not)
      if (!s[k].integral && !(d[k] >= -9223372036854775808.0 && d[k] < 9223372036854775808.0)) {
        return ctx.fail(why[k], Error::InvalidArgument);
      }
      n[k] = s[k].integral ? s[k].i : static_cast<int64_t>(d[k]);
    } else if (out.dtype == ScalarType::Half || out.dtype == ScalarType::BFloat16) {
      const double mag = d[k] < 0.0 ? -d[k] : d[k];  // float accumulation: beyond FLT_MAX fails, inf passes
      if (mag > 3.4028234663852886e38 && mag != __builtin_inf()) return ctx.fail(why[k], Error::InvalidArgument);
    }
  }
  double size_d = (d[1] - d[0]) / d[2];  // >= 0 (or -0) after the sign check; 0 for an infinite step
  if (out.dtype == ScalarType::Long) {
    if (n[2] == 0) return ctx.fail("step: must be nonzero (it truncates to 0 for an integer out)", Error::InvalidArgument);
    // (end - start + step - sgn) / step without int64 overflow: |end - start| / |step|, rounded up
    // (the sign check holds for the truncated values too: truncation keeps their order).
    const uint64_t span = n[2] > 0 ? static_cast<uint64_t>(n[1]) - static_cast<uint64_t>(n[0])
                                   : static_cast<uint64_t>(n[0]) - static_cast<uint64_t>(n[1]);
    const uint64_t mag = n[2] > 0 ? static_cast<uint64_t>(n[2]) : 0 - static_cast<uint64_t>(n[2]);
    const uint64_t len = span / mag + (span % mag != 0 ? 1 : 0);
    size_d = len > static_cast<uint64_t>(INT32_MAX) ? 1e300 : static_cast<double>(len);
  }
  if (!(size_d <= static_cast<double>(INT32_MAX))) {
    return ctx.fail("end: the range has more than INT32_MAX elements", Error::InvalidArgument);
  }
  int32_t len = size_d <= 0.0 ? 0 : static_cast<int32_t>(size_d);
  if (static_cast<double>(len) < size_d) ++len;  // ceil, without libm
  ST_TRY(resize_out(ctx, out, &len, 1));
  for (int32_t i = 0; i < len; ++i) {
    if (integral) {  // two's complement wrap, as int64 arithmetic does in PyTorch
      store_int(out.data, out.dtype, static_cast<size_t>(i),
                static_cast<int64_t>(static_cast<uint64_t>(n[0]) +
                                     static_cast<uint64_t>(i) * static_cast<uint64_t>(n[2])));
    } else {
      store_double(out.data, out.dtype, static_cast<size_t>(i), d[0] + static_cast<double>(i) * d[2]);
    }
  }
  return Error::Ok;
}

Error arange_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 3, "expected 3 args: end, out, return value"));
  Tensor* out = nullptr;
  ST_TRY(factory_out(ctx, args, 1, &out));
  EValue zero;
  zero.tag = Tag::Int;
  zero.v.i = 0;
  EValue one;
  one.tag = Tag::Int;
  one.v.i = 1;
  return arange(ctx, &zero, args[0], &one, *out);
}

Error arange_start_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 5, "expected 5 args: start, end, step, out, return value"));
  Tensor* out = nullptr;
  ST_TRY(factory_out(ctx, args, 3, &out));
  return arange(ctx, args[0], args[1], args[2], *out);
}

}  // namespace native
}  // namespace slimtorch
