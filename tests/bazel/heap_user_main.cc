// Firmware that uses the heap (malloc/free): the heap check must reject it.
#include <stdlib.h>

#include "platforms/bare_metal/semihosting.h"

int main() {
  // volatile size: the compiler may not elide the allocation.
  volatile size_t size = 16;
  char* buffer = static_cast<char*>(malloc(size));
  if (buffer == nullptr) {
    return 1;
  }
  buffer[0] = 'h';
  buffer[1] = '\n';
  buffer[2] = '\0';
  st_semihost_write0(buffer);
  free(buffer);
  return 0;
}
