// Unary elementwise ops, one driver for all of them. Each op is one row (a UnaryOp:
// its element functions per kind of input and the rule for its `out` dtype); the
// kernels below only parse their scalar arguments and hand the row to run_unary.
//
// Schemas (args are the schema's, then the return value):
//   aten::<op>.out(Tensor self, *, Tensor(a!) out)            [self, out, return]
//     for abs acos acosh asin asinh atan atanh ceil cos cosh erf exp expm1 floor log
//     log10 log1p log2 neg reciprocal round rsqrt sign sin sinh sqrt tan trunc
//     bitwise_not logical_not isinf isnan _conj_physical
//   aten::elu.out(Tensor self, Scalar alpha=1, Scalar scale=1, Scalar input_scale=1, *, Tensor(a!) out)
//   aten::leaky_relu.out(Tensor self, Scalar negative_slope=0.01, *, Tensor(a!) out)
//   aten::logit.out(Tensor self, float? eps=None, *, Tensor(a!) out)
//   aten::glu.out(Tensor self, int dim=-1, *, Tensor(a!) out)  (its own loop: out is half of self)
//
// Dtypes, as PyTorch (2.x, CPU) accepts them:
//  - math ops (acos ... tan, reciprocal, rsqrt, logit): self any real dtype or Bool; an
//    integer or Bool self gives a floating result (sin of int64 is Float); out any floating
//    dtype. Computed in double when self is Double, otherwise in float (Half and BFloat16
//    too, as PyTorch's CPU kernels do).
//  - abs neg ceil floor round trunc: self real (not Bool); sign, _conj_physical: real or
//    Bool; bitwise_not: integer or Bool (on Bool it is logical not); elu, leaky_relu,
//    glu: floating only. out dtype == self dtype (glu: any floating dtype). Integer
//    results wrap like PyTorch's (abs(INT64_MIN) == INT64_MIN, neg of uint8 wraps);
//    ceil/floor/round/trunc of an integer is the identity; round is half-to-even.
//  - isinf, isnan: self real or Bool, out Bool. logical_not: out any real or Bool dtype.
//  - UInt16/UInt32/UInt64 self: NotSupported (int64 math would misread the top bit).
//
// Float fast path: self and out both Float run the op's float function over the
// contiguous buffers; every other combination goes through load_*/store_*.
#include <math.h>

