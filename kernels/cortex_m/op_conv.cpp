// Upstream's int8 convolutions (CMSIS-NN arm_convolve_s8 / arm_depthwise_conv_s8):
//   cortex_m::quantized_conv2d.out(Tensor input, Tensor weight, Tensor? bias, int[] stride,
//       int[] padding, int[] dilation, int input_offset, int output_offset,
//       Tensor requantize_multipliers, Tensor requantize_shifts, int activation_min,
//       int activation_max, Tensor scratch, *, Tensor(a!) out) -> Tensor(a!)
//   cortex_m::quantized_depthwise_conv2d.out(the same with int depth_multiplier after dilation)
//   cortex_m::quantized_transpose_conv2d.out(Tensor input, Tensor weight, Tensor? bias,
//       int[] stride, int[] padding, int[] output_padding, int[] dilation, int input_offset,
//       int output_offset, Tensor requantize_multipliers, Tensor requantize_shifts,
//       int activation_min, int activation_max, Tensor scratch, Tensor output_scratch, *, out)
// and their `_nhwc` variants (input and out sized [N, H, W, C] instead of NCHW-sized
// channels-last tensors). Weights are OHWI ([Cout, kH, kW, Cin / groups]) for conv and
// [1, kH, kW, Cout] for depthwise; bias and the per-channel multipliers/shifts are int32.
//   out[c] = clamp(requantize(bias[c] + sum (x + input_offset) * w, mult[c], shift[c])
//                  + output_offset, activation_min, activation_max)
//
// How a convolution reaches mat_mult_s8:
//  - 1x1, unpadded: the NHWC input rows are the matrix (any stride: a row stride of
//    stride_w * C along each output row); no scratch.
//  - otherwise im2col: as many output pixels' patches as `scratch` holds are copied into
//    it (im2col_s8; taps in the padding are the input zero point, -input_offset, so they
//    add zero), then one mat_mult per batch of pixels;
//  - when even one patch does not fit (upstream plans 0 bytes for some convolutions), a
//    direct loop that needs no scratch.
// A transposed convolution is the same gather seen from the output: output pixel oy takes
// tap ky from input row (oy + pad - ky * dilation) / stride when that divides exactly, so its
// patches go through the same im2col rows (OHWI weights, groups 1, as upstream's reference
// reads them); output_scratch is not needed.
// args: [the schema's arguments..., out, return value].
#include <string.h>

#include "kernels/cortex_m/args.h"
#include "kernels/cortex_m/nn_s8.h"

