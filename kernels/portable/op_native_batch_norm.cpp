// aten::_native_batch_norm_legit_no_training.out(Tensor input, Tensor? weight, Tensor? bias,
//     Tensor running_mean, Tensor running_var, float momentum, float eps, *,
//     Tensor(a!) out0, Tensor(b!) out1, Tensor(c!) out2) -> (Tensor(a!), Tensor(b!), Tensor(c!))
// Inference batch norm over dim 1 of [N, C, ...]:
//   out0 = (x - mean[c]) / sqrt(var[c] + eps) * weight[c] + bias[c]
// out1 and out2 (saved statistics) are empty ([0]) in inference, as in PyTorch.
// args: [input, weight, bias, running_mean, running_var, momentum, eps, out0, out1,
// out2, return]. Float only.
#include <math.h>

#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

Error _native_batch_norm_legit_no_training_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 11,
                     "expected 11 args: input, weight, bias, running_mean, running_var, momentum, eps, out0, "
                     "out1, out2, return value"));
  ST_TRY(check_tensor(ctx, args[0], "input: expected a tensor", "input: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[3], "running_mean: expected a tensor", "running_mean: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[4], "running_var: expected a tensor", "running_var: must be contiguous"));
  for (int i = 7; i < 10; ++i) ST_TRY(check_tensor(ctx, args[i], "out: expected a tensor", "out: must be contiguous"));
  double eps = 0;
  ST_TRY(scalar_as_double(ctx, args[6], &eps, "eps: expected a number"));
  const Tensor& x = args[0]->to_tensor();
  if (x.dim < 2) return ctx.fail("input: expected at least 2 dims [N, C, ...]", Error::InvalidArgument);
  const int32_t c = x.sizes[1];
  const Tensor* p[4] = {nullptr, nullptr, &args[3]->to_tensor(), &args[4]->to_tensor()};
  const char* names[2] = {"weight: expected a tensor or None", "bias: expected a tensor or None"};
  for (int i = 0; i < 2; ++i) {
    if (args[1 + i]->is_none()) continue;
    ST_TRY(check_tensor(ctx, args[1 + i], names[i], "weight, bias: must be contiguous"));
    p[i] = &args[1 + i]->to_tensor();
  }
  for (const Tensor* t : p) {
    if (t == nullptr) continue;
    if (t->dtype != ScalarType::Float) return ctx.fail("weight, bias, running_mean, running_var: only Float is supported", Error::NotSupported);
    if (t->dim != 1 || t->sizes[0] != c) {
      return ctx.fail("weight, bias, running_mean, running_var: must be 1-D with input.size(1) entries",
                      Error::InvalidArgument);
    }
  }
  Tensor& out = args[7]->to_tensor();
  if (x.dtype != ScalarType::Float || out.dtype != ScalarType::Float) {
    return ctx.fail("input, out0: only Float is supported", Error::NotSupported);
  }
  ST_TRY(resize_out(ctx, out, x.sizes, x.dim));
  const int32_t empty[1] = {0};
  for (int i = 8; i < 10; ++i) ST_TRY(resize_out(ctx, args[i]->to_tensor(), empty, 1));

  size_t inner = 1;
  for (int d = 2; d < x.dim; ++d) inner *= static_cast<size_t>(x.sizes[d]);
  const size_t n = static_cast<size_t>(x.sizes[0]);
  const float* in = x.data_as<float>();
  float* o = out.data_as<float>();
  for (int32_t ch = 0; ch < c; ++ch) {
    // one scale and shift per channel, computed in double as PyTorch's reference does in float
    const float inv = 1.0f / sqrtf(p[3]->data_as<float>()[ch] + static_cast<float>(eps));
    const float wv = p[0] != nullptr ? p[0]->data_as<float>()[ch] : 1.0f;
    const float bv = p[1] != nullptr ? p[1]->data_as<float>()[ch] : 0.0f;
    const float scale = wv * inv;
    const float shift = bv - p[2]->data_as<float>()[ch] * scale;
    for (size_t b = 0; b < n; ++b) {
      const size_t base = (b * static_cast<size_t>(c) + ch) * inner;
#ifdef SLIMTORCH_HELIUM_F32
      if (helium::enabled()) {
        helium::scale_shift_f32(in + base, scale, shift, o + base, inner);
        continue;
      }
#endif
      for (size_t i = 0; i < inner; ++i) o[base + i] = in[base + i] * scale + shift;
    }
  }
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
