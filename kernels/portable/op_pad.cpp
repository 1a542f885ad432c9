// Padding: one index-mapping copy loop for constant, reflection and replication
// padding over any number of trailing dims, every dtype (elements are moved, not
// converted; only the constant fill value is converted to the tensor's dtype).
//
// aten::constant_pad_nd.out(Tensor self, SymInt[] pad, Scalar value=0, *, Tensor(a!) out)
//   args: [self, pad, value, out, return]. pad pairs (before, after) start at the last
//   dim; negative pads crop.
// aten::reflection_pad{1,2,3}d.out(Tensor self, SymInt[2n] padding, *, Tensor(a!) out)
// aten::replication_pad{1,2,3}d.out(Tensor self, SymInt[2n] padding, *, Tensor(a!) out)
//   args: [self, padding, out, return]; self has n+1 or n+2 dims (an optional batch dim).
//   Reflection needs every pad < the padded dim's size (the edge is not repeated);
//   replication repeats the edge element. Negative pads crop, as in PyTorch.
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

namespace {

enum class PadMode : uint8_t { Constant, Reflect, Replicate };

// Input coordinate for output coordinate o of a dim of `n` input elements with `before`
// elements of padding in front; -1 when it falls in constant padding.
inline int32_t pad_source(int32_t o, int32_t before, int32_t n, PadMode mode) {
  int32_t i = o - before;
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case PadMode::Constant:
      return -1;
    case PadMode::Reflect:  // callers checked |pad| < n, so one reflection lands inside
      i = i < 0 ? -i : 2 * (n - 1) - i;
      return i;
    case PadMode::Replicate:
    default:
      return i < 0 ? 0 : n - 1;
  }
}

// out[o] = in[source(o)] per dim, row by row: the interior of each row is one memcpy.
// `before[d]` is the padding in front of dim d (0 for unpadded dims); `fill` holds one
// element of out's dtype for constant padding.
void pad_copy(const Tensor& in, Tensor& out, const int32_t* before, PadMode mode, const uint8_t* fill) {
  const size_t esize = element_size(out.dtype);
  if (out.numel == 0) return;
  if (out.dim == 0) {
    copy_element(out.data, 0, in.data, 0, esize);
    return;
  }
  int32_t strides[kMaxTensorDim];
  contiguous_strides(in, strides);
  const int last = out.dim - 1;
  const int32_t ow = out.sizes[last];
  const int32_t w = in.sizes[last];
  const int32_t b = before[last];
  // Output columns [lo, hi) read input columns lo - b .. hi - b - 1 in order.
  int32_t lo = b < 0 ? 0 : b;
  int32_t hi = b + w < ow ? b + w : ow;
  if (lo > ow) lo = ow;
  if (hi < lo) hi = lo;
  int32_t idx[kMaxTensorDim] = {};
  const size_t rows = out.numel / static_cast<size_t>(ow);
  uint8_t* dst = static_cast<uint8_t*>(out.data);
  for (size_t r = 0; r < rows; ++r) {
    size_t base = 0;
    bool inside = true;
    for (int d = 0; d < last; ++d) {
      const int32_t i = pad_source(idx[d], before[d], in.sizes[d], mode);
      if (i < 0) {
        inside = false;
        break;
      }
      base += static_cast<size_t>(i) * static_cast<size_t>(strides[d]);
    }
    const size_t row = r * static_cast<size_t>(ow);
    if (!inside) {
      for (int32_t o = 0; o < ow; ++o) copy_element(out.data, row + o, fill, 0, esize);
    } else {
      for (int32_t o = 0; o < lo; ++o) {
        const int32_t i = pad_source(o, b, w, mode);
        if (i < 0) {
          copy_element(out.data, row + o, fill, 0, esize);
        } else {
          copy_element(out.data, row + o, in.data, base + i, esize);
        }
      }
      if (hi > lo) {
        __builtin_memcpy(dst + (row + lo) * esize,
                         static_cast<const uint8_t*>(in.data) + (base + static_cast<size_t>(lo - b)) * esize,
                         static_cast<size_t>(hi - lo) * esize);
      }
      for (int32_t o = hi; o < ow; ++o) {
        const int32_t i = pad_source(o, b, w, mode);
        if (i < 0) {
          copy_element(out.data, row + o, fill, 0, esize);
        } else {
          copy_element(out.data, row + o, in.data, base + i, esize);
        }
      }
    }
    for (int d = last - 1; d >= 0; --d) {
      if (++idx[d] < out.sizes[d]) break;
      idx[d] = 0;
    }
  }
}

