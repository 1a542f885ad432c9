// The kernel calling convention and the generated registry's shape.
//
// A kernel implements one operator overload (for example "aten::addmm.out")
// for one or more dtypes. It receives the instruction's arguments exactly as the
// .pte lists them: every schema argument in order, `out` included, followed by
// the return value (so an out-variant op sees `out` twice). Kernels validate
// what they rely on (tags, dtypes, shapes), resize their outputs with
// resize_tensor(), and return Error::Ok or fail through ctx.fail().
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "runtime/core/error.h"
#include "runtime/core/evalue.h"

namespace slimtorch {

// Per-call context: where a kernel leaves the reason it failed. The executor's
// message adds the instruction and the operator's name ("aten::addmm.out"),
// so a kernel need not know its own name.
struct KernelContext {
  const char* message = "";  // set by fail(); static string, never freed

  // Records why the kernel failed and returns Error::KernelFailed (or `e`).
  // `why` must be a string literal (static lifetime), e.g. "mat1: expected 2-D".
  // Only text-mode builds keep `why` (runtime/core/error.h); token and off builds
  // drop it, so the executor's message names the instruction and op alone
  // (the same program and inputs on the host's pte_runner give the reason).
  Error fail(const char* why, Error e = Error::KernelFailed) {
#if SLIMTORCH_ERROR_MESSAGES == 2
    message = why;
#else
    (void)why;
#endif
    return e;
  }
};

using KernelFn = Error (*)(KernelContext& ctx, EValue** args, size_t nargs);

// One registry row: the operator's full name ("aten::addmm.out"; "aten::copy_"
// when the overload is empty) and its kernel.
struct KernelEntry {
  const char* name;
  KernelFn fn;
};

// Defined by the generated registry source (codegen/), one per linked image.
// Only the kernels the model's manifest selected are listed, so the linker
// drops every other kernel object.
extern const KernelEntry kSelectedKernels[];
extern const size_t kNumSelectedKernels;

// Looks `name` up in kSelectedKernels; nullptr when absent.
KernelFn find_kernel(const char* name, size_t name_len);

}  // namespace slimtorch
