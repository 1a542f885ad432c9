// The last-error buffer, the integer formatter, and the steps behind ST_FAIL
// (runtime/platform/log.h) for the text and token message modes.
#include "runtime/platform/log.h"

namespace slimtorch {
namespace {

// Owned by this file; overwritten by each failure. Always NUL-terminated.
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

// Writes the lowercase hexadecimal digits of `v` (at least one) to buf, which
// has room for 16; returns how many. Shifts only: no division on small cores.
size_t format_hex(char* buf, uint64_t v) {
  size_t n = 1;
  for (uint64_t rest = v >> 4; rest != 0; rest >>= 4) {
    ++n;
  }
  for (size_t i = n; i-- > 0; v >>= 4) {  // last digit first
    const uint32_t d = static_cast<uint32_t>(v & 0xF);
    buf[i] = static_cast<char>(d < 10 ? '0' + d : 'a' + (d - 10));
  }
  return n;
}

#if SLIMTORCH_ERROR_MESSAGES == 2
const char* g_fmt = "";  // the rest of the format literal, after the last placeholder consumed

// Appends the format up to its next placeholder, `{}` or `{s}` (consumed), or its end.
void append_fmt() {
  size_t n = 0;
  size_t skip = 0;
  for (; g_fmt[n] != '\0'; ++n) {
    if (g_fmt[n] == '{' && g_fmt[n + 1] == '}') {
      skip = 2;
      break;
    }
    if (g_fmt[n] == '{' && g_fmt[n + 1] == 's' && g_fmt[n + 2] == '}') {
      skip = 3;
      break;
    }
  }
  append(g_fmt, n);
  g_fmt += n + skip;
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
  if ((mag >> 32) != 0) {
    // Beyond 32 bits (only corrupt counts and offsets get here): hexadecimal,
    // which needs only shifts.
    buf[out++] = '0';
    buf[out++] = 'x';
    return out + format_hex(buf + out, mag);
  }
  // Decimal with 32-bit division only: 32-bit targets divide in hardware
  // (Cortex-M55 UDIV) but would pull ~900 bytes of libgcc for 64-bit division.
  char tmp[10];
  size_t n = 0;
  uint32_t x = static_cast<uint32_t>(mag);
  do {
    tmp[n++] = static_cast<char>('0' + x % 10);
    x /= 10;
  } while (x != 0);
  while (n > 0) {
    buf[out++] = tmp[--n];
  }
  return out;
}

#if SLIMTORCH_ERROR_MESSAGES == 2
void st_error_context(const char* prefix, int64_t n) {
  char num[24];
  append(" (", 2);
  append(prefix, SIZE_MAX);
  append(num, format_int(num, n));
  append(")", 1);
  st_log(LogLevel::Debug, g_message);
}

namespace fail_detail {

void begin(const char* fmt) {
  g_length = 0;
  g_fmt = fmt;
  append_fmt();
}

void arg(int64_t v) {
  char buf[24];
  append(buf, format_int(buf, v));
  append_fmt();
}

void arg(const char* s) {
  append(s, SIZE_MAX);
  append_fmt();
}

void end() { st_log(LogLevel::Debug, g_message); }  // reported by the application

}  // namespace fail_detail

#elif SLIMTORCH_ERROR_MESSAGES == 1

namespace fail_detail {
namespace {

// Appends " <hex>" (lowercase, no leading zeros, at least one digit).
void append_hex(uintptr_t v) {
  char buf[17] = " ";
  append(buf, 1 + format_hex(buf + 1, v));
}

// "[msg <token>" then " <arg>" per integer, then "]", all in hexadecimal (no
// division on small cores): the token without its code nibble (the decoder
// matches the top 28 bits); each integer as the image's word (two's
// complement, the decoder restores the sign from the ELF class).
Error token_n(uint32_t packed, const intptr_t* v, size_t n) {
  g_length = 0;
  append("[msg", 4);
  append_hex(packed & ~0xFu);
  for (size_t i = 0; i < n; ++i) {
    append_hex(static_cast<uintptr_t>(v[i]));
  }
  append("]", 1);
  st_log(LogLevel::Debug, g_message);  // reported by the application
  return static_cast<Error>(packed & 0xF);
}

}  // namespace

Error token(uint32_t packed) { return token_n(packed, nullptr, 0); }
Error token(uint32_t packed, intptr_t a) { return token_n(packed, &a, 1); }
Error token(uint32_t packed, intptr_t a, intptr_t b) {
  const intptr_t v[] = {a, b};
  return token_n(packed, v, 2);
}
Error token(uint32_t packed, intptr_t a, intptr_t b, intptr_t c) {
  const intptr_t v[] = {a, b, c};
  return token_n(packed, v, 3);
}
Error token(uint32_t packed, intptr_t a, intptr_t b, intptr_t c, intptr_t d) {
  const intptr_t v[] = {a, b, c, d};
  return token_n(packed, v, 4);
}

}  // namespace fail_detail

#endif  // SLIMTORCH_ERROR_MESSAGES

}  // namespace slimtorch
