// The device kernel of my_ops::my_op (my_ops.py): out = x / (1 + alpha * |x|), float32 only.
//
// A typed custom op kernel (runtime/kernel/custom_op.h): custom_ops.yaml names it
// (kernel_name: my_device::my_op_out), codegen generates the adapter that checks the
// program's arguments and calls it. It is linked only into images whose model calls
// my_ops::my_op.out (selective build): tests/custom_op/BUILD.bazel checks that with nm.
#include "runtime/kernel/custom_op.h"

namespace my_device {

slimtorch::Error my_op_out(slimtorch::KernelContext& ctx, const slimtorch::Tensor& x, double alpha,
                           slimtorch::Tensor& out) {
  using slimtorch::Error;
  using slimtorch::ScalarType;
  if (x.dtype != ScalarType::Float) return ctx.fail("x: my_op supports float32 only", Error::NotSupported);
  if (out.dtype != ScalarType::Float) return ctx.fail("out: my_op supports float32 only", Error::NotSupported);
  if (!slimtorch::is_contiguous(x) || !slimtorch::is_contiguous(out)) {
    return ctx.fail("x, out: my_op needs contiguous tensors", Error::NotSupported);
  }
  const Error e = slimtorch::resize_like(ctx, out, x);
  if (e != Error::Ok) return e;
  const float a = static_cast<float>(alpha);
  const float* in = x.data_as<float>();
  float* o = out.data_as<float>();
  for (uint32_t i = 0; i < x.numel; ++i) {
    const float v = in[i];
    o[i] = v / (1.0f + a * (v < 0.0f ? -v : v));
  }
  return Error::Ok;
}

}  // namespace my_device
