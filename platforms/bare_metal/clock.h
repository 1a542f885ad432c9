// The board's clock: each bare-metal board's start-up library defines it
// (platforms/arm_m: the SSE-300 system counter on the mps3-an547, CMSDK timer 0 on
// the MPS2 boards; platforms/riscv32: the CLINT's mtime). Exact under QEMU's
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
