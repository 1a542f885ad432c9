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

// ---- floating-point output without soft-float code -------------------------
// Every floating element is widened to double and formatted with double
// arithmetic, all of it hardware on the Cortex-M55's double-precision FPU.
// No 64-bit integer <-> double conversion is used: that would be libgcc's
// soft-float code there (__aeabi_l2d, __aeabi_ul2d, and the __aeabi_dadd they
// share an object with: 830 B). Host and firmware print the same digits.

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

// The value with 9 significant digits, as printf("%.9g") prints it ("nan",
// "-inf", "-0", "1.5", "1e-05", "123456789", "1.23456789e+09"); buf needs 32
// bytes; returns the length. 9 digits make every float round-trip. The digits
// are printf's correctly rounded ones (a value within ~1e-15 relative of a tie
// could round the other way) and NaN prints as "nan" whatever its sign.
size_t format_g9(double v, char* buf) {
  char* p = buf;
  if (v != v) {
    __builtin_memcpy(p, "nan", 4);
    return 3;
  }
  if (v < 0 || (v == 0 && __builtin_signbit(v))) {
    *p++ = '-';
    v = -v;
  }
  if (v > 1.7976931348623157e308) {
    __builtin_memcpy(p, "inf", 4);
    return static_cast<size_t>(p - buf) + 3;
  }
  if (v == 0) {
    *p++ = '0';
    *p = '\0';
    return static_cast<size_t>(p - buf);
  }
  // Normalise v into [1, 10) with binary powers of ten, tracking the exponent
  // (each step rounds once, so v stays within ~1e-15 relative: far below what
  // 9 digits resolve).
  static const double kPow[9] = {1e1, 1e2, 1e4, 1e8, 1e16, 1e32, 1e64, 1e128, 1e256};
  const double x = v;
  int e = 0;
  const bool big = v >= 10;  // divide down to [1, 10), else multiply up (v < 1)
  for (int k = 8; k >= 0; --k) {
    const double t = big ? v / kPow[k] : v * kPow[k];
    if (big ? t >= 1 : (v < 1 && t < 10)) {
      v = t;
      e += big ? 1 << k : -(1 << k);
    }
  }
  // 9 significant digits: v is in [1, 10), so n < 10^9 + 1 fits 32 bits and the
  // digit loop divides in hardware. Ties round to even like printf: they come
  // from short binary fractions (1.2363281250, 20.08984375), so for
  // 1 <= x < 1e9 scale x itself up by exact powers of ten (the division above
  // rounds); below 1, v * 1e8 is already a product of exact scalings.
  double scaled = v * 1e8;
  if (e >= 0 && e <= 8) {
    scaled = x;
    for (int k = 0; k < 4; ++k) {
      if (((8 - e) >> k) & 1) scaled *= kPow[k];
    }
  }
  uint32_t n = static_cast<uint32_t>(scaled);
  const double rest = scaled - n;
  if (rest > 0.5 || (rest == 0.5 && (n & 1) != 0)) ++n;
  if (n >= 1000000000u) {  // 9.999999995 and up rounds to 10
    n /= 10;
    e += 1;
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

// Copies row-major `src` into tensor `t`'s memory, laid out in t's dim order.
void copy_to_dim_order(const Tensor& t, const void* src) {
  const size_t es = slimtorch::element_size(t.dtype);
  const uint8_t* from = static_cast<const uint8_t*>(src);
  uint8_t* to = static_cast<uint8_t*>(t.data);
  for (uint32_t k = 0; k < t.numel; ++k) {
    __builtin_memcpy(to + memory_index(t, k) * es, from + static_cast<size_t>(k) * es, es);
  }
}

}  // namespace

size_t memory_index(const Tensor& t, uint32_t k) {
  if (slimtorch::is_contiguous(t)) return k;
  size_t index = 0;
  for (int d = t.dim - 1; d >= 0; --d) {
    const uint32_t size = static_cast<uint32_t>(t.sizes[d]);
    index += static_cast<size_t>(k % size) * slimtorch::dim_order_stride(t, d);
    k /= size;
  }
  return index;
}

Error run_method(const slimtorch::Program& program, const RunRequest& request, slimtorch::Method* method) {
  slimtorch::MemoryConfig memory;
  memory.planned = request.planned;
  memory.arena = request.arena;
  ST_TRY(method->init(program, 0, memory));
  if (request.num_inputs != method->num_inputs()) {
    return ST_FAIL(Error::InvalidArgument, "the method takes {} inputs, got {}",
                   method->num_inputs(), request.num_inputs);
  }
  for (uint32_t run = 0; run < (request.iterations > 0 ? request.iterations : 1); ++run) {
    const uint64_t t0 = request.exec_ns != nullptr ? slimtorch::st_time_ns() : 0;
    for (size_t i = 0; i < request.num_inputs; ++i) {  // inputs' memory may be reused: set each time
      const RunInput& in = request.inputs[i];
      if (in.shape != nullptr && method->input(i).is_tensor()) {
        ST_TRY(method->set_input_shape(i, in.shape, in.ndim));
      }
      ST_TRY(method->set_input(i, in.data, in.nbytes));  // checks the size, copies as is
      const EValue& v = method->input(i);
      if (v.is_tensor() && !slimtorch::is_contiguous(v.to_tensor())) copy_to_dim_order(v.to_tensor(), in.data);
    }
    ST_TRY(method->execute());
    if (request.exec_ns != nullptr) request.exec_ns[run] = slimtorch::st_time_ns() - t0;
  }
  return Error::Ok;
}

Error run_embedded(const EmbeddedModel& model, slimtorch::Span<uint8_t> arena, uint32_t iterations,
                   EmbeddedRun* run) {
  if (model.program_size == 0) {
    return ST_FAIL(Error::InvalidArgument, "no program embedded in this image");
  }
  if (model.num_inputs > SLIMTORCH_MAX_INPUTS || model.num_planned > SLIMTORCH_MAX_MEMORY_IDS) {
    return ST_FAIL(Error::InvalidArgument, "too many inputs or planned buffers: raise SLIMTORCH_MAX_INPUTS or SLIMTORCH_MAX_MEMORY_IDS");
  }
  slimtorch::Result<slimtorch::Program> program =
      slimtorch::Program::load(slimtorch::Span<const uint8_t>(model.program, model.program_size));
  if (!program.ok()) return program.error();
  run->program = program.get();
  for (size_t i = 0; i < model.num_planned; ++i) {
    run->planned[i] = slimtorch::Span<uint8_t>(model.planned[i].data, model.planned[i].size);
  }
  for (size_t i = 0; i < model.num_inputs; ++i) {
    const EmbeddedInput& in = model.inputs[i];
    run->inputs[i] = RunInput{in.data, in.nbytes, in.shape, in.ndim};
  }
  RunRequest request;
  request.inputs = run->inputs;
  request.num_inputs = model.num_inputs;
  request.planned = slimtorch::Span<slimtorch::Span<uint8_t>>(run->planned, model.num_planned);
  request.arena = arena;
  request.iterations = iterations;
  return run_method(run->program, request, &run->method);
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
        const size_t m = memory_index(t, k);
        if (floating) {
          put(write, num, format_g9(element_as_double(t, m), num));
        } else {
          put_int(write, element_as_int(t, m));
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

bool run_and_print_model(const EmbeddedModel& model, slimtorch::Span<uint8_t> arena, EmbeddedRun* run,
                         WriteFn write) {
  write("model ");
  write(model.name);
  write("\n");
  const slimtorch::Error e = run_embedded(model, arena, 1, run);
  if (e != slimtorch::Error::Ok) {
    print_error(e, write);
    return false;
  }
  print_outputs(run->method, write);
  return true;
}

}  // namespace slimtorch_app
