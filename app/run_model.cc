// Runner core shared by host and firmware; see run_model.h.
#include "app/run_model.h"

#include "runtime/platform/log.h"
#include "runtime/platform/platform.h"

namespace slimtorch_app {

using slimtorch::Error;
using slimtorch::EValue;
using slimtorch::ScalarType;
using slimtorch::Tag;
using slimtorch::Tensor;

namespace {

// Output assembly buffer: static, flushed through WriteFn when nearly full.
char g_line[256];
size_t g_len = 0;

void flush(WriteFn write) {
  g_line[g_len] = '\0';
  if (g_len > 0) {
    write(g_line);
  }
  g_len = 0;
}

void put(WriteFn write, const char* s, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (g_len + 1 >= sizeof(g_line)) {
      flush(write);
    }
    g_line[g_len++] = s[i];
  }
}

void put_str(WriteFn write, const char* s) {
  size_t n = 0;
  while (s[n] != '\0') {
    ++n;
  }
  put(write, s, n);
}

void put_int(WriteFn write, int64_t v) {
  char buf[24];
  put(write, buf, slimtorch::format_int(buf, v));
}

int64_t element_as_int(const Tensor& t, size_t i) {
  const void* d = t.data;
  switch (t.dtype) {
    case ScalarType::Byte:
    case ScalarType::QUInt8:
    case ScalarType::Bool: return static_cast<const uint8_t*>(d)[i];
    case ScalarType::Char:
    case ScalarType::QInt8: return static_cast<const int8_t*>(d)[i];
    case ScalarType::Short: return static_cast<const int16_t*>(d)[i];
    case ScalarType::UInt16: return static_cast<const uint16_t*>(d)[i];
    case ScalarType::Int:
    case ScalarType::QInt32: return static_cast<const int32_t*>(d)[i];
    case ScalarType::UInt32: return static_cast<const uint32_t*>(d)[i];
    case ScalarType::Long:
    case ScalarType::UInt64: return static_cast<const int64_t*>(d)[i];
    default: return 0;
  }
}

// ---- floating-point output without double arithmetic -----------------------
// Every floating element is widened to double (exact: hardware conversions on
// the Cortex-M55's double-precision FPU) and printed from the double's bits
// with integer arithmetic: int64 <-> double conversions and double arithmetic
// would be libgcc's soft-float code there (__aeabi_l2d, __aeabi_dadd: 830 B),
// and host and firmware print the same digits from the same code.

// A Half's value as a float (exact).
float half_to_float(uint16_t h) {
  const uint32_t exp = (h >> 10) & 0x1F;
  const uint32_t man = h & 0x3FF;
  float f;
  if (exp == 0) {
    f = static_cast<float>(man) * (1.0f / 16777216.0f);  // subnormal: man * 2^-24
  } else {
    // Normal, inf or NaN: rebias the exponent (all ones stays all ones).
    const uint32_t bits = ((exp == 31 ? 255 : exp + 112) << 23) | (man << 13);
    __builtin_memcpy(&f, &bits, sizeof(f));
  }
  return (h & 0x8000) != 0 ? -f : f;
}

// A positive number f * 2^e with f normalised to [2^63, 2^64).
struct Fp {
  uint64_t f;
  int e;
};

// a * b, truncated to 64 bits (relative error < 2^-62): the high half of the
// 128-bit product from four 32 x 32 -> 64 multiplications.
Fp fp_mul(Fp a, Fp b) {
  const uint64_t al = static_cast<uint32_t>(a.f), ah = a.f >> 32;
  const uint64_t bl = static_cast<uint32_t>(b.f), bh = b.f >> 32;
  const uint64_t lh = al * bh, hl = ah * bl;
  const uint64_t mid = ((al * bl) >> 32) + static_cast<uint32_t>(lh) + static_cast<uint32_t>(hl);
  uint64_t hi = ah * bh + (lh >> 32) + (hl >> 32) + (mid >> 32);  // in [2^62, 2^64)
  int e = a.e + b.e + 64;
  if ((hi >> 63) == 0) {
    hi = (hi << 1) | ((mid >> 31) & 1);
    --e;
  }
  return Fp{hi, e};
}

// 10^(2^k) and 10^-(2^k), k = 0..8, as f * 2^e rounded to nearest (f below,
// e in kPow10Exp): binary powers reach every decimal exponent of a double.
const uint64_t kPow10Man[2][9] = {
    {0xA000000000000000u, 0xC800000000000000u, 0x9C40000000000000u, 0xBEBC200000000000u, 0x8E1BC9BF04000000u,
     0x9DC5ADA82B70B59Eu, 0xC2781F49FFCFA6D5u, 0x93BA47C980E98CE0u, 0xAA7EEBFB9DF9DE8Eu},
    {0xCCCCCCCCCCCCCCCDu, 0xA3D70A3D70A3D70Au, 0xD1B71758E219652Cu, 0xABCC77118461CEFDu, 0xE69594BEC44DE15Bu,
     0xCFB11EAD453994BAu, 0xA87FEA27A539E9A5u, 0xDDD0467C64BCE4A1u, 0xC0314325637A193Au},
};
const int16_t kPow10Exp[2][9] = {
    {-60, -57, -50, -37, -10, 43, 149, 362, 787},
    {-67, -70, -77, -90, -117, -170, -276, -489, -914},
};

// v * 10^n for |n| < 512: at most 9 products, so within 2^-58 relative of the
// exact value.
Fp scale_pow10(Fp v, int n) {
  const int neg = n < 0 ? 1 : 0;
  const unsigned a = static_cast<unsigned>(n < 0 ? -n : n);
  for (int k = 0; k < 9; ++k) {
    if ((a >> k) & 1) v = fp_mul(v, Fp{kPow10Man[neg][k], kPow10Exp[neg][k]});
  }
  return v;
}

// The value with 9 significant digits, as printf("%.9g") prints it ("nan",
// "-inf", "-0", "1.5", "1e-05", "123456789", "1.23456789e+09"); buf needs 32
// bytes; returns the length. 9 digits make every float round-trip. The digits
// are printf's correctly rounded ones (a value within 2^-58 relative of a tie
// could round the other way) and NaN prints as "nan" whatever its sign.
size_t format_g9(double v, char* buf) {
  uint64_t bits;
  __builtin_memcpy(&bits, &v, sizeof(bits));
  const int exp = static_cast<int>(bits >> 52) & 0x7FF;
  uint64_t m = bits & ((uint64_t{1} << 52) - 1);
  char* p = buf;
  if (exp == 0x7FF && m != 0) {
    __builtin_memcpy(p, "nan", 4);
    return 3;
  }
  if ((bits >> 63) != 0) *p++ = '-';
  if (exp == 0x7FF) {
    __builtin_memcpy(p, "inf", 4);
    return static_cast<size_t>(p - buf) + 3;
  }
  if (exp == 0 && m == 0) {
    *p++ = '0';
    *p = '\0';
    return static_cast<size_t>(p - buf);
  }
  // |v| = m * 2^e2 (subnormals have no implicit 1), normalised to 64 bits (exact).
  if (exp != 0) m |= uint64_t{1} << 52;
  const int lz = __builtin_clzll(m);
  const Fp x{m << lz, (exp != 0 ? exp : 1) - 1075 - lz};
  // Decimal exponent: x is in [2^t, 2^(t+1)) with t = x.e + 63, so floor(log10 x)
  // is floor(t log10 2) or one more; 1233/4096 approximates log10 2 closely
  // enough that the estimate below is never above it. Raise it until x / 10^e
  // is below 10, i.e. the scaled value below 1e9 = 0xEE6B280000000000 * 2^-34.
  const int t = x.e + 63;
  int e = ((t * 1233) >> 12) - 1;
  Fp s = scale_pow10(x, 8 - e);
  while (s.e > -34 || (s.e == -34 && s.f >= 0xEE6B280000000000u)) {
    ++e;
    s = scale_pow10(x, 8 - e);
  }
  // s is in [1e8, 1e9), so s.e is in [-37, -34]: round to an integer, ties to
  // even like printf (ties come from short binary fractions such as 1.2363281250,
  // whose scaling is exact: their powers of ten are exact and the products short).
  const int shift = -s.e;
  const uint64_t half = uint64_t{1} << (shift - 1);
  const uint64_t rest = s.f & ((half << 1) - 1);
  uint32_t n = static_cast<uint32_t>(s.f >> shift);
  if (rest > half || (rest == half && (n & 1) != 0)) ++n;
  if (n >= 1000000000u) {  // 999999999.5 and up rounds to the next power of ten
    n = 100000000u;
    ++e;
  }
  char digits[9];
  for (int i = 8; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + n % 10);
    n /= 10;
  }
  int last = 8;  // %g drops trailing zeros
  while (last > 0 && digits[last] == '0') {
    --last;
  }
  // %g: scientific below 1e-4 and from 1e9 up, else fixed; trailing zeros dropped.
  const bool sci = e < -4 || e >= 9;
  int point = sci ? 1 : e + 1;  // digits before the decimal point
  if (point <= 0) {             // 0.000ddd
    *p++ = '0';
    *p++ = '.';
    for (; point < 0; ++point) *p++ = '0';
    point = -1;
  }
  const int end = last + 1 > point ? last + 1 : point;
  for (int i = 0; i < end; ++i) {
    if (i == point) *p++ = '.';
    *p++ = digits[i];
  }
  if (sci) {
    *p++ = 'e';
    *p++ = e < 0 ? '-' : '+';
    const int ae = e < 0 ? -e : e;
    if (ae >= 100) *p++ = static_cast<char>('0' + ae / 100);
    *p++ = static_cast<char>('0' + (ae / 10) % 10);
    *p++ = static_cast<char>('0' + ae % 10);
  }
  *p = '\0';
  return static_cast<size_t>(p - buf);
}

