// The mps3-an547's clock (platforms/bare_metal/clock.h): the SSE-300 system
// counter, 32 MHz.
#include "platforms/bare_metal/clock.h"

extern "C" uint64_t st_board_time_ns(void) {
  // CNTCR (control) at 0x58100000, CNTCV (count) at 0x48000000 (read-only frame).
  // Enabled on first use.
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
