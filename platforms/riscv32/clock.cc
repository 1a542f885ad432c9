// The virt board's clock (platforms/bare_metal/clock.h): the CLINT's mtime, a
// 64-bit counter at 10 MHz (QEMU's virt timebase), at 0x0200BFF8.
#include "platforms/bare_metal/clock.h"

extern "C" uint64_t st_board_time_ns(void) {
  volatile uint32_t* const mtime = reinterpret_cast<volatile uint32_t*>(0x0200BFF8u);
  uint32_t hi, lo;
  do {  // the two halves of one reading (rv32 reads 32 bits at a time)
    hi = mtime[1];
    lo = mtime[0];
  } while (hi != mtime[1]);
  return ((static_cast<uint64_t>(hi) << 32) | lo) * 100u;  // 100 ns per tick
}
