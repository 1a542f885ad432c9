// find_kernel() on names from corrupt programs: a NUL byte inside the name must
// not make the comparison run past the end of a registry entry (found by the
// bit-flip sweep, tools/fuzz/bitflip.py: a flipped bit in "aten::_softmax.out").
#include "runtime/kernel/kernel.h"
#include "runtime/testing/check.h"

namespace slimtorch {

namespace {
Error kernel_ab(KernelContext&, EValue**, size_t) { return Error::Ok; }
Error kernel_b(KernelContext&, EValue**, size_t) { return Error::Ok; }

// Entry names in one array, so that reading past the end of "ab" reads "x":
// the old comparison matched "ab\0x" (length 4) against "ab".
const char kNames[] = "ab\0x\0b";
}  // namespace

const KernelEntry kSelectedKernels[] = {{kNames, kernel_ab}, {kNames + 5, kernel_b}};
const size_t kNumSelectedKernels = 2;

}  // namespace slimtorch

int main() {
  using slimtorch::find_kernel;
  CHECK(find_kernel("ab", 2) == slimtorch::kernel_ab);
  CHECK(find_kernel("b", 1) == slimtorch::kernel_b);
  CHECK(find_kernel("ab\0x", 4) == nullptr);
  CHECK(find_kernel("ab\0", 3) == nullptr);
  CHECK(find_kernel("a", 1) == nullptr);
  CHECK(find_kernel("abc", 3) == nullptr);
  return slimtorch_test::check_summary();
}