#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {
namespace {

// The op's scalar arguments (elu: alpha, scale, input_scale; leaky_relu: negative_slope;
// logit: lo = eps (-1 for None), hi = 1 - eps), in both precisions so the element
// functions convert nothing.
struct UnaryParams {
  float f[3];
  double d[3];
};

using FloatFn = float (*)(float x, const UnaryParams& p);
using DoubleFn = double (*)(double x, const UnaryParams& p);
using IntFn = int64_t (*)(int64_t x);
using BoolFn = bool (*)(bool x);

enum class OutRule : uint8_t {
  SameDtype,  // out.dtype == self.dtype
  Floating,   // any floating dtype
  Bool,       // Bool only
  Any,        // any real or Bool dtype (receives 1 / 0)
};

// One op. A null function means that kind of self is rejected with `bad_self`, except
// that ints_to_float sends integer and Bool self through `f` (as floats). f and d are
// both set or both null.
struct UnaryOp {
  FloatFn f;           // floating self other than Double (and integer/Bool self when ints_to_float)
  DoubleFn d;          // Double self
  IntFn i;             // integer self, result in self's dtype
  BoolFn b;            // Bool self, result Bool
  bool ints_to_float;  // integer/Bool self computed as float (math ops, predicates)
  OutRule out;
  const char* bad_self;  // message when self's dtype is rejected
};

// Element i of a real or Bool tensor as float: integers convert once (no double rounding).
float load_float(const void* p, ScalarType t, size_t i) {
  return is_floating(t) ? static_cast<float>(load_double(p, t, i)) : static_cast<float>(load_int(p, t, i));
}

Error check_out_dtype(KernelContext& ctx, OutRule rule, ScalarType self, ScalarType out) {
  switch (rule) {
    case OutRule::SameDtype:
      if (out != self) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
      break;
    case OutRule::Floating:
      if (!is_floating(out)) {
        return ctx.fail("out: must be a floating dtype (Float, Double, Half or BFloat16)", Error::InvalidArgument);
      }
      break;
    case OutRule::Bool:
      if (out != ScalarType::Bool) return ctx.fail("out: must be Bool", Error::InvalidArgument);
      break;
    case OutRule::Any:
      if (!is_real_or_bool(out)) return ctx.fail("out: unsupported dtype", Error::NotSupported);
      break;
  }
  return Error::Ok;
}

// v rounded to the 16-bit float dtype t (Half or BFloat16), as float. PyTorch computes a
// Half self's result in Half and only then casts it to a wider out.
float round_to_16bit(ScalarType t, float v) {
  uint16_t slot = 0;
  store_double(&slot, t, 0, static_cast<double>(v));
  return static_cast<float>(load_double(&slot, t, 0));
}

bool is_16bit_float(ScalarType t) { return t == ScalarType::Half || t == ScalarType::BFloat16; }

// self's dtype is one load_*/store_* read correctly in int64 or double math.
Error check_self_dtype(KernelContext& ctx, ScalarType t) {
  if (t == ScalarType::UInt16 || t == ScalarType::UInt32 || t == ScalarType::UInt64) {
    return ctx.fail("self: UInt16/UInt32/UInt64 are not supported", Error::NotSupported);
  }
  if (!is_real_or_bool(t)) return ctx.fail("self: unsupported dtype", Error::NotSupported);
  return Error::Ok;
}

// The driver: args [self, (scalars...), out, return] with out at `out_i`; nargs was checked.
// Not inlined: one copy serves every op (the rows differ, the loops do not).
__attribute__((noinline)) Error run_unary(KernelContext& ctx, EValue** args, size_t nargs, size_t out_i,
                                          const UnaryOp& op, const UnaryParams& p) {
  EValue* triple[3] = {args[0], args[out_i], args[nargs - 1]};
  UnaryArgs u;
  ST_TRY(prepare_unary(ctx, triple, 3, &u));
  const Tensor& x = *u.self;
  Tensor& out = *u.out;
  ST_TRY(check_self_dtype(ctx, x.dtype));
  const bool floating = is_floating(x.dtype);
  const bool as_int = !floating && x.dtype != ScalarType::Bool && op.i != nullptr;
  const bool as_bool = x.dtype == ScalarType::Bool && op.b != nullptr;
  const bool as_float = (floating && op.f != nullptr) || (!floating && !as_int && !as_bool && op.ints_to_float);
  if (!as_int && !as_bool && !as_float) return ctx.fail(op.bad_self, Error::InvalidArgument);
  ST_TRY(check_out_dtype(ctx, op.out, x.dtype, out.dtype));
  const uint32_t n = x.numel;
  if (x.dtype == ScalarType::Float && out.dtype == ScalarType::Float) {
    const float* in = x.data_as<float>();
    float* o = out.data_as<float>();
    for (uint32_t i = 0; i < n; ++i) o[i] = op.f(in[i], p);
  } else if (x.dtype == ScalarType::Double) {
    for (uint32_t i = 0; i < n; ++i) store_double(out.data, out.dtype, i, op.d(load_double(x.data, x.dtype, i), p));
  } else if (as_float) {
    const bool via_self = is_16bit_float(x.dtype) && out.dtype != x.dtype;
    for (uint32_t i = 0; i < n; ++i) {
      float r = op.f(load_float(x.data, x.dtype, i), p);
      if (via_self) r = round_to_16bit(x.dtype, r);
      store_double(out.data, out.dtype, i, static_cast<double>(r));
    }
  } else if (as_int) {
    for (uint32_t i = 0; i < n; ++i) store_int(out.data, out.dtype, i, op.i(load_int(x.data, x.dtype, i)));
  } else {
    for (uint32_t i = 0; i < n; ++i) store_int(out.data, out.dtype, i, op.b(load_int(x.data, x.dtype, i) != 0) ? 1 : 0);
  }
  return Error::Ok;
}

constexpr UnaryParams kNoParams = {{0, 0, 0}, {0, 0, 0}};

// ---- element functions -------------------------------------------------------

// A libm function in both precisions, e.g. sin_f / sin_d over sinf / sin.
#define ST_UNARY_LIBM(name, ffn, dfn)                                \
  float name##_f(float x, const UnaryParams&) { return ffn(x); }    \
  double name##_d(double x, const UnaryParams&) { return dfn(x); }

ST_UNARY_LIBM(acos, acosf, acos)
ST_UNARY_LIBM(acosh, acoshf, acosh)
ST_UNARY_LIBM(asin, asinf, asin)
ST_UNARY_LIBM(asinh, asinhf, asinh)
ST_UNARY_LIBM(atan, atanf, atan)
ST_UNARY_LIBM(atanh, atanhf, atanh)
ST_UNARY_LIBM(ceil, ceilf, ceil)
ST_UNARY_LIBM(cos, cosf, cos)
ST_UNARY_LIBM(cosh, coshf, cosh)
ST_UNARY_LIBM(erf, erff, erf)
ST_UNARY_LIBM(exp, exp_float, exp)
ST_UNARY_LIBM(expm1, expm1f, expm1)
ST_UNARY_LIBM(floor, floorf, floor)
ST_UNARY_LIBM(log, logf, log)
ST_UNARY_LIBM(log10, log10f, log10)
ST_UNARY_LIBM(log1p, log1pf, log1p)
ST_UNARY_LIBM(log2, log2f, log2)
ST_UNARY_LIBM(round, rintf, rint)  // half-to-even in the default rounding mode, like nearbyint
ST_UNARY_LIBM(sin, sinf, sin)
ST_UNARY_LIBM(sinh, sinhf, sinh)
ST_UNARY_LIBM(sqrt, sqrtf, sqrt)
ST_UNARY_LIBM(tan, tanf, tan)
ST_UNARY_LIBM(trunc, truncf, trunc)
ST_UNARY_LIBM(abs, fabsf, fabs)
#undef ST_UNARY_LIBM

float neg_f(float x, const UnaryParams&) { return -x; }
double neg_d(double x, const UnaryParams&) { return -x; }
float reciprocal_f(float x, const UnaryParams&) { return 1.0f / x; }
double reciprocal_d(double x, const UnaryParams&) { return 1.0 / x; }
float rsqrt_f(float x, const UnaryParams&) { return 1.0f / sqrtf(x); }  // rsqrt(-0.0) = -inf
double rsqrt_d(double x, const UnaryParams&) { return 1.0 / sqrt(x); }
// sign(NaN) = 0 and sign(-0.0) = +0, as PyTorch's (0 < x) - (x < 0).
float sign_f(float x, const UnaryParams&) { return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f); }
double sign_d(double x, const UnaryParams&) { return x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : 0.0); }
float identity_f(float x, const UnaryParams&) { return x; }
double identity_d(double x, const UnaryParams&) { return x; }

