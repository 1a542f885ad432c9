// find_kernel(): binary search of the generated registry, which codegen sorts
// by name in bytewise (strcmp) order. Runs only at method init (once per
// operator), never on the execute path.
#include "runtime/kernel/kernel.h"

namespace slimtorch {

namespace {

// strcmp of name[0..len) (not NUL-terminated) against NUL-terminated `entry`.
int compare(const char* name, size_t len, const char* entry) {
  for (size_t k = 0; k < len; ++k) {
    const unsigned char a = static_cast<unsigned char>(name[k]);
    const unsigned char b = static_cast<unsigned char>(entry[k]);
    if (a != b) {
      return a < b ? -1 : 1;  // entry ending first (b == 0) sorts it before name
    }
    if (b == '\0') {
      return 1;  // a NUL inside name (corrupt program): entry ended, name goes on
    }
  }
  return entry[len] == '\0' ? 0 : -1;
}

}  // namespace

KernelFn find_kernel(const char* name, size_t name_len) {
  size_t lo = 0, hi = kNumSelectedKernels;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    const int c = compare(name, name_len, kSelectedKernels[mid].name);
    if (c == 0) {
      return kSelectedKernels[mid].fn;
    }
    if (c < 0) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return nullptr;
}

}  // namespace slimtorch
