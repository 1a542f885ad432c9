// The device kernel of my_ops::soft_threshold (my_ops.py): out = sign(x) * max(|x| - lambd, 0).
//
// A typed kernel: its arguments are the schema's (custom_ops.yaml), as C++ types
// (Tensor -> const Tensor&, float -> double, Tensor(a!) out -> Tensor&). slimtorch's
// codegen generates the adapter that checks the program's arguments and calls it, and
// the image links it only when a model of the image calls the operator.
#include "runtime/kernel/custom_op.h"

namespace my_device {

slimtorch::Error soft_threshold_out(slimtorch::KernelContext& ctx, const slimtorch::Tensor& x,
                                    double lambd, slimtorch::Tensor& out) {
  using slimtorch::Error;
  using slimtorch::ScalarType;
  if (x.dtype != ScalarType::Float || out.dtype != ScalarType::Float) {
    return ctx.fail("x, out: soft_threshold supports float32 only", Error::NotSupported);
  }
  if (!slimtorch::is_contiguous(x) || !slimtorch::is_contiguous(out)) {
    return ctx.fail("x, out: soft_threshold needs contiguous tensors", Error::NotSupported);
  }
  if (lambd < 0.0) return ctx.fail("lambd: must be >= 0", Error::InvalidArgument);
  const Error e = slimtorch::resize_like(ctx, out, x);
  if (e != Error::Ok) return e;
  const float t = static_cast<float>(lambd);
  const float* in = x.data_as<float>();
  float* o = out.data_as<float>();
  for (uint32_t i = 0; i < x.numel; ++i) {
    const float v = in[i];
    o[i] = v > t ? v - t : (v < -t ? v + t : 0.0f);
  }
  return Error::Ok;
}

}  // namespace my_device
