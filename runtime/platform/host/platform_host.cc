// Host (Linux/POSIX) platform: logs to stderr, monotonic clock, abort().
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "runtime/platform/platform.h"

namespace slimtorch {

void st_log(LogLevel level, const char* msg) {
  // Errors are reported by the application ("error: ..."); the runtime's own
  // log lines go to stderr with a level tag, and debug lines only on request.
  static const char* const kTags[] = {"D", "I", "E"};
  if (level == LogLevel::Debug && getenv("SLIMTORCH_DEBUG") == nullptr) {
    return;
  }
  if (getenv("SLIMTORCH_QUIET") != nullptr) {
    return;
  }
  fprintf(stderr, "[slimtorch %s] %s\n", kTags[static_cast<int>(level) % 3], msg);
}

uint64_t st_time_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

void st_abort() { abort(); }

}  // namespace slimtorch
