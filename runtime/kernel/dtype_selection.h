// Dtype-selective kernels: a kernel compiled for one model keeps code only for
// the dtypes that model's manifest lists for its operator (the
// `et_kernel_metadata` keys), so an op used only on float32 carries no int64
// or bool code.
//
// How: executorch_model() compiles the dtype-selective kernel sources once
// more into the model's own kernel library, with SLIMTORCH_SELECTED_DTYPES_H
// naming the header codegen/gen_registry.py wrote from the manifest. That
// header defines, per kernel function `fn` of the catalog,
//   ST_DTYPES_fn(t)   true when dtype `t` (a ScalarType) is selected for fn.
// Kernels test ST_DTYPE_SELECTED(fn, ScalarType::X) around each dtype's code:
// with constant arguments it folds to true/false and the compiler drops the
// branches left out. Without the header (the shared //kernels/portable
// library, pte_runner) every dtype is selected.
//
// A kernel called with a dtype left out fails with
// dtype_left_out(ctx, dtype): the executor's message names the op (from the
// context) and the dtype, and the program stops cleanly.
#pragma once

#include "runtime/core/scalar_type.h"
#include "runtime/kernel/kernel.h"

#ifdef SLIMTORCH_SELECTED_DTYPES_H
#include SLIMTORCH_SELECTED_DTYPES_H
#define ST_DTYPE_SELECTED(fn, t) ST_DTYPES_##fn(t)
#else
#define ST_DTYPE_SELECTED(fn, t) true
#endif

// Any integer dtype (not Bool) selected for fn.
#define ST_INTEGRAL_SELECTED(fn)                                                                       \
  (ST_DTYPE_SELECTED(fn, ::slimtorch::ScalarType::Byte) || ST_DTYPE_SELECTED(fn, ::slimtorch::ScalarType::Char) || \
   ST_DTYPE_SELECTED(fn, ::slimtorch::ScalarType::Short) || ST_DTYPE_SELECTED(fn, ::slimtorch::ScalarType::Int) ||  \
   ST_DTYPE_SELECTED(fn, ::slimtorch::ScalarType::Long) ||                                              \
   ST_DTYPE_SELECTED(fn, ::slimtorch::ScalarType::UInt16) ||                                            \
   ST_DTYPE_SELECTED(fn, ::slimtorch::ScalarType::UInt32) ||                                            \
   ST_DTYPE_SELECTED(fn, ::slimtorch::ScalarType::UInt64))

namespace slimtorch {

// Fails the call with "dtype <name> was left out of this dtype-selective build".
Error dtype_left_out(KernelContext& ctx, ScalarType t);

}  // namespace slimtorch
