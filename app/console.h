// Where an image's text and files go: over semihosting on every bare-metal
// platform (the emulator's stdout and working directory; a debugger's on a
// board), stdout and the file system on hosted ones (the host, aarch64 Linux).
// The images of app/, tests/ and tools/ and users' own mains (examples/my_device)
// write through this, so a program builds for every platform unchanged.
// Header-only: //app:console carries the semihosting dependency where needed.
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef SLIMTORCH_BARE_METAL
#include "platforms/bare_metal/semihosting.h"
#else
#include <stdio.h>
#endif

namespace slimtorch_app {

// Writes the NUL-terminated `text` (no newline added).
inline void write_text(const char* text) {
#ifdef SLIMTORCH_BARE_METAL
  st_semihost_write0(text);
#else
  fputs(text, stdout);
#endif
}

// Writes `size` bytes to the file `path` (created or truncated; relative paths from
// the working directory: the emulator's for firmware). False if it could not.
inline bool write_file(const char* path, const uint8_t* data, size_t size) {
#ifdef SLIMTORCH_BARE_METAL
  return st_semihost_write_file(path, data, size) == 0;
#else
  FILE* f = fopen(path, "wb");
  if (f == nullptr) return false;
  const bool ok = fwrite(data, 1, size, f) == size;
  return fclose(f) == 0 && ok;
#endif
}

}  // namespace slimtorch_app
