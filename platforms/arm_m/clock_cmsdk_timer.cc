// The MPS2 boards' clock (platforms/bare_metal/clock.h): CMSDK APB timer 0, a 32-bit
// down counter on the peripheral clock, started on first use from 0xFFFFFFFF and
// reloaded there. ST_TIMER0_BASE and ST_TIMER0_HZ come from the board's library
// (platforms/arm_m/BUILD.bazel): 0x40000000 at 25 MHz on the AN386/AN500 (QEMU's
// mps2.c), the secure alias 0x50000000 at 20 MHz on the AN505 (mps2-tz.c). It wraps
// after 2^32 ticks (172 s at 25 MHz), far beyond any run on the emulator.
#include "platforms/bare_metal/clock.h"

#ifndef ST_TIMER0_BASE
#error "ST_TIMER0_BASE: the board's CMSDK timer 0 address (platforms/arm_m/BUILD.bazel)"
#endif
#ifndef ST_TIMER0_HZ
#error "ST_TIMER0_HZ: the board's timer clock (platforms/arm_m/BUILD.bazel)"
#endif

namespace {

struct CmsdkTimer {
  uint32_t ctrl;    // bit 0: enable
  uint32_t value;   // counts down
  uint32_t reload;  // loaded into value when it reaches 0
};

}  // namespace

extern "C" uint64_t st_board_time_ns(void) {
  volatile CmsdkTimer* const timer = reinterpret_cast<volatile CmsdkTimer*>(ST_TIMER0_BASE);
  if ((timer->ctrl & 1u) == 0) {
    timer->reload = 0xFFFFFFFFu;
    timer->value = 0xFFFFFFFFu;
    timer->ctrl = 1u;
  }
  const uint64_t ticks = 0xFFFFFFFFu - timer->value;
  return ticks * 1000000000u / ST_TIMER0_HZ;
}
