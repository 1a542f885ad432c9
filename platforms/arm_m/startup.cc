// Start-up code for every Arm M-profile board: the Cortex-M55 on QEMU's
// mps3-an547, the Cortex-M4F on mps2-an386, the Cortex-M7 on mps2-an500 and the
// Cortex-M33 on mps2-an505 (which runs it in the Secure state). The boards differ
// only in their memory maps (the per-board linker scripts here), so this file is
// written once.
//
// Reset: enable the FPU (and Helium on the M55, which shares CP10/CP11), then the
// shared C++ start (platforms/bare_metal/start.cc: .data, .bss, constructors, main,
// semihosting exit with main's value).
// A fault prints a line starting "error: " (unless error messages are compiled
// out) and exits with status 70, so a crashing firmware fails its test at once
// instead of hanging until timeout.
//
// Memory layout and the symbols used here come from arm_m_sections.ld, which
// every board's linker script INCLUDEs.
#include <stdint.h>

#include "platforms/bare_metal/semihosting.h"

extern "C" {

// Linker-script symbols (addresses only; never read as values).
extern uint32_t __stack_top__;

void st_reset_handler();
void st_start_c();  // platforms/bare_metal/start.cc
void st_fault_handler();
void st_unexpected_handler();

}  // extern "C"

// __dso_handle identifies "this image" to __cxa_atexit, which registers the
// destructors of static objects. It is normally defined by crtbegin.o, which
// -nostartfiles leaves out. slimtorch's own code is compiled with
// -fno-use-cxa-atexit (cc_toolchain_config.bzl) and never registers a
// destructor this way: static objects here are constructed by st_start_c and
// never destroyed (the image ends through semihosting exit, no atexit list is
// ever run, so none needs memory). Precompiled code (newlib, libstdc++) built
// with __cxa_atexit may still refer to the symbol, so it is defined, weak (a
// real crtbegin.o wins), self-pointing as crtbegin's is.
// Defined inside the linkage block, not as `extern "C" T x = ...;`: GCC warns
// "'__dso_handle' initialized and declared 'extern'" for the latter, on every
// firmware build. startup is compiled with -Werror (BUILD.bazel) so that no
// warning comes back here.
extern "C" {
__attribute__((weak)) void* __dso_handle = &__dso_handle;
}

namespace {

constexpr int kFaultExitStatus = 70;

using Vector = void (*)();

}  // namespace

// The vector table (placed at the start of the board's CODE region, where QEMU's
// initial VTOR points: 0x0, or 0x10000000 for the an505's Secure state; the linker
// script checks it): initial stack pointer, then the handlers of the 15 system
// exceptions (Armv8-M layout; on the Armv7-M M4/M7 the SecureFault slot is
// reserved and never taken). No peripheral interrupt is enabled, so the table
// stops there.
extern "C" __attribute__((section(".vectors"), used)) const Vector
    st_vector_table[16] = {
        reinterpret_cast<Vector>(&__stack_top__),
        st_reset_handler,       // Reset
        st_fault_handler,       // NMI
        st_fault_handler,       // HardFault
        st_fault_handler,       // MemManage
        st_fault_handler,       // BusFault
        st_fault_handler,       // UsageFault
        st_fault_handler,       // SecureFault
        nullptr,                // reserved
        nullptr,                // reserved
        nullptr,                // reserved
        st_unexpected_handler,  // SVCall
        st_unexpected_handler,  // DebugMonitor
        nullptr,                // reserved
        st_unexpected_handler,  // PendSV
        st_unexpected_handler,  // SysTick
};

// Enables CP10/CP11 (the FPU, and MVE on the M55) before any compiled code can
// touch a floating-point register, then continues in C++. Naked: no prologue, no
// stack use, no FP instruction before CPACR is written. CPACR is at the same
// address on Armv7-M and Armv8-M (the Secure bank on the an505's M33, the state
// the core runs in), and every board here has an FPU that the hard-float ABI
// uses, so every board needs it.
extern "C" __attribute__((naked, noreturn)) void st_reset_handler() {
  asm volatile(
      // CPACR address by movw/movt, not `ldr r0, =`: a literal pool would be
      // emitted at the end of the (link-time optimised, hence large) text
      // section, out of the load's reach.
      "movw r0, #0xED88\n"
      "movt r0, #0xE000\n"  // CPACR
      "ldr r1, [r0]\n"
      "orr r1, r1, #(0xF << 20)\n"  // CP10, CP11: full access
      "str r1, [r0]\n"
      "dsb\n"
      "isb\n"
      "b st_start_c\n");
}

// With error messages off (--//runtime/core:error_messages=off, or the -c opt
// default; ST_FAULT_MESSAGES=0, BUILD.bazel)
// the handlers exit with the status alone, like the runtime's errors: the two
// lines of text are 118 flash bytes.
#ifndef ST_FAULT_MESSAGES
#define ST_FAULT_MESSAGES 1
#endif

extern "C" void st_fault_handler() {
#if ST_FAULT_MESSAGES
  st_semihost_write0("error: processor fault (HardFault/MemManage/BusFault/UsageFault)\n");
#endif
  st_semihost_exit(kFaultExitStatus);
}

extern "C" void st_unexpected_handler() {
#if ST_FAULT_MESSAGES
  st_semihost_write0("error: unexpected exception (no handler installed)\n");
#endif
  st_semihost_exit(kFaultExitStatus);
}
