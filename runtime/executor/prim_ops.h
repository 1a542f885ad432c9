// Operators the runtime provides itself (upstream emits them for symbolic
// shapes, control flow and views): aten::sym_size.int, aten::sym_numel,
// executorch_prim::<arith/compare>.Scalar, executorch_prim::et_copy_index.tensor,
// executorch_prim::et_view.default. Looked up before the kernel registry.
#pragma once

#include <stddef.h>

#include "runtime/kernel/kernel.h"

namespace slimtorch {

// The primitive op called name[0..len) ("executorch_prim::add.Scalar"); nullptr when absent.
KernelFn find_prim_op(const char* name, size_t len);

}  // namespace slimtorch