bool is_floating(ScalarType t) {
  return t == ScalarType::Float || t == ScalarType::Double || t == ScalarType::Half || t == ScalarType::BFloat16;
}

// Element i of a floating tensor `t` (is_floating) as a double (exact).
double element_as_double(const Tensor& t, size_t i) {
  switch (t.dtype) {
    case ScalarType::Double: return static_cast<const double*>(t.data)[i];
    case ScalarType::Half: return half_to_float(static_cast<const uint16_t*>(t.data)[i]);
    case ScalarType::BFloat16: {  // the top half of a float
      const uint32_t bits = static_cast<uint32_t>(static_cast<const uint16_t*>(t.data)[i]) << 16;
      float f;
      __builtin_memcpy(&f, &bits, sizeof(f));
      return f;
    }
    default: return static_cast<const float*>(t.data)[i];
  }
}

}  // namespace

Error run_method(const slimtorch::Program& program, const RunRequest& request, slimtorch::Method* method) {
  slimtorch::MemoryConfig memory;
  memory.planned = request.planned;
  memory.arena = request.arena;
  ST_TRY(method->init(program, 0, memory));
  if (request.num_inputs != method->num_inputs()) {
    return slimtorch::Fail(Error::InvalidArgument).s("the method takes ").n(static_cast<int64_t>(method->num_inputs()))
        .s(" inputs, got ").n(static_cast<int64_t>(request.num_inputs)).done();
  }
  for (uint32_t run = 0; run < (request.iterations > 0 ? request.iterations : 1); ++run) {
    const uint64_t t0 = request.exec_ns != nullptr ? slimtorch::st_time_ns() : 0;
    for (size_t i = 0; i < request.num_inputs; ++i) {  // inputs' memory may be reused: set each time
      const RunInput& in = request.inputs[i];
      if (in.shape != nullptr && method->input(i).is_tensor()) {
        ST_TRY(method->set_input_shape(i, in.shape, in.ndim));
      }
      ST_TRY(method->set_input(i, in.data, in.nbytes));
    }
    ST_TRY(method->execute());
    if (request.exec_ns != nullptr) request.exec_ns[run] = slimtorch::st_time_ns() - t0;
  }
  return Error::Ok;
}

