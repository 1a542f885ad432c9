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

// The dtypes selected for fn as a mask, bit t for ScalarType t: a constant
// expression, so a family's shared driver can take it as a template argument
// (kernels with one selection share one copy of the driver, and each copy
// drops the code of the dtypes left out). Without a selection header it is
// kEveryDtypeMask.
#define ST_DTYPE_BIT(fn, T) \
  (ST_DTYPE_SELECTED(fn, ::slimtorch::ScalarType::T) ? (1u << static_cast<int>(::slimtorch::ScalarType::T)) : 0u)
#define ST_DTYPE_MASK(fn)                                                                                   \
  (ST_DTYPE_BIT(fn, Byte) | ST_DTYPE_BIT(fn, Char) | ST_DTYPE_BIT(fn, Short) | ST_DTYPE_BIT(fn, Int) |     \
   ST_DTYPE_BIT(fn, Long) | ST_DTYPE_BIT(fn, Half) | ST_DTYPE_BIT(fn, Float) | ST_DTYPE_BIT(fn, Double) | \
   ST_DTYPE_BIT(fn, Bool) | ST_DTYPE_BIT(fn, BFloat16) | ST_DTYPE_BIT(fn, UInt16) |                      \
   ST_DTYPE_BIT(fn, UInt32) | ST_DTYPE_BIT(fn, UInt64))

namespace slimtorch {

// Bit t of a dtype mask.
constexpr uint32_t dtype_bit(ScalarType t) { return 1u << static_cast<int>(t); }

// Every real dtype and Bool: ST_DTYPE_MASK(fn)'s value when everything is selected.
constexpr uint32_t kEveryDtypeMask =
    dtype_bit(ScalarType::Byte) | dtype_bit(ScalarType::Char) | dtype_bit(ScalarType::Short) |
    dtype_bit(ScalarType::Int) | dtype_bit(ScalarType::Long) | dtype_bit(ScalarType::Half) |
    dtype_bit(ScalarType::Float) | dtype_bit(ScalarType::Double) | dtype_bit(ScalarType::Bool) |
    dtype_bit(ScalarType::BFloat16) | dtype_bit(ScalarType::UInt16) | dtype_bit(ScalarType::UInt32) |
    dtype_bit(ScalarType::UInt64);

}  // namespace slimtorch
