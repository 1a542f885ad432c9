// Registers the XNNPACK backend before main() for //backends/xnnpack:xnnpack_runner,
// and takes its thread count from $SLIMTORCH_XNNPACK_THREADS (default 1).
// Host-only test/bench glue; an application registers or selects the backend itself.
#include <stdio.h>
#include <stdlib.h>

#include "backends/xnnpack/xnnpack_backend.h"
#include "runtime/backend/backend.h"

namespace {

struct Registration {
  Registration() {
    const char* threads = getenv("SLIMTORCH_XNNPACK_THREADS");
    if (threads != nullptr && threads[0] != '\0') {
      slimtorch::xnnpack::set_num_threads(static_cast<size_t>(strtoul(threads, nullptr, 10)));
    }
    if (slimtorch::register_backend(&slimtorch::xnnpack::kXnnpackBackend) != slimtorch::Error::Ok) {
      fprintf(stderr, "warning: could not register XnnpackBackend\n");
    }
  }
};

Registration g_registration;

}  // namespace
