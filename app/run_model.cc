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

double half_to_double(uint16_t h) {
  const int exp = (h >> 10) & 0x1F;
  const int man = h & 0x3FF;
  double v;
  if (exp == 0) {
    v = man / 1024.0 / 16384.0;  // subnormal: man * 2^-24
  } else if (exp == 31) {
    v = man == 0 ? __builtin_inf() : __builtin_nan("");
  } else {
    v = (1.0 + man / 1024.0);
    for (int e = exp - 15; e > 0; --e) v *= 2.0;
    for (int e = exp - 15; e < 0; ++e) v *= 0.5;
  }
  return (h & 0x8000) != 0 ? -v : v;
}

bool is_integral(ScalarType t) {
  return t == ScalarType::Byte || t == ScalarType::Char || t == ScalarType::Short || t == ScalarType::Int ||
         t == ScalarType::Long || t == ScalarType::UInt16 || t == ScalarType::UInt32 || t == ScalarType::UInt64 ||
         t == ScalarType::Bool || t == ScalarType::QInt8 || t == ScalarType::QUInt8 || t == ScalarType::QInt32;
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

}  // namespace

double element_as_double(const Tensor& t, size_t i) {
  switch (t.dtype) {
    case ScalarType::Float: return static_cast<const float*>(t.data)[i];
    case ScalarType::Double: return static_cast<const double*>(t.data)[i];
    case ScalarType::Half: return half_to_double(static_cast<const uint16_t*>(t.data)[i]);
    case ScalarType::BFloat16: {
      const uint32_t bits = static_cast<uint32_t>(static_cast<const uint16_t*>(t.data)[i]) << 16;
      float f;
      __builtin_memcpy(&f, &bits, 4);
      return f;
    }
    default: return static_cast<double>(element_as_int(t, i));
  }
}

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
  // Normalise v into [1, 10) with binary powers of ten, tracking the exponent.
  static const double kPow[9] = {1e1, 1e2, 1e4, 1e8, 1e16, 1e32, 1e64, 1e128, 1e256};
  int e = 0;
  if (v >= 10) {
    for (int k = 8; k >= 0; --k) {
      if (v >= kPow[k]) {
        v /= kPow[k];
        e += 1 << k;
      }
    }
  } else if (v < 1) {
    for (int k = 8; k >= 0; --k) {
      if (v * kPow[k] < 10) {
        v *= kPow[k];
        e -= 1 << k;
      }
    }
  }
  // 9 significant digits: v is in [1, 10), so m < 10^9 + 1 fits 32 bits and the
  // digit loop divides in hardware (no 64-bit division from libgcc on arm_m55).
  uint32_t m = static_cast<uint32_t>(v * 1e8 + 0.5);
  if (m >= 1000000000u) {
    m /= 10;
    e += 1;
  }
  char digits[9];
  for (int i = 8; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + m % 10);
    m /= 10;
  }
  int last = 8;  // %g drops trailing zeros
  while (last > 0 && digits[last] == '0') {
    --last;
  }
  if (e < -4 || e >= 9) {
    *p++ = digits[0];
    if (last > 0) {
      *p++ = '.';
      for (int i = 1; i <= last; ++i) *p++ = digits[i];
    }
    *p++ = 'e';
    *p++ = e < 0 ? '-' : '+';
    const int ae = e < 0 ? -e : e;
    if (ae >= 100) *p++ = static_cast<char>('0' + ae / 100);
    *p++ = static_cast<char>('0' + (ae / 10) % 10);
    *p++ = static_cast<char>('0' + ae % 10);
  } else if (e >= 0) {
    for (int i = 0; i <= e; ++i) *p++ = digits[i];
    if (last > e) {
      *p++ = '.';
      for (int i = e + 1; i <= last; ++i) *p++ = digits[i];
    }
  } else {
    *p++ = '0';
    *p++ = '.';
    for (int i = 0; i < -e - 1; ++i) *p++ = '0';
    for (int i = 0; i <= last; ++i) *p++ = digits[i];
  }
  *p = '\0';
  return static_cast<size_t>(p - buf);
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
      const bool ints = is_integral(t.dtype);
      for (uint32_t k = 0; k < t.numel; ++k) {
        put_str(write, " ");
        if (ints) {
          put_int(write, element_as_int(t, k));
        } else {
          put(write, num, format_g9(element_as_double(t, k), num));
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
