// Last-error buffer and the tiny integer formatter behind Fail and st_log_num.
#include "runtime/platform/log.h"

namespace slimtorch {
namespace {

// Owned by this file; overwritten by each Fail. Always NUL-terminated.
char g_message[kErrorMessageCapacity];
#if SLIMTORCH_ERROR_MESSAGES
size_t g_length = 0;

void append(const char* text, size_t len) {
  for (size_t i = 0; i < len && g_length + 1 < kErrorMessageCapacity; ++i) {
    g_message[g_length++] = text[i];
  }
  g_message[g_length] = '\0';
}
#endif

}  // namespace

const char* last_error_message() { return g_message; }

size_t format_int(char* buf, int64_t v) {
  char tmp[20];
  size_t n = 0;
  // Work on the negative value so INT64_MIN needs no special case.
  int64_t x = v < 0 ? v : -v;
  do {
    tmp[n++] = static_cast<char>('0' - (x % 10));
    x /= 10;
  } while (x != 0);
  size_t out = 0;
  if (v < 0) {
    buf[out++] = '-';
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
  size_t len = 0;
  while (text[len] != '\0') {
    ++len;
  }
  append(text, len);
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
