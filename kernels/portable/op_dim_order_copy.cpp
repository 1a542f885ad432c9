// ExecuTorch's dim-order copy ops, which upstream's exporter emits for dtype
// conversions (`.to(dtype)`, scalar constants promoted to a tensor's dtype) and
// for clone():
//   dim_order_ops::_to_dim_order_copy.out(Tensor self, *, bool non_blocking=False,
//       int[]? dim_order=None, Tensor(a!) out) -> Tensor(a!)
//   dim_order_ops::_clone_dim_order.out(same schema)
// and ATen's own conversion, which the same code serves:
//   aten::_to_copy.out(Tensor self, *, bool non_blocking=False, MemoryFormat? memory_format=None,
//       Tensor(a!) out) -> Tensor(a!)   memory_format: None, contiguous (0) or preserve (1)
// out = self converted to out's dtype (C-style casts like PyTorch: float -> int
// truncates, anything -> Bool is "!= 0"). dim_order must be None or contiguous.
// args: [self, non_blocking, dim_order (or memory_format), out, return].
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

// What args[2] is: a dim order (the dim_order_ops) or a MemoryFormat (aten::_to_copy).
enum class LayoutArg { DimOrder, MemoryFormat };

// A template, so that each kernel keeps only its own code: clone (kSameDtype) has no
// conversion loops, which matters on the Cortex-M images that call only clone.
template <bool kSameDtype, LayoutArg layout>
static Error dim_order_copy(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 5,
                     layout == LayoutArg::DimOrder
                         ? "expected 5 args: self, non_blocking, dim_order, out, return value"
                         : "expected 5 args: self, non_blocking, memory_format, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[3], "out: expected a tensor", "out: must be contiguous"));
  if (!args[1]->is_bool()) return ctx.fail("non_blocking: expected a bool", Error::InvalidArgument);
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = args[3]->to_tensor();
  const EValue* order = args[2];
  if (layout == LayoutArg::MemoryFormat) {
    if (!order->is_none() && !(order->is_int() && (order->to_int() == 0 || order->to_int() == 1))) {
      return ctx.fail("memory_format: only None, contiguous_format or preserve_format are supported",
                      Error::NotSupported);
    }
  } else if (!order->is_none()) {
    if (!order->is_int_list()) return ctx.fail("dim_order: expected None or an int list", Error::InvalidArgument);
    const IntListRef l = order->v.il;
    if (l.size != x.dim) return ctx.fail("dim_order: must have one entry per dim of self", Error::InvalidArgument);
    for (uint32_t d = 0; d < l.size; ++d) {
      if (l.at(d) != static_cast<int64_t>(d)) {
        return ctx.fail("dim_order: only the contiguous dim order is supported", Error::NotSupported);
      }
    }
  }
  if (kSameDtype && out.dtype != x.dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  if (!is_real_or_bool(x.dtype)) return ctx.fail("self: unsupported dtype", Error::NotSupported);
  if (!is_real_or_bool(out.dtype)) return ctx.fail("out: unsupported dtype", Error::NotSupported);
  ST_TRY(resize_out(ctx, out, x.sizes, x.dim));

  const uint32_t n = x.numel;
  if (kSameDtype || out.dtype == x.dtype) {
    if (out.data != x.data) __builtin_memcpy(out.data, x.data, x.nbytes());
  } else if (out.dtype == ScalarType::Bool) {
    for (uint32_t i = 0; i < n; ++i) out.data_as<uint8_t>()[i] = load_double(x.data, x.dtype, i) != 0.0 ? 1 : 0;
  } else if (x.dtype == ScalarType::Long && out.dtype == ScalarType::Float) {  // common: int constants
    const int64_t* in = x.data_as<int64_t>();
    float* o = out.data_as<float>();
    for (uint32_t i = 0; i < n; ++i) o[i] = static_cast<float>(in[i]);
  } else if (is_floating(out.dtype) || is_floating(x.dtype)) {
    for (uint32_t i = 0; i < n; ++i) store_double(out.data, out.dtype, i, load_double(x.data, x.dtype, i));
  } else {
    for (uint32_t i = 0; i < n; ++i) store_int(out.data, out.dtype, i, load_int(x.data, x.dtype, i));
  }
  return Error::Ok;
}

Error _to_dim_order_copy_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return dim_order_copy</*kSameDtype=*/false, LayoutArg::DimOrder>(ctx, args, nargs);
}

Error _clone_dim_order_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return dim_order_copy</*kSameDtype=*/true, LayoutArg::DimOrder>(ctx, args, nargs);
}

Error _to_copy_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return dim_order_copy</*kSameDtype=*/false, LayoutArg::MemoryFormat>(ctx, args, nargs);
}

}  // namespace native
}  // namespace slimtorch
