// Upstream's per-tensor (de)quantization at the edges of an int8 program:
//   cortex_m::quantize_per_tensor.out(Tensor input, float scale, int zero_point, int quant_min,
//       int quant_max, ScalarType dtype, *, Tensor(a!) out)
//     out = clamp(round(input * (1 / scale)) + zero_point, quant_min, quant_max)   float32 -> int8
//   cortex_m::dequantize_per_tensor.out(the same arguments)
//     out = (input - zero_point) * scale                                           int8 -> float32
// in float32 as quantized_decomposed's reference (the reciprocal is taken in double, as
// Python does, then the product is a float32 one); round() ties to even. Only int8
// (dtype Char) is supported. Any dim order: out is written in its own layout.
// args: [input, scale, zero_point, quant_min, quant_max, dtype, out, return value].
#include "kernels/cortex_m/args.h"

namespace slimtorch {
namespace cortex_m {

namespace {

struct QParams {
  double scale;
  int32_t zero_point, qmin, qmax;
};

Error read_qparams(KernelContext& ctx, EValue** args, size_t nargs, QParams* q) {
  ST_TRY(native::check_nargs(ctx, nargs, 8,
                             "expected 8 args: input, scale, zero_point, quant_min, quant_max, dtype, out, "
                             "return value"));
  if (!args[1]->is_double() || !(args[1]->to_double() > 0.0) || args[1]->to_double() > 3.4e38) {
    return ctx.fail("scale: expected a positive finite float", Error::InvalidArgument);
  }
  q->scale = args[1]->to_double();
  ST_TRY(int_arg(ctx, args[2], -32768, 32767, &q->zero_point,
                 "zero_point: expected an int in [-32768, 32767]"));
  ST_TRY(int_arg(ctx, args[3], -128, 127, &q->qmin, "quant_min: expected an int in [-128, 127]"));
  ST_TRY(int_arg(ctx, args[4], -128, 127, &q->qmax, "quant_max: expected an int in [-128, 127]"));
  if (q->qmin > q->qmax) {
    return ctx.fail("quant_min: must not exceed quant_max", Error::InvalidArgument);
  }
  if (!args[5]->is_int()) return ctx.fail("dtype: expected a ScalarType", Error::InvalidArgument);
  if (args[5]->to_int() != static_cast<int64_t>(ScalarType::Char)) {
    return ctx.fail("dtype: only int8 (Char) is supported", Error::NotSupported);
  }
  return Error::Ok;
}

// Validates input/out dtypes and shapes; strides of the input for for_each_run.
Error prepare(KernelContext& ctx, EValue** args, ScalarType in_dtype, ScalarType out_dtype,
              Tensor** x, Tensor** y,
              int32_t* strides) {
  ST_TRY(tensor_arg(ctx, args[0], in_dtype,
                    x, in_dtype == ScalarType::Float ? "input: expected a float32 tensor" : "input: expected an int8 tensor"));
  ST_TRY(tensor_arg(ctx, args[6], out_dtype, y,
                    out_dtype == ScalarType::Float ? "out: expected a float32 tensor" : "out: expected an int8 tensor"));
  ST_TRY(native::resize_out(ctx, **y, (*x)->sizes, (*x)->dim));
  int32_t os[kMaxTensorDim];
  if (!memory_strides(**x, strides) || !memory_strides(**y, os)) {
    return ctx.fail("input: invalid dim order", Error::InvalidArgument);
  }
  return Error::Ok;
}

}  // namespace

Error quantize_per_tensor_out(KernelContext& ctx, EValue** args, size_t nargs) {
  QParams q;
  ST_TRY(read_qparams(ctx, args, nargs, &q));
  Tensor* x = nullptr;
  Tensor* y = nullptr;
  int32_t strides[kMaxTensorDim];
  ST_TRY(prepare(ctx, args, ScalarType::Float, ScalarType::Char, &x, &y, strides));
  int32_t os[kMaxTensorDim];
  memory_strides(*y, os);  // prepare() checked it
  QuantizeArgs a;
  a.inv_scale = static_cast<float>(1.0 / q.scale);
  a.zero_point = q.zero_point;
  a.qmin = q.qmin;
  a.qmax = q.qmax;
  // One quantize_s8 call per run along the dim the input is contiguous in (the whole tensor
  // when input and out share their layout): a float NCHW image into a channels-last int8
  // tensor is C runs of H * W elements, each written with out's stride of that dim.
  int inner = -1;
  bool flat = true;
  for (int d = 0; d < x->dim; ++d) {
    if (x->sizes[d] == 1) continue;
    if (strides[d] != os[d]) flat = false;
    if (strides[d] == 1) inner = d;
  }
  const float* in = x->data_as<float>();
  int8_t* out = y->data_as<int8_t>();
  if (flat || inner < 0) {  // inner < 0: every dim has size 1
    a.in = in;
    a.out = out;
    a.in_stride = a.out_stride = 1;
    a.n = static_cast<int32_t>(x->numel);
    quantize_s8(a);
    return Error::Ok;
  }
  a.in_stride = 1;
  a.out_stride = os[inner];
  a.n = x->sizes[inner];
  if (x->numel == 0) return Error::Ok;
  int32_t idx[kMaxTensorDim] = {};
  size_t i = 0, o = 0;
  for (;;) {
    a.in = in + i;
    a.out = out + o;
    quantize_s8(a);
    int d = x->dim - 1;
    for (; d >= 0; --d) {
      if (d == inner) continue;
      i += static_cast<size_t>(strides[d]);
      o += static_cast<size_t>(os[d]);
      if (++idx[d] < x->sizes[d]) break;
      i -= static_cast<size_t>(strides[d]) * static_cast<size_t>(x->sizes[d]);
      o -= static_cast<size_t>(os[d]) * static_cast<size_t>(x->sizes[d]);
      idx[d] = 0;
    }
    if (d < 0) return Error::Ok;
  }
}

Error dequantize_per_tensor_out(KernelContext& ctx, EValue** args, size_t nargs) {
  QParams q;
  ST_TRY(read_qparams(ctx, args, nargs, &q));
  Tensor* x = nullptr;
  Tensor* y = nullptr;
  int32_t strides[kMaxTensorDim];
  ST_TRY(prepare(ctx, args, ScalarType::Char, ScalarType::Float, &x, &y, strides));
  const float scale = static_cast<float>(q.scale);
  const int8_t* in = x->data_as<int8_t>();
  float* out = y->data_as<float>();
  const int32_t zp = q.zero_point;
  for_each_run(*y, strides, strides, [&](size_t o, size_t i, size_t, uint32_t n) {
    for (uint32_t k = 0; k < n; ++k) out[o + k] = static_cast<float>(in[i + k] - zp) * scale;
  });
  return Error::Ok;
}

}  // namespace cortex_m
}  // namespace slimtorch
