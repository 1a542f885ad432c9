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

// The last message built by Fail (empty before any failure). Static storage.
const char* last_error_message();

// Appends decimal `v` to buf (which has room for at least 21 chars); returns chars written.
size_t format_int(char* buf, int64_t v);

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

}  // namespace slimtorch
