// Last-error buffer and the tiny integer formatter behind Fail and st_log_num.
#include "runtime/platform/log.h"

namespace slimtorch {
namespace {

// Owned by this file; overwritten by each Fail. Always NUL-terminated.
char g_message[kErrorMessageCapacity];
#if SLIMTORCH_ERROR_MESSAGES
size_t g_length = 0;

// Appends up to `len` chars of `text`, stopping early at a NUL (so
// NUL-terminated text passes len = SIZE_MAX and needs no strlen).
void append(const char* text, size_t len) {
  for (size_t i = 0; i < len && text[i] != '\0' && g_length + 1 < kErrorMessageCapacity; ++i) {
    g_message[g_length++] = text[i];
  }
  g_message[g_length] = '\0';
}
#endif

}  // namespace

const char* last_error_message() { return g_message; }

size_t format_int(char* buf, int64_t v) {
  // Magnitude as unsigned (well defined for INT64_MIN too).
  const uint64_t mag = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  size_t out = 0;
  if (v < 0) {
    buf[out++] = '-';
  }
  char tmp[16];
  size_t n = 0;
  if ((mag >> 32) == 0) {
    // Decimal with 32-bit division only: 32-bit targets divide in hardware
    // (Cortex-M55 UDIV) but would pull ~900 bytes of libgcc for 64-bit division.
    uint32_t x = static_cast<uint32_t>(mag);
    do {
      tmp[n++] = static_cast<char>('0' + x % 10);
      x /= 10;
    } while (x != 0);
  } else {
    // Beyond 32 bits (only corrupt counts and offsets get here): hexadecimal,
    // which needs only shifts.
    uint64_t x = mag;
    do {
      const uint32_t d = static_cast<uint32_t>(x & 0xF);
      tmp[n++] = static_cast<char>(d < 10 ? '0' + d : 'a' + (d - 10));
      x >>= 4;
    } while (x != 0);
    buf[out++] = '0';
    buf[out++] = 'x';
  }
  while (n > 0) {
    buf[out++] = tmp[--n];
  }
  return out;
}

#if SLIMTORCH_ERROR_MESSAGES

void st_log_num(LogLevel level, const char* prefix, int64_t n) {
  char line[96];
  size_t len = 0;
  while (prefix[len] != '\0' && len < sizeof(line) - 22) {
    line[len] = prefix[len];
    ++len;
  }
  len += format_int(line + len, n);
  line[len] = '\0';
  st_log(level, line);
}

Fail::Fail(Error e) : error_(e) {
  g_length = 0;
  g_message[0] = '\0';
}

Fail& Fail::s(const char* text) {
  append(text, SIZE_MAX);
  return *this;
}

Fail& Fail::s(const char* text, size_t len) {
  append(text, len);
  return *this;
}

Fail& Fail::n(int64_t v) {
  char buf[24];
  append(buf, format_int(buf, v));
  return *this;
}

Error Fail::done() {
  st_log(LogLevel::Error, g_message);
  return error_;
}

#endif  // SLIMTORCH_ERROR_MESSAGES

}  // namespace slimtorch
