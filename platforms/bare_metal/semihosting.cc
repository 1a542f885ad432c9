// Semihosting calls for bare-metal Arm M-profile and RISC-V cores (see
// semihosting.h). Both architectures use Arm's semihosting protocol: the same
// operation numbers and parameter blocks; only the trap that hands the call to
// the host differs (semihost_call below).
#include "platforms/bare_metal/semihosting.h"

#include <stdint.h>

namespace {

// Semihosting operation numbers (Arm "Semihosting for AArch32 and AArch64").
constexpr uint32_t kSysOpen = 0x01;
constexpr uint32_t kSysClose = 0x02;
constexpr uint32_t kSysWrite = 0x05;
constexpr uint32_t kOpenModeWb = 5;  // fopen mode "wb" (SYS_OPEN's mode table)
constexpr uint32_t kSysWriteC = 0x03;
constexpr uint32_t kSysWrite0 = 0x04;
constexpr uint32_t kSysExit = 0x18;
constexpr uint32_t kSysExitExtended = 0x20;
constexpr uint32_t kAdpStoppedApplicationExit = 0x20026;

// Traps to the host: operation in the first argument register, its argument
// (a pointer to the operation's parameter block or data) in the second.
// Returns what the host leaves in the first. The trap instruction is an ISA
// fact, not a feature choice, so it is the one #if here.
uint32_t semihost_call(uint32_t op, const void* arg) {
#if defined(__riscv)
  // RISC-V semihosting (riscv-semihosting-spec): an ebreak between two hint
  // instructions (writes to x0), which tell the debugger or emulator that this
  // ebreak is a semihosting call rather than a breakpoint. The three must be
  // 32-bit encodings (no compressed ebreak) and must not straddle a page, so
  // they are kept uncompressed and 16-byte aligned (12 bytes in one group).
  register uint32_t a0 asm("a0") = op;
  register const void* a1 asm("a1") = arg;
  asm volatile(
      ".option push\n"
      ".option norvc\n"
      ".balign 16\n"
      "slli x0, x0, 0x1f\n"
      "ebreak\n"
      "srai x0, x0, 7\n"
      ".option pop\n"
      : "+r"(a0)
      : "r"(a1)
      : "memory");
  return a0;
#else
  // Arm M-profile: the semihosting breakpoint.
  register uint32_t r0 asm("r0") = op;
  register const void* r1 asm("r1") = arg;
  asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
#endif
}

}  // namespace

extern "C" void st_semihost_write0(const char* s) {
  semihost_call(kSysWrite0, s);
}

extern "C" void st_semihost_writec(char c) {
  semihost_call(kSysWriteC, &c);
}

extern "C" int st_semihost_write_file(const char* path, const void* data, unsigned long size) {
  uint32_t len = 0;
  while (path[len] != '\0') {
    ++len;
  }
  const uint32_t open_block[3] = {static_cast<uint32_t>(reinterpret_cast<uintptr_t>(path)), kOpenModeWb, len};
  const uint32_t handle = semihost_call(kSysOpen, open_block);
  if (handle == 0xFFFFFFFFu) {
    return -1;
  }
  // SYS_WRITE returns the number of bytes NOT written.
  const uint32_t write_block[3] = {handle, static_cast<uint32_t>(reinterpret_cast<uintptr_t>(data)),
                                   static_cast<uint32_t>(size)};
  const uint32_t left = semihost_call(kSysWrite, write_block);
  const uint32_t close_block[1] = {handle};
  const uint32_t closed = semihost_call(kSysClose, close_block);
  return left == 0 && closed == 0 ? 0 : -1;
}

extern "C" void st_semihost_exit(int status) {
  // Parameter block: {reason, subcode}; the subcode is the exit status.
  // On 32-bit cores (M-profile, rv32) QEMU 7.2 (semihosting/arm-compat-semi.c)
  // reads a block only for SYS_EXIT_EXTENDED; for SYS_EXIT the argument is the
  // reason itself (a value, as below), and the status is lost. Only 64-bit
  // semihosting (is_64bit_semihosting: AArch64, rv64) takes a block for both.
  const uint32_t block[2] = {kAdpStoppedApplicationExit,
                             static_cast<uint32_t>(status)};
  semihost_call(kSysExitExtended, block);
  // A host without SYS_EXIT_EXTENDED: plain SYS_EXIT (status lost, 0).
  semihost_call(kSysExit, reinterpret_cast<const void*>(
                              static_cast<uintptr_t>(kAdpStoppedApplicationExit)));
  for (;;) {
  }
}
