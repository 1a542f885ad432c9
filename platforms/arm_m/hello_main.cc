// Smallest firmware: checks that .data was copied, .bss zeroed, a static
// constructor ran and float arithmetic works (FPU enabled), then says so.
#include "platforms/bare_metal/semihosting.h"

namespace {

int g_data = 42;    // .data: copied from ITCM by the reset handler
int g_bss;          // .bss: zeroed by the reset handler
int g_constructed;  // set by a static constructor (init_array)

struct Constructed {
  Constructed() { g_constructed = 7; }
};
Constructed g_ctor;

volatile float g_half = 0.5f;

}  // namespace

int main() {
  if (g_data != 42 || g_bss != 0 || g_constructed != 7) {
    st_semihost_write0("error: start-up did not initialise memory\n");
    return 1;
  }
  if (g_half * 4.0f != 2.0f) {
    st_semihost_write0("error: floating point is broken\n");
    return 1;
  }
  st_semihost_write0("hello from cortex-m55\n");
  return 0;
}