void print_outputs(const slimtorch::Method& method, WriteFn write) {
  char num[32];
  for (size_t i = 0; i < method.num_outputs(); ++i) {
    const EValue& v = method.output(i);
    put_str(write, "output ");
    put_int(write, static_cast<int64_t>(i));
    put_str(write, " shape ");
    if (v.tag == Tag::Tensor) {
      const Tensor& t = v.to_tensor();
      if (t.dim == 0) {
        put_str(write, "()");
      }
      for (uint8_t d = 0; d < t.dim; ++d) {
        if (d > 0) put_str(write, "x");
        put_int(write, t.sizes[d]);
      }
      put_str(write, " :");
      const bool floating = is_floating(t.dtype);
      for (uint32_t k = 0; k < t.numel; ++k) {
        put_str(write, " ");
        if (floating) {
          put(write, num, format_g9(element_as_double(t, k), num));
        } else {
          put_int(write, element_as_int(t, k));
        }
      }
    } else {
      put_str(write, "() :");
      if (v.tag == Tag::Int || v.tag == Tag::Bool) {
        put_str(write, " ");
        put_int(write, v.tag == Tag::Int ? v.v.i : (v.v.b ? 1 : 0));
      } else if (v.tag == Tag::Double) {
        put_str(write, " ");
        put(write, num, format_g9(v.v.d, num));
      }
    }
    put_str(write, "\n");
    flush(write);
  }
}

void print_error(Error e, WriteFn write) {
  put_str(write, "error: ");
  const char* msg = slimtorch::last_error_message();
  put_str(write, msg[0] != '\0' ? msg : slimtorch::error_name(e));
  put_str(write, " (");
  put_str(write, slimtorch::error_name(e));
  put_str(write, ")\n");
  flush(write);
}

}  // namespace slimtorch_app
