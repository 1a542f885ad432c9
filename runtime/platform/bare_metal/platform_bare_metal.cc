// Bare-metal platform (every board of platforms/bare_metal): log lines over
// semihosting, time from the board's clock (platforms/bare_metal/clock.h), abort
// through semihosting exit.
#include <stdint.h>

#include "platforms/bare_metal/clock.h"
#include "platforms/bare_metal/semihosting.h"
#include "runtime/platform/platform.h"

namespace slimtorch {

void st_log(LogLevel level, const char* msg) {
  if (level == LogLevel::Debug) {
    return;
  }
  st_semihost_write0(level == LogLevel::Error ? "[slimtorch E] " : "[slimtorch I] ");
  st_semihost_write0(msg);
  st_semihost_write0("\n");
}

uint64_t st_time_ns() {
  return st_board_time_ns();
}

void st_abort() {
  st_semihost_exit(134);
}

}  // namespace slimtorch