float isinf_f(float x, const UnaryParams&) { return (x == __builtin_inff() || x == -__builtin_inff()) ? 1.0f : 0.0f; }
double isinf_d(double x, const UnaryParams&) { return (x == __builtin_inf() || x == -__builtin_inf()) ? 1.0 : 0.0; }
float isnan_f(float x, const UnaryParams&) { return x != x ? 1.0f : 0.0f; }
double isnan_d(double x, const UnaryParams&) { return x != x ? 1.0 : 0.0; }
float logical_not_f(float x, const UnaryParams&) { return x == 0.0f ? 1.0f : 0.0f; }  // NaN is true: gives 0
double logical_not_d(double x, const UnaryParams&) { return x == 0.0 ? 1.0 : 0.0; }

// elu: x > 0 ? scale * x : alpha * scale * (e^(input_scale * x) - 1); p = alpha, scale, input_scale.
float elu_f(float x, const UnaryParams& p) { return x <= 0.0f ? expm1f(x * p.f[2]) * (p.f[0] * p.f[1]) : x * p.f[1]; }
double elu_d(double x, const UnaryParams& p) { return x <= 0.0 ? expm1(x * p.d[2]) * (p.d[0] * p.d[1]) : x * p.d[1]; }
float leaky_relu_f(float x, const UnaryParams& p) { return x > 0.0f ? x : x * p.f[0]; }
double leaky_relu_d(double x, const UnaryParams& p) { return x > 0.0 ? x : x * p.d[0]; }
// logit: log(z / (1 - z)), z = x clamped to [lo, hi] = [eps, 1 - eps] when eps >= 0 (NaN
// passes); p = lo, hi (lo = -1 for eps=None: no clamping).
float logit_f(float x, const UnaryParams& p) {
  if (p.f[0] >= 0.0f) x = x < p.f[0] ? p.f[0] : (x > p.f[1] ? p.f[1] : x);
  return logf(x / (1.0f - x));
}
double logit_d(double x, const UnaryParams& p) {
  if (p.d[0] >= 0.0) x = x < p.d[0] ? p.d[0] : (x > p.d[1] ? p.d[1] : x);
  return log(x / (1.0 - x));
}

