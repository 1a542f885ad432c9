// Firmware that reads unmapped memory: the bus fault must reach the board's
// fault handler, which prints an error line and exits with status 70 instead
// of hanging until the test times out.
#include <stdint.h>

#include "platforms/bare_metal/semihosting.h"

int main() {
  st_semihost_write0("about to fault\n");
  volatile const uint32_t* unmapped = reinterpret_cast<volatile const uint32_t*>(0xF0000000u);
  return static_cast<int>(*unmapped);
}
