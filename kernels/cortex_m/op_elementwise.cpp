// Upstream's int8 elementwise operators:
//   cortex_m::quantized_add.out(Tensor self, int self_zero_point, int self_multiplier, int self_shift,
//       Tensor other, int other_zero_point, int other_multiplier, int other_shift,
//       int output_zero_point, int output_multiplier, int output_shift, int activation_min,
//       int activation_max, *, Tensor(a!) out)                     (add_s8: CMSIS-NN's add)
//   cortex_m::quantized_mul.out(Tensor self, int self_zero_point, Tensor other, int other_zero_point,
//       int output_zero_point, int output_multiplier, int output_shift, *, Tensor(a!) out)
//                                                                  (mul_s8, clamped to int8)
//   cortex_m::minimum.out / maximum.out(Tensor self, Tensor other, *, Tensor(a!) out)   (int8)
//   cortex_m::quantized_activation.out(Tensor input, Tensor lut, *, Tensor(a!) out)
//       out = lut[input + 128] (a 256-entry int8 table computed at export: sigmoid, tanh, ...)
//   cortex_m::quantized_div.out(Tensor self, int self_zero_point, Tensor other, int other_zero_point,
//       int output_zero_point, float output_scale, *, Tensor(a!) out)
//       out = clamp(round((self - zp) / (other - zp) * output_scale) + output_zero_point)
//       in float as upstream's reference (0 where the divisor is 0), ties to even.
// These take ZERO POINTS (subtracted), unlike the convolutions' offsets.
// Operands broadcast as PyTorch's (upstream emits a per-channel [1, C, 1, 1] operand or
// equal shapes); any dim order: for_each_run walks out's memory in runs. args: [the
// schema's arguments..., out, return value].
#include "kernels/cortex_m/args.h"
#include "kernels/cortex_m/nn_s8.h"

