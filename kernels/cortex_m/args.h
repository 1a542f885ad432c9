// Argument checks and layout helpers shared by the cortex_m:: operators.
// Generic checks (nargs, int lists, resize_out) come from kernels/portable/util.h;
// what is here is specific to upstream's int8 operators: int8 tensors in a
// channels-last layout, scalar ints in a range, requantization parameter
// tensors, and the memory strides that let one loop serve every dim order.
//
// Nothing here allocates; every array is the caller's (kMaxTensorDim entries).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernels/cortex_m/nn_s8.h"
#include "kernels/portable/util.h"
#include "runtime/core/evalue.h"
#include "runtime/kernel/kernel.h"

namespace slimtorch {
namespace cortex_m {

// Memory strides (elements) of each logical dim of `t`, from its dim order.
// False when the dim order is not a permutation of 0..dim-1.
bool memory_strides(const Tensor& t, int32_t* strides);

// True when a and b have the same sizes and place every element at the same
// memory offset (dims of size 1 may be ordered differently).
bool same_layout(const Tensor& a, const Tensor& b);

// True when t's memory is row-major over its sizes (dims of size 1 may sit anywhere
// in its dim order).
bool contiguous_memory(const Tensor& t);

// A tensor argument of dtype `dtype`: fails with `why` (InvalidArgument) otherwise.
Error tensor_arg(KernelContext& ctx, const EValue* v, ScalarType dtype, Tensor** out,
                 const char* why);
// An optional tensor (None gives *out = nullptr).
Error opt_tensor_arg(KernelContext& ctx, const EValue* v, ScalarType dtype, Tensor** out,
                     const char* why);
// Any tensor (scratch buffers: their bytes are all that matter).
Error any_tensor_arg(KernelContext& ctx, const EValue* v, Tensor** out, const char* why);

// An Int argument within [lo, hi].
Error int_arg(KernelContext& ctx, const EValue* v, int64_t lo, int64_t hi, int32_t* out,
              const char* why);

// A requantization multiplier (int32) and shift ([-62, 31]) given as Int arguments.
Error multiplier_arg(KernelContext& ctx, const EValue* v, int32_t* out, const char* why);
Error shift_arg(KernelContext& ctx, const EValue* v, int32_t* out, const char* why);

// A 4-D activation as NHWC memory: n, h, w, c and the data.
// `nhwc_sizes`: the tensor's sizes are [N, H, W, C] and it must be contiguous
// (the `_nhwc` operators); otherwise its sizes are [N, C, H, W] and its memory
// must be channels-last (dim order [0, 2, 3, 1], or any order that places the
// elements the same way, as when C == 1 or H == W == 1).
struct Nhwc {
  int8_t* data;
  int32_t n, h, w, c;
};
Error nhwc_view(KernelContext& ctx, Tensor& t, bool nhwc_sizes, Nhwc* out, const char* why);

// Resizes `out` to the activation n x h x w x c (sizes [N, H, W, C] when nhwc_sizes,
// else [N, C, H, W]) and views it as NHWC memory; fails when its declared layout is
// not NHWC memory.
Error nhwc_out(KernelContext& ctx, Tensor& out, bool nhwc_sizes, int32_t n, int32_t h, int32_t w,
               int32_t c,
               Nhwc* view);

// Per-channel requantization parameters: int32 tensors of exactly `channels` elements.
Error requant_tensors(KernelContext& ctx, const EValue* mult, const EValue* shift, int32_t channels,
                      const int32_t** mults, const int32_t** shifts);

// activation_min <= activation_max, both in [-128, 127].
Error activation_range(KernelContext& ctx, const EValue* lo, const EValue* hi, int32_t* min,
                       int32_t* max);

// Two entries (height, width) of an int list of 1 or 2 entries, each >= lo.
Error pair_arg(KernelContext& ctx, const EValue* v, int32_t lo, int32_t* out, const char* why);

// Output extent of a window sweep: (in + 2 pad - dilation (k - 1) - 1) / stride + 1,
// floored (ceil_mode: rounded up, as PyTorch's pooling does, never starting a window
// in the right padding). -1 when it is not positive or does not fit int32.
int32_t window_out(int32_t in, int32_t k, int32_t stride, int32_t pad, int32_t dilation,
                   bool ceil_mode);

// Memory strides of `in` read at the coordinates of an output of out_dim dims
// (aligned from the last dim; a size-1 or missing dim repeats: stride 0). The caller
// checked that `in` broadcasts to the output's sizes.
bool broadcast_strides(const Tensor& in, int out_dim, int32_t* strides);

// Walks the elements of `out` in its memory order and calls f(o, a, b, n) for runs of
// n elements that are consecutive in out's memory and in a's and b's (o, a, b: element
// offsets; a_strides / b_strides: each operand's memory strides per dim of out, 0 where
// it repeats). Runs are as long as the innermost dim of size > 1, or the whole tensor
// when every operand is laid out as out is.
template <typename F>
bool for_each_run(const Tensor& out, const int32_t* a_strides, const int32_t* b_strides, F f) {
  int32_t os[kMaxTensorDim];
  if (!memory_strides(out, os)) return false;
  if (out.numel == 0) return true;
  bool flat = true;
  for (int d = 0; d < out.dim; ++d) {
    if (out.sizes[d] != 1 && (a_strides[d] != os[d] || b_strides[d] != os[d])) flat = false;
  }
  if (flat) {
    f(size_t{0}, size_t{0}, size_t{0}, out.numel);
    return true;
  }
  // Dims from the outermost in memory to the innermost, size-1 dims left out.
  int dims[kMaxTensorDim];
  int nd = 0;
  for (int i = 0; i < out.dim; ++i) {
    const int d = out.dim_order != nullptr ? out.dim_order[i] : i;
    if (out.sizes[d] != 1) dims[nd++] = d;
  }
  uint32_t run = 1;
  if (nd > 0 && a_strides[dims[nd - 1]] == 1 && b_strides[dims[nd - 1]] == 1) {
    run = static_cast<uint32_t>(out.sizes[dims[nd - 1]]);
    --nd;
  }
  int32_t idx[kMaxTensorDim] = {};
  size_t o = 0, a = 0, b = 0;
  for (;;) {
    f(o, a, b, run);
    int k = nd - 1;
    for (; k >= 0; --k) {
      const int d = dims[k];
      o += static_cast<size_t>(os[d]);
      a += static_cast<size_t>(a_strides[d]);
      b += static_cast<size_t>(b_strides[d]);
      if (++idx[k] < out.sizes[d]) break;
      o -= static_cast<size_t>(os[d]) * static_cast<size_t>(out.sizes[d]);
      a -= static_cast<size_t>(a_strides[d]) * static_cast<size_t>(out.sizes[d]);
      b -= static_cast<size_t>(b_strides[d]) * static_cast<size_t>(out.sizes[d]);
      idx[k] = 0;
    }
    if (k < 0) return true;
  }
}

}  // namespace cortex_m
}  // namespace slimtorch
