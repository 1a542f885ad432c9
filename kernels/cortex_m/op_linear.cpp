// Upstream's int8 matrix products (CMSIS-NN arm_fully_connected_s8, arm_batch_matmul_s8):
//   cortex_m::quantized_linear.out(Tensor input, Tensor weights, Tensor? bias, Tensor? kernel_sum,
//       int input_offset, int filter_offset, int output_offset, int[] requantize_multipliers,
//       int[] requantize_shifts, int activation_max, int activation_min, *, Tensor(a!) out)
//     out[.., n] = clamp(requantize(acc, mult[0], shift[0]) + output_offset, min, max) with
//       kernel_sum given (upstream's M55 flow): acc = sum_k x w + filter_offset sum_k x + kernel_sum[n]
//       otherwise:                              acc = sum_k (x + input_offset)(w + filter_offset) + bias[n]
//     (per-tensor: the first multiplier and shift serve every output, as upstream's reference).
//   cortex_m::quantized_batch_matmul.out(Tensor lhs, int lhs_zero_point, Tensor rhs_transposed,
//       int rhs_zero_point, int output_zero_point, int output_multiplier, int output_shift,
//       Tensor scratch, *, Tensor(a!) out)
//     out[b, m, n] = clamp(requantize(sum_k (lhs + lhs_zero_point)(rhs_t[b, n, k] + rhs_zero_point))
//                          + output_zero_point, -128, 127)
//     (the "zero points" are added: they are CMSIS-NN offsets, as upstream's reference does).
// Both are one mat_mult_s8 per batch. args: [the schema's arguments..., out, return value].
#include "kernels/cortex_m/args.h"
#include "kernels/cortex_m/nn_s8.h"

namespace slimtorch {
namespace cortex_m {

Error quantized_linear_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(native::check_nargs(ctx, nargs, 13,
                             "expected 13 args: input, weights, bias, kernel_sum, input_offset, filter_offset, "
                             "output_offset, requantize_multipliers, requantize_shifts, activation_max, "
                             "activation_min, out, return value"));
  Tensor* x = nullptr;
  Tensor* w = nullptr;
  Tensor* bias = nullptr;
  Tensor* ksum = nullptr;
  ST_TRY(tensor_arg(ctx, args[0], ScalarType::Char, &x, "input: expected an int8 tensor"));
  if (x->dim < 1 || !contiguous_memory(*x)) {
    return ctx.fail("input: expected a contiguous tensor of rank >= 1", Error::InvalidArgument);
  }
  ST_TRY(tensor_arg(ctx, args[1], ScalarType::Char, &w, "weights: expected an int8 tensor"));
  if (w->dim != 2 || !contiguous_memory(*w)) {
    return ctx.fail("weights: expected a contiguous 2-D tensor [N, K]", Error::InvalidArgument);
  }
  const int32_t cols = w->sizes[0], depth = w->sizes[1];
  if (x->sizes[x->dim - 1] != depth) {
    return ctx.fail("weights: K must equal the input's last dim", Error::InvalidArgument);
  }
  ST_TRY(opt_tensor_arg(ctx, args[2], ScalarType::Int, &bias,
                        "bias: expected None or an int32 tensor"));
  if (bias != nullptr && static_cast<int64_t>(bias->numel) != cols) {
    return ctx.fail("bias: must have N entries", Error::InvalidArgument);
  }
  ST_TRY(opt_tensor_arg(ctx, args[3], ScalarType::Int, &ksum,
                        "kernel_sum: expected None or an int32 tensor"));
  if (ksum != nullptr && static_cast<int64_t>(ksum->numel) != cols) {
    return ctx.fail("kernel_sum: must have N entries", Error::InvalidArgument);
  }
  int32_t input_offset = 0, filter_offset = 0;
  MatMulArgs m;
  ST_TRY(int_arg(ctx, args[4], -32768, 32767, &input_offset,
                 "input_offset: expected an int in [-32768, 32767]"));
  ST_TRY(int_arg(ctx, args[5], -32768, 32767, &filter_offset,
                 "filter_offset: expected an int in [-32768, 32767]"));
  ST_TRY(int_arg(ctx, args[6], -32768, 32767, &m.rq.output_offset,
                 "output_offset: expected an int in [-32768, 32767]"));
  if (!args[7]->is_int_list() || args[7]->v.il.size < 1) {
    return ctx.fail("requantize_multipliers: expected a non-empty int list",
                    Error::InvalidArgument);
  }
  if (!args[8]->is_int_list() || args[8]->v.il.size < 1) {
    return ctx.fail("requantize_shifts: expected a non-empty int list", Error::InvalidArgument);
  }
  const int64_t mult = args[7]->v.il.at(0), shift = args[8]->v.il.at(0);
  if (mult < INT32_MIN || mult > INT32_MAX) {
    return ctx.fail("requantize_multipliers: must be int32", Error::InvalidArgument);
  }
  if (shift < -62 || shift > 31) {
    return ctx.fail("requantize_shifts: must be in [-62, 31]", Error::InvalidArgument);
  }
  const int32_t mult32 = static_cast<int32_t>(mult), shift32 = static_cast<int32_t>(shift);
  // activation_max comes before activation_min in this schema.
  ST_TRY(activation_range(ctx, args[10], args[9], &m.rq.activation_min, &m.rq.activation_max));
  if (!args[11]->is_tensor()) return ctx.fail("out: expected a tensor", Error::InvalidArgument);
  Tensor& out = args[11]->to_tensor();
  if (out.dtype != ScalarType::Char) return ctx.fail("out: must be int8", Error::InvalidArgument);
  int32_t sizes[kMaxTensorDim];
  for (int d = 0; d + 1 < x->dim; ++d) sizes[d] = x->sizes[d];
  sizes[x->dim - 1] = cols;
  ST_TRY(native::resize_out(ctx, out, sizes, x->dim));
  if (!contiguous_memory(out)) return ctx.fail("out: must be contiguous", Error::NotSupported);

