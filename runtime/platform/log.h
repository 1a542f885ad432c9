// Error messages without printf. The runtime keeps the message of the most
// recent failure in one static buffer (last_error_message()), so applications
// can print "error: <message>". Messages are assembled with Fail:
//
//   return Fail(Error::InvalidProgram).s("value ").n(i).s(": bad dim order").done();
//
// done() logs the message at LogLevel::Error and returns the code.
// The buffer is global and not thread-safe: one method executes at a time.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "runtime/core/error.h"
#include "runtime/platform/platform.h"

namespace slimtorch {

constexpr size_t kErrorMessageCapacity = 256;

// Error messages are a build option: with SLIMTORCH_ERROR_MESSAGES=0
// (`--//runtime/core:error_messages=false`; runtime/core/error.h)
// Fail keeps only the error code: its text pieces are inline no-ops, so the
// compiler drops the strings and the formatting calls (release firmware).
// The last message built by Fail (empty before any failure, and always with
// error messages off). Static storage.
const char* last_error_message();

// Appends decimal `v` to buf (which has room for at least 21 chars); returns chars written.
size_t format_int(char* buf, int64_t v);

#if SLIMTORCH_ERROR_MESSAGES

// Logs "<prefix><n>" at `level` without printf.
void st_log_num(LogLevel level, const char* prefix, int64_t n);

class Fail {
 public:
  explicit Fail(Error e);  // clears the last-error buffer
  Fail& s(const char* text);
  Fail& s(const char* text, size_t len);  // not NUL-terminated text
  Fail& n(int64_t v);
  Error done();  // logs the message and returns the error code

 private:
  Error error_;
};

#else

inline void st_log_num(LogLevel, const char*, int64_t) {}

class Fail {
 public:
  explicit Fail(Error e) : error_(e) {}
  Fail& s(const char*) { return *this; }
  Fail& s(const char*, size_t) { return *this; }
  Fail& n(int64_t) { return *this; }
  Error done() { return error_; }

 private:
  Error error_;
};

#endif  // SLIMTORCH_ERROR_MESSAGES

}  // namespace slimtorch
