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
// truncates, anything -> Bool is "!= 0"). self and out may have any dim order (each
// tensor's own, from the program: channels-last int8 activations of the Cortex-M
// programs, for one); the values are copied by logical position. A dim_order argument
// must be out's dim order (it is what the exporter gave out).
// args: [self, non_blocking, dim_order (or memory_format), out, return].
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

// What args[2] is: a dim order (the dim_order_ops) or a MemoryFormat (aten::_to_copy).
enum class LayoutArg { DimOrder, MemoryFormat };

// out = self converted to out's dtype; element i of out's memory reads self's element
// src(i) (src is called once per i, in order).
template <typename Src>
static void convert(const Tensor& x, Tensor& out, Src src) {
  const uint32_t n = x.numel;
  if (out.dtype == ScalarType::Bool) {
    for (uint32_t i = 0; i < n; ++i) out.data_as<uint8_t>()[i] = load_double(x.data, x.dtype, src(i)) != 0.0 ? 1 : 0;
  } else if (x.dtype == ScalarType::Long && out.dtype == ScalarType::Float) {  // common: int constants
    const int64_t* in = x.data_as<int64_t>();
    float* o = out.data_as<float>();
    for (uint32_t i = 0; i < n; ++i) o[i] = static_cast<float>(in[src(i)]);
  } else if (is_floating(out.dtype) || is_floating(x.dtype)) {
    for (uint32_t i = 0; i < n; ++i) store_double(out.data, out.dtype, i, load_double(x.data, x.dtype, src(i)));
  } else {
    for (uint32_t i = 0; i < n; ++i) store_int(out.data, out.dtype, i, load_int(x.data, x.dtype, src(i)));
  }
}

// A template, so that each kernel keeps only its own code: clone (kSameDtype) has no
// conversion loops, which matters on the Cortex-M images that call only clone.
template <bool kSameDtype, LayoutArg layout>
static Error dim_order_copy(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 5,
                     layout == LayoutArg::DimOrder
                         ? "expected 5 args: self, non_blocking, dim_order, out, return value"
                         : "expected 5 args: self, non_blocking, memory_format, out, return value"));
  if (!args[0]->is_tensor()) return ctx.fail("self: expected a tensor", Error::InvalidArgument);
  if (!args[3]->is_tensor()) return ctx.fail("out: expected a tensor", Error::InvalidArgument);
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
    if (out.dim != x.dim) return ctx.fail("out: must have self's number of dims", Error::InvalidArgument);
    for (uint32_t d = 0; d < l.size; ++d) {
      if (l.at(d) != static_cast<int64_t>(out.dim_order[d])) {
        return ctx.fail("dim_order: must be out's dim order", Error::InvalidArgument);
      }
    }
  }
  if (kSameDtype && out.dtype != x.dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  if (!is_real_or_bool(x.dtype)) return ctx.fail("self: unsupported dtype", Error::NotSupported);
  if (!is_real_or_bool(out.dtype)) return ctx.fail("out: unsupported dtype", Error::NotSupported);
  ST_TRY(resize_out(ctx, out, x.sizes, x.dim));  // out.dim == x.dim from here on

  // Element i of out's memory reads element src(i) of self's: the identity when both lay
  // their dims out alike, else a walk of out's dims in memory order over self's strides.
  bool same_layout = true;
  int32_t sizes[kMaxTensorDim];
  int32_t strides[kMaxTensorDim];
  for (int j = 0; j < x.dim; ++j) {
    const int d = out.dim_order[j];
    sizes[j] = x.sizes[d];
    strides[j] = static_cast<int32_t>(dim_order_stride(x, d));
    same_layout = same_layout && strides[j] == static_cast<int32_t>(dim_order_stride(out, d));
  }
  if (!same_layout && (kSameDtype || out.dtype == x.dtype)) {
    strided_copy(out.data, x.data, sizes, strides, x.dim, element_size(x.dtype));
    return Error::Ok;
  }
  if (kSameDtype || out.dtype == x.dtype) {
    if (out.data != x.data) __builtin_memcpy(out.data, x.data, x.nbytes());
  } else if (same_layout) {
    convert(x, out, [](uint32_t i) { return static_cast<size_t>(i); });
  } else {
    StridedIndex it(sizes, strides, x.dim);
    convert(x, out, [&it](uint32_t) {
      const size_t at = it.offset;
      it.next();
      return at;
    });
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
