// The one header a custom operator's kernel includes.
//
//   #include "runtime/kernel/custom_op.h"     // Bazel: deps = ["@slimtorch//runtime/kernel"]
//
//   namespace my_device {
//   // my_ops::my_op.out(Tensor x, float alpha, *, Tensor(a!) out) -> Tensor(a!)
//   slimtorch::Error my_op_out(slimtorch::KernelContext& ctx, const slimtorch::Tensor& x,
//                              double alpha, slimtorch::Tensor& out);
//   }
//
// A custom op kernel is a typed function named by its custom_ops.yaml entry's kernel_name (in
// that C++ namespace); codegen (codegen/custom_op_adapter.py) writes the registry's boxed
// adapter, which checks each argument's kind and calls it. Schema types map to parameters:
//   Tensor -> const Tensor&      Tensor(a!) -> Tensor&       Tensor? -> const Tensor* (nullptr: None)
//   float, Scalar -> double      int, SymInt -> int64_t      bool -> bool
//   int[], int[N] -> IntListRef  ScalarType -> ScalarType
// The kernel checks what the adapter cannot know (dtypes, shapes, layout), resizes its outputs
// (resize_like / resize_tensor) before writing them, and fails with ctx.fail("x: why") (a
// string literal; the executor's message adds the instruction and the op's name). No heap:
// scratch memory is an out tensor of the schema, which the exporter plans.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "runtime/core/error.h"        // Error
#include "runtime/core/evalue.h"       // IntListRef
#include "runtime/core/scalar_type.h"  // ScalarType, element_size, scalar_type_name
#include "runtime/core/tensor.h"       // Tensor (data_as<T>(), sizes, dim, numel), resize_tensor, is_contiguous
#include "runtime/kernel/kernel.h"     // KernelContext

namespace slimtorch {

// Resizes `out` to `like`'s shape (the usual first step of an elementwise kernel). Fails with
// "out: ..." when the ranks differ or out cannot take that shape (static, or beyond its
// planned bytes).
inline Error resize_like(KernelContext& ctx, Tensor& out, const Tensor& like) {
  if (out.dim != like.dim) return ctx.fail("out: rank differs from the input's", Error::InvalidArgument);
  if (resize_tensor(out, like.sizes, like.dim) != Error::Ok) {
    return ctx.fail("out: cannot take the input's shape (static shape, or larger than planned)",
                    Error::InvalidArgument);
  }
  return Error::Ok;
}

}  // namespace slimtorch
