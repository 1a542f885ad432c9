// Firmware whose main() returns 3: the emulator must exit with status 3
// (reset handler -> SYS_EXIT_EXTENDED), proving failures reach the test.
#include "platforms/bare_metal/semihosting.h"

int main() {
  st_semihost_write0("error: deliberate failure with status 3\n");
  return 3;
}
