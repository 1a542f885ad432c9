// A minimal test framework: CHECK macros count passes and failures; main()
// ends with `return check_summary();`, which prints "N passed, N failed" and
// returns non-zero when anything failed.
#pragma once

#include <stdio.h>

namespace slimtorch_test {

inline int g_passed = 0;
inline int g_failed = 0;

inline void check_result(bool ok, const char* expr, const char* file, int line) {
  if (ok) {
    ++g_passed;
  } else {
    ++g_failed;
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, expr);
  }
}

inline int check_summary() {
  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}

}  // namespace slimtorch_test

#define CHECK(cond) ::slimtorch_test::check_result(static_cast<bool>(cond), #cond, __FILE__, __LINE__)
#define CHECK_EQ(a, b) ::slimtorch_test::check_result((a) == (b), #a " == " #b, __FILE__, __LINE__)
