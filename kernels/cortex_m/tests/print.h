// Semihosting text output for the nn_s8 firmware tests and benchmark (no printf
// in the images).
#pragma once

#include <stdint.h>

#include "platforms/bare_metal/semihosting.h"

namespace nn_s8_test {

inline void put(const char* s) { st_semihost_write0(s); }

inline void put_int(int64_t v) {
  char buf[24];
  int i = 23;
  buf[i] = 0;
  const bool neg = v < 0;
  uint64_t u = neg ? static_cast<uint64_t>(-(v + 1)) + 1 : static_cast<uint64_t>(v);
  do {
    buf[--i] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (neg) buf[--i] = '-';
  put(buf + i);
}

// v / 1000 with three decimals.
inline void put_milli(int64_t v) {
  if (v < 0) {
    put("-");
    v = -v;
  }
  put_int(v / 1000);
  put(".");
  const int64_t f = v % 1000;
  if (f < 100) put("0");
  if (f < 10) put("0");
  put_int(f);
}

}  // namespace nn_s8_test
