// dtype_left_out(): the failure of a kernel called with a dtype its
// dtype-selective build left out (see dtype_selection.h).
#include "runtime/kernel/dtype_selection.h"

namespace slimtorch {

#if SLIMTORCH_ERROR_MESSAGES == 2  // the message exists in text mode only (kernel.h)

namespace {
// KernelContext::message needs static storage: this buffer, rewritten by each
// such failure (one method executes at a time, like the last-error buffer).
char g_left_out[96];
}  // namespace

Error dtype_left_out(KernelContext& ctx, ScalarType t) {
  const char* parts[3] = {"dtype ", scalar_type_name(t), " was left out of this dtype-selective build"};
  size_t n = 0;
  for (const char* p : parts) {
    for (; *p != '\0' && n + 1 < sizeof(g_left_out); ++p) g_left_out[n++] = *p;
  }
  g_left_out[n] = '\0';
  ctx.message = g_left_out;
  return Error::NotSupported;
}

#else

Error dtype_left_out(KernelContext&, ScalarType) { return Error::NotSupported; }

#endif

}  // namespace slimtorch
