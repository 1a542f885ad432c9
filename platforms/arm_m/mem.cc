// memcpy and memset for the Cortex-M55 images, replacing newlib's.
//
// newlib's Armv8-M versions are tuned for cores without vectors (236 + 168
// flash bytes). The M55's Helium (MVE) unit moves 16 bytes per instruction with
// a tail-predicated loop (wlstp/letp), which needs no alignment, no tail code
// and no size dispatch: each function is a handful of instructions. The FPU and
// MVE are enabled by the reset handler before any C++ code runs.
//
// The linker takes these from startup's alwayslink library before it searches
// libc_nano.a, so newlib's copies are never pulled in. Built without LTO
// (BUILD.bazel): calls to memcpy/memset that the compiler creates during
// link-time code generation must resolve to an ordinary object.
#include <stddef.h>

extern "C" {

// Copies n bytes from src to dst (regions must not overlap, as for memcpy);
// returns dst. Neither buffer is retained.
__attribute__((naked)) void* memcpy(void* /*dst: r0*/, const void* /*src: r1*/, size_t /*n: r2*/) {
  asm volatile(
      "push {r0, lr}\n"
      "wlstp.8 lr, r2, 2f\n"  // lr = n; skip the loop when n == 0
      "1:\n"
      "vldrb.8 q0, [r1], #16\n"
      "vstrb.8 q0, [r0], #16\n"
      "letp lr, 1b\n"  // the last pass moves only the bytes that remain
      "2:\n"
      "pop {r0, pc}\n");
}

// Fills n bytes at dst with the low byte of c; returns dst. dst is not retained.
__attribute__((naked)) void* memset(void* /*dst: r0*/, int /*c: r1*/, size_t /*n: r2*/) {
  asm volatile(
      "push {r0, lr}\n"
      "vdup.8 q0, r1\n"
      "wlstp.8 lr, r2, 2f\n"
      "1:\n"
      "vstrb.8 q0, [r0], #16\n"
      "letp lr, 1b\n"
      "2:\n"
      "pop {r0, pc}\n");
}

}  // extern "C"
