// The thin platform layer: the only functions the runtime needs from the
// system it runs on. One implementation per platform, selected by Bazel:
// host/platform_host.cc (stderr, clock_gettime) and
// bare_metal/platform_bare_metal.cc (semihosting, the board clock) on every
// bare-metal platform.
#pragma once

#include <stdint.h>

namespace slimtorch {

enum class LogLevel : uint8_t { Debug = 0, Info = 1, Error = 2 };

// Writes `msg` (NUL-terminated) as one line; the platform adds the newline.
void st_log(LogLevel level, const char* msg);

// Monotonic time in nanoseconds (0 when the platform has no clock).
uint64_t st_time_ns();

// Stops the program after an unrecoverable error. Never returns.
[[noreturn]] void st_abort();

}  // namespace slimtorch
