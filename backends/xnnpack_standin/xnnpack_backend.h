// TEMPORARY stand-in (backends/xnnpack_standin/README.md) with the interface of
// xnnrt's backends/xnnpack/xnnpack_backend.h. Host only; links Debian's XNNPACK.
#pragma once

#include <stddef.h>

#include "runtime/backend/backend.h"

namespace slimtorch {
namespace xnnpack {

extern const Backend kXnnpackBackend;  // name "XnnpackBackend"

// Threads XNNPACK's pthreadpool uses (default 1); set before Method::init.
void set_num_threads(size_t n);

}  // namespace xnnpack
}  // namespace slimtorch
