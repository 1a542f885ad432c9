// Smallest firmware, for every bare-metal board: checks that .data was copied,
// .bss zeroed, a static constructor ran, float arithmetic works (FPU enabled) and
// errno is usable (picolibc's lives in the TLS block that the RISC-V start-up
// code sets up; newlib's in its reentrancy struct), then says so.
#include <errno.h>

#include "platforms/bare_metal/semihosting.h"

namespace {

int g_data = 42;    // .data (or .sdata): copied from its load address by the start-up code
int g_bss;          // .bss (or .sbss): zeroed by the start-up code
int g_constructed;  // set by a static constructor (init_array)

struct Constructed {
  Constructed() { g_constructed = 7; }
};
Constructed g_ctor;

volatile float g_half = 0.5f;

}  // namespace

int main() {
  if (g_data != 42 || g_bss != 0 || g_constructed != 7 || errno != 0) {
    st_semihost_write0("error: start-up did not initialise memory\n");
    return 1;
  }
  errno = 5;  // RISC-V: a store through tp, which faults if tp does not point at the TLS block
  if (g_half * 4.0f != 2.0f || errno != 5) {
    st_semihost_write0("error: floating point or TLS is broken\n");
    return 1;
  }
  st_semihost_write0("hello from bare metal\n");
  return 0;
}
