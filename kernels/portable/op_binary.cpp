// The binary elementwise family, one driver for all of it:
//   arithmetic  add/sub.out and add/sub/rsub.Scalar_out (alpha), mul.out, mul.Scalar_out,
//               div.out, div.Scalar_out,
//               div.Scalar_mode_out, div.out_mode, floor_divide.out, fmod/remainder
//               (Tensor_out, Scalar_out), pow (Scalar_out, Tensor_Scalar_out,
//               Tensor_Tensor_out), atan2.out, maximum.out, minimum.out
//   bitwise     bitwise_and/or/xor (Scalar_out, Tensor_out),
//               bitwise_left/right_shift (Tensor_out, Tensor_Scalar_out)
//   logical     logical_and/or/xor.out
//   selection   where.self_out, clamp.out, clamp.Tensor_out, masked_fill.Scalar_out
// args: every schema argument in order, out, then the return value (ATen's schemas).
//
// Dtypes follow PyTorch's type promotion: the operands' common dtype is found over
// three levels (tensors with dims, 0-dim tensors, Scalar arguments = "wrapped numbers",
// whose Double means the default Float), the op is computed in it (Float, Half and
// BFloat16 in float as PyTorch's CPU kernels do, Double in double, integers in int64
// wrapped back to the common dtype), and the result is cast to out, which must be
// able to hold it (PyTorch's can_cast: no floating -> integer, nothing -> Bool).
// Integer division by zero fails; remainder is floor-mod (Python's %) as in PyTorch.
// UInt16/32/64 take part only with their own dtype, Bool or a floating dtype; UInt64
// is refused by the arithmetic (its upper half does not fit the int64 math).
//
// Dtype-selective (runtime/kernel/dtype_selection.h): executorch_model() compiles this
// file once more per model; every kernel passes its selection (ST_DTYPE_MASK) to the
// driver, which refuses a tensor of a dtype left out before any work and keeps only
// the math (float, double, int64) the selected dtypes can need. Kernels of one
// selection share one copy of the driver.
#include <math.h>

#include "kernels/portable/util.h"
#include "runtime/core/meta.h"  // integer_sequence
#include "runtime/kernel/dtype_selection.h"

