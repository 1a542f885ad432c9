// Operators the runtime provides itself (upstream emits them for symbolic
// shapes, control flow and views): aten::sym_size.int, aten::sym_numel,
// executorch_prim::<arith/compare>.Scalar, executorch_prim::et_copy_index.tensor,
// executorch_prim::et_view.default. They are kernels like any other: the
// generated registry lists the ones a manifest names (catalog:
// runtime/executor/prim_ops.yaml, function slimtorch::prim::<name>_<overload>),
// so an image links only the primitive ops its programs use.
#pragma once

#include <stddef.h>

#include "runtime/kernel/kernel.h"

namespace slimtorch {

namespace prim {
Error sym_size_int(KernelContext& ctx, EValue** args, size_t nargs);
Error sym_numel(KernelContext& ctx, EValue** args, size_t nargs);
Error sym_stride_int(KernelContext& ctx, EValue** args, size_t nargs);
Error local_scalar_dense(KernelContext& ctx, EValue** args, size_t nargs);
Error sym_ite_Scalar(KernelContext& ctx, EValue** args, size_t nargs);
Error add_Scalar(KernelContext& ctx, EValue** args, size_t nargs);
Error sub_Scalar(KernelContext& ctx, EValue** args, size_t nargs);
Error mul_Scalar(KernelContext& ctx, EValue** args, size_t nargs);
Error floordiv_Scalar(KernelContext& ctx, EValue** args, size_t nargs);
Error floordiv_int(KernelContext& ctx, EValue** args, size_t nargs);
Error truediv_Scalar(KernelContext& ctx, EValue** args, size_t nargs);
Error mod_Scalar(KernelContext& ctx, EValue** args, size_t nargs);
Error mod_int(KernelContext& ctx, EValue** args, size_t nargs);
Error eq_Scalar(KernelContext& ctx, EValue** args, size_t nargs);
Error gt_Scalar(KernelContext& ctx, EValue** args, size_t nargs);
Error lt_Scalar(KernelContext& ctx, EValue** args, size_t nargs);
Error ge_Scalar(KernelContext& ctx, EValue** args, size_t nargs);
Error le_Scalar(KernelContext& ctx, EValue** args, size_t nargs);
Error sym_max_Scalar(KernelContext& ctx, EValue** args, size_t nargs);
Error sym_min_Scalar(KernelContext& ctx, EValue** args, size_t nargs);
Error neg_Scalar(KernelContext& ctx, EValue** args, size_t nargs);
Error sym_float_Scalar(KernelContext& ctx, EValue** args, size_t nargs);
Error sym_int_Scalar(KernelContext& ctx, EValue** args, size_t nargs);
Error ceil_Scalar(KernelContext& ctx, EValue** args, size_t nargs);
Error round_Scalar(KernelContext& ctx, EValue** args, size_t nargs);
Error trunc_Scalar(KernelContext& ctx, EValue** args, size_t nargs);
Error sym_not_Scalar(KernelContext& ctx, EValue** args, size_t nargs);
Error et_copy_index_tensor(KernelContext& ctx, EValue** args, size_t nargs);
Error et_view_default(KernelContext& ctx, EValue** args, size_t nargs);
}  // namespace prim

// The whole table, for tools and tests (the runtime resolves through the
// registry). The primitive op called name[0..len) ("executorch_prim::add.Scalar"); nullptr when absent.
KernelFn find_prim_op(const char* name, size_t len);

}  // namespace slimtorch