namespace slimtorch {
namespace cortex_m {

namespace {

// The arguments both convolutions share, validated.
struct ConvArgs {
  Nhwc in;
  const int8_t* w;
  int32_t kh, kw;
  const int32_t* bias;  // null: none
  int32_t stride[2], pad[2], dilation[2];
  int32_t input_offset;
  Requant rq;
  uint8_t* scratch;
  size_t scratch_bytes;
  Nhwc out;
  bool transposed;
};

// The input row (or column) that tap k of output position o reads, or -1 (padding, or a
// position between a transposed convolution's strided input samples).
inline int32_t tap(const ConvArgs& c, int32_t o, int32_t k, int axis, int32_t in_extent) {
  if (!c.transposed) {
    const int32_t i = o * c.stride[axis] - c.pad[axis] + k * c.dilation[axis];
    return i >= 0 && i < in_extent ? i : -1;
  }
  const int32_t num = o + c.pad[axis] - k * c.dilation[axis];
  if (num < 0 || num % c.stride[axis] != 0) return -1;
  const int32_t i = num / c.stride[axis];
  return i < in_extent ? i : -1;
}

// Reads everything but the weight (whose shape differs) and out: stride and padding are
// args 3 and 4, dilation args[dil]; `first` is the index of input_offset.
Error read_common(KernelContext& ctx, EValue** args, int dil, int first, ConvArgs* c) {
  ST_TRY(pair_arg(ctx, args[3], 1, c->stride, "stride: expected 1 or 2 ints >= 1"));
  ST_TRY(pair_arg(ctx, args[4], 0, c->pad, "padding: expected 1 or 2 ints >= 0"));
  ST_TRY(pair_arg(ctx, args[dil], 1, c->dilation, "dilation: expected 1 or 2 ints >= 1"));
  // The offsets are negated zero points (int8 ones, or beyond where upstream folds a
  // constant into them).
  ST_TRY(int_arg(ctx, args[first], -32768, 32767, &c->input_offset,
                 "input_offset: expected an int in [-32768, 32767]"));
  ST_TRY(int_arg(ctx, args[first + 1], -32768, 32767, &c->rq.output_offset,
                 "output_offset: expected an int in [-32768, 32767]"));
  ST_TRY(activation_range(ctx, args[first + 4], args[first + 5], &c->rq.activation_min,
                          &c->rq.activation_max));
  Tensor* scratch = nullptr;
  ST_TRY(any_tensor_arg(ctx, args[first + 6], &scratch, "scratch: expected a tensor"));
  c->scratch = scratch->data_as<uint8_t>();
  c->scratch_bytes = scratch->nbytes();
  c->rq.per_channel = true;
  return Error::Ok;
}

Error read_bias(KernelContext& ctx, const EValue* v, int32_t channels, const int32_t** bias) {
  Tensor* b = nullptr;
  ST_TRY(opt_tensor_arg(ctx, v, ScalarType::Int, &b, "bias: expected None or an int32 tensor"));
  if (b != nullptr && static_cast<int64_t>(b->numel) != channels) {
    return ctx.fail("bias: must have one entry per output channel", Error::InvalidArgument);
  }
  *bias = b != nullptr ? b->data_as<int32_t>() : nullptr;
  return Error::Ok;
}

// out's extent along one axis of a transposed convolution:
// (in - 1) stride - 2 pad + dilation (k - 1) + output_padding + 1 (0 gives an empty out,
// as PyTorch); -1 when negative.
int32_t transposed_out(int32_t in, int32_t k, int32_t stride, int32_t pad, int32_t dilation,
                       int32_t out_pad) {
  const int64_t o = (static_cast<int64_t>(in) - 1) * stride - 2 * static_cast<int64_t>(pad) +
                    static_cast<int64_t>(dilation) * (k - 1) + out_pad + 1;
  return in > 0 && o >= 0 && o <= INT32_MAX ? static_cast<int32_t>(o) : -1;
}

Error read_out(KernelContext& ctx, EValue* v, bool nhwc, int32_t cout, const int32_t* out_pad,
               ConvArgs* c) {
  int32_t oh, ow;
  if (c->transposed) {
    oh = transposed_out(c->in.h, c->kh, c->stride[0], c->pad[0], c->dilation[0], out_pad[0]);
    ow = transposed_out(c->in.w, c->kw, c->stride[1], c->pad[1], c->dilation[1], out_pad[1]);
  } else {
    oh = window_out(c->in.h, c->kh, c->stride[0], c->pad[0], c->dilation[0], false);
    ow = window_out(c->in.w, c->kw, c->stride[1], c->pad[1], c->dilation[1], false);
  }
  if (oh < 0 || ow < 0) {
    return ctx.fail("input: smaller than the dilated kernel plus padding", Error::InvalidArgument);
  }
  if (v == nullptr || !v->is_tensor()) {
    return ctx.fail("out: expected a tensor", Error::InvalidArgument);
  }
  return nhwc_out(ctx, v->to_tensor(), nhwc, c->in.n, oh, ow, cout, &c->out);
}

// Output channels whose folded bias conv_group keeps on the stack (1 KB).
constexpr int32_t kMaxFoldedColumns = 256;

inline int8_t output_stage(int32_t acc, const Requant& rq, int32_t channel) {
  const int32_t v = requantize(acc, rq.multipliers[channel], rq.shifts[channel]) + rq.output_offset;
  return static_cast<int8_t>(clamp_i32(v, rq.activation_min, rq.activation_max));
}

// One group of one batch: output channels [g * cog, (g + 1) * cog) from input channels
// [g * cig, (g + 1) * cig).
void conv_group(const ConvArgs& c, const int8_t* in, int8_t* out, int32_t g, int32_t cig,
                int32_t cog) {
  const int32_t cin = c.in.c, cout = c.out.c, oh = c.out.h, ow = c.out.w;
  MatMulArgs m;
  m.rhs = c.w + static_cast<intptr_t>(g) * cog * c.kh * c.kw * cig;
  m.cols = cog;
  m.lhs_offset = c.input_offset;
  m.rhs_offset = 0;
  m.col_bias = c.bias != nullptr ? c.bias + g * cog : nullptr;
  m.rq = c.rq;
  m.rq.multipliers += g * cog;
  m.rq.shifts += g * cog;
  m.dst_stride = cout;

  const int32_t depth = c.kh * c.kw * cig;
  const bool one_by_one = !c.transposed && c.kh == 1 && c.kw == 1 && c.pad[0] == 0 &&
                          c.pad[1] == 0;
  const size_t fit = c.scratch_bytes / static_cast<size_t>(depth);
  // im2col fills padded taps with the zero point, which must then be an int8; a padded
  // convolution with another zero point takes the direct loop.
  const bool pads = c.transposed || c.pad[0] > 0 || c.pad[1] > 0;
  const bool zero_point_fits = c.input_offset >= -127 && c.input_offset <= 128;
  const bool im2col = !one_by_one && fit >= 1 && (zero_point_fits || !pads);
  // Where mat_mult is called more than once (per output row, per batch of patches), the
  // input offset is folded into the bias once: sum (x + offset) w + bias =
  // sum x w + (bias + offset sum w) (mod 2^32, as the int32 accumulators wrap), so mat_mult
  // needs no column sums, which it would otherwise recompute on every call.
  const bool one_call = one_by_one && c.stride[0] == 1 && c.stride[1] == 1;
  int32_t folded[kMaxFoldedColumns];
  if ((one_by_one || im2col) && !one_call && c.input_offset != 0 && cog <= kMaxFoldedColumns) {
    fold_offset_s8(m.rhs, cog, depth, m.col_bias, c.input_offset, folded);
    m.col_bias = folded;
    m.lhs_offset = 0;
  }

  if (one_by_one) {
    m.depth = cig;
    if (one_call) {  // every input pixel is an output pixel
      m.lhs = in + g * cig;
      m.lhs_stride = cin;
      m.rows = oh * ow;
      m.dst = out + g * cog;
      mat_mult_s8(m);
      return;
    }
    for (int32_t oy = 0; oy < oh; ++oy) {
      m.lhs = in + static_cast<intptr_t>(oy) * c.stride[0] * c.in.w * cin + g * cig;
      m.lhs_stride = c.stride[1] * cin;
      m.rows = ow;
      m.dst = out + static_cast<intptr_t>(oy) * ow * cout + g * cog;
      mat_mult_s8(m);
    }
    return;
  }

  if (im2col) {
    const int8_t pad_value = static_cast<int8_t>(-c.input_offset);
    const int32_t pixels = oh * ow;
    const int32_t batch = fit < static_cast<size_t>(pixels) ? static_cast<int32_t>(fit) : pixels;
    int8_t* rows = reinterpret_cast<int8_t*>(c.scratch);
    m.depth = depth;
    m.lhs = rows;
    m.lhs_stride = depth;
    Im2colArgs ic;
    ic.in = in;
    ic.in_h = c.in.h;
    ic.in_w = c.in.w;
    ic.in_c = cin;
    ic.c0 = g * cig;
    ic.cig = cig;
    ic.kh = c.kh;
    ic.kw = c.kw;
    ic.stride_h = c.stride[0];
    ic.stride_w = c.stride[1];
    ic.pad_top = c.pad[0];
    ic.pad_left = c.pad[1];
    ic.dilation_h = c.dilation[0];
    ic.dilation_w = c.dilation[1];
    ic.out_w = ow;
    ic.pad_value = pad_value;
    ic.rows = rows;
    for (int32_t p0 = 0; p0 < pixels; p0 += batch) {
      const int32_t n = pixels - p0 < batch ? pixels - p0 : batch;
      if (!c.transposed) {
        ic.p0 = p0;
        ic.n = n;
        im2col_s8(ic);
      }
      for (int32_t r = 0; c.transposed && r < n; ++r) {
        const int32_t oy = (p0 + r) / ow, ox = (p0 + r) % ow;
        int8_t* row = rows + static_cast<intptr_t>(r) * depth;
        for (int32_t ky = 0; ky < c.kh; ++ky) {
          const int32_t iy = tap(c, oy, ky, 0, c.in.h);
          for (int32_t kx = 0; kx < c.kw; ++kx) {
            const int32_t ix = tap(c, ox, kx, 1, c.in.w);
            int8_t* t = row + (ky * c.kw + kx) * cig;
            if (iy < 0 || ix < 0) {
              memset(t, pad_value, static_cast<size_t>(cig));
            } else {
              memcpy(t, in + (static_cast<intptr_t>(iy) * c.in.w + ix) * cin + g * cig,
                     static_cast<size_t>(cig));
            }
          }
        }
      }
      m.rows = n;
      m.dst = out + static_cast<intptr_t>(p0) * cout + g * cog;
      mat_mult_s8(m);
    }
    return;
  }

  // No room for one patch: accumulate straight from the input.
  for (int32_t oy = 0; oy < oh; ++oy) {
    for (int32_t ox = 0; ox < ow; ++ox) {
      int8_t* dst = out + (static_cast<intptr_t>(oy) * ow + ox) * cout + g * cog;
      for (int32_t o = 0; o < cog; ++o) {
        const int8_t* w = m.rhs + static_cast<intptr_t>(o) * depth;
        int32_t acc = m.col_bias != nullptr ? m.col_bias[o] : 0;
        for (int32_t ky = 0; ky < c.kh; ++ky) {
          const int32_t iy = tap(c, oy, ky, 0, c.in.h);
          if (iy < 0) continue;
          for (int32_t kx = 0; kx < c.kw; ++kx) {
            const int32_t ix = tap(c, ox, kx, 1, c.in.w);
            if (ix < 0) continue;
            const int8_t* x = in + (static_cast<intptr_t>(iy) * c.in.w + ix) * cin + g * cig;
            const int8_t* wk = w + (ky * c.kw + kx) * cig;
            for (int32_t i = 0; i < cig; ++i) acc += (x[i] + c.input_offset) * wk[i];
          }
        }
        dst[o] = output_stage(acc, m.rq, o);
      }
    }
  }
}

Error conv2d(KernelContext& ctx, EValue** args, size_t nargs, bool nhwc, bool transposed) {
  if (transposed) {
    ST_TRY(native::check_nargs(ctx, nargs, 17,
                               "expected 17 args: input, weight, bias, stride, padding, output_padding, dilation, "
                               "input_offset, output_offset, requantize_multipliers, requantize_shifts, "
                               "activation_min, activation_max, scratch, output_scratch, out, return value"));
  } else {
    ST_TRY(native::check_nargs(ctx, nargs, 15,
                               "expected 15 args: input, weight, bias, stride, padding, dilation, input_offset, "
                               "output_offset, requantize_multipliers, requantize_shifts, activation_min, "
                               "activation_max, scratch, out, return value"));
  }
  const int shift = transposed ? 1 : 0;  // the transposed schema has output_padding at 5
  ConvArgs c;
  c.transposed = transposed;
  Tensor* input = nullptr;
  ST_TRY(any_tensor_arg(ctx, args[0], &input, "input: expected a tensor"));
  ST_TRY(nhwc_view(ctx, *input, nhwc, &c.in,
                   nhwc ? "input: expected a contiguous int8 NHWC tensor"
                        : "input: expected a channels-last int8 4-D tensor (dim order 0,2,3,1)"));
  Tensor* w = nullptr;
  ST_TRY(tensor_arg(ctx, args[1], ScalarType::Char, &w, "weight: expected an int8 tensor"));
  if (w->dim != 4 || !is_contiguous(*w)) {
    return ctx.fail("weight: expected a contiguous 4-D tensor [Cout, kH, kW, Cin / groups]",
                    Error::InvalidArgument);
  }
  const int32_t cout = w->sizes[0], cig = w->sizes[3];
  c.kh = w->sizes[1];
  c.kw = w->sizes[2];
  if (cout <= 0 || c.kh <= 0 || c.kw <= 0 || cig <= 0) {
    return ctx.fail("weight: every size must be positive", Error::InvalidArgument);
  }
  if (c.in.c % cig != 0) {
    return ctx.fail("weight: its input channels must divide the input's channels",
                    Error::InvalidArgument);
  }
  const int32_t groups = c.in.c / cig;
  if (cout % groups != 0) {
    return ctx.fail("weight: output channels must be a multiple of the groups",
                    Error::InvalidArgument);
  }
  if (transposed && groups != 1) {
    return ctx.fail("weight: its input channels must equal the input's", Error::NotSupported);
  }
  c.w = w->data_as<int8_t>();
  ST_TRY(read_bias(ctx, args[2], cout, &c.bias));
  ST_TRY(read_common(ctx, args, 5 + shift, 6 + shift, &c));
  int32_t out_pad[2] = {0, 0};
  if (transposed) {
    ST_TRY(pair_arg(ctx, args[5], 0, out_pad, "output_padding: expected 1 or 2 ints >= 0"));
    for (int a = 0; a < 2; ++a) {
      if (out_pad[a] >= c.stride[a] && out_pad[a] >= c.dilation[a]) {
        return ctx.fail("output_padding: must be smaller than stride or dilation",
                        Error::InvalidArgument);
      }
    }
    Tensor* output_scratch = nullptr;
    ST_TRY(any_tensor_arg(ctx, args[14], &output_scratch, "output_scratch: expected a tensor"));
  }
  ST_TRY(requant_tensors(ctx, args[8 + shift], args[9 + shift], cout, &c.rq.multipliers,
                         &c.rq.shifts));
  ST_TRY(read_out(ctx, args[nargs - 2], nhwc, cout, out_pad, &c));
  const intptr_t in_batch = static_cast<intptr_t>(c.in.h) * c.in.w * c.in.c;
  const intptr_t out_batch = static_cast<intptr_t>(c.out.h) * c.out.w * c.out.c;
  for (int32_t b = 0; b < c.in.n; ++b) {
    for (int32_t g = 0; g < groups; ++g) {
      conv_group(c, c.in.data + b * in_batch, c.out.data + b * out_batch, g, cig, cout / groups);
    }
  }
  return Error::Ok;
}

Error depthwise_conv2d(KernelContext& ctx, EValue** args, size_t nargs, bool nhwc) {
  ST_TRY(native::check_nargs(ctx, nargs, 16,
                             "expected 16 args: input, weight, bias, stride, padding, dilation, depth_multiplier, "
                             "input_offset, output_offset, requantize_multipliers, requantize_shifts, "
                             "activation_min, activation_max, scratch, out, return value"));
  ConvArgs c;
  Tensor* input = nullptr;
  ST_TRY(any_tensor_arg(ctx, args[0], &input, "input: expected a tensor"));
  ST_TRY(nhwc_view(ctx, *input, nhwc, &c.in,
                   nhwc ? "input: expected a contiguous int8 NHWC tensor"
                        : "input: expected a channels-last int8 4-D tensor (dim order 0,2,3,1)"));
  Tensor* w = nullptr;
  ST_TRY(tensor_arg(ctx, args[1], ScalarType::Char, &w, "weight: expected an int8 tensor"));
  if (w->dim != 4 || !is_contiguous(*w) || w->sizes[0] != 1) {
    return ctx.fail("weight: expected a contiguous 4-D tensor [1, kH, kW, Cout]",
                    Error::InvalidArgument);
  }
  c.kh = w->sizes[1];
  c.kw = w->sizes[2];
  const int32_t cout = w->sizes[3];
  if (c.kh <= 0 || c.kw <= 0 || cout <= 0) {
    return ctx.fail("weight: every size must be positive", Error::InvalidArgument);
  }
  int32_t mult = 0;
  ST_TRY(int_arg(ctx, args[6], 1, 65535, &mult, "depth_multiplier: expected an int >= 1"));
  if (static_cast<int64_t>(c.in.c) * mult != cout) {
    return ctx.fail("depth_multiplier: input channels x depth_multiplier must equal the weight's Cout",
                    Error::InvalidArgument);
  }
  c.w = w->data_as<int8_t>();
  ST_TRY(read_bias(ctx, args[2], cout, &c.bias));
  c.transposed = false;
  ST_TRY(read_common(ctx, args, 5, 7, &c));
  ST_TRY(requant_tensors(ctx, args[9], args[10], cout, &c.rq.multipliers, &c.rq.shifts));
  const int32_t no_out_pad[2] = {0, 0};
  ST_TRY(read_out(ctx, args[14], nhwc, cout, no_out_pad, &c));
  DepthwiseArgs d;
  d.in_h = c.in.h;
  d.in_w = c.in.w;
  d.in_c = c.in.c;
  d.w = c.w;
  d.kh = c.kh;
  d.kw = c.kw;
  d.mult = mult;
  d.stride_h = c.stride[0];
  d.stride_w = c.stride[1];
  d.pad_top = c.pad[0];
  d.pad_left = c.pad[1];
  d.dilation_h = c.dilation[0];
  d.dilation_w = c.dilation[1];
  d.bias = c.bias;
  d.input_offset = c.input_offset;
  d.rq = c.rq;
  d.out_h = c.out.h;
  d.out_w = c.out.w;
  const intptr_t in_batch = static_cast<intptr_t>(c.in.h) * c.in.w * c.in.c;
  const intptr_t out_batch = static_cast<intptr_t>(c.out.h) * c.out.w * c.out.c;
  for (int32_t b = 0; b < c.in.n; ++b) {
    d.in = c.in.data + b * in_batch;
    d.out = c.out.data + b * out_batch;
    depthwise_s8(d);
  }
  return Error::Ok;
}

}  // namespace

Error quantized_conv2d_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return conv2d(ctx, args, nargs, /*nhwc=*/false, /*transposed=*/false);
}
Error quantized_conv2d_nhwc_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return conv2d(ctx, args, nargs, /*nhwc=*/true, /*transposed=*/false);
}
Error quantized_transpose_conv2d_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return conv2d(ctx, args, nargs, /*nhwc=*/false, /*transposed=*/true);
}
Error quantized_transpose_conv2d_nhwc_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return conv2d(ctx, args, nargs, /*nhwc=*/true, /*transposed=*/true);
}
Error quantized_depthwise_conv2d_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return depthwise_conv2d(ctx, args, nargs, /*nhwc=*/false);
}
Error quantized_depthwise_conv2d_nhwc_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return depthwise_conv2d(ctx, args, nargs, /*nhwc=*/true);
}

}  // namespace cortex_m
}  // namespace slimtorch
