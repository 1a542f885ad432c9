// Arm semihosting: the firmware's only channel to the outside world on QEMU.
//
// Each call traps into the debugger/emulator with `bkpt 0xab` (M-profile) or
// the `slli x0,x0,0x1f; ebreak; srai x0,x0,7` sequence (RISC-V, same protocol),
// which performs the operation on the host: QEMU started with
// `-semihosting-config enable=on,target=native` prints to its own stdout and
// exits with the code given to st_semihost_exit().
//
// This header is a stable C API (C and C++ callers): the runtime's platform
// layer (runtime/platform/) and the board start-up code build on it.
// No state, no buffers: every call is synchronous and the caller owns its
// arguments for the duration of the call only.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

// Writes the NUL-terminated string `s` to the host's stdout (SYS_WRITE0).
void st_semihost_write0(const char* s);

// Writes one character to the host's stdout (SYS_WRITEC).
void st_semihost_writec(char c);

// Writes `size` bytes to the host file `path` (created or truncated; a relative
// path is taken from the emulator's working directory) with SYS_OPEN, SYS_WRITE
// and SYS_CLOSE. Returns 0 on success, -1 if the host could not open or write it.
int st_semihost_write_file(const char* path, const void* data, unsigned long size);

// Ends the program: the emulator exits with `status` as its process exit code
// (SYS_EXIT_EXTENDED, reason ADP_Stopped_ApplicationExit). Never returns.
#ifdef __cplusplus
[[noreturn]]
#endif
void st_semihost_exit(int status)
#ifndef __cplusplus
    __attribute__((noreturn))
#endif
    ;

#ifdef __cplusplus
}  // extern "C"
#endif