// Integer results in int64, stored into self's dtype (which wraps them as PyTorch does);
// negation through uint64 so INT64_MIN wraps instead of overflowing.
int64_t neg_i(int64_t x) { return static_cast<int64_t>(0u - static_cast<uint64_t>(x)); }
int64_t abs_i(int64_t x) { return x < 0 ? neg_i(x) : x; }
int64_t sign_i(int64_t x) { return (x > 0) - (x < 0); }
int64_t identity_i(int64_t x) { return x; }
int64_t bitwise_not_i(int64_t x) { return ~x; }
bool identity_b(bool x) { return x; }
bool not_b(bool x) { return !x; }

// ---- the rows ------------------------------------------------------------------

constexpr const char* kNoBool = "self: Bool is not supported by this op (as in PyTorch)";
constexpr const char* kFloatOnly = "self: must be a floating dtype (Float, Double, Half or BFloat16)";

// A math op: every real or Bool self, floating out.
#define ST_MATH_ROW(name) constexpr UnaryOp k_##name = {name##_f, name##_d, nullptr, nullptr, true, OutRule::Floating, ""};
ST_MATH_ROW(acos)
ST_MATH_ROW(acosh)
ST_MATH_ROW(asin)
ST_MATH_ROW(asinh)
ST_MATH_ROW(atan)
ST_MATH_ROW(atanh)
ST_MATH_ROW(cos)
ST_MATH_ROW(cosh)
ST_MATH_ROW(erf)
ST_MATH_ROW(exp)
ST_MATH_ROW(expm1)
ST_MATH_ROW(log)
ST_MATH_ROW(log10)
ST_MATH_ROW(log1p)
ST_MATH_ROW(log2)
ST_MATH_ROW(reciprocal)
ST_MATH_ROW(rsqrt)
ST_MATH_ROW(sin)
ST_MATH_ROW(sinh)
ST_MATH_ROW(sqrt)
ST_MATH_ROW(tan)
ST_MATH_ROW(logit)
#undef ST_MATH_ROW

constexpr UnaryOp k_abs = {abs_f, abs_d, abs_i, nullptr, false, OutRule::SameDtype, kNoBool};
constexpr UnaryOp k_neg = {neg_f, neg_d, neg_i, nullptr, false, OutRule::SameDtype, kNoBool};
constexpr UnaryOp k_sign = {sign_f, sign_d, sign_i, identity_b, false, OutRule::SameDtype, ""};
constexpr UnaryOp k_ceil = {ceil_f, ceil_d, identity_i, nullptr, false, OutRule::SameDtype, kNoBool};
constexpr UnaryOp k_floor = {floor_f, floor_d, identity_i, nullptr, false, OutRule::SameDtype, kNoBool};
constexpr UnaryOp k_round = {round_f, round_d, identity_i, nullptr, false, OutRule::SameDtype, kNoBool};
constexpr UnaryOp k_trunc = {trunc_f, trunc_d, identity_i, nullptr, false, OutRule::SameDtype, kNoBool};
constexpr UnaryOp k_conj = {identity_f, identity_d, identity_i, identity_b, false, OutRule::SameDtype, ""};
constexpr UnaryOp k_bitwise_not = {nullptr, nullptr, bitwise_not_i, not_b, false, OutRule::SameDtype,
                                   "self: bitwise_not needs an integer or Bool dtype"};