// Checks self/out, reads `npad` pad entries (pairs from the last dim) into before[], and
// resizes out. `exact` = the list must have npad entries (reflection/replication).
Error prepare_pad(KernelContext& ctx, EValue** args, const EValue* pad_arg, const EValue* out_arg, int n_dims,
                  PadMode mode, int32_t* before) {
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, out_arg, "out: expected a tensor", "out: must be contiguous"));
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = out_arg->to_tensor();
  if (!is_real_or_bool(x.dtype)) return ctx.fail("self: unsupported dtype", Error::NotSupported);
  if (out.dtype != x.dtype) return ctx.fail("out: must have self's dtype", Error::InvalidArgument);
  if (pad_arg == nullptr || !pad_arg->is_int_list()) return ctx.fail("pad: expected an int list", Error::InvalidArgument);
  const uint32_t npad = pad_arg->v.il.size;
  if (mode == PadMode::Constant) {
    if (npad % 2 != 0 || npad > 2u * x.dim) {
      return ctx.fail("pad: expected an even number of entries, at most 2 per dim of self", Error::InvalidArgument);
    }
  } else {
    if (npad != 2u * static_cast<uint32_t>(n_dims)) {
      return ctx.fail("padding: expected 2 entries per padded dim", Error::InvalidArgument);
    }
    if (x.dim != n_dims + 1 && x.dim != n_dims + 2) {
      return ctx.fail("self: expected n+1 or n+2 dims (optional batch, channels, n padded dims)",
                      Error::InvalidArgument);
    }
    for (int d = x.dim == n_dims + 2 ? 1 : 0; d < x.dim; ++d) {
      if (x.sizes[d] == 0) return ctx.fail("self: dims other than the batch dim must be non-empty", Error::InvalidArgument);
    }
  }
  int32_t sizes[kMaxTensorDim];
  for (int d = 0; d < x.dim; ++d) {
    before[d] = 0;
    sizes[d] = x.sizes[d];
  }
  for (uint32_t k = 0; k < npad / 2; ++k) {
    const int d = x.dim - 1 - static_cast<int>(k);
    const int64_t pb = pad_arg->v.il.at(2 * k);
    const int64_t pa = pad_arg->v.il.at(2 * k + 1);
    const int64_t in = x.sizes[d];
    if (pb < -in || pa < -in || pb > INT32_MAX / 4 || pa > INT32_MAX / 4) {
      return ctx.fail("pad: entry out of range for self", Error::InvalidArgument);
    }
    if (mode == PadMode::Reflect && (pb >= in || pa >= in)) {
      return ctx.fail("padding: must be smaller than the padded dim of self (reflection)", Error::InvalidArgument);
    }
    const int64_t o = in + pb + pa;
    if (o > INT32_MAX) return ctx.fail("pad: output size too large", Error::InvalidArgument);
    if (o < 0 || (mode != PadMode::Constant && o < 1)) {
      return ctx.fail("pad: gives a negative (or, reflection/replication, empty) output size", Error::InvalidArgument);
    }
    before[d] = static_cast<int32_t>(pb);
    sizes[d] = static_cast<int32_t>(o);
  }
  return resize_out(ctx, out, sizes, x.dim);
}

Error pad_nd(KernelContext& ctx, EValue** args, size_t nargs, int n_dims, PadMode mode) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: self, padding, out, return value"));
  int32_t before[kMaxTensorDim];
  ST_TRY(prepare_pad(ctx, args, args[1], args[2], n_dims, mode, before));
  pad_copy(args[0]->to_tensor(), args[2]->to_tensor(), before, mode, nullptr);
  return Error::Ok;
}

}  // namespace

Error constant_pad_nd_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 5, "expected 5 args: self, pad, value, out, return value"));
  int32_t before[kMaxTensorDim];
  ST_TRY(prepare_pad(ctx, args, args[1], args[3], 0, PadMode::Constant, before));
  Tensor& out = args[3]->to_tensor();
  const EValue* value = args[2];
  alignas(8) uint8_t fill[8] = {};
  if (value->is_int()) {
    store_int(fill, out.dtype, 0, value->to_int());  // keeps int64 values exact
  } else {
    double v = 0.0;
    ST_TRY(scalar_as_double(ctx, value, &v, "value: expected a number"));
    store_double(fill, out.dtype, 0, v);
  }
  pad_copy(args[0]->to_tensor(), out, before, PadMode::Constant, fill);
  return Error::Ok;
}

Error reflection_pad1d_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return pad_nd(ctx, args, nargs, 1, PadMode::Reflect);
}
Error reflection_pad2d_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return pad_nd(ctx, args, nargs, 2, PadMode::Reflect);
}
Error reflection_pad3d_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return pad_nd(ctx, args, nargs, 3, PadMode::Reflect);
}
Error replication_pad1d_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return pad_nd(ctx, args, nargs, 1, PadMode::Replicate);
}
Error replication_pad2d_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return pad_nd(ctx, args, nargs, 2, PadMode::Replicate);
}
Error replication_pad3d_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return pad_nd(ctx, args, nargs, 3, PadMode::Replicate);
}

}  // namespace native
}  // namespace slimtorch
