// format_g9(): a double as printf("%.9g") prints it, without printf (format_int's
// companion, runtime/platform/log.h): shared by the runners that print outputs
// (app/run_model.cc) and the bundled self-test report (app/bundled_run.cc).
// Header-only with internal linkage (static inline), so an image that calls it
// from one file compiles it as it did when it lived in run_model.cc.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace slimtorch {

// ---- floating-point output without soft-float code -------------------------
// Every floating element is widened to double and formatted with double
// arithmetic, all of it hardware on the Cortex-M55's double-precision FPU.
// No 64-bit integer <-> double conversion is used: that would be libgcc's
// soft-float code there (__aeabi_l2d, __aeabi_ul2d, and the __aeabi_dadd they
// share an object with: 830 B). Host and firmware print the same digits.

// The value with 9 significant digits, as printf("%.9g") prints it ("nan",
// "-inf", "-0", "1.5", "1e-05", "123456789", "1.23456789e+09"); buf needs 32
// bytes; returns the length. 9 digits make every float round-trip. The digits
// are printf's correctly rounded ones (a value within ~1e-15 relative of a tie
// could round the other way) and NaN prints as "nan" whatever its sign.
static inline size_t format_g9(double v, char* buf) {
  char* p = buf;
  if (v != v) {
    __builtin_memcpy(p, "nan", 4);
    return 3;
  }
  if (v < 0 || (v == 0 && __builtin_signbit(v))) {
    *p++ = '-';
    v = -v;
  }
  if (v > 1.7976931348623157e308) {
    __builtin_memcpy(p, "inf", 4);
    return static_cast<size_t>(p - buf) + 3;
  }
  if (v == 0) {
    *p++ = '0';
    *p = '\0';
    return static_cast<size_t>(p - buf);
  }
  // Normalise v into [1, 10) with binary powers of ten, tracking the exponent
  // (each step rounds once, so v stays within ~1e-15 relative: far below what
  // 9 digits resolve).
  static const double kPow[9] = {1e1, 1e2, 1e4, 1e8, 1e16, 1e32, 1e64, 1e128, 1e256};
  const double x = v;
  int e = 0;
  const bool big = v >= 10;  // divide down to [1, 10), else multiply up (v < 1)
  for (int k = 8; k >= 0; --k) {
    const double t = big ? v / kPow[k] : v * kPow[k];
    if (big ? t >= 1 : (v < 1 && t < 10)) {
      v = t;
      e += big ? 1 << k : -(1 << k);
    }
  }
  // 9 significant digits: v is in [1, 10), so n < 10^9 + 1 fits 32 bits and the
  // digit loop divides in hardware. Ties round to even like printf: they come
  // from short binary fractions (1.2363281250, 20.08984375), so for
  // 1 <= x < 1e9 scale x itself up by exact powers of ten (the division above
  // rounds); below 1, v * 1e8 is already a product of exact scalings.
  double scaled = v * 1e8;
  if (e >= 0 && e <= 8) {
    scaled = x;
    for (int k = 0; k < 4; ++k) {
      if (((8 - e) >> k) & 1) scaled *= kPow[k];
    }
  }
  uint32_t n = static_cast<uint32_t>(scaled);
  const double rest = scaled - n;
  if (rest > 0.5 || (rest == 0.5 && (n & 1) != 0)) ++n;
  if (n >= 1000000000u) {  // 9.999999995 and up rounds to 10
    n /= 10;
    e += 1;
  }
  char digits[9];
  for (int i = 8; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + n % 10);
    n /= 10;
  }
  int last = 8;  // %g drops trailing zeros
  while (last > 0 && digits[last] == '0') {
    --last;
  }
  // %g: scientific below 1e-4 and from 1e9 up, else fixed; trailing zeros dropped.
  const bool sci = e < -4 || e >= 9;
  int point = sci ? 1 : e + 1;  // digits before the decimal point
  if (point <= 0) {             // 0.000ddd
    *p++ = '0';
    *p++ = '.';
    for (; point < 0; ++point) *p++ = '0';
    point = -1;
  }
  const int end = last + 1 > point ? last + 1 : point;
  for (int i = 0; i < end; ++i) {
    if (i == point) *p++ = '.';
    *p++ = digits[i];
  }
  if (sci) {
    *p++ = 'e';
    *p++ = e < 0 ? '-' : '+';
    const int ae = e < 0 ? -e : e;
    if (ae >= 100) *p++ = static_cast<char>('0' + ae / 100);
    *p++ = static_cast<char>('0' + (ae / 10) % 10);
    *p++ = static_cast<char>('0' + ae % 10);
  }
  *p = '\0';
  return static_cast<size_t>(p - buf);
}

}  // namespace slimtorch
