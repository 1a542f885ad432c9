// aten::native_layer_norm.out(Tensor input, SymInt[] normalized_shape, Tensor? weight,
//     Tensor? bias, float eps, *, Tensor(a!) out0, Tensor(b!) out1, Tensor(c!) out2)
//     -> (Tensor(a!), Tensor(b!), Tensor(c!))
// Normalises over the trailing dims named by normalized_shape:
//   out0 = (x - mean) * rstd * weight + bias, out1 = mean, out2 = rstd = 1/sqrt(var + eps)
// (biased variance); out1/out2 have input's leading dims and 1 for each normalised dim.
// args: [input, normalized_shape, weight, bias, eps, out0, out1, out2, return]. Float only.
#include <math.h>

#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

Error native_layer_norm_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 9,
                     "expected 9 args: input, normalized_shape, weight, bias, eps, out0, out1, out2, return value"));
  ST_TRY(check_tensor(ctx, args[0], "input: expected a tensor", "input: must be contiguous"));
  for (int i = 5; i < 8; ++i) ST_TRY(check_tensor(ctx, args[i], "out: expected a tensor", "out: must be contiguous"));
  if (!args[1]->is_int_list()) return ctx.fail("normalized_shape: expected an int list", Error::InvalidArgument);
  double eps = 0;
  ST_TRY(scalar_as_double(ctx, args[4], &eps, "eps: expected a number"));
  const Tensor& x = args[0]->to_tensor();
  const IntListRef shape = args[1]->v.il;
  if (shape.size == 0 || shape.size > x.dim) {
    return ctx.fail("normalized_shape: must name 1..input.dim trailing dims", Error::InvalidArgument);
  }
  const int lead = x.dim - static_cast<int>(shape.size);
  size_t len = 1;
  for (uint32_t i = 0; i < shape.size; ++i) {
    if (shape.at(i) != x.sizes[lead + static_cast<int>(i)]) {
      return ctx.fail("normalized_shape: must equal input's trailing sizes", Error::InvalidArgument);
    }
    len *= static_cast<size_t>(x.sizes[lead + static_cast<int>(i)]);
  }
  const float* wb[2] = {nullptr, nullptr};
  for (int i = 0; i < 2; ++i) {
    const EValue* v = args[2 + i];
    if (v->is_none()) continue;
    ST_TRY(check_tensor(ctx, v, "weight, bias: expected a tensor or None", "weight, bias: must be contiguous"));
    const Tensor& t = v->to_tensor();
    if (t.dtype != ScalarType::Float) return ctx.fail("weight, bias: only Float is supported", Error::NotSupported);
    if (t.numel != len || t.dim != static_cast<int>(shape.size)) {
      return ctx.fail("weight, bias: must have shape normalized_shape", Error::InvalidArgument);
    }
    wb[i] = t.data_as<float>();
  }
  Tensor& out = args[5]->to_tensor();
  Tensor& mean_t = args[6]->to_tensor();
  Tensor& rstd_t = args[7]->to_tensor();
  if (x.dtype != ScalarType::Float || out.dtype != ScalarType::Float || mean_t.dtype != ScalarType::Float ||
      rstd_t.dtype != ScalarType::Float) {
    return ctx.fail("input, out0, out1, out2: only Float is supported", Error::NotSupported);
  }
  ST_TRY(resize_out(ctx, out, x.sizes, x.dim));
  int32_t stat_sizes[kMaxTensorDim];
  for (int d = 0; d < x.dim; ++d) stat_sizes[d] = d < lead ? x.sizes[d] : 1;
  ST_TRY(resize_out(ctx, mean_t, stat_sizes, x.dim));
  ST_TRY(resize_out(ctx, rstd_t, stat_sizes, x.dim));
  if (len == 0) return Error::Ok;
  const size_t rows = x.numel / len;
  const float* in = x.data_as<float>();
  float* o = out.data_as<float>();
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = in + r * len;
    float* orow = o + r * len;
#ifdef SLIMTORCH_HELIUM_F32
    if (helium::enabled()) {  // the same three passes, sums in four partial sums
      const float mean = helium::sum_f32(xr, len) / static_cast<float>(len);
      const float sq = helium::sum_sq_dev_f32(xr, mean, len);
      const float rstd = 1.0f / sqrtf(sq / static_cast<float>(len) + static_cast<float>(eps));
      helium::normalize_f32(xr, mean, rstd, wb[0], wb[1], orow, len);
      mean_t.data_as<float>()[r] = mean;
      rstd_t.data_as<float>()[r] = rstd;
      continue;
    }
#endif
    float sum = 0.0f;
    for (size_t i = 0; i < len; ++i) sum += xr[i];
    const float mean = sum / static_cast<float>(len);
    float sq = 0.0f;  // two passes: numerically safer than E[x^2] - mean^2
    for (size_t i = 0; i < len; ++i) sq += (xr[i] - mean) * (xr[i] - mean);
    const float rstd = 1.0f / sqrtf(sq / static_cast<float>(len) + static_cast<float>(eps));
    for (size_t i = 0; i < len; ++i) {
      float v = (xr[i] - mean) * rstd;
      if (wb[0] != nullptr) v *= wb[0][i];
      if (wb[1] != nullptr) v += wb[1][i];
      orow[i] = v;
    }
    mean_t.data_as<float>()[r] = mean;
    rstd_t.data_as<float>()[r] = rstd;
  }
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