namespace slimtorch {
namespace cortex_m {

namespace {

// A validated binary call: self, other (dtype `dtype`), out resized to their broadcast shape.
struct Binary {
  Tensor* a;
  Tensor* b;
  Tensor* out;
  int32_t a_strides[kMaxTensorDim];
  int32_t b_strides[kMaxTensorDim];
};

Error prepare_binary(KernelContext& ctx, const EValue* a, const EValue* b, EValue* out,
                     ScalarType dtype,
                     Binary* bin) {
  ST_TRY(tensor_arg(ctx, a, dtype, &bin->a, "self: expected an int8 tensor"));
  ST_TRY(tensor_arg(ctx, b, dtype, &bin->b, "other: expected an int8 tensor"));
  ST_TRY(tensor_arg(ctx, out, dtype, &bin->out, "out: expected an int8 tensor"));
  int32_t sizes[kMaxTensorDim];
  int ndim = 0;
  if (!native::broadcast_shape(*bin->a, *bin->b, sizes, &ndim)) {
    return ctx.fail("other: shape does not broadcast with self's", Error::InvalidArgument);
  }
  ST_TRY(native::resize_out(ctx, *bin->out, sizes, ndim));
  if (!broadcast_strides(*bin->a, ndim, bin->a_strides) || !broadcast_strides(*bin->b, ndim,
                                                                              bin->b_strides)) {
    return ctx.fail("self: invalid dim order", Error::InvalidArgument);
  }
  int32_t os[kMaxTensorDim];
  if (!memory_strides(*bin->out, os)) {
    return ctx.fail("out: invalid dim order", Error::InvalidArgument);
  }
  return Error::Ok;
}

Error prepare_unary(KernelContext& ctx, const EValue* in, EValue* out, ScalarType in_dtype,
                    ScalarType out_dtype,
                    Tensor** x, Tensor** y, int32_t* strides, const char* why_in, const char* why_out) {
  ST_TRY(tensor_arg(ctx, in, in_dtype, x, why_in));
  ST_TRY(tensor_arg(ctx, out, out_dtype, y, why_out));
  ST_TRY(native::resize_out(ctx, **y, (*x)->sizes, (*x)->dim));
  int32_t os[kMaxTensorDim];
  if (!memory_strides(**x, strides) || !memory_strides(**y, os)) {
    return ctx.fail("input: invalid dim order", Error::InvalidArgument);
  }
  return Error::Ok;
}

}  // namespace

Error quantized_add_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(native::check_nargs(ctx, nargs, 15,
                             "expected 15 args: self, self_zero_point, self_multiplier, self_shift, other, "
                             "other_zero_point, other_multiplier, other_shift, output_zero_point, "
                             "output_multiplier, output_shift, activation_min, activation_max, out, return value"));
  AddArgs p;
  int32_t zp = 0;
  // Zero points beyond int8 occur (upstream folds constant offsets into them); (x - zp) << 20
  // must fit int32.
  ST_TRY(int_arg(ctx, args[1], -1024, 1023, &zp,
                 "self_zero_point: expected an int in [-1024, 1023]"));
  p.a_offset = -zp;
  ST_TRY(multiplier_arg(ctx, args[2], &p.a_mult, "self_multiplier: expected an int32"));
  ST_TRY(shift_arg(ctx, args[3], &p.a_shift, "self_shift: expected an int in [-62, 31]"));
  ST_TRY(int_arg(ctx, args[5], -1024, 1023, &zp,
                 "other_zero_point: expected an int in [-1024, 1023]"));
  p.b_offset = -zp;
  ST_TRY(multiplier_arg(ctx, args[6], &p.b_mult, "other_multiplier: expected an int32"));
  ST_TRY(shift_arg(ctx, args[7], &p.b_shift, "other_shift: expected an int in [-62, 31]"));
  ST_TRY(int_arg(ctx, args[8], -32768, 32767, &p.out_offset,
                 "output_zero_point: expected an int in [-32768, 32767]"));
  ST_TRY(multiplier_arg(ctx, args[9], &p.out_mult, "output_multiplier: expected an int32"));
  ST_TRY(shift_arg(ctx, args[10], &p.out_shift, "output_shift: expected an int in [-62, 31]"));
  ST_TRY(activation_range(ctx, args[11], args[12], &p.act_min, &p.act_max));
  Binary bin;
  ST_TRY(prepare_binary(ctx, args[0], args[4], args[13], ScalarType::Char, &bin));
  const int8_t* a = bin.a->data_as<int8_t>();
  const int8_t* b = bin.b->data_as<int8_t>();
  int8_t* out = bin.out->data_as<int8_t>();
  for_each_run(*bin.out, bin.a_strides, bin.b_strides, [&](size_t o, size_t ai, size_t bi,
                                                           uint32_t n) {
    AddArgs q = p;
    q.a = a + ai;
    q.b = b + bi;
    q.out = out + o;
    q.n = static_cast<int32_t>(n);
    add_s8(q);
  });
  return Error::Ok;
}

Error quantized_mul_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(native::check_nargs(ctx, nargs, 9,
                             "expected 9 args: self, self_zero_point, other, other_zero_point, output_zero_point, "
                             "output_multiplier, output_shift, out, return value"));
  MulArgs p;
  int32_t zp = 0;
  // Zero points beyond int8 occur (upstream's hardswish folds its +3 into one); the product
  // of two such differences fits int32.
  ST_TRY(int_arg(ctx, args[1], -32768, 32767, &zp,
                 "self_zero_point: expected an int in [-32768, 32767]"));
  p.a_offset = -zp;
  ST_TRY(int_arg(ctx, args[3], -32768, 32767, &zp,
                 "other_zero_point: expected an int in [-32768, 32767]"));
  p.b_offset = -zp;
  ST_TRY(int_arg(ctx, args[4], -32768, 32767, &p.out_offset,
                 "output_zero_point: expected an int in [-32768, 32767]"));
  ST_TRY(multiplier_arg(ctx, args[5], &p.out_mult, "output_multiplier: expected an int32"));
  ST_TRY(shift_arg(ctx, args[6], &p.out_shift, "output_shift: expected an int in [-62, 31]"));
  p.act_min = -128;
  p.act_max = 127;
  Binary bin;
  ST_TRY(prepare_binary(ctx, args[0], args[2], args[7], ScalarType::Char, &bin));
  const int8_t* a = bin.a->data_as<int8_t>();
  const int8_t* b = bin.b->data_as<int8_t>();
  int8_t* out = bin.out->data_as<int8_t>();
  for_each_run(*bin.out, bin.a_strides, bin.b_strides, [&](size_t o, size_t ai, size_t bi,
                                                           uint32_t n) {
    MulArgs q = p;
    q.a = a + ai;
    q.b = b + bi;
    q.out = out + o;
    q.n = static_cast<int32_t>(n);
    mul_s8(q);
  });
  return Error::Ok;
}

namespace {

template <bool kMax>
Error min_max(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(native::check_nargs(ctx, nargs, 4, "expected 4 args: self, other, out, return value"));
  Binary bin;
  ST_TRY(prepare_binary(ctx, args[0], args[1], args[2], ScalarType::Char, &bin));
  const int8_t* a = bin.a->data_as<int8_t>();
  const int8_t* b = bin.b->data_as<int8_t>();
  int8_t* out = bin.out->data_as<int8_t>();
  for_each_run(*bin.out, bin.a_strides, bin.b_strides, [&](size_t o, size_t ai, size_t bi,
                                                           uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) {
      const int8_t x = a[ai + i], y = b[bi + i];
      out[o + i] = kMax ? (x > y ? x : y) : (x < y ? x : y);
    }
  });
  return Error::Ok;
}

}  // namespace

