// Upstream's int8 pooling (CMSIS-NN arm_avgpool_s8 / arm_max_pool_s8):
//   cortex_m::quantized_avg_pool2d.out(Tensor input, int[] kernel_size, int[] stride, int[] padding,
//       bool ceil_mode, int zero_point, int multiplier, int shift, Tensor scratch, *, Tensor(a!) out)
//   cortex_m::quantized_max_pool2d.out(Tensor input, int[] kernel_size, int[] stride, int[] padding,
//       int[] dilation, bool ceil_mode, int input_zero_point, int output_zero_point,
//       int activation_min, int activation_max, *, Tensor(a!) out)
// and their `_nhwc` variants. Windows are clipped to the input (count_include_pad=False;
// padding never wins a max). Input and output share one quantization, so the average is
// the integer mean of the raw values, rounded half away from zero as CMSIS-NN does
// (upstream's Python reference rounds a float mean half to even: the two can differ by one
// step on exact ties); zero_point, multiplier and shift are checked, not needed.
// Max pooling takes dilation 1 only and equal zero points, as upstream's reference.
// args: [the schema's arguments..., out, return value].
#include "kernels/cortex_m/args.h"
#include "kernels/cortex_m/nn_s8.h"

namespace slimtorch {
namespace cortex_m {

namespace {

// Reads input, kernel_size, stride, padding (args 0..3), ceil_mode (args[ceil]) and sizes out.
Error read_pool(KernelContext& ctx, EValue** args, int ceil, EValue* out_v, bool nhwc, PoolArgs* p,
                Nhwc* in,
                Nhwc* out) {
  Tensor* input = nullptr;
  ST_TRY(any_tensor_arg(ctx, args[0], &input, "input: expected a tensor"));
  ST_TRY(nhwc_view(ctx, *input, nhwc, in,
                   nhwc ? "input: expected a contiguous int8 NHWC tensor"
                        : "input: expected a channels-last int8 4-D tensor (dim order 0,2,3,1)"));
  int32_t k[2], s[2], pad[2];
  ST_TRY(pair_arg(ctx, args[1], 1, k, "kernel_size: expected 1 or 2 ints >= 1"));
  ST_TRY(pair_arg(ctx, args[2], 1, s, "stride: expected 1 or 2 ints >= 1"));
  ST_TRY(pair_arg(ctx, args[3], 0, pad, "padding: expected 1 or 2 ints >= 0"));
  if (2 * pad[0] > k[0] || 2 * pad[1] > k[1]) {
    return ctx.fail("padding: must be at most half the kernel size", Error::InvalidArgument);
  }
  if (!args[ceil]->is_bool()) return ctx.fail("ceil_mode: expected a bool", Error::InvalidArgument);
  const bool ceil_mode = args[ceil]->to_bool();
  const int32_t oh = window_out(in->h, k[0], s[0], pad[0], 1, ceil_mode);
  const int32_t ow = window_out(in->w, k[1], s[1], pad[1], 1, ceil_mode);
  if (oh < 0 || ow < 0) {
    return ctx.fail("input: smaller than the kernel plus padding", Error::InvalidArgument);
  }
  if (out_v == nullptr || !out_v->is_tensor()) {
    return ctx.fail("out: expected a tensor", Error::InvalidArgument);
  }
  ST_TRY(nhwc_out(ctx, out_v->to_tensor(), nhwc, in->n, oh, ow, in->c, out));
  p->in_h = in->h;
  p->in_w = in->w;
  p->c = in->c;
  p->kh = k[0];
  p->kw = k[1];
  p->stride_h = s[0];
  p->stride_w = s[1];
  p->pad_top = pad[0];
  p->pad_left = pad[1];
  p->out_h = oh;
  p->out_w = ow;
  return Error::Ok;
}

template <bool kMax>
void run_batches(PoolArgs p, const Nhwc& in, const Nhwc& out) {
  const intptr_t in_batch = static_cast<intptr_t>(in.h) * in.w * in.c;
  const intptr_t out_batch = static_cast<intptr_t>(out.h) * out.w * out.c;
  for (int32_t b = 0; b < in.n; ++b) {
    p.in = in.data + b * in_batch;
    p.out = out.data + b * out_batch;
    if (kMax) {
      max_pool_s8(p);
    } else {
      avg_pool_s8(p);
    }
  }
}

Error avg_pool(KernelContext& ctx, EValue** args, size_t nargs, bool nhwc) {
  ST_TRY(native::check_nargs(ctx, nargs, 11,
                             "expected 11 args: input, kernel_size, stride, padding, ceil_mode, zero_point, "
                             "multiplier, shift, scratch, out, return value"));
  int32_t zp = 0, mult = 0, shift = 0;
  ST_TRY(int_arg(ctx, args[5], -32768, 32767, &zp,
                 "zero_point: expected an int in [-32768, 32767]"));
  ST_TRY(multiplier_arg(ctx, args[6], &mult, "multiplier: expected an int32"));
  ST_TRY(shift_arg(ctx, args[7], &shift, "shift: expected an int in [-62, 31]"));
  Tensor* scratch = nullptr;
  ST_TRY(any_tensor_arg(ctx, args[8], &scratch, "scratch: expected a tensor"));
  PoolArgs p;
  Nhwc in, out;
  ST_TRY(read_pool(ctx, args, 4, args[9], nhwc, &p, &in, &out));
  p.act_min = -128;
  p.act_max = 127;
  run_batches<false>(p, in, out);
  return Error::Ok;
}

Error max_pool(KernelContext& ctx, EValue** args, size_t nargs, bool nhwc) {
  ST_TRY(native::check_nargs(ctx, nargs, 12,
                             "expected 12 args: input, kernel_size, stride, padding, dilation, ceil_mode, "
                             "input_zero_point, output_zero_point, activation_min, activation_max, out, "
                             "return value"));
  int32_t dilation[2];
  ST_TRY(pair_arg(ctx, args[4], 1, dilation, "dilation: expected 1 or 2 ints >= 1"));
  if (dilation[0] != 1 || dilation[1] != 1) {
    return ctx.fail("dilation: only 1 is supported", Error::NotSupported);
  }
  int32_t zin = 0, zout = 0;
  ST_TRY(int_arg(ctx, args[6], -32768, 32767, &zin,
                 "input_zero_point: expected an int in [-32768, 32767]"));
  ST_TRY(int_arg(ctx, args[7], -32768, 32767, &zout,
                 "output_zero_point: expected an int in [-32768, 32767]"));
  if (zin != zout) {
    return ctx.fail("output_zero_point: must equal input_zero_point", Error::InvalidArgument);
  }
  PoolArgs p;
  ST_TRY(activation_range(ctx, args[8], args[9], &p.act_min, &p.act_max));
  Nhwc in, out;
  ST_TRY(read_pool(ctx, args, 5, args[10], nhwc, &p, &in, &out));
  run_batches<true>(p, in, out);
  return Error::Ok;
}

}  // namespace

Error quantized_avg_pool2d_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return avg_pool(ctx, args, nargs, /*nhwc=*/false);
}
Error quantized_avg_pool2d_nhwc_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return avg_pool(ctx, args, nargs, /*nhwc=*/true);
}
Error quantized_max_pool2d_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return max_pool(ctx, args, nargs, /*nhwc=*/false);
}
Error quantized_max_pool2d_nhwc_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return max_pool(ctx, args, nargs, /*nhwc=*/true);
}

}  // namespace cortex_m
}  // namespace slimtorch