constexpr UnaryOp k_isinf = {isinf_f, isinf_d, nullptr, nullptr, true, OutRule::Bool, ""};
constexpr UnaryOp k_isnan = {isnan_f, isnan_d, nullptr, nullptr, true, OutRule::Bool, ""};
constexpr UnaryOp k_logical_not = {logical_not_f, logical_not_d, nullptr, nullptr, true, OutRule::Any, ""};
constexpr UnaryOp k_elu = {elu_f, elu_d, nullptr, nullptr, false, OutRule::SameDtype, kFloatOnly};
constexpr UnaryOp k_leaky_relu = {leaky_relu_f, leaky_relu_d, nullptr, nullptr, false, OutRule::SameDtype, kFloatOnly};

Error run_plain(KernelContext& ctx, EValue** args, size_t nargs, const UnaryOp& op) {
  ST_TRY(check_nargs(ctx, nargs, 3, "expected 3 args: self, out, return value"));
  return run_unary(ctx, args, nargs, 1, op, kNoParams);
}

// Reads Scalar args[1..1+count) into p (args[1 + k] named by names[k]).
Error read_params(KernelContext& ctx, EValue** args, size_t count, const char* const* names, UnaryParams* p) {
  for (size_t k = 0; k < count; ++k) {
    double v = 0;
    ST_TRY(scalar_as_double(ctx, args[1 + k], &v, names[k]));
    p->d[k] = v;
    p->f[k] = static_cast<float>(v);
  }
  return Error::Ok;
}

// glu's element step, in float (Float, Half, BFloat16 self) or double (Double self).
float glu_f(float a, float b) { return a * (1.0f / (1.0f + exp_float(-b))); }
double glu_d(double a, double b) { return a * (1.0 / (1.0 + exp(-b))); }

}  // namespace

#define ST_PLAIN_KERNEL(name, row) \
  Error name##_out(KernelContext& ctx, EValue** args, size_t nargs) { return run_plain(ctx, args, nargs, row); }
ST_PLAIN_KERNEL(abs, k_abs)
ST_PLAIN_KERNEL(acos, k_acos)
ST_PLAIN_KERNEL(acosh, k_acosh)
ST_PLAIN_KERNEL(asin, k_asin)
ST_PLAIN_KERNEL(asinh, k_asinh)
ST_PLAIN_KERNEL(atan, k_atan)
ST_PLAIN_KERNEL(atanh, k_atanh)
ST_PLAIN_KERNEL(ceil, k_ceil)
ST_PLAIN_KERNEL(cos, k_cos)
ST_PLAIN_KERNEL(cosh, k_cosh)
ST_PLAIN_KERNEL(erf, k_erf)
ST_PLAIN_KERNEL(exp, k_exp)
ST_PLAIN_KERNEL(expm1, k_expm1)
ST_PLAIN_KERNEL(floor, k_floor)
ST_PLAIN_KERNEL(log, k_log)
ST_PLAIN_KERNEL(log10, k_log10)
ST_PLAIN_KERNEL(log1p, k_log1p)
ST_PLAIN_KERNEL(log2, k_log2)
ST_PLAIN_KERNEL(neg, k_neg)
ST_PLAIN_KERNEL(reciprocal, k_reciprocal)
ST_PLAIN_KERNEL(round, k_round)
ST_PLAIN_KERNEL(rsqrt, k_rsqrt)
ST_PLAIN_KERNEL(sign, k_sign)
ST_PLAIN_KERNEL(sin, k_sin)
ST_PLAIN_KERNEL(sinh, k_sinh)
ST_PLAIN_KERNEL(sqrt, k_sqrt)
ST_PLAIN_KERNEL(tan, k_tan)
ST_PLAIN_KERNEL(trunc, k_trunc)
ST_PLAIN_KERNEL(bitwise_not, k_bitwise_not)
ST_PLAIN_KERNEL(logical_not, k_logical_not)
ST_PLAIN_KERNEL(isinf, k_isinf)
ST_PLAIN_KERNEL(isnan, k_isnan)
ST_PLAIN_KERNEL(_conj_physical, k_conj)
#undef ST_PLAIN_KERNEL

Error elu_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 6, "expected 6 args: self, alpha, scale, input_scale, out, return value"));
  static constexpr const char* kNames[3] = {"alpha: expected a number", "scale: expected a number",
                                            "input_scale: expected a number"};
  UnaryParams p = kNoParams;
  ST_TRY(read_params(ctx, args, 3, kNames, &p));
  return run_unary(ctx, args, nargs, 4, k_elu, p);
}

