// Error codes returned by every fallible runtime call. The runtime has no
// exceptions: each failure travels back as one of these values, and the
// component that detected it logs a one-line reason through the platform layer.
#pragma once

#include <stdint.h>

// How failures describe themselves (runtime/platform/log.h), set by Bazel from
// `--//runtime/core:error_messages=auto|text|token|off` (runtime/core/BUILD.bazel;
// auto = text on the host; on the Cortex-M55 token, or off in -c opt builds):
// 2 (text): a message naming the cause, formatted in the image;
// 1 (token): the same message, with its text kept out of the image (a token and
//    the numbers; `slimtorch decode-errors` restores the text);
// 0 (off): codes only.
#ifndef SLIMTORCH_ERROR_MESSAGES
#define SLIMTORCH_ERROR_MESSAGES 2
#endif

namespace slimtorch {

enum class Error : uint8_t {
  Ok = 0,
  InvalidArgument,   // a caller passed a bad value (wrong input shape, index out of range)
  InvalidProgram,    // the program failed verification (bad offset, size, index, magic)
  NotSupported,      // valid program, but it uses something this build does not provide
  MissingKernel,     // an operator in the program has no kernel in the selected registry
  MissingBackend,    // a delegate names a backend that is not registered or not available
  OutOfMemory,       // a caller-provided buffer is too small (the message says how much is needed)
  LimitExceeded,     // the program exceeds a caller-set limit (values, instructions, buffer bytes)
  KernelFailed,      // a kernel rejected its arguments (message names the op and the argument)
  Internal,          // a runtime invariant broke; a bug in slimtorch
};

// Short stable name for an error ("InvalidProgram"); never null.
const char* error_name(Error e);

}  // namespace slimtorch