  m.lhs = x->data_as<int8_t>();
  m.lhs_stride = depth;
  m.rows = static_cast<int32_t>(out.numel / static_cast<uint32_t>(cols > 0 ? cols : 1));
  m.rhs = w->data_as<int8_t>();
  m.cols = cols;
  m.depth = depth;
  m.rhs_offset = filter_offset;
  if (ksum != nullptr) {  // the input offset is folded into kernel_sum
    m.lhs_offset = 0;
    m.col_bias = ksum->data_as<int32_t>();
  } else {
    m.lhs_offset = input_offset;
    m.col_bias = bias != nullptr ? bias->data_as<int32_t>() : nullptr;
  }
  m.rq.multipliers = &mult32;
  m.rq.shifts = &shift32;
  m.rq.per_channel = false;
  m.dst = out.data_as<int8_t>();
  m.dst_stride = cols;
  mat_mult_s8(m);
  return Error::Ok;
}

Error quantized_batch_matmul_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(native::check_nargs(ctx, nargs, 10,
                             "expected 10 args: lhs, lhs_zero_point, rhs_transposed, rhs_zero_point, "
                             "output_zero_point, output_multiplier, output_shift, scratch, out, return value"));
  Tensor* lhs = nullptr;
  Tensor* rhs = nullptr;
  Tensor* scratch = nullptr;
  ST_TRY(tensor_arg(ctx, args[0], ScalarType::Char, &lhs, "lhs: expected an int8 tensor"));
  ST_TRY(tensor_arg(ctx, args[2], ScalarType::Char, &rhs,
                    "rhs_transposed: expected an int8 tensor"));
  if (lhs->dim != 3 || !contiguous_memory(*lhs)) {
    return ctx.fail("lhs: expected a contiguous 3-D tensor [B, M, K]", Error::InvalidArgument);
  }
  if (rhs->dim != 3 || !contiguous_memory(*rhs)) {
    return ctx.fail("rhs_transposed: expected a contiguous 3-D tensor [B, N, K]",
                    Error::InvalidArgument);
  }
  if (rhs->sizes[0] != lhs->sizes[0] || rhs->sizes[2] != lhs->sizes[2]) {
    return ctx.fail("rhs_transposed: batch and K must equal lhs's", Error::InvalidArgument);
  }
  MatMulArgs m;
  int32_t mult = 0, shift = 0;
  ST_TRY(int_arg(ctx, args[1], -32768, 32767, &m.lhs_offset,
                 "lhs_zero_point: expected an int in [-32768, 32767]"));
  ST_TRY(int_arg(ctx, args[3], -32768, 32767, &m.rhs_offset,
                 "rhs_zero_point: expected an int in [-32768, 32767]"));
  ST_TRY(int_arg(ctx, args[4], -32768, 32767, &m.rq.output_offset,
                 "output_zero_point: expected an int in [-32768, 32767]"));
  ST_TRY(multiplier_arg(ctx, args[5], &mult, "output_multiplier: expected an int32"));
  ST_TRY(shift_arg(ctx, args[6], &shift, "output_shift: expected an int in [-62, 31]"));
  ST_TRY(any_tensor_arg(ctx, args[7], &scratch, "scratch: expected a tensor"));
  if (!args[8]->is_tensor()) return ctx.fail("out: expected a tensor", Error::InvalidArgument);
  Tensor& out = args[8]->to_tensor();
  if (out.dtype != ScalarType::Char) return ctx.fail("out: must be int8", Error::InvalidArgument);
  const int32_t batches = lhs->sizes[0], rows = lhs->sizes[1], depth = lhs->sizes[2], cols = rhs->sizes[1];
  const int32_t sizes[3] = {batches, rows, cols};
  ST_TRY(native::resize_out(ctx, out, sizes, 3));
  if (!contiguous_memory(out)) return ctx.fail("out: must be contiguous", Error::NotSupported);
  m.lhs_stride = depth;
  m.rows = rows;
  m.cols = cols;
  m.depth = depth;
  m.col_bias = nullptr;
  m.rq.multipliers = &mult;
  m.rq.shifts = &shift;
  m.rq.per_channel = false;
  m.rq.activation_min = -128;
  m.rq.activation_max = 127;
  m.dst_stride = cols;
  for (int32_t b = 0; b < batches; ++b) {
    m.lhs = lhs->data_as<int8_t>() + static_cast<intptr_t>(b) * rows * depth;
    m.rhs = rhs->data_as<int8_t>() + static_cast<intptr_t>(b) * cols * depth;
    m.dst = out.data_as<int8_t>() + static_cast<intptr_t>(b) * rows * cols;
    mat_mult_s8(m);
  }
  return Error::Ok;
}

}  // namespace cortex_m
}  // namespace slimtorch
