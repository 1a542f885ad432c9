// Start-up code for a 32-bit RISC-V hart on QEMU's virt board (machine mode,
// bare metal, rv32imafc).
//
// _start (placed at 0x80000000, where QEMU's reset ROM jumps with -bios none):
// set gp (linker relaxation's small-data base), sp and tp (the one thread's TLS
// block: picolibc's errno), install the trap handler, enable the FPU, then in
// C++ copy .data, zero .bss, run static constructors, call main(), and exit
// through semihosting with main's return value as the emulator's exit code.
// A trap (every trap is a fault here: no interrupt is ever enabled) prints a
// line starting "error: " (unless error messages are compiled out) and exits
// with status 70, so a crashing firmware fails its test at once instead of
// hanging until timeout: the same contract as platforms/arm_m/startup.cc.
//
// Memory layout and the symbols used here come from qemu_virt.ld.
#include <stdint.h>

#include "platforms/bare_metal/semihosting.h"

extern "C" {

// Linker-script symbols (addresses only; never read as values).
void _start();
void st_start_c();  // platforms/bare_metal/start.cc
void st_trap_entry();
void st_fault_handler();

}  // extern "C"

namespace {

constexpr int kFaultExitStatus = 70;

}  // namespace

// Naked: no prologue, no stack use before sp is set, and no floating-point
// instruction before mstatus.FS enables the FPU (with FS = Off every F
// instruction is illegal). Section .text.start: the linker script puts it first.
extern "C" __attribute__((naked, noreturn, section(".text.start"))) void _start() {
  asm volatile(
      // gp is what relaxed accesses are relative to: it must not itself be
      // loaded relative to gp (norelax).
      ".option push\n"
      ".option norelax\n"
      "la gp, __global_pointer$\n"
      ".option pop\n"
      "la sp, __stack_top__\n"
      "la tp, __tls_start__\n"
      // Direct mode (low bits 00): every trap goes to st_trap_entry, which is
      // 4-byte aligned as mtvec requires.
      "la t0, st_trap_entry\n"
      "csrw mtvec, t0\n"
      // mstatus.FS (bits 14:13) = Initial (01): FPU on, its state clean.
      "li t0, 0x2000\n"
      "csrs mstatus, t0\n"
      "tail st_start_c\n");
}

// The trap vector. A fault may come from a bad sp or gp (a stack overflow, a
// wild write), so both are set again before any C++ code runs: the report then
// cannot fault in turn and loop.
extern "C" __attribute__((naked, noreturn, aligned(4))) void st_trap_entry() {
  asm volatile(
      ".option push\n"
      ".option norelax\n"
      "la gp, __global_pointer$\n"
      ".option pop\n"
      "la sp, __stack_top__\n"
      "tail st_fault_handler\n");
}

// With error messages off (--//runtime/core:error_messages=off, or the -c opt
// default; ST_FAULT_MESSAGES=0, BUILD.bazel) the handler exits with the status
// alone, like the runtime's errors.
#ifndef ST_FAULT_MESSAGES
#define ST_FAULT_MESSAGES 1
#endif

// `used`: reached only from st_trap_entry's asm.
extern "C" __attribute__((noreturn, used)) void st_fault_handler() {
#if ST_FAULT_MESSAGES
  st_semihost_write0("error: processor fault (RISC-V trap: illegal instruction, access fault or misaligned access)\n");
#endif
  st_semihost_exit(kFaultExitStatus);
}
