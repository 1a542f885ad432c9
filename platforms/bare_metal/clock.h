// The board's clock: each bare-metal board's start-up library defines it
// (platforms/arm_m55/clock.cc: the SSE-300 system counter; platforms/arm_m: the
// MPS2 FPGA counter; platforms/riscv32: the CLINT's mtime). Exact under QEMU's
// -icount, where every board's clock follows the executed instructions.
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Nanoseconds since an arbitrary start (the first call may start the counter);
// monotonic. The profiler (runtime/profiling) and execute-time prints read it.
uint64_t st_board_time_ns(void);

#ifdef __cplusplus
}  // extern "C"
#endif
