// find_kernel(): linear search of the generated registry. Runs only at method
// init (once per operator), never on the execute path.
#include "runtime/kernel/kernel.h"

namespace slimtorch {

KernelFn find_kernel(const char* name, size_t name_len) {
  for (size_t i = 0; i < kNumSelectedKernels; ++i) {
    const char* entry = kSelectedKernels[i].name;
    size_t k = 0;
    while (k < name_len && entry[k] != '\0' && entry[k] == name[k]) {
      ++k;
    }
    if (k == name_len && entry[k] == '\0') {
      return kSelectedKernels[i].fn;
    }
  }
  return nullptr;
}

}  // namespace slimtorch
