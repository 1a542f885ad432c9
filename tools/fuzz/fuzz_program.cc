// libFuzzer target: any byte string as a .pte program, through load, init and
// execute of every method with every kernel (tools/fuzz/run_one.h). Built and
// run by tools/fuzz/build.sh and tools/fuzz/fuzz.sh.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "tools/fuzz/run_one.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("SLIMTORCH_QUIET", "1", 1);  // the runtime's log lines would drown libFuzzer's
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  slimtorch_fuzz::run_one(data, size);
  return 0;
}