namespace slimtorch {
namespace native {
namespace {

// ---- operands ----------------------------------------------------------------

// What a kernel says about one of its arguments when it is wrong (static strings).
struct ArgNames {
  const char* not_tensor;
  const char* not_contiguous;
  const char* dtype;
  const char* not_scalar;
};
#define ST_ARG(name)                                                                                        \
  ArgNames {                                                                                                \
    name ": expected a tensor", name ": must be contiguous", name ": unsupported dtype",                   \
        name ": expected a Scalar (Int, Double or Bool)"                                                   \
  }
constexpr ArgNames kSelf = ST_ARG("self");
constexpr ArgNames kOther = ST_ARG("other");
constexpr ArgNames kExponent = ST_ARG("exponent");
constexpr ArgNames kCondition = ST_ARG("condition");
constexpr ArgNames kMin = ST_ARG("min");
constexpr ArgNames kMax = ST_ARG("max");
constexpr ArgNames kMask = ST_ARG("mask");
#undef ST_ARG

enum Level : uint8_t { kDimTensor = 0, kZeroDimTensor = 1, kWrappedNumber = 2 };

// One input of an elementwise op: a tensor (a copy of its view), or a Scalar argument
// seen as a 0-dim tensor over `slot` (Long, Double or Bool). Lives where it was filled
// in (t.data may point at its own slot): never copied. `t` is left unset until
// read_tensor / read_scalar assign it (a union member: no default initialisation
// code for the operands a call does not use).
struct Operand {
  union {
    Tensor t;
  };
  int64_t slot[1];
  Level level;
  Operand() {}
  Operand(const Operand&) = delete;
  Operand& operator=(const Operand&) = delete;
};

Error read_tensor(KernelContext& ctx, const EValue* v, const ArgNames& n, Operand* op) {
  ST_TRY(check_tensor(ctx, v, n.not_tensor, n.not_contiguous));
  op->t = v->to_tensor();
  if (!is_real_or_bool(op->t.dtype)) return ctx.fail(n.dtype, Error::NotSupported);
  op->level = op->t.dim == 0 ? kZeroDimTensor : kDimTensor;
  return Error::Ok;
}

Error read_scalar(KernelContext& ctx, const EValue* v, const ArgNames& n, Operand* op) {
  if (v == nullptr) return ctx.fail(n.not_scalar, Error::InvalidArgument);
  op->t = Tensor();
  if (v->is_int()) {
    op->t.dtype = ScalarType::Long;
    op->slot[0] = v->to_int();
  } else if (v->is_double()) {
    op->t.dtype = ScalarType::Double;
    const double d = v->to_double();
    __builtin_memcpy(op->slot, &d, sizeof(d));
  } else if (v->is_bool()) {
    op->t.dtype = ScalarType::Bool;
    op->slot[0] = 0;
    *reinterpret_cast<uint8_t*>(op->slot) = v->to_bool() ? 1 : 0;
  } else {
    return ctx.fail(n.not_scalar, Error::InvalidArgument);
  }
  op->t.data = op->slot;
  op->t.numel = 1;
  op->t.capacity_bytes = sizeof(op->slot);
  op->level = kWrappedNumber;
  return Error::Ok;
}

Error read_out(KernelContext& ctx, const EValue* v, Tensor** out) {
  ST_TRY(check_tensor(ctx, v, "out: expected a tensor", "out: must be contiguous"));
  *out = &v->to_tensor();
  if (!is_real_or_bool((*out)->dtype)) return ctx.fail("out: unsupported dtype", Error::NotSupported);
  return Error::Ok;
}

// ---- type promotion (PyTorch's promote_types and result_type) -----------------

bool is_wide_unsigned(ScalarType t) {
  return t == ScalarType::UInt16 || t == ScalarType::UInt32 || t == ScalarType::UInt64;
}

bool promote_types(ScalarType a, ScalarType b, ScalarType* out) {
  if (a == b || b == ScalarType::Bool) {
    *out = a;
  } else if (a == ScalarType::Bool) {
    *out = b;
  } else if (is_floating(a) && is_floating(b)) {
    const size_t sa = element_size(a);
    const size_t sb = element_size(b);
    *out = sa == sb ? ScalarType::Float : (sa > sb ? a : b);  // Half with BFloat16 gives Float
  } else if (is_floating(a) || is_floating(b)) {
    *out = is_floating(a) ? a : b;
  } else if (is_wide_unsigned(a) || is_wide_unsigned(b)) {
    return false;  // PyTorch: "Promotion for uint16, uint32, uint64 types is not supported"
  } else if ((a == ScalarType::Byte && b == ScalarType::Char) || (a == ScalarType::Char && b == ScalarType::Byte)) {
    *out = ScalarType::Short;
  } else if (a == ScalarType::Byte || b == ScalarType::Byte) {
    *out = a == ScalarType::Byte ? b : a;  // the signed one, wider than uint8
  } else {
    *out = element_size(a) >= element_size(b) ? a : b;
  }
  return true;
}

// The higher level's dtype wins unless the lower level is of a higher category
// (bool < integer < floating); then the two promote.
bool combine_levels(bool has_hi, ScalarType hi, bool has_lo, ScalarType lo, ScalarType* out) {
  if (!has_hi) {
    *out = lo;
    return true;
  }
  if (!has_lo || is_floating(hi) || (hi != ScalarType::Bool && !is_floating(lo))) {
    *out = hi;
    return true;
  }
  return promote_types(hi, lo, out);
}

// Common dtype of ops[0..n) (null entries are absent optional arguments).
bool result_type(Operand* const* ops, int n, ScalarType* out) {
  ScalarType lv[3] = {ScalarType::Bool, ScalarType::Bool, ScalarType::Bool};
  bool has[3] = {false, false, false};
  for (int k = 0; k < n; ++k) {
    if (ops[k] == nullptr) continue;
    ScalarType t = ops[k]->t.dtype;
    const int l = ops[k]->level;
    if (l == kWrappedNumber && is_floating(t)) t = ScalarType::Float;  // the default dtype
    if (has[l]) {
      if (!promote_types(lv[l], t, &lv[l])) return false;
    } else {
      lv[l] = t;
      has[l] = true;
    }
  }
  ScalarType low = ScalarType::Bool;
  if (!combine_levels(has[1], lv[1], has[2], lv[2], &low)) return false;
  return combine_levels(has[0], lv[0], has[1] || has[2], low, out);
}

// PyTorch's canCast without complex: floating -> integer and non-Bool -> Bool are refused.
bool can_cast(ScalarType from, ScalarType to) {
  if (is_floating(from) && !is_floating(to)) return false;
  return !(from != ScalarType::Bool && to == ScalarType::Bool);
}

// v wrapped to integer dtype t (C conversion, two's complement); Bool gives 0/1.
int64_t wrap_int(ScalarType t, int64_t v) {
  switch (t) {
    case ScalarType::Byte: return static_cast<uint8_t>(v);
    case ScalarType::Char: return static_cast<int8_t>(v);
    case ScalarType::Short: return static_cast<int16_t>(v);
    case ScalarType::Int: return static_cast<int32_t>(v);
    case ScalarType::UInt16: return static_cast<uint16_t>(v);
    case ScalarType::UInt32: return static_cast<uint32_t>(v);
    case ScalarType::Bool: return v != 0 ? 1 : 0;
    default: return v;
  }
}

// ---- dtype selection -------------------------------------------------------------

// A kernel's selected dtypes (ST_DTYPE_MASK of its catalog function).
using Sel = uint32_t;

constexpr bool has(Sel s, ScalarType t) { return (s & dtype_bit(t)) != 0; }
constexpr Sel kFloatingDtypes = dtype_bit(ScalarType::Float) | dtype_bit(ScalarType::Double) |
                                dtype_bit(ScalarType::Half) | dtype_bit(ScalarType::BFloat16);

// The math each selection can need. Double math needs a Double tensor; integer math
// an integer or Bool tensor (Scalars alone never decide the common dtype); float math
// any floating tensor (a Double out of an integer tensor and a floating Scalar
// computes in Float, the default dtype).
constexpr bool keeps_f32(Sel s) { return (s & kFloatingDtypes) != 0; }
constexpr bool keeps_f64(Sel s) { return has(s, ScalarType::Double); }
constexpr bool keeps_int(Sel s) { return (s & ~kFloatingDtypes) != 0; }

// ---- the elementwise call ----------------------------------------------------

enum class Math : uint8_t { F32, F64, Int };

template <Sel S>
constexpr bool keeps(Math m) {
  return m == Math::F32 ? keeps_f32(S) : (m == Math::F64 ? keeps_f64(S) : keeps_int(S));
}

constexpr int kMaxOperands = 3;

// A validated elementwise call: operands (null = absent optional), out resized to
// their broadcast shape, and the dtype the op computes in.
struct Elementwise {
  Operand ops[kMaxOperands];
  Operand* in[kMaxOperands];  // ops[k] or null
  int n = 0;
  Tensor* out = nullptr;
  ScalarType common = ScalarType::Float;
  Math math = Math::F32;
  bool flat = false;          // every operand has out's numel or one element (no index math)
  int promote_from = 0;       // in[promote_from..n) take part in type promotion
  Elementwise() = default;
  Elementwise(const Elementwise&) = delete;
};

Math math_of(ScalarType common) {
  if (common == ScalarType::Double) return Math::F64;
  return is_floating(common) ? Math::F32 : Math::Int;
}

// e computes in int64 (its common dtype is an integer or Bool): never under a
// selection without integer and Bool dtypes.
template <Sel S>
bool int_math(const Elementwise& e) {
  return keeps_int(S) && e.math == Math::Int;
}

// A selection of one floating dtype T: every tensor is T, so the common dtype is T
// (Scalars never lift a floating tensor's dtype) and no promotion code is needed.
// (Ops that do not promote, logical and masked_fill, have a Bool tensor or do not
// read the common dtype.)
constexpr bool one_floating(Sel s) {
  return s == dtype_bit(ScalarType::Float) || s == dtype_bit(ScalarType::Double) ||
         s == dtype_bit(ScalarType::Half) || s == dtype_bit(ScalarType::BFloat16);
}

// Refuses a tensor operand or out of a dtype outside S (Scalars are not tensors:
// their Long/Double/Bool is no dtype of the program), then broadcasts the present
// operands, resizes out and sets common (promoting in[promote_from..n)), math and flat.
template <Sel S>
Error finish(KernelContext& ctx, Elementwise* e, const char* no_promote, const char* no_broadcast) {
  if (S != kEveryDtypeMask) {
    for (int k = 0; k < e->n; ++k) {
      const Operand* op = e->in[k];
      if (op != nullptr && op->level != kWrappedNumber && !has(S, op->t.dtype)) {
        return dtype_left_out(ctx, op->t.dtype);
      }
    }
    if (!has(S, e->out->dtype)) return dtype_left_out(ctx, e->out->dtype);
  }
  int32_t sizes[kMaxTensorDim];
  int ndim = 0;
  bool first = true;
  for (int k = 0; k < e->n; ++k) {
    const Operand* op = e->in[k];
    if (op == nullptr) continue;
    if (first) {
      for (int d = 0; d < op->t.dim; ++d) sizes[d] = op->t.sizes[d];
      ndim = op->t.dim;
      first = false;
      continue;
    }
    Tensor acc;
    acc.sizes = sizes;
    acc.dim = static_cast<uint8_t>(ndim);
    int32_t next[kMaxTensorDim];
    int next_ndim = 0;
    if (!broadcast_shape(acc, op->t, next, &next_ndim)) return ctx.fail(no_broadcast, Error::InvalidArgument);
    for (int d = 0; d < next_ndim; ++d) sizes[d] = next[d];
    ndim = next_ndim;
  }
  if (one_floating(S)) {
    e->common = e->out->dtype;  // T, checked above (ops without promotion do not read it)
  } else if (!result_type(e->in + e->promote_from, e->n - e->promote_from, &e->common)) {
    return ctx.fail(no_promote, Error::InvalidArgument);
  }
  ST_TRY(resize_out(ctx, *e->out, sizes, ndim));
  e->math = math_of(e->common);
  e->flat = true;
  for (int k = 0; k < e->n; ++k) {
    if (e->in[k] != nullptr && e->in[k]->t.numel != 1 && e->in[k]->t.numel != e->out->numel) e->flat = false;
  }
  return Error::Ok;
}

// Element reader for operand `op` in the common dtype.
inline float get_f(const Operand& op, size_t i) { return static_cast<float>(load_double(op.t.data, op.t.dtype, i)); }
inline double get_d(const Operand& op, size_t i) { return load_double(op.t.data, op.t.dtype, i); }
inline int64_t get_i(const Operand& op, size_t i, ScalarType common) {
  const int64_t v = load_int(op.t.data, op.t.dtype, i);
  return op.t.dtype == common ? v : wrap_int(common, v);
}

// Stores an integer result of the common dtype into out (wrapped first when out differs).
inline void put_i(Tensor& out, size_t i, ScalarType common, int64_t v) {
  store_int(out.data, out.dtype, i, out.dtype == common ? v : wrap_int(common, v));
}

// Walks out's elements with one offset for each of the first N operands.
template <int N>
struct Walker {
  StridedIndex it[N];
  explicit Walker(const Elementwise& e) : Walker(e, meta::make_integer_sequence<int, N>()) {}
  template <int... K>
  Walker(const Elementwise& e, meta::integer_sequence<int, K...>) : it{index(e, K)...} {}
  // StridedIndex has no default constructor: an absent operand's slot walks out's
  // own shape (and is never read).
  static StridedIndex index(const Elementwise& e, int k) {
    const bool present = k < e.n && e.in[k] != nullptr;
    return StridedIndex(present ? e.in[k]->t : *e.out, e.out->sizes, e.out->dim);
  }
  size_t at(int k) const { return it[k].offset; }
  void next() {
    for (int k = 0; k < N; ++k) it[k].next();
  }
};

// ---- binary ops ----------------------------------------------------------------

struct Params {
  float alpha_f = 1.0f;
  double alpha_d = 1.0;
  int64_t alpha_i = 1;
  ScalarType common = ScalarType::Long;
};
constexpr Params kNoAlpha = {};  // the ops without an alpha (run_binary sets common)

using F32Fn = float (*)(float a, float b, const Params& p);
using F64Fn = double (*)(double a, double b, const Params& p);
using IntFn = int64_t (*)(int64_t a, int64_t b, const Params& p);

enum OpFlags : uint8_t {
  kNoBool = 1,       // Bool common dtype refused (sub, pow, fmod, ...)
  kFloatResult = 2,  // integer/Bool common dtype computes in Float (true division, atan2)
  kIntDivisor = 4,   // integer math: a zero in operand 1 fails (division by zero)
  kIntOnly = 8,      // floating common dtype refused (bitwise ops)
};

struct BinaryOp {
  F32Fn f;
  F64Fn d;
  IntFn i;
  uint8_t flags;
  const char* bool_refused;  // the message when kNoBool applies
};

uint64_t u(int64_t v) { return static_cast<uint64_t>(v); }
int64_t s(uint64_t v) { return static_cast<int64_t>(v); }

// add / sub / rsub / mul: unsigned integer math wraps like PyTorch (signed overflow is UB).
float add_f(float a, float b, const Params& p) { return a + p.alpha_f * b; }
double add_d(double a, double b, const Params& p) { return a + p.alpha_d * b; }
int64_t add_i(int64_t a, int64_t b, const Params& p) { return s(u(a) + u(p.alpha_i) * u(b)); }
float sub_f(float a, float b, const Params& p) { return a - p.alpha_f * b; }
double sub_d(double a, double b, const Params& p) { return a - p.alpha_d * b; }
int64_t sub_i(int64_t a, int64_t b, const Params& p) { return s(u(a) - u(p.alpha_i) * u(b)); }
float mul_f(float a, float b, const Params&) { return a * b; }
double mul_d(double a, double b, const Params&) { return a * b; }
int64_t mul_i(int64_t a, int64_t b, const Params&) { return s(u(a) * u(b)); }

// Division. Integer quotients: operand values fit their common dtype, so only
// INT64_MIN / -1 overflows int64; it wraps (to INT64_MIN) instead of trapping.
float div_f(float a, float b, const Params&) { return a / b; }
double div_d(double a, double b, const Params&) { return a / b; }
int64_t trunc_div_i(int64_t a, int64_t b, const Params&) { return b == -1 ? s(0 - u(a)) : a / b; }
float trunc_div_f(float a, float b, const Params&) { return truncf(a / b); }
double trunc_div_d(double a, double b, const Params&) { return trunc(a / b); }
int64_t floor_div_i(int64_t a, int64_t b, const Params&) {
  if (b == -1) return s(0 - u(a));
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
// Python's float floor division: the quotient of (a - fmod(a, b)) / b, which is
// integral up to rounding, stepped down when fmod's sign disagrees with b's, then
// rounded to the nearest integer; a zero quotient keeps the sign of a / b.
float floor_div_f(float a, float b, const Params&) {
  if (b == 0.0f) return a / b;  // IEEE: +-inf or NaN
  const float mod = fmodf(a, b);
  float div = (a - mod) / b;
  if (mod != 0.0f && ((b < 0.0f) != (mod < 0.0f))) div -= 1.0f;
  if (div == 0.0f) return copysignf(0.0f, a / b);
  float fl = floorf(div);
  if (div - fl > 0.5f) fl += 1.0f;
  return fl;
}
double floor_div_d(double a, double b, const Params&) {
  if (b == 0.0) return a / b;
  const double mod = fmod(a, b);
  double div = (a - mod) / b;
  if (mod != 0.0 && ((b < 0.0) != (mod < 0.0))) div -= 1.0;
  if (div == 0.0) return copysign(0.0, a / b);
  double fl = floor(div);
  if (div - fl > 0.5) fl += 1.0;
  return fl;
}

// fmod: C's remainder (sign of a); remainder: floor-mod (sign of b).
float fmod_f(float a, float b, const Params&) { return fmodf(a, b); }
double fmod_d(double a, double b, const Params&) { return fmod(a, b); }
int64_t fmod_i(int64_t a, int64_t b, const Params&) { return b == -1 ? 0 : a % b; }
float rem_f(float a, float b, const Params&) {
  const float m = fmodf(a, b);
  return (m != 0.0f && ((b < 0.0f) != (m < 0.0f))) ? m + b : m;
}
double rem_d(double a, double b, const Params&) {
  const double m = fmod(a, b);
  return (m != 0.0 && ((b < 0.0) != (m < 0.0))) ? m + b : m;
}
int64_t rem_i(int64_t a, int64_t b, const Params&) {
  if (b == -1) return 0;
  const int64_t m = a % b;
  return (m != 0 && ((b < 0) != (m < 0))) ? m + b : m;
}

// pow: integers by squaring (wrapping); a negative exponent gives 1 for base 1,
// +-1 for base -1 and 0 otherwise (PyTorch's integer pow).
float pow_f(float a, float b, const Params&) { return powf(a, b); }
double pow_d(double a, double b, const Params&) { return pow(a, b); }
int64_t pow_i(int64_t a, int64_t b, const Params&) {
  if (b < 0) return a == 1 ? 1 : (a == -1 ? ((b & 1) ? -1 : 1) : 0);
  uint64_t r = 1;
  uint64_t base = u(a);
  for (uint64_t e = u(b); e != 0; e >>= 1) {
    if (e & 1u) r *= base;
    base *= base;
  }
  return s(r);
}
// PyTorch computes these exponents of a floating pow.Tensor_Scalar without pow()
// (which differs at -0.0 and -inf): x*x, x*x*x, sqrt, 1/sqrt, 1/x, 1/(x*x).
float sq_f(float a, float, const Params&) { return a * a; }
double sq_d(double a, double, const Params&) { return a * a; }
float cube_f(float a, float, const Params&) { return a * a * a; }
double cube_d(double a, double, const Params&) { return a * a * a; }
float sqrt_f(float a, float, const Params&) { return sqrtf(a); }
double sqrt_d(double a, double, const Params&) { return sqrt(a); }
float rsqrt_f(float a, float, const Params&) { return 1.0f / sqrtf(a); }
double rsqrt_d(double a, double, const Params&) { return 1.0 / sqrt(a); }
float recip_f(float a, float, const Params&) { return 1.0f / a; }
double recip_d(double a, double, const Params&) { return 1.0 / a; }
float rsq_f(float a, float, const Params&) { return 1.0f / (a * a); }
double rsq_d(double a, double, const Params&) { return 1.0 / (a * a); }

float atan2_f(float a, float b, const Params&) { return atan2f(a, b); }
double atan2_d(double a, double b, const Params&) { return atan2(a, b); }

// maximum / minimum propagate NaN; on ties they return a (so -0.0 vs 0.0 keeps a).
template <typename T>
T max_nan(T a, T b) {
  return a != a ? a : (b != b ? b : (a < b ? b : a));
}
template <typename T>
T min_nan(T a, T b) {
  return a != a ? a : (b != b ? b : (b < a ? b : a));
}
float max_f(float a, float b, const Params&) { return max_nan(a, b); }
double max_d(double a, double b, const Params&) { return max_nan(a, b); }
int64_t max_i(int64_t a, int64_t b, const Params&) { return a < b ? b : a; }
float min_f(float a, float b, const Params&) { return min_nan(a, b); }
double min_d(double a, double b, const Params&) { return min_nan(a, b); }
int64_t min_i(int64_t a, int64_t b, const Params&) { return b < a ? b : a; }

// Bitwise ops and shifts (integer or Bool only). A shift count outside
// [0, bits) gives 0 to the left and the sign fill to the right (PyTorch).
int64_t and_i(int64_t a, int64_t b, const Params&) { return a & b; }
int64_t or_i(int64_t a, int64_t b, const Params&) { return a | b; }
int64_t xor_i(int64_t a, int64_t b, const Params&) { return a ^ b; }
int64_t lshift_i(int64_t a, int64_t b, const Params& p) {
  const int64_t bits = static_cast<int64_t>(element_size(p.common)) * 8;
  return (b < 0 || b >= bits) ? 0 : s(u(a) << b);
}
int64_t rshift_i(int64_t a, int64_t b, const Params& p) {
  const int64_t bits = static_cast<int64_t>(element_size(p.common)) * 8;
  return (b < 0 || b >= bits) ? (a < 0 ? -1 : 0) : a >> b;  // a is sign-extended from its dtype
}

constexpr uint8_t kDivFlags = kNoBool | kIntDivisor;
constexpr const char* kBoolSub = "self: subtracting Bool tensors is not supported (use logical_xor)";
constexpr const char* kBoolArith = "self: Bool tensors are not supported by this op (PyTorch has no Bool kernel)";

constexpr BinaryOp kAdd = {add_f, add_d, add_i, 0, nullptr};
constexpr BinaryOp kSub = {sub_f, sub_d, sub_i, kNoBool, kBoolSub};
constexpr BinaryOp kMul = {mul_f, mul_d, mul_i, 0, nullptr};
constexpr BinaryOp kTrueDiv = {div_f, div_d, nullptr, kFloatResult, nullptr};
constexpr BinaryOp kTruncDiv = {trunc_div_f, trunc_div_d, trunc_div_i, kDivFlags, kBoolArith};
constexpr BinaryOp kFloorDiv = {floor_div_f, floor_div_d, floor_div_i, kDivFlags, kBoolArith};
constexpr BinaryOp kFmod = {fmod_f, fmod_d, fmod_i, kDivFlags, kBoolArith};
constexpr BinaryOp kRemainder = {rem_f, rem_d, rem_i, kDivFlags, kBoolArith};
constexpr BinaryOp kPow = {pow_f, pow_d, pow_i, kNoBool, kBoolArith};
// PyTorch answers pow's exponents 0 and 1 before picking a dtype kernel, so Bool works for those.
constexpr BinaryOp kPowBool = {pow_f, pow_d, pow_i, 0, nullptr};
constexpr BinaryOp kAtan2 = {atan2_f, atan2_d, nullptr, kFloatResult, nullptr};
constexpr BinaryOp kMaximum = {max_f, max_d, max_i, 0, nullptr};
constexpr BinaryOp kMinimum = {min_f, min_d, min_i, 0, nullptr};
constexpr BinaryOp kAnd = {nullptr, nullptr, and_i, kIntOnly, nullptr};
constexpr BinaryOp kOr = {nullptr, nullptr, or_i, kIntOnly, nullptr};
constexpr BinaryOp kXor = {nullptr, nullptr, xor_i, kIntOnly, nullptr};
constexpr const char* kBoolShift = "self: shifting Bool tensors is not supported";
constexpr BinaryOp kLshift = {nullptr, nullptr, lshift_i, kIntOnly | kNoBool, kBoolShift};
constexpr BinaryOp kRshift = {nullptr, nullptr, rshift_i, kIntOnly | kNoBool, kBoolShift};

// The entry `op` as selection S needs it: the math S leaves out is null, so a
// dtype-selective build does not carry its functions.
constexpr BinaryOp kept(Sel s, const BinaryOp& op) {
  return {keeps_f32(s) ? op.f : nullptr, keeps_f64(s) ? op.d : nullptr, keeps_int(s) ? op.i : nullptr, op.flags,
          op.bool_refused};
}
template <Sel S, const BinaryOp& op>
constexpr BinaryOp kKept = kept(S, op);

// Reads a binary call's operands: args[0] and args[1] (each a tensor, or a Scalar
// when *_scalar), out at args[out_i]; nargs must be out_i + 2.
template <Sel S>
Error prepare(KernelContext& ctx, EValue** args, size_t nargs, size_t out_i, bool a_scalar, const ArgNames& na,
              bool b_scalar, const ArgNames& nb, Elementwise* e) {
  if (nargs != out_i + 2) return ctx.fail("wrong number of args for this op's schema", Error::InvalidArgument);
  ST_TRY(a_scalar ? read_scalar(ctx, args[0], na, &e->ops[0]) : read_tensor(ctx, args[0], na, &e->ops[0]));
  ST_TRY(b_scalar ? read_scalar(ctx, args[1], nb, &e->ops[1]) : read_tensor(ctx, args[1], nb, &e->ops[1]));
  ST_TRY(read_out(ctx, args[out_i], &e->out));
  e->in[0] = &e->ops[0];
  e->in[1] = &e->ops[1];
  e->n = 2;
  return finish<S>(ctx, e, "other: dtype does not promote with self's (UInt16/32/64 mix only with their own dtype)",
                "other: shape does not broadcast with self");
}

// The Float fast path: common dtype and out Float, every operand either a Float
// tensor of out's shape or a single element (a Scalar, a 0-dim or size-1 tensor of
// any dtype, converted once): o[i] = f(a[i] or a, b[i] or b). The functor is
// inlined; the loop over two full operands vectorises where f allows, one loop with
// a step of 0 or 1 per operand serves the rest. False when the path does not apply
// (always when Float is not among the selected dtypes S).
//
// `vec` (commutative ops whose every element it computes exactly as f does: add with
// alpha 1, mul) takes the loop on platforms with Helium (kernels/portable/helium).
struct VecF32 {
  void (*full)(const float* a, const float* b, float* out, size_t n);
  void (*scalar)(const float* a, float s, float* out, size_t n);
};
#ifdef SLIMTORCH_HELIUM_F32
constexpr VecF32 kVecAdd = {helium::add_f32, helium::add_scalar_f32};
constexpr VecF32 kVecMul = {helium::mul_f32, helium::mul_scalar_f32};
#define ST_VEC_F32(v) (&(v))
#else
#define ST_VEC_F32(v) nullptr
#endif
template <Sel S, typename F>
bool flat_f32(const Elementwise& e, F f, const VecF32* vec = nullptr) {
  if (!has(S, ScalarType::Float)) return false;
  const Tensor& out = *e.out;
  if (!e.flat || e.common != ScalarType::Float || out.dtype != ScalarType::Float) return false;
  const Operand& a = *e.in[0];
  const Operand& b = *e.in[1];
  const bool a_one = a.t.numel == 1;
  const bool b_one = b.t.numel == 1;
  if ((!a_one && a.t.dtype != ScalarType::Float) || (!b_one && b.t.dtype != ScalarType::Float)) return false;
  float* o = out.data_as<float>();
  const uint32_t n = out.numel;
  const float* x = a.t.data_as<float>();
  const float* y = b.t.data_as<float>();
#ifdef SLIMTORCH_HELIUM_F32
  if (vec != nullptr && !helium::enabled()) vec = nullptr;
#endif
  if (!a_one && !b_one) {
    if (vec != nullptr) {
      vec->full(x, y, o, n);
      return true;
    }
    for (uint32_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
    return true;
  }
  const float xv = a_one ? get_f(a, 0) : 0.0f;
  const float yv = b_one ? get_f(b, 0) : 0.0f;
  if (vec != nullptr && a_one != b_one) {
    vec->scalar(a_one ? y : x, a_one ? xv : yv, o, n);
    return true;
  }
  if (a_one) x = &xv;
  if (b_one) y = &yv;
  const uint32_t sx = a_one ? 0 : 1;
  const uint32_t sy = b_one ? 0 : 1;
  for (uint32_t i = 0; i < n; ++i, x += sx, y += sy) o[i] = f(*x, *y);
  return true;
}

#ifndef __OPTIMIZE_SIZE__
// Float tensors broadcast to out (speed builds only; -Os images take the generic walk):
// row by row along out's last dim, where each operand steps by 0 or 1, the outer dims
// walked once per row, without load_double/store_double per element. out has a dim and
// at least one element.
void broadcast_rows_f32(const Tensor& a, const Tensor& b, Tensor& out, F32Fn f, const Params& p) {
  const int nd = out.dim;
  const StridedIndex full_a(a, out.sizes, nd);
  const StridedIndex full_b(b, out.sizes, nd);
  const int32_t inner = out.sizes[nd - 1];
  const int32_t sa = full_a.strides[nd - 1];
  const int32_t sb = full_b.strides[nd - 1];
  StridedIndex row_a(out.sizes, full_a.strides, nd - 1);
  StridedIndex row_b(out.sizes, full_b.strides, nd - 1);
  const float* x = a.data_as<float>();
  const float* y = b.data_as<float>();
  float* o = out.data_as<float>();
  const uint32_t rows = out.numel / static_cast<uint32_t>(inner);
  for (uint32_t r = 0; r < rows; ++r, o += inner) {
    const float* xr = x + row_a.offset;
    const float* yr = y + row_b.offset;
    for (int32_t j = 0; j < inner; ++j) o[j] = f(xr[j * sa], yr[j * sb], p);
    row_a.next();
    row_b.next();
  }
}
#endif

// Checks the op against the common dtype and out, then computes every element in
// the math the selected dtypes S keep.
template <Sel S>
Error run_binary(KernelContext& ctx, Elementwise& e, const BinaryOp& op, const Params& params = kNoAlpha) {
  Tensor& out = *e.out;
  if ((op.flags & kFloatResult) && int_math<S>(e)) {
    e.common = ScalarType::Float;  // the default dtype
    e.math = Math::F32;
  }
  if (keeps_int(S) && (op.flags & kNoBool) && e.common == ScalarType::Bool) {
    return ctx.fail(op.bool_refused, Error::InvalidArgument);
  }
  if ((op.flags & kIntOnly) && !int_math<S>(e)) {
    return ctx.fail("self: bitwise ops need integer or Bool tensors (and integer Scalars)", Error::InvalidArgument);
  }
  if (int_math<S>(e) && e.common == ScalarType::UInt64) {
    return ctx.fail("self: UInt64 arithmetic is not supported", Error::NotSupported);
  }
  if (!one_floating(S) && !can_cast(e.common, out.dtype)) {  // one floating dtype: common is out's
    return ctx.fail("out: dtype cannot hold the result (floating into integer, or a number into Bool)",
                    Error::InvalidArgument);
  }
  if (!keeps<S>(e.math)) return dtype_left_out(ctx, e.common);  // not reached: finish checked the tensors
  Params p = params;
  p.common = e.common;
  const Operand& a = *e.in[0];
  const Operand& b = *e.in[1];
  const uint32_t n = out.numel;
  if (int_math<S>(e) && (op.flags & kIntDivisor) && n != 0) {
    for (uint32_t i = 0; i < b.t.numel; ++i) {
      if (get_i(b, i, e.common) == 0) return ctx.fail("other: integer division by zero", Error::InvalidArgument);
    }
  }
#ifndef __OPTIMIZE_SIZE__
  if (keeps_f32(S) && e.math == Math::F32 && out.dtype == ScalarType::Float && a.t.dtype == ScalarType::Float &&
      b.t.dtype == ScalarType::Float && out.dim > 0 && n > 0) {
    broadcast_rows_f32(a.t, b.t, out, op.f, p);
    return Error::Ok;
  }
#endif
  Walker<2> w(e);
  for (uint32_t i = 0; i < n; ++i) {
    switch (e.math) {
      case Math::F32:
        if (keeps_f32(S)) store_double(out.data, out.dtype, i, op.f(get_f(a, w.at(0)), get_f(b, w.at(1)), p));
        break;
      case Math::F64:
        if (keeps_f64(S)) store_double(out.data, out.dtype, i, op.d(get_d(a, w.at(0)), get_d(b, w.at(1)), p));
        break;
      case Math::Int:
        if (keeps_int(S)) put_i(out, i, e.common, op.i(get_i(a, w.at(0), e.common), get_i(b, w.at(1), e.common), p));
        break;
    }
    w.next();
  }
  return Error::Ok;
}

// A binary kernel of one table entry: args [self, other, out, return]; `b_scalar`:
// other is a Scalar.
template <Sel S>
Error binary(KernelContext& ctx, EValue** args, size_t nargs, const BinaryOp& op, bool b_scalar,
             const ArgNames& nb = kOther) {
  Elementwise e;
  ST_TRY(prepare<S>(ctx, args, nargs, 2, false, kSelf, b_scalar, nb, &e));
  if (op.f != nullptr && flat_f32<S>(e, [&op](float x, float y) { return op.f(x, y, kNoAlpha); })) return Error::Ok;
  return run_binary<S>(ctx, e, op);
}

// alpha of add/sub/rsub against the common dtype: an integer for integer results,
// Bool only for Bool results (PyTorch's alpha_check).
template <Sel S>
Error read_alpha(KernelContext& ctx, const EValue* v, const Elementwise& e, Params* p) {
  if (v == nullptr || !(v->is_int() || v->is_double() || v->is_bool())) {
    return ctx.fail("alpha: expected a Scalar (Int, Double or Bool)", Error::InvalidArgument);
  }
  if (v->is_bool() && e.common != ScalarType::Bool) {
    return ctx.fail("alpha: Bool alpha needs Bool tensors", Error::InvalidArgument);
  }
  if (v->is_double() && int_math<S>(e)) {
    return ctx.fail("alpha: must not be a floating point number for integer tensors", Error::InvalidArgument);
  }
  p->alpha_d = v->to_scalar_double();
  p->alpha_f = static_cast<float>(p->alpha_d);
  p->alpha_i = v->is_int() ? v->to_int() : (v->to_bool() ? 1 : 0);
  if (int_math<S>(e)) p->alpha_i = wrap_int(e.common, p->alpha_i);
  return Error::Ok;
}

// add.out / sub.out (other a tensor) and add/sub/rsub.Scalar_out: args [self, other,
// alpha, out, return]. rsub computes other - alpha * self: the operands swap. Not
// inlined: add_out's common case stays a leaf function without a stack frame.
template <Sel S>
__attribute__((noinline)) Error add_sub(KernelContext& ctx, EValue** args, size_t nargs, bool subtract,
                                        bool b_scalar, bool reverse) {
  Elementwise e;
  ST_TRY(prepare<S>(ctx, args, nargs, 3, false, kSelf, b_scalar, kOther, &e));
  if (subtract) {  // PyTorch's sub_check: no Bool operand at all, a Bool Scalar included
    if (e.ops[0].t.dtype == ScalarType::Bool) return ctx.fail(kBoolSub, Error::InvalidArgument);
    if (e.ops[1].t.dtype == ScalarType::Bool) {
      return ctx.fail("other: subtracting a Bool is not supported (use logical_xor)", Error::InvalidArgument);
    }
  }
  Params p;
  ST_TRY(read_alpha<S>(ctx, args[2], e, &p));
  if (reverse) {
    Operand* t = e.in[0];
    e.in[0] = e.in[1];
    e.in[1] = t;
  }
  const float alpha = p.alpha_f;
  const float sign = subtract ? -1.0f : 1.0f;  // x - alpha * y is exactly x + (-alpha) * y
  const VecF32* vec = alpha == 1.0f && !subtract ? ST_VEC_F32(kVecAdd) : nullptr;  // x + 1 * y is x + y
  if (flat_f32<S>(e, [alpha, sign](float x, float y) { return x + sign * alpha * y; }, vec)) return Error::Ok;
  return run_binary<S>(ctx, e, subtract ? kKept<S, kSub> : kKept<S, kAdd>, p);
}

// ---- div with rounding_mode --------------------------------------------------

template <Sel S>
Error rounding_op(KernelContext& ctx, const EValue* v, const BinaryOp** op) {
  if (v == nullptr) return ctx.fail("rounding_mode: missing", Error::InvalidArgument);
  if (v->is_none()) {
    *op = &kKept<S, kTrueDiv>;
    return Error::Ok;
  }
  if (v->tag == Tag::String) {
    const StringRef sr = v->v.s;
    if (sr.size == 5 && __builtin_memcmp(sr.data, "trunc", 5) == 0) {
      *op = &kKept<S, kTruncDiv>;
      return Error::Ok;
    }
    if (sr.size == 5 && __builtin_memcmp(sr.data, "floor", 5) == 0) {
      *op = &kKept<S, kFloorDiv>;
      return Error::Ok;
    }
  }
  return ctx.fail("rounding_mode: must be None, \"trunc\" or \"floor\"", Error::InvalidArgument);
}

// div.Scalar_mode_out / div.out_mode: args [self, other, rounding_mode, out, return].
template <Sel S>
Error div_mode(KernelContext& ctx, EValue** args, size_t nargs, bool b_scalar) {
  Elementwise e;
  ST_TRY(prepare<S>(ctx, args, nargs, 3, false, kSelf, b_scalar, kOther, &e));
  const BinaryOp* op = nullptr;
  ST_TRY(rounding_op<S>(ctx, args[2], &op));
  if (op == &kKept<S, kTrueDiv> && flat_f32<S>(e, [](float x, float y) { return x / y; })) return Error::Ok;
  return run_binary<S>(ctx, e, *op);
}

// ---- pow ---------------------------------------------------------------------

// pow.Tensor_Scalar_out: args [self, exponent, out, return]. Float, Double and
// BFloat16 results of the exponents 2, 3, 0.5, -0.5, -1, -2 use PyTorch's special
// forms (Half uses pow(), as PyTorch's Half kernel does); an integer
// result with a negative exponent fails as in PyTorch.
template <Sel S>
Error pow_tensor_scalar(KernelContext& ctx, EValue** args, size_t nargs) {
  Elementwise e;
  ST_TRY(prepare<S>(ctx, args, nargs, 2, false, kSelf, true, kExponent, &e));
  const double x = args[1]->to_scalar_double();
  if (int_math<S>(e) && e.common != ScalarType::Bool && x < 0) {
    return ctx.fail("exponent: integers to negative integer powers are not allowed", Error::InvalidArgument);
  }
  if (int_math<S>(e)) {
    // PyTorch answers exponents 0 and 1 before picking a dtype kernel, so Bool works for those.
    return run_binary<S>(ctx, e, (x == 0.0 || x == 1.0) ? kKept<S, kPowBool> : kKept<S, kPow>);
  }
  static constexpr struct {
    double exponent;
    BinaryOp op;
  } kSpecial[] = {
      {2.0, kept(S, {sq_f, sq_d, nullptr, 0, nullptr})},       {3.0, kept(S, {cube_f, cube_d, nullptr, 0, nullptr})},
      {0.5, kept(S, {sqrt_f, sqrt_d, nullptr, 0, nullptr})},   {-0.5, kept(S, {rsqrt_f, rsqrt_d, nullptr, 0, nullptr})},
      {-1.0, kept(S, {recip_f, recip_d, nullptr, 0, nullptr})}, {-2.0, kept(S, {rsq_f, rsq_d, nullptr, 0, nullptr})},
  };
  if (x == 2.0 && flat_f32<S>(e, [](float v, float) { return v * v; })) return Error::Ok;
  if (x == 0.5 && flat_f32<S>(e, [](float v, float) { return sqrtf(v); })) return Error::Ok;
  for (const auto& sp : kSpecial) {  // PyTorch's Half kernel calls pow() for every exponent
    if (x == sp.exponent && e.common != ScalarType::Half) return run_binary<S>(ctx, e, sp.op);
  }
  if (flat_f32<S>(e, [](float v, float y) { return powf(v, y); })) return Error::Ok;
  return run_binary<S>(ctx, e, kKept<S, kPow>);
}

// ---- logical ops ----------------------------------------------------------------

enum class Logic : uint8_t { And, Or, Xor };

// logical_and/or/xor.out: args [self, other, out, return]; any real or Bool inputs
// (nonzero, NaN included, is true), out any real or Bool dtype (gets 1 / 0).
template <Sel S>
Error logical(KernelContext& ctx, EValue** args, size_t nargs, Logic op) {
  Elementwise e;
  if (nargs != 4) return ctx.fail("expected 4 args: self, other, out, return value", Error::InvalidArgument);
  ST_TRY(read_tensor(ctx, args[0], kSelf, &e.ops[0]));
  ST_TRY(read_tensor(ctx, args[1], kOther, &e.ops[1]));
  ST_TRY(read_out(ctx, args[2], &e.out));
  e.in[0] = &e.ops[0];
  e.in[1] = &e.ops[1];
  e.n = 2;
  e.promote_from = 2;  // no promotion: each side is read as a truth value
  ST_TRY(finish<S>(ctx, &e, "other: dtype does not promote with self's",
                "other: shape does not broadcast with self"));
  const Tensor& a = e.ops[0].t;
  const Tensor& b = e.ops[1].t;
  Tensor& out = *e.out;
  Walker<2> w(e);
  for (uint32_t i = 0; i < out.numel; ++i) {
    const bool x = load_double(a.data, a.dtype, w.at(0)) != 0.0;
    const bool y = load_double(b.data, b.dtype, w.at(1)) != 0.0;
    const bool r = op == Logic::And ? (x && y) : (op == Logic::Or ? (x || y) : (x != y));
    store_int(out.data, out.dtype, i, r ? 1 : 0);
    w.next();
  }
  return Error::Ok;
}

// ---- where, masked_fill ------------------------------------------------------------

// out[i] = element of `src` at `off` converted to out's dtype (a raw copy when equal).
inline void convert_element(Tensor& out, size_t i, const Tensor& src, size_t off) {
  if (src.dtype == out.dtype) {
    copy_element(out.data, i, src.data, off, element_size(out.dtype));
  } else if (is_floating(out.dtype)) {
    store_double(out.data, out.dtype, i, load_double(src.data, src.dtype, off));
  } else {
    store_int(out.data, out.dtype, i, load_int(src.data, src.dtype, off));
  }
}

// where.self_out: args [condition, self, other, out, return]; condition Bool (or
// Byte, deprecated in PyTorch), the three broadcast; out's dtype is the promoted one.
template <Sel S>
Error where_self(KernelContext& ctx, EValue** args, size_t nargs) {
  Elementwise e;
  if (nargs != 5) return ctx.fail("expected 5 args: condition, self, other, out, return value", Error::InvalidArgument);
  ST_TRY(read_tensor(ctx, args[0], kCondition, &e.ops[0]));
  ST_TRY(read_tensor(ctx, args[1], kSelf, &e.ops[1]));
  ST_TRY(read_tensor(ctx, args[2], kOther, &e.ops[2]));
  ST_TRY(read_out(ctx, args[3], &e.out));
  const Tensor& c = e.ops[0].t;
  if (c.dtype != ScalarType::Bool && c.dtype != ScalarType::Byte) {
    return ctx.fail("condition: must be Bool (or Byte)", Error::InvalidArgument);
  }
  e.in[0] = &e.ops[0];
  e.in[1] = &e.ops[1];
  e.in[2] = &e.ops[2];
  e.n = 3;
  e.promote_from = 1;  // the condition broadcasts but does not promote
  ST_TRY(finish<S>(ctx, &e, "other: dtype does not promote with self's",
                "condition, self and other: shapes do not broadcast"));
  Tensor& out = *e.out;
  if (out.dtype != e.common) {
    return ctx.fail("out: dtype must be the promoted dtype of self and other", Error::InvalidArgument);
  }
  const Tensor& x = e.ops[1].t;
  const Tensor& y = e.ops[2].t;
  const uint32_t n = out.numel;
  if (has(S, ScalarType::Float) && out.dtype == ScalarType::Float && x.dtype == ScalarType::Float &&
      y.dtype == ScalarType::Float && c.numel == n && x.numel == n && y.numel == n) {  // one shape: one flat loop
    const uint8_t* cp = c.data_as<uint8_t>();
    const float* xp = x.data_as<float>();
    const float* yp = y.data_as<float>();
    float* o = out.data_as<float>();
    for (uint32_t i = 0; i < n; ++i) o[i] = cp[i] != 0 ? xp[i] : yp[i];
    return Error::Ok;
  }
  Walker<3> w(e);
  for (uint32_t i = 0; i < n; ++i) {
    if (c.data_as<uint8_t>()[w.at(0)] != 0) {
      convert_element(out, i, x, w.at(1));
    } else {
      convert_element(out, i, y, w.at(2));
    }
    w.next();
  }
  return Error::Ok;
}

// PyTorch's overflow check for an integer Scalar converted to dtype t: in range, or
// for an unsigned t also -max..-1 (which wraps, two's complement: uint8 -2 is 254).
bool fits(ScalarType t, int64_t v) {
  if (is_floating(t) || t == ScalarType::Bool || wrap_int(t, v) == v) return true;
  const bool is_unsigned = t == ScalarType::Byte || t == ScalarType::UInt16 || t == ScalarType::UInt32;
  return is_unsigned && v < 0 && wrap_int(t, -v) == -v;
}

// masked_fill.Scalar_out: args [self, mask, value, out, return]; mask Bool, self and
// mask broadcast; out has self's dtype and gets value (cast to it) where mask is set.
template <Sel S>
Error masked_fill_scalar(KernelContext& ctx, EValue** args, size_t nargs) {
  Elementwise e;
  if (nargs != 5) return ctx.fail("expected 5 args: self, mask, value, out, return value", Error::InvalidArgument);
  ST_TRY(read_tensor(ctx, args[0], kSelf, &e.ops[0]));
  ST_TRY(read_tensor(ctx, args[1], kMask, &e.ops[1]));
  ST_TRY(read_out(ctx, args[3], &e.out));
  const EValue* v = args[2];
  if (v == nullptr || !(v->is_int() || v->is_double() || v->is_bool())) {
    return ctx.fail("value: expected a Scalar (Int, Double or Bool)", Error::InvalidArgument);
  }
  const Tensor& x = e.ops[0].t;
  const Tensor& m = e.ops[1].t;
  if (m.dtype != ScalarType::Bool) return ctx.fail("mask: must be Bool", Error::InvalidArgument);
  e.in[0] = &e.ops[0];
  e.in[1] = &e.ops[1];
  e.n = 2;
  e.promote_from = 2;  // out keeps self's dtype
  ST_TRY(finish<S>(ctx, &e, "mask: dtype does not promote", "mask: shape does not broadcast with self"));
  Tensor& out = *e.out;
  if (out.dtype != x.dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  const bool int_in_range = !v->is_int() || fits(x.dtype, v->to_int());
  const double d = v->is_double() ? v->to_double() : 0.0;
  const bool double_in_range = !v->is_double() || !is_integral(x.dtype) ||
                               (d == d && d < 9.2e18 && d > -9.2e18 && fits(x.dtype, double_to_int64(d)));
  if (!int_in_range || !double_in_range) {
    return ctx.fail("value: out of range for self's dtype", Error::InvalidArgument);
  }
  int64_t slot = 0;  // value in out's dtype, one element
  if (v->is_double()) {
    store_double(&slot, out.dtype, 0, v->to_double());
  } else {
    store_int(&slot, out.dtype, 0, v->is_int() ? v->to_int() : (v->to_bool() ? 1 : 0));
  }
  const uint32_t n = out.numel;
  if (has(S, ScalarType::Float) && out.dtype == ScalarType::Float && x.numel == n && m.numel == n) {
    float fill;
    __builtin_memcpy(&fill, &slot, sizeof(fill));
    const float* xp = x.data_as<float>();
    const uint8_t* mp = m.data_as<uint8_t>();
    float* o = out.data_as<float>();
    for (uint32_t i = 0; i < n; ++i) o[i] = mp[i] != 0 ? fill : xp[i];
    return Error::Ok;
  }
  const size_t es = element_size(out.dtype);
  Walker<2> w(e);
  for (uint32_t i = 0; i < n; ++i) {
    if (m.data_as<uint8_t>()[w.at(1)] != 0) {
      copy_element(out.data, i, &slot, 0, es);
    } else {
      copy_element(out.data, i, x.data, w.at(0), es);
    }
    w.next();
  }
  return Error::Ok;
}

// ---- clamp --------------------------------------------------------------------

// min(max(x, lo), hi) with NaN in any of them propagating; lo > hi gives hi.
template <typename T>
T clamp_value(T x, bool has_lo, T lo, bool has_hi, T hi) {
  if (has_lo) x = max_nan(x, lo);
  if (has_hi) x = min_nan(x, hi);
  return x;
}

// clamp.out (Scalar bounds) and clamp.Tensor_out (tensor bounds, 3-way broadcast):
// args [self, min, max, out, return]; min/max may be None, not both. The common
// dtype promotes self with the bounds; Bool results are refused (as in PyTorch).
template <Sel S>
Error clamp(KernelContext& ctx, EValue** args, size_t nargs, bool tensors) {
  Elementwise e;
  if (nargs != 5) return ctx.fail("expected 5 args: self, min, max, out, return value", Error::InvalidArgument);
  ST_TRY(read_tensor(ctx, args[0], kSelf, &e.ops[0]));
  ST_TRY(read_out(ctx, args[3], &e.out));
  e.in[0] = &e.ops[0];
  e.n = 3;
  const ArgNames* names[2] = {&kMin, &kMax};
  for (int k = 1; k <= 2; ++k) {
    const EValue* v = args[k];
    e.in[k] = nullptr;
    if (v != nullptr && v->is_none()) continue;
    ST_TRY(tensors ? read_tensor(ctx, v, *names[k - 1], &e.ops[k]) : read_scalar(ctx, v, *names[k - 1], &e.ops[k]));
    e.in[k] = &e.ops[k];
  }
  if (e.in[1] == nullptr && e.in[2] == nullptr) {
    return ctx.fail("min: at least one of min and max must not be None", Error::InvalidArgument);
  }
  ST_TRY(finish<S>(ctx, &e, "min: dtype does not promote with self's",
                "min and max: shapes do not broadcast with self"));
  Tensor& out = *e.out;
  if (e.common == ScalarType::Bool) return ctx.fail("self: clamp of Bool is not supported", Error::InvalidArgument);
  if (e.common == ScalarType::UInt64) return ctx.fail("self: UInt64 clamp is not supported", Error::NotSupported);
  if (!can_cast(e.common, out.dtype)) {
    return ctx.fail("out: dtype cannot hold the result (floating into integer, or a number into Bool)",
                    Error::InvalidArgument);
  }
  if (!keeps<S>(e.math)) return dtype_left_out(ctx, e.common);  // not reached: finish checked the tensors
  const bool has_lo = e.in[1] != nullptr;
  const bool has_hi = e.in[2] != nullptr;
  if (!tensors && int_math<S>(e)) {  // integer Scalar bounds must fit the result dtype
    for (int k = 1; k <= 2; ++k) {
      if (e.in[k] != nullptr && !fits(e.common, e.ops[k].slot[0]) && e.ops[k].t.dtype == ScalarType::Long) {
        return ctx.fail(k == 1 ? "min: out of range for the result dtype" : "max: out of range for the result dtype",
                        Error::InvalidArgument);
      }
    }
  }
  const Tensor& x = e.ops[0].t;
  const uint32_t n = out.numel;
  if (has(S, ScalarType::Float) && !tensors && e.common == ScalarType::Float && x.dtype == ScalarType::Float &&
      out.dtype == ScalarType::Float) {
    const float lo = has_lo ? get_f(e.ops[1], 0) : 0.0f;
    const float hi = has_hi ? get_f(e.ops[2], 0) : 0.0f;
    const float* xp = x.data_as<float>();
    float* o = out.data_as<float>();
    if (has_lo && has_hi && lo == lo && hi == hi) {  // the common case: two numeric bounds
      for (uint32_t i = 0; i < n; ++i) {
        const float v = xp[i];
        const float t = v < lo ? lo : v;  // NaN v stays NaN through both
        o[i] = hi < t ? hi : t;
      }
    } else {
      for (uint32_t i = 0; i < n; ++i) o[i] = clamp_value(xp[i], has_lo, lo, has_hi, hi);
    }
    return Error::Ok;
  }
  Walker<3> w(e);
  for (uint32_t i = 0; i < n; ++i) {
    const size_t o1 = has_lo ? w.at(1) : 0;
    const size_t o2 = has_hi ? w.at(2) : 0;
    switch (e.math) {
      case Math::F32:
        if (!keeps_f32(S)) break;
        store_double(out.data, out.dtype, i,
                     clamp_value(get_f(e.ops[0], w.at(0)), has_lo, has_lo ? get_f(e.ops[1], o1) : 0.0f, has_hi,
                                 has_hi ? get_f(e.ops[2], o2) : 0.0f));
        break;
      case Math::F64:
        if (!keeps_f64(S)) break;
        store_double(out.data, out.dtype, i,
                     clamp_value(get_d(e.ops[0], w.at(0)), has_lo, has_lo ? get_d(e.ops[1], o1) : 0.0, has_hi,
                                 has_hi ? get_d(e.ops[2], o2) : 0.0));
        break;
      case Math::Int: {
        if (!keeps_int(S)) break;
        const ScalarType c = e.common;
        put_i(out, i, c,
              clamp_value<int64_t>(get_i(e.ops[0], w.at(0), c), has_lo, has_lo ? get_i(e.ops[1], o1, c) : 0, has_hi,
                                   has_hi ? get_i(e.ops[2], o2, c) : 0));
        break;
      }
    }
    w.next();
  }
  return Error::Ok;
}

// mul and true division, Tensor or Scalar other: args [self, other, out, return].
template <Sel S>
Error mul(KernelContext& ctx, EValue** args, size_t nargs, bool b_scalar) {
  Elementwise e;
  ST_TRY(prepare<S>(ctx, args, nargs, 2, false, kSelf, b_scalar, kOther, &e));
  if (flat_f32<S>(e, [](float x, float y) { return x * y; }, ST_VEC_F32(kVecMul))) return Error::Ok;
  return run_binary<S>(ctx, e, kKept<S, kMul>);
}
template <Sel S>
Error true_div(KernelContext& ctx, EValue** args, size_t nargs, bool b_scalar) {
  Elementwise e;
  ST_TRY(prepare<S>(ctx, args, nargs, 2, false, kSelf, b_scalar, kOther, &e));
  if (flat_f32<S>(e, [](float x, float y) { return x / y; })) return Error::Ok;
  return run_binary<S>(ctx, e, kKept<S, kTrueDiv>);
}

}  // namespace

// ---- kernels (catalog names) ----------------------------------------------------

// The dtypes executorch_model() selected for kernel function fn (every dtype in
// the shared library).
#define ST_SEL(fn) ST_DTYPE_MASK(fn)

// A kernel of one table entry `op`: args [self, other, out, return], other a
// Scalar when b_scalar.
#define ST_BINARY_KERNEL(fn, op, b_scalar)                                           \
  Error fn(KernelContext& ctx, EValue** args, size_t nargs) {                        \
    return binary<ST_SEL(fn)>(ctx, args, nargs, kKept<ST_SEL(fn), op>, b_scalar); \
  }

// add.out's common case, checked in a few compares: contiguous Float self, other
// and out of one shape (out already has it), an Int or Double alpha. Everything
// else (and every refusal) goes through add_sub; both compute x + alpha * y in float.
static bool add_float_same_shape(EValue** args, size_t nargs) {
  if (nargs != 5 || !args[0]->is_tensor() || !args[1]->is_tensor() || !args[3]->is_tensor() ||
      !(args[2]->is_int() || args[2]->is_double())) {
    return false;
  }
  const Tensor& a = args[0]->to_tensor();
  const Tensor& b = args[1]->to_tensor();
  const Tensor& out = args[3]->to_tensor();
  if (a.dtype != ScalarType::Float || b.dtype != ScalarType::Float || out.dtype != ScalarType::Float ||
      a.data == nullptr || b.data == nullptr || out.data == nullptr) {
    return false;
  }
  if (a.dim != b.dim || a.dim != out.dim) return false;
  for (uint8_t d = 0; d < a.dim; ++d) {  // one shape, identity dim order (contiguous)
    if (a.sizes[d] != b.sizes[d] || a.sizes[d] != out.sizes[d] || a.dim_order[d] != d || b.dim_order[d] != d ||
        out.dim_order[d] != d) {
      return false;
    }
  }
  return true;
}

// aten::add.out(Tensor self, Tensor other, *, Scalar alpha=1, Tensor(a!) out): the
// common case in a leaf function without a stack frame (measured in issue 7), the
// rest in the family's driver.
Error add_out(KernelContext& ctx, EValue** args, size_t nargs) {
  if (ST_DTYPE_SELECTED(add_out, ScalarType::Float) && add_float_same_shape(args, nargs)) {
    const float* x = args[0]->to_tensor().data_as<float>();
    const float* y = args[1]->to_tensor().data_as<float>();
    Tensor& out = args[3]->to_tensor();
    float* o = out.data_as<float>();
    const EValue& a = *args[2];
    // alpha is nearly always the Int 1: no conversion then.
    const float alpha = a.is_int() && a.v.i == 1 ? 1.0f : static_cast<float>(a.to_scalar_double());
    for (uint32_t i = 0; i < out.numel; ++i) o[i] = x[i] + alpha * y[i];
    return Error::Ok;
  }
  return add_sub<ST_SEL(add_out)>(ctx, args, nargs, false, false, false);
}
Error sub_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return add_sub<ST_SEL(sub_out)>(ctx, args, nargs, true, false, false);
}
Error add_scalar_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return add_sub<ST_SEL(add_scalar_out)>(ctx, args, nargs, false, true, false);
}
Error sub_scalar_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return add_sub<ST_SEL(sub_scalar_out)>(ctx, args, nargs, true, true, false);
}
Error rsub_scalar_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return add_sub<ST_SEL(rsub_scalar_out)>(ctx, args, nargs, true, true, true);
}

Error mul_out(KernelContext& ctx, EValue** args, size_t nargs) { return mul<ST_SEL(mul_out)>(ctx, args, nargs, false); }
Error mul_scalar_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return mul<ST_SEL(mul_scalar_out)>(ctx, args, nargs, true);
}
Error div_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return true_div<ST_SEL(div_out)>(ctx, args, nargs, false);
}
Error div_scalar_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return true_div<ST_SEL(div_scalar_out)>(ctx, args, nargs, true);
}
Error div_scalar_mode_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return div_mode<ST_SEL(div_scalar_mode_out)>(ctx, args, nargs, true);
}
Error div_out_mode(KernelContext& ctx, EValue** args, size_t nargs) {
  return div_mode<ST_SEL(div_out_mode)>(ctx, args, nargs, false);
}
ST_BINARY_KERNEL(floor_divide_out, kFloorDiv, false)
ST_BINARY_KERNEL(fmod_tensor_out, kFmod, false)
ST_BINARY_KERNEL(fmod_scalar_out, kFmod, true)
ST_BINARY_KERNEL(remainder_tensor_out, kRemainder, false)
ST_BINARY_KERNEL(remainder_scalar_out, kRemainder, true)
// pow.Scalar_out(Scalar self, Tensor exponent): args [self, exponent, out, return].
Error pow_scalar_out(KernelContext& ctx, EValue** args, size_t nargs) {
  Elementwise e;
  ST_TRY(prepare<ST_SEL(pow_scalar_out)>(ctx, args, nargs, 2, true, kSelf, false, kExponent, &e));
  return run_binary<ST_SEL(pow_scalar_out)>(ctx, e, kKept<ST_SEL(pow_scalar_out), kPow>);
}
Error pow_tensor_scalar_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return pow_tensor_scalar<ST_SEL(pow_tensor_scalar_out)>(ctx, args, nargs);
}
Error pow_tensor_tensor_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return binary<ST_SEL(pow_tensor_tensor_out)>(ctx, args, nargs, kKept<ST_SEL(pow_tensor_tensor_out), kPow>, false,
                                               kExponent);
}
ST_BINARY_KERNEL(atan2_out, kAtan2, false)
Error maximum_out(KernelContext& ctx, EValue** args, size_t nargs) {
  Elementwise e;
  ST_TRY(prepare<ST_SEL(maximum_out)>(ctx, args, nargs, 2, false, kSelf, false, kOther, &e));
  if (flat_f32<ST_SEL(maximum_out)>(e, [](float x, float y) { return max_nan(x, y); })) return Error::Ok;
  return run_binary<ST_SEL(maximum_out)>(ctx, e, kKept<ST_SEL(maximum_out), kMaximum>);
}
Error minimum_out(KernelContext& ctx, EValue** args, size_t nargs) {
  Elementwise e;
  ST_TRY(prepare<ST_SEL(minimum_out)>(ctx, args, nargs, 2, false, kSelf, false, kOther, &e));
  if (flat_f32<ST_SEL(minimum_out)>(e, [](float x, float y) { return min_nan(x, y); })) return Error::Ok;
  return run_binary<ST_SEL(minimum_out)>(ctx, e, kKept<ST_SEL(minimum_out), kMinimum>);
}
ST_BINARY_KERNEL(bitwise_and_scalar_out, kAnd, true)
ST_BINARY_KERNEL(bitwise_and_tensor_out, kAnd, false)
ST_BINARY_KERNEL(bitwise_or_scalar_out, kOr, true)
ST_BINARY_KERNEL(bitwise_or_tensor_out, kOr, false)
ST_BINARY_KERNEL(bitwise_xor_scalar_out, kXor, true)
ST_BINARY_KERNEL(bitwise_xor_tensor_out, kXor, false)
ST_BINARY_KERNEL(bitwise_left_shift_tensor_out, kLshift, false)
ST_BINARY_KERNEL(bitwise_left_shift_tensor_scalar_out, kLshift, true)
ST_BINARY_KERNEL(bitwise_right_shift_tensor_out, kRshift, false)
ST_BINARY_KERNEL(bitwise_right_shift_tensor_scalar_out, kRshift, true)
Error logical_and_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return logical<ST_SEL(logical_and_out)>(ctx, args, nargs, Logic::And);
}
Error logical_or_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return logical<ST_SEL(logical_or_out)>(ctx, args, nargs, Logic::Or);
}
Error logical_xor_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return logical<ST_SEL(logical_xor_out)>(ctx, args, nargs, Logic::Xor);
}
Error where_self_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return where_self<ST_SEL(where_self_out)>(ctx, args, nargs);
}
Error clamp_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return clamp<ST_SEL(clamp_out)>(ctx, args, nargs, false);
}
Error clamp_tensor_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return clamp<ST_SEL(clamp_tensor_out)>(ctx, args, nargs, true);
}
Error masked_fill_scalar_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return masked_fill_scalar<ST_SEL(masked_fill_scalar_out)>(ctx, args, nargs);
}

#undef ST_BINARY_KERNEL
#undef ST_SEL

}  // namespace native
}  // namespace slimtorch
