// Upstream's layout operators:
//   cortex_m::pad.out(Tensor input, int[] pre_pad, int[] post_pad, int pad_value, *, Tensor(a!) out)
//     constant padding of an int8 tensor of rank <= 4. The four pads per side are upstream's
//     "physical" order: for a 4-D channels-last tensor (dim order starting 0, 2, or C == 1,
//     or H == W == 1: upstream's is_channels_last) they are N, H, W, C; otherwise they are
//     the logical dims, aligned to the last (rank 2: entries 2 and 3).
//   cortex_m::transpose.out(Tensor input, int[] perm, *, Tensor(a!) out)
//     out = input.permute(perm) (any dtype), written in out's declared dim order.
// args: [the schema's arguments..., out, return value].
#include <string.h>

#include "kernels/cortex_m/args.h"

namespace slimtorch {
namespace cortex_m {

Error pad_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(native::check_nargs(ctx, nargs, 6,
                             "expected 6 args: input, pre_pad, post_pad, pad_value, out, return value"));
  Tensor* x = nullptr;
  Tensor* y = nullptr;
  ST_TRY(tensor_arg(ctx, args[0], ScalarType::Char, &x, "input: expected an int8 tensor"));
  if (x->dim < 1 || x->dim > 4) {
    return ctx.fail("input: expected rank 1 to 4", Error::InvalidArgument);
  }
  int32_t pre_phys[4], post_phys[4];
  if (!args[1]->is_int_list() || args[1]->v.il.size != 4) {
    return ctx.fail("pre_pad: expected 4 ints", Error::InvalidArgument);
  }
  if (!args[2]->is_int_list() || args[2]->v.il.size != 4) {
    return ctx.fail("post_pad: expected 4 ints", Error::InvalidArgument);
  }
  for (uint32_t i = 0; i < 4; ++i) {
    const int64_t a = args[1]->v.il.at(i), b = args[2]->v.il.at(i);
    if (a < 0 || a > 65535) {
      return ctx.fail("pre_pad: each pad must be in [0, 65535]", Error::InvalidArgument);
    }
    if (b < 0 || b > 65535) {
      return ctx.fail("post_pad: each pad must be in [0, 65535]", Error::InvalidArgument);
    }
    pre_phys[i] = static_cast<int32_t>(a);
    post_phys[i] = static_cast<int32_t>(b);
  }
  int32_t value = 0;
  ST_TRY(int_arg(ctx, args[3], -128, 127, &value, "pad_value: expected an int in [-128, 127]"));
  ST_TRY(tensor_arg(ctx, args[4], ScalarType::Char, &y, "out: expected an int8 tensor"));

  const int nd = x->dim;
  const bool channels_last = nd == 4 && (x->sizes[1] == 1 || (x->sizes[2] == 1 && x->sizes[3] == 1) ||
                                         (x->dim_order != nullptr && x->dim_order[0] == 0 && x->dim_order[1] == 2));
  int32_t pre[4], post[4], sizes[4];
  for (int d = 0; d < nd; ++d) {
    static const int kNhwcOf[4] = {0, 3, 1, 2};  // logical dim -> its place in N, H, W, C
    const int i = channels_last ? kNhwcOf[d] : 4 - nd + d;
    pre[d] = pre_phys[i];
    post[d] = post_phys[i];
    const int64_t s = static_cast<int64_t>(x->sizes[d]) + pre[d] + post[d];
    if (s > INT32_MAX) return ctx.fail("pre_pad: padded size does not fit", Error::InvalidArgument);
    sizes[d] = static_cast<int32_t>(s);
  }
  ST_TRY(native::resize_out(ctx, *y, sizes, nd));
  int32_t xs[kMaxTensorDim], ys[kMaxTensorDim];
  if (!memory_strides(*x, xs) || !memory_strides(*y, ys)) {
    return ctx.fail("input: invalid dim order", Error::InvalidArgument);
  }
  memset(y->data, value & 0xff, y->numel);
  if (x->numel == 0) return Error::Ok;
  size_t base = 0;
  for (int d = 0; d < nd; ++d) base += static_cast<size_t>(pre[d]) * static_cast<size_t>(ys[d]);
  native::StridedIndex src(x->sizes, xs, nd);
  native::StridedIndex dst(x->sizes, ys, nd);
  const int8_t* in = x->data_as<int8_t>();
  int8_t* out = y->data_as<int8_t>() + base;
  for (uint32_t i = 0; i < x->numel; ++i) {
    out[dst.offset] = in[src.offset];
    src.next();
    dst.next();
  }
  return Error::Ok;
}

Error transpose_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(native::check_nargs(ctx, nargs, 4, "expected 4 args: input, perm, out, return value"));
  if (!args[0]->is_tensor()) return ctx.fail("input: expected a tensor", Error::InvalidArgument);
  if (!args[2]->is_tensor()) return ctx.fail("out: expected a tensor", Error::InvalidArgument);
  const Tensor& x = args[0]->to_tensor();
  Tensor& y = args[2]->to_tensor();
  if (y.dtype != x.dtype) return ctx.fail("out: dtype must equal input's", Error::InvalidArgument);
  const int nd = x.dim;
  if (!args[1]->is_int_list() || args[1]->v.il.size != static_cast<uint32_t>(nd)) {
    return ctx.fail("perm: expected one int per dim of input", Error::InvalidArgument);
  }
  int perm[kMaxTensorDim];
  bool seen[kMaxTensorDim] = {};
  int32_t sizes[kMaxTensorDim];
  for (int d = 0; d < nd; ++d) {
    int64_t p = args[1]->v.il.at(static_cast<uint32_t>(d));
    if (p < 0) p += nd;
    if (p < 0 || p >= nd || seen[p]) {
      return ctx.fail("perm: must be a permutation of the input's dims", Error::InvalidArgument);
    }
    seen[p] = true;
    perm[d] = static_cast<int>(p);
    sizes[d] = x.sizes[p];
  }
  ST_TRY(native::resize_out(ctx, y, sizes, nd));
  int32_t xs[kMaxTensorDim], ys[kMaxTensorDim];
  if (!memory_strides(x, xs) || !memory_strides(y, ys)) {
    return ctx.fail("input: invalid dim order", Error::InvalidArgument);
  }
  // Walk out's memory in order: its j-th memory dim is logical dim dim_order[j].
  int32_t walk_sizes[kMaxTensorDim], src_strides[kMaxTensorDim];
  for (int j = 0; j < nd; ++j) {
    const int d = y.dim_order != nullptr ? y.dim_order[j] : j;
    walk_sizes[j] = sizes[d];
    src_strides[j] = xs[perm[d]];
  }
  if (y.numel == 0) return Error::Ok;
  native::strided_copy(y.data, x.data, walk_sizes, src_strides, nd, element_size(x.dtype));
  return Error::Ok;
}

}  // namespace cortex_m
}  // namespace slimtorch
