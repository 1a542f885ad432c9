// aten::_softmax.out(Tensor self, int dim, bool half_to_float, *, Tensor(a!) out) -> Tensor(a!)
// aten::_log_softmax.out(same schema)
// Along `dim`: softmax = exp(x - max) / sum(exp(x - max));
// log_softmax = x - max - log(sum(exp(x - max))). Subtracting the row max keeps
// exp() in range for large inputs; -inf entries give 0 (softmax) / -inf (log).
// args: [self, dim, half_to_float, out, return]. Float only; half_to_float must be false.
#include <math.h>

#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

// Shared by both ops: validates, resizes out, and runs the row loops.
static Error softmax_common(KernelContext& ctx, EValue** args, size_t nargs, bool log) {
  ST_TRY(check_nargs(ctx, nargs, 5, "expected 5 args: self, dim, half_to_float, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[3], "out: expected a tensor", "out: must be contiguous"));
  if (!args[1]->is_int()) return ctx.fail("dim: expected an int", Error::InvalidArgument);
  if (!args[2]->is_bool()) return ctx.fail("half_to_float: expected a bool", Error::InvalidArgument);
  if (args[2]->to_bool()) return ctx.fail("half_to_float: must be false (no Half support)", Error::NotSupported);
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = args[3]->to_tensor();
  if (x.dtype != ScalarType::Float || out.dtype != ScalarType::Float) {
    return ctx.fail("self, out: only Float is supported", Error::NotSupported);
  }
  int dim = 0;
  if (!normalize_dim(args[1]->to_int(), x.dim, &dim)) return ctx.fail("dim: out of range for self", Error::InvalidArgument);
  ST_TRY(resize_out(ctx, out, x.sizes, x.dim));

  // View self as [outer, len, inner] with `len` the reduced dim.
  size_t outer = 1;
  size_t inner = 1;
  const size_t len = x.dim == 0 ? 1 : static_cast<size_t>(x.sizes[dim]);
  for (int d = 0; d < dim; ++d) outer *= static_cast<size_t>(x.sizes[d]);
  for (int d = dim + 1; d < x.dim; ++d) inner *= static_cast<size_t>(x.sizes[d]);
  if (len == 0) return Error::Ok;

  const float* in = x.data_as<float>();
  float* o = out.data_as<float>();
#ifdef SLIMTORCH_HELIUM_F32
  if (helium::enabled() && inner == 1 && !log) {  // rows of contiguous values (the last dim)
    for (size_t a = 0; a < outer; ++a) helium::softmax_f32(in + a * len, o + a * len, len);
    return Error::Ok;
  }
#endif
  for (size_t a = 0; a < outer; ++a) {
    for (size_t c = 0; c < inner; ++c) {
      const size_t base = a * len * inner + c;
      float max = in[base];
      for (size_t i = 1; i < len; ++i) max = in[base + i * inner] > max ? in[base + i * inner] : max;
      float sum = 0.0f;
      if (log) {
        for (size_t i = 0; i < len; ++i) sum += exp_float(in[base + i * inner] - max);
        const float log_sum = logf(sum);
        for (size_t i = 0; i < len; ++i) o[base + i * inner] = (in[base + i * inner] - max) - log_sum;
      } else {
        for (size_t i = 0; i < len; ++i) {
          const float e = exp_float(in[base + i * inner] - max);
          o[base + i * inner] = e;
          sum += e;
        }
        const float inv = 1.0f / sum;
        for (size_t i = 0; i < len; ++i) o[base + i * inner] *= inv;
      }
    }
  }
  return Error::Ok;
}

Error _softmax_out(KernelContext& ctx, EValue** args, size_t nargs) { return softmax_common(ctx, args, nargs, false); }

Error _log_softmax_out(KernelContext& ctx, EValue** args, size_t nargs) { return softmax_common(ctx, args, nargs, true); }

}  // namespace native
}  // namespace slimtorch
