// TEMPORARY stand-in (README.md): available when Debian's XNNPACK initialises;
// every delegate is refused with a message naming the real backend's branch.
#include "backends/xnnpack/xnnpack_backend.h"

#include <xnnpack.h>

#include "runtime/platform/log.h"

namespace slimtorch {
namespace xnnpack {
namespace {

size_t g_num_threads = 1;

bool available() { return xnn_initialize(nullptr) == xnn_status_success; }

Error init(BackendInitContext&, Span<const uint8_t>, const CompileSpec*, size_t, void**) {
  return ST_FAIL(Error::NotSupported,
                 "XnnpackBackend here is a stand-in without a graph builder ({} threads set); "
                 "build with branch xnnrt's //backends/xnnpack",
                 g_num_threads);
}

}  // namespace

void set_num_threads(size_t n) { g_num_threads = n == 0 ? 1 : n; }

const Backend kXnnpackBackend = {"XnnpackBackend", available, init, nullptr, nullptr, nullptr, nullptr};

}  // namespace xnnpack
}  // namespace slimtorch
