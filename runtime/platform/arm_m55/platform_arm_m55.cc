// Cortex-M55 (QEMU mps3-an547) platform: log lines over Arm semihosting,
// time from the SSE-300 system counter (32 MHz), abort through semihosting exit.
// The semihosting calls are defined by the board support code
// (platforms/bare_metal/semihosting.h, owned by the Bazel engineer).
#include <stdint.h>

#include "runtime/platform/platform.h"

extern "C" {
void st_semihost_write0(const char* text);
void st_semihost_exit(int code);
}

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
  // SSE-300 system counter: CNTCR (control) at 0x58100000, CNTCV (count) at
  // 0x48000000 (read-only frame). Enabled on first use; 32 MHz on the AN547.
  volatile uint32_t* const cntcr = reinterpret_cast<volatile uint32_t*>(0x58100000u);
  volatile uint32_t* const cntcv = reinterpret_cast<volatile uint32_t*>(0x48000000u);
  if ((*cntcr & 1u) == 0) {
    *cntcr = 1u;
  }
  uint32_t hi, lo;
  do {
    hi = cntcv[1];
    lo = cntcv[0];
  } while (hi != cntcv[1]);
  const uint64_t ticks = (static_cast<uint64_t>(hi) << 32) | lo;
  return ticks * 125u / 4u;  // 1e9 / 32e6 = 31.25 ns per tick
}

void st_abort() {
  st_semihost_exit(134);
  for (;;) {
  }
}

}  // namespace slimtorch