Error leaky_relu_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: self, negative_slope, out, return value"));
  static constexpr const char* kNames[1] = {"negative_slope: expected a number"};
  UnaryParams p = kNoParams;
  ST_TRY(read_params(ctx, args, 1, kNames, &p));
  return run_unary(ctx, args, nargs, 2, k_leaky_relu, p);
}

Error logit_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: self, eps, out, return value"));
  UnaryParams p = {{-1.0f, 0, 0}, {-1.0, 0, 0}};  // eps=None: no clamping
  if (!args[1]->is_none()) {
    static constexpr const char* kNames[1] = {"eps: expected a float or None"};
    ST_TRY(read_params(ctx, args, 1, kNames, &p));
    p.f[1] = 1.0f - p.f[0];
    p.d[1] = 1.0 - p.d[0];
    // PyTorch holds the bounds in self's dtype: a Half self with eps=1e-6 clamps to [1e-6, 1].
    const bool tensor = args[0]->is_tensor() && args[0]->v.t != nullptr;
    const ScalarType t = tensor ? args[0]->to_tensor().dtype : ScalarType::Float;
    if (is_16bit_float(t)) {
      p.f[0] = round_to_16bit(t, p.f[0]);
      p.f[1] = round_to_16bit(t, 1.0f - p.f[0]);
    }
  }
  return run_unary(ctx, args, nargs, 2, k_logit, p);
}

// out = a * sigmoid(b), a and b the first and second halves of self along dim.
Error glu_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: self, dim, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[2], "out: expected a tensor", "out: must be contiguous"));
  if (!args[1]->is_int()) return ctx.fail("dim: expected an int", Error::InvalidArgument);
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = args[2]->to_tensor();
  if (!is_floating(x.dtype)) return ctx.fail(kFloatOnly, Error::InvalidArgument);
  if (!is_floating(out.dtype)) {
    return ctx.fail("out: must be a floating dtype (Float, Double, Half or BFloat16)", Error::InvalidArgument);
  }
  if (x.dim == 0) return ctx.fail("self: glu does not support 0-dim tensors", Error::InvalidArgument);
  int dim = 0;
  if (!normalize_dim(args[1]->to_int(), x.dim, &dim)) return ctx.fail("dim: out of range for self", Error::InvalidArgument);
  if (x.sizes[dim] % 2 != 0) return ctx.fail("self: size along dim must be even", Error::InvalidArgument);
  int32_t sizes[kMaxTensorDim];
  for (int d = 0; d < x.dim; ++d) sizes[d] = x.sizes[d];
  sizes[dim] /= 2;
  ST_TRY(resize_out(ctx, out, sizes, x.dim));
  // Per outer index, self holds the `a` run and then the `b` run, each `run` elements long.
  size_t outer = 1;
  size_t run = 1;
  for (int d = 0; d < x.dim; ++d) {
    if (d < dim) outer *= static_cast<size_t>(x.sizes[d]);
    if (d >= dim) run *= static_cast<size_t>(sizes[d]);
  }
  const bool fast = x.dtype == ScalarType::Float && out.dtype == ScalarType::Float;
  const bool dbl = x.dtype == ScalarType::Double;
  const bool via_self = is_16bit_float(x.dtype) && out.dtype != x.dtype;
  for (size_t o = 0; o < outer; ++o) {
    const size_t a0 = o * 2 * run;
    const size_t o0 = o * run;
    if (fast) {
      const float* a = x.data_as<float>() + a0;
      float* dst = out.data_as<float>() + o0;
      for (size_t j = 0; j < run; ++j) dst[j] = glu_f(a[j], a[j + run]);
      continue;
    }
    for (size_t j = 0; j < run; ++j) {
      const double av = load_double(x.data, x.dtype, a0 + j);
      const double bv = load_double(x.data, x.dtype, a0 + run + j);
      if (dbl) {
        store_double(out.data, out.dtype, o0 + j, glu_d(av, bv));
        continue;
      }
      float r = glu_f(static_cast<float>(av), static_cast<float>(bv));
      if (via_self) r = round_to_16bit(x.dtype, r);
      store_double(out.data, out.dtype, o0 + j, static_cast<double>(r));
    }
  }
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
