// Upstream's int8 softmax:
//   cortex_m::softmax.out(Tensor input, int dim, int input_zero_point, int output_zero_point,
//       int input_multiplier, int input_shift, int diff_min, *, Tensor(a!) out)
// with the numerics of upstream's Python reference (not CMSIS-NN's fixed-point exp):
//   scale = input_multiplier / 2^31 * 2^input_shift / 2^26    (5 integer bits, as CMSIS-NN)
//   p = softmax((input - input_zero_point) * scale) along dim, in float32
//   out = clamp(round(p * 256) + output_zero_point, -128, 127)   (output scale 1/256, zp -128)
// diff_min is unused (the reference ignores it too). Float arithmetic may round a
// probability that lands on a half step the other way from PyTorch's: one step at most.
// Any dim order (out written in its own). args: [the schema's arguments..., out, return value].
#include "kernels/cortex_m/args.h"

namespace slimtorch {
namespace cortex_m {

Error softmax_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(native::check_nargs(ctx, nargs, 9,
                             "expected 9 args: input, dim, input_zero_point, output_zero_point, input_multiplier, "
                             "input_shift, diff_min, out, return value"));
  Tensor* x = nullptr;
  Tensor* y = nullptr;
  ST_TRY(tensor_arg(ctx, args[0], ScalarType::Char, &x, "input: expected an int8 tensor"));
  if (!args[1]->is_int()) return ctx.fail("dim: expected an int", Error::InvalidArgument);
  int dim = 0;
  if (x->dim == 0 || !native::normalize_dim(args[1]->to_int(), x->dim, &dim)) {
    return ctx.fail("dim: out of range for input", Error::InvalidArgument);
  }
  int32_t zin = 0, zout = 0, mult = 0, shift = 0, diff_min = 0;
  ST_TRY(int_arg(ctx, args[2], -32768, 32767, &zin,
                 "input_zero_point: expected an int in [-32768, 32767]"));
  ST_TRY(int_arg(ctx, args[3], -128, 127, &zout,
                 "output_zero_point: expected an int in [-128, 127]"));
  if (zout != -128) {
    return ctx.fail("output_zero_point: must be -128 (output scale 1/256)", Error::InvalidArgument);
  }
  ST_TRY(multiplier_arg(ctx, args[4], &mult, "input_multiplier: expected an int32"));
  if (mult <= 0) return ctx.fail("input_multiplier: must be positive", Error::InvalidArgument);
  ST_TRY(shift_arg(ctx, args[5], &shift, "input_shift: expected an int in [-62, 31]"));
  ST_TRY(int_arg(ctx, args[6], INT32_MIN, INT32_MAX, &diff_min, "diff_min: expected an int32"));
  ST_TRY(tensor_arg(ctx, args[7], ScalarType::Char, &y, "out: expected an int8 tensor"));
  ST_TRY(native::resize_out(ctx, *y, x->sizes, x->dim));
  int32_t xs[kMaxTensorDim], ys[kMaxTensorDim];
  if (!memory_strides(*x, xs) || !memory_strides(*y, ys)) {
    return ctx.fail("input: invalid dim order", Error::InvalidArgument);
  }
  if (x->numel == 0) return Error::Ok;

  double real = static_cast<double>(mult) / 2147483648.0;
  for (int i = 0; i < shift; ++i) real *= 2.0;
  for (int i = 0; i < -shift; ++i) real *= 0.5;
  const float scale = static_cast<float>(real / 67108864.0);  // 2^(31 - 5)

  // One row per position with coordinate 0 along dim.
  int32_t rows[kMaxTensorDim];
  for (int d = 0; d < x->dim; ++d) rows[d] = d == dim ? 1 : x->sizes[d];
  const uint32_t n_rows = x->numel / static_cast<uint32_t>(x->sizes[dim]);
  native::StridedIndex src(rows, xs, x->dim);
  native::StridedIndex dst(rows, ys, x->dim);
  const int32_t len = x->sizes[dim];
  const size_t sx = static_cast<size_t>(xs[dim]), sy = static_cast<size_t>(ys[dim]);
  const int8_t* in = x->data_as<int8_t>();
  int8_t* out = y->data_as<int8_t>();
  for (uint32_t r = 0; r < n_rows; ++r) {
    const int8_t* row = in + src.offset;
    int32_t top = -128;
    for (int32_t i = 0; i < len; ++i) top = row[i * sx] > top ? row[i * sx] : top;
    const float x_max = static_cast<float>(top - zin) * scale;
    float sum = 0.0f;
    for (int32_t i = 0; i < len; ++i) sum += native::exp_float(static_cast<float>(row[i * sx] - zin) * scale - x_max);
    int8_t* orow = out + dst.offset;
    for (int32_t i = 0; i < len; ++i) {
      const float p = native::exp_float(static_cast<float>(row[i * sx] - zin) * scale - x_max) / sum;
      orow[i * sy] = static_cast<int8_t>(round_clamp(round_half_even(p * 256.0f) + static_cast<float>(zout), -128, 127));
    }
    src.next();
    dst.next();
  }
  return Error::Ok;
}

}  // namespace cortex_m
}  // namespace slimtorch