Error minimum_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return min_max<false>(ctx, args, nargs);
}
Error maximum_out(KernelContext& ctx, EValue** args, size_t nargs) {
  return min_max<true>(ctx, args, nargs);
}

Error quantized_activation_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(native::check_nargs(ctx, nargs, 4, "expected 4 args: input, lut, out, return value"));
  Tensor* lut = nullptr;
  ST_TRY(tensor_arg(ctx, args[1], ScalarType::Char, &lut, "lut: expected an int8 tensor"));
  if (lut->numel != 256 || !contiguous_memory(*lut)) {
    return ctx.fail("lut: expected 256 contiguous entries", Error::InvalidArgument);
  }
  Tensor* x = nullptr;
  Tensor* y = nullptr;
  int32_t strides[kMaxTensorDim];
  ST_TRY(prepare_unary(ctx, args[0], args[2], ScalarType::Char, ScalarType::Char, &x, &y, strides,
                       "input: expected an int8 tensor", "out: expected an int8 tensor"));
  const int8_t* in = x->data_as<int8_t>();
  const int8_t* table = lut->data_as<int8_t>();
  int8_t* out = y->data_as<int8_t>();
  for_each_run(*y, strides, strides, [&](size_t o, size_t i, size_t, uint32_t n) {
    for (uint32_t k = 0; k < n; ++k) out[o + k] = table[in[i + k] + 128];
  });
  return Error::Ok;
}

Error quantized_div_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(native::check_nargs(ctx, nargs, 8,
                             "expected 8 args: self, self_zero_point, other, other_zero_point, output_zero_point, "
                             "output_scale, out, return value"));
  int32_t za = 0, zb = 0, zo = 0;
  ST_TRY(int_arg(ctx, args[1], -32768, 32767, &za,
                 "self_zero_point: expected an int in [-32768, 32767]"));
  ST_TRY(int_arg(ctx, args[3], -32768, 32767, &zb,
                 "other_zero_point: expected an int in [-32768, 32767]"));
  ST_TRY(int_arg(ctx, args[4], -32768, 32767, &zo,
                 "output_zero_point: expected an int in [-32768, 32767]"));
  if (!args[5]->is_double()) {
    return ctx.fail("output_scale: expected a float", Error::InvalidArgument);
  }
  const float scale = static_cast<float>(args[5]->to_double());
  Tensor* a = nullptr;
  Tensor* b = nullptr;
  Tensor* y = nullptr;
  ST_TRY(tensor_arg(ctx, args[0], ScalarType::Char, &a, "self: expected an int8 tensor"));
  ST_TRY(tensor_arg(ctx, args[2], ScalarType::Char, &b, "other: expected an int8 tensor"));
  if (!native::same_shape(*a, *b)) {
    return ctx.fail("other: must have self's shape (no broadcasting)", Error::InvalidArgument);
  }
  ST_TRY(tensor_arg(ctx, args[6], ScalarType::Char, &y, "out: expected an int8 tensor"));
  ST_TRY(native::resize_out(ctx, *y, a->sizes, a->dim));
  int32_t sa[kMaxTensorDim], sb[kMaxTensorDim];
  if (!memory_strides(*a, sa) || !memory_strides(*b, sb)) {
    return ctx.fail("self: invalid dim order", Error::InvalidArgument);
  }
  int32_t so[kMaxTensorDim];
  if (!memory_strides(*y, so)) return ctx.fail("out: invalid dim order", Error::InvalidArgument);
  const int8_t* pa = a->data_as<int8_t>();
  const int8_t* pb = b->data_as<int8_t>();
  int8_t* out = y->data_as<int8_t>();
  for_each_run(*y, sa, sb, [&](size_t o, size_t ai, size_t bi, uint32_t n) {
    for (uint32_t k = 0; k < n; ++k) {
      // Both conversions unconditional, the zero test on the integer: GCC 12 otherwise
      // if-converts the int -> float conversion into a conditional VCVT, which the assembler
      // rejects for MVE cores (the Cortex-M55 images failed to link).
      const int32_t d = pb[bi + k] - zb;
      const float num = static_cast<float>(pa[ai + k] - za);
      const float den = static_cast<float>(d != 0 ? d : 1);
      const float q = d != 0 ? num / den : 0.0f;
      out[o + k] = static_cast<int8_t>(round_clamp(round_half_even(q * scale) + static_cast<float>(zo), -128, 127));
    }
  });
  return Error::Ok;
}

}  // namespace cortex_m
}  // namespace slimtorch
