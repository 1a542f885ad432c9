// Normalisation, dropout and p-norm distances:
//   aten::native_group_norm.out(Tensor input, Tensor? weight, Tensor? bias, SymInt N, SymInt C,
//       SymInt HxW, int group, float eps, *, out0, out1, out2)
//       [input, weight, bias, N, C, HxW, group, eps, out0, out1, out2, ret];
//       out1 = mean, out2 = rstd, both [N, group]; biased variance.
//   aten::_native_batch_norm_legit.out(Tensor input, Tensor? weight, Tensor? bias,
//       Tensor(a!) running_mean, Tensor(b!) running_var, bool training, float momentum,
//       float eps, *, out, save_mean, save_invstd)
//       [input, weight, bias, running_mean, running_var, training, momentum, eps, out,
//        save_mean, save_invstd, ret]
//       training: batch statistics; save_mean/save_invstd [C]; running_mean/var updated in
//       place: r = (1 - momentum) r + momentum s (the variance unbiased, n / (n - 1)).
//       not training: the running statistics; save_mean/save_invstd are [0].
//   aten::_native_batch_norm_legit.no_stats_out(Tensor input, Tensor? weight, Tensor? bias,
//       bool training, float momentum, float eps, *, out, save_mean, save_invstd)
//       [input, weight, bias, training, momentum, eps, out, save_mean, save_invstd, ret];
//       batch statistics; training must be true (there are no running statistics).
//   aten::native_dropout.out(Tensor input, float p, bool? train, *, out0, out1)
//       [input, p, train, out0, out1, ret]; out1 the Bool keep-mask.
//       train=False (or p=0): out0 = input, mask all true. train=True or None:
//       out0 = input * mask / (1 - p) (0 scale when p = 1, as PyTorch). The mask is
//       pseudo-random without generator state (the runtime keeps no mutable static
//       state): element i is kept when a hash of (i, its value's bits, p) maps below
//       1 - p. So one input gives one mask, call after call; the kept fraction is
//       1 - p on average.
//   aten::_cdist_forward.out(Tensor x1, Tensor x2, float p, int? compute_mode, *, out)
//       [x1, x2, p, compute_mode, out, ret]: x1 [B..., P, M], x2 [B..., R, M] (batch dims
//       broadcast) -> [B..., P, R]. Every compute_mode computes the distances directly
//       (no matrix-product shortcut for p = 2).
//   aten::_pdist_forward.out(Tensor self, float p=2., *, out)   [self, p, out, ret]
//       self [N, M] -> [N (N - 1) / 2], rows i < j in order.
// p-norms: p = 0 counts differing entries, p = inf is the largest |difference|.
// Floating dtypes only (Float, Double, Half, BFloat16); Float fast paths for the norms.
#include <math.h>

#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

namespace {

// ---- statistics and affine over strided blocks ---------------------------------

// `blocks` runs of `len` elements of x starting at start, start + stride, ...
struct Blocks {
  size_t start, blocks, len, stride;
};

struct Moments {
  double mean;
  double var;  // biased (divided by the count)
};

// Mean and biased variance in double, in two passes (the second sums squared
// deviations: no cancellation). An empty span gives NaN for both.
Moments moments(const Tensor& x, const Blocks& s) {
  const bool fast = x.dtype == ScalarType::Float;
  const float* xf = x.data_as<float>();
  double sum = 0.0;
  for (size_t b = 0; b < s.blocks; ++b) {
    const size_t o = s.start + b * s.stride;
    if (fast) {
      for (size_t i = 0; i < s.len; ++i) sum += xf[o + i];
    } else {
      for (size_t i = 0; i < s.len; ++i) sum += load_double(x.data, x.dtype, o + i);
    }
  }
  const double n = static_cast<double>(s.blocks * s.len);
  const double mean = sum / n;
  double m2 = 0.0;
  for (size_t b = 0; b < s.blocks; ++b) {
    const size_t o = s.start + b * s.stride;
    if (fast) {
      for (size_t i = 0; i < s.len; ++i) {
        const double d = xf[o + i] - mean;
        m2 += d * d;
      }
    } else {
      for (size_t i = 0; i < s.len; ++i) {
        const double d = load_double(x.data, x.dtype, o + i) - mean;
        m2 += d * d;
      }
    }
  }
  return Moments{mean, m2 / n};
}

// out = x * scale + shift over the span (same offsets in x and out).
void affine(const Tensor& x, Tensor& out, const Blocks& s, double scale, double shift) {
  const bool fast = x.dtype == ScalarType::Float && out.dtype == ScalarType::Float;
  const float sf = static_cast<float>(scale);
  const float hf = static_cast<float>(shift);
  for (size_t b = 0; b < s.blocks; ++b) {
    const size_t o = s.start + b * s.stride;
    if (fast) {
      const float* in = x.data_as<float>() + o;
      float* r = out.data_as<float>() + o;
      for (size_t i = 0; i < s.len; ++i) r[i] = in[i] * sf + hf;
    } else {
      for (size_t i = 0; i < s.len; ++i) {
        store_double(out.data, out.dtype, o + i, load_double(x.data, x.dtype, o + i) * scale + shift);
      }
    }
  }
}

// An optional per-channel parameter (weight, bias, running stat): nullptr when None.
// Must be floating and 1-D with `c` entries. `why` names the argument.
Error channel_param(KernelContext& ctx, const EValue* v, int32_t c, bool optional, const Tensor** t, const char* why) {
  *t = nullptr;
  if (optional && v->is_none()) return Error::Ok;
  ST_TRY(check_tensor(ctx, v, why, why));
  const Tensor& p = v->to_tensor();
  if (!is_floating(p.dtype) || p.dim != 1 || p.sizes[0] != c) return ctx.fail(why, Error::InvalidArgument);
  *t = &p;
  return Error::Ok;
}

double param_at(const Tensor* t, size_t i, double dflt) { return t == nullptr ? dflt : load_double(t->data, t->dtype, i); }

Error check_outs(KernelContext& ctx, EValue** args, size_t first, size_t count) {
  for (size_t i = first; i < first + count; ++i) {
    ST_TRY(check_tensor(ctx, args[i], "out: expected a tensor", "out: must be contiguous"));
    if (!is_floating(args[i]->to_tensor().dtype)) return ctx.fail("out: must be floating", Error::InvalidArgument);
  }
  return Error::Ok;
}

Error get_int(KernelContext& ctx, const EValue* v, int64_t* out, const char* why) {
  if (!v->is_int()) return ctx.fail(why, Error::InvalidArgument);
  *out = v->to_int();
  return Error::Ok;
}

// ---- batch norm ------------------------------------------------------------------

// args at `a`: input 0, weight 1, bias 2; rm/rv the running stats (nullptr = none);
// outs at out_i (out, save_mean, save_invstd).
Error batch_norm(KernelContext& ctx, EValue** args, const EValue* rm_v, const EValue* rv_v, const EValue* training_v,
                 const EValue* momentum_v, const EValue* eps_v, size_t out_i) {
  ST_TRY(check_tensor(ctx, args[0], "input: expected a tensor", "input: must be contiguous"));
  ST_TRY(check_outs(ctx, args, out_i, 3));
  const Tensor& x = args[0]->to_tensor();
  if (!is_floating(x.dtype)) return ctx.fail("input: must be floating", Error::NotSupported);
  if (x.dim < 2) return ctx.fail("input: expected at least 2 dims [N, C, ...]", Error::InvalidArgument);
  if (!training_v->is_bool()) return ctx.fail("training: expected a bool", Error::InvalidArgument);
  double momentum = 0, eps = 0;
  ST_TRY(scalar_as_double(ctx, momentum_v, &momentum, "momentum: expected a number"));
  ST_TRY(scalar_as_double(ctx, eps_v, &eps, "eps: expected a number"));
  const int32_t c = x.sizes[1];
  const Tensor *w, *b, *rm = nullptr, *rv = nullptr;
  ST_TRY(channel_param(ctx, args[1], c, true, &w, "weight: expected None or a floating 1-D tensor of input.size(1)"));
  ST_TRY(channel_param(ctx, args[2], c, true, &b, "bias: expected None or a floating 1-D tensor of input.size(1)"));
  if (rm_v != nullptr) {
    ST_TRY(channel_param(ctx, rm_v, c, false, &rm, "running_mean: expected a floating 1-D tensor of input.size(1)"));
    ST_TRY(channel_param(ctx, rv_v, c, false, &rv, "running_var: expected a floating 1-D tensor of input.size(1)"));
  }
  const bool training = training_v->to_bool();
  if (!training && rm == nullptr) {
    return ctx.fail("training: must be true without running statistics", Error::InvalidArgument);
  }
  Tensor& out = args[out_i]->to_tensor();
  Tensor& save_mean = args[out_i + 1]->to_tensor();
  Tensor& save_invstd = args[out_i + 2]->to_tensor();
  if (out.dtype != x.dtype) return ctx.fail("out: dtype must equal input's dtype", Error::InvalidArgument);
  ST_TRY(resize_out(ctx, out, x.sizes, x.dim));
  const int32_t stat_size[1] = {training ? c : 0};
  ST_TRY(resize_out(ctx, save_mean, stat_size, 1));
  ST_TRY(resize_out(ctx, save_invstd, stat_size, 1));

  size_t inner = 1;
  for (int d = 2; d < x.dim; ++d) inner *= static_cast<size_t>(x.sizes[d]);
  const size_t n = static_cast<size_t>(x.sizes[0]);
  const double count = static_cast<double>(n * inner);
  for (int32_t ch = 0; ch < c; ++ch) {
    const Blocks s{static_cast<size_t>(ch) * inner, n, inner, static_cast<size_t>(c) * inner};
    double mean, invstd;
    if (training) {
      const Moments m = moments(x, s);
      mean = m.mean;
      invstd = 1.0 / sqrt(m.var + eps);
      store_double(save_mean.data, save_mean.dtype, ch, mean);
      store_double(save_invstd.data, save_invstd.dtype, ch, invstd);
      if (rm != nullptr) {
        Tensor& rmw = rm_v->to_tensor();
        Tensor& rvw = rv_v->to_tensor();
        const double unbiased = m.var * count / (count - 1.0);
        store_double(rmw.data, rmw.dtype, ch, (1.0 - momentum) * load_double(rmw.data, rmw.dtype, ch) + momentum * mean);
        store_double(rvw.data, rvw.dtype, ch, (1.0 - momentum) * load_double(rvw.data, rvw.dtype, ch) + momentum * unbiased);
      }
    } else {
      mean = load_double(rm->data, rm->dtype, ch);
      invstd = 1.0 / sqrt(load_double(rv->data, rv->dtype, ch) + eps);
    }
    const double scale = param_at(w, ch, 1.0) * invstd;
    affine(x, out, s, scale, param_at(b, ch, 0.0) - mean * scale);
  }
  return Error::Ok;
}

// ---- distances ---------------------------------------------------------------------

// The p-norm of a[ao..ao+m) - b[bo..bo+m), in double.
double p_distance(const Tensor& a, size_t ao, const Tensor& b, size_t bo, size_t m, double p) {
  double acc = 0.0;
  for (size_t i = 0; i < m; ++i) {
    const double d = fabs(load_double(a.data, a.dtype, ao + i) - load_double(b.data, b.dtype, bo + i));
    if (p == 0.0) {
      acc += d != 0.0 ? 1.0 : 0.0;
    } else if (p == 1.0) {
      acc += d;
    } else if (p == 2.0) {
      acc += d * d;
    } else if (__builtin_isinf(p)) {
      acc = d > acc || d != d ? d : acc;
    } else {
      acc += pow(d, p);
    }
  }
  if (p == 0.0 || p == 1.0 || __builtin_isinf(p)) return acc;
  if (p == 2.0) return sqrt(acc);
  return pow(acc, 1.0 / p);
}

Error p_arg(KernelContext& ctx, const EValue* v, double* p) {
  ST_TRY(scalar_as_double(ctx, v, p, "p: expected a number"));
  if (!(*p >= 0.0)) return ctx.fail("p: must be a non-negative number", Error::InvalidArgument);
  return Error::Ok;
}

}  // namespace

// ---- kernels -------------------------------------------------------------------------

Error native_group_norm_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 12,
                     "expected 12 args: input, weight, bias, N, C, HxW, group, eps, out0, out1, out2, return value"));
  ST_TRY(check_tensor(ctx, args[0], "input: expected a tensor", "input: must be contiguous"));
  ST_TRY(check_outs(ctx, args, 8, 3));
  const Tensor& x = args[0]->to_tensor();
  if (!is_floating(x.dtype)) return ctx.fail("input: must be floating", Error::NotSupported);
  int64_t n = 0, c = 0, hxw = 0, group = 0;
  ST_TRY(get_int(ctx, args[3], &n, "N: expected an int"));
  ST_TRY(get_int(ctx, args[4], &c, "C: expected an int"));
  ST_TRY(get_int(ctx, args[5], &hxw, "HxW: expected an int"));
  ST_TRY(get_int(ctx, args[6], &group, "group: expected an int"));
  double eps = 0;
  ST_TRY(scalar_as_double(ctx, args[7], &eps, "eps: expected a number"));
  if (x.dim < 2 || x.sizes[0] != n || x.sizes[1] != c || hxw < 0 || hxw > INT32_MAX ||
      static_cast<uint64_t>(n) * static_cast<uint64_t>(c) * static_cast<uint64_t>(hxw) != x.numel) {
    return ctx.fail("input: shape must be [N, C, ...] with N * C * HxW elements", Error::InvalidArgument);
  }
  if (group <= 0 || group > INT32_MAX || c % group != 0) return ctx.fail("group: must be positive and divide C", Error::InvalidArgument);
  const Tensor *w, *b;
  const int32_t c32 = static_cast<int32_t>(c);
  ST_TRY(channel_param(ctx, args[1], c32, true, &w, "weight: expected None or a floating 1-D tensor of C"));
  ST_TRY(channel_param(ctx, args[2], c32, true, &b, "bias: expected None or a floating 1-D tensor of C"));
  Tensor& out = args[8]->to_tensor();
  Tensor& mean_t = args[9]->to_tensor();
  Tensor& rstd_t = args[10]->to_tensor();
  if (out.dtype != x.dtype) return ctx.fail("out0: dtype must equal input's dtype", Error::InvalidArgument);
  ST_TRY(resize_out(ctx, out, x.sizes, x.dim));
  const int32_t stat_sizes[2] = {static_cast<int32_t>(n), static_cast<int32_t>(group)};
  ST_TRY(resize_out(ctx, mean_t, stat_sizes, 2));
  ST_TRY(resize_out(ctx, rstd_t, stat_sizes, 2));
  const size_t cg = static_cast<size_t>(c / group);  // channels per group
  const size_t plane = static_cast<size_t>(hxw);
  for (size_t i = 0; i < static_cast<size_t>(n * group); ++i) {
    // A group is cg contiguous channel planes.
    const size_t start = i * cg * plane;
    const Moments m = moments(x, Blocks{start, 1, cg * plane, 0});
    const double rstd = 1.0 / sqrt(m.var + eps);
    store_double(mean_t.data, mean_t.dtype, i, m.mean);
    store_double(rstd_t.data, rstd_t.dtype, i, rstd);
    const size_t ch0 = (i % static_cast<size_t>(group)) * cg;
    for (size_t k = 0; k < cg; ++k) {
      const double scale = param_at(w, ch0 + k, 1.0) * rstd;
      affine(x, out, Blocks{start + k * plane, 1, plane, 0}, scale, param_at(b, ch0 + k, 0.0) - m.mean * scale);
    }
  }
  return Error::Ok;
}

Error _native_batch_norm_legit_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 12,
                     "expected 12 args: input, weight, bias, running_mean, running_var, training, momentum, eps, "
                     "out, save_mean, save_invstd, return value"));
  return batch_norm(ctx, args, args[3], args[4], args[5], args[6], args[7], 8);
}

Error _native_batch_norm_legit_no_stats_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 10,
                     "expected 10 args: input, weight, bias, training, momentum, eps, out, save_mean, save_invstd, "
                     "return value"));
  return batch_norm(ctx, args, nullptr, nullptr, args[3], args[4], args[5], 6);
}

Error native_dropout_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 6, "expected 6 args: input, p, train, out0, out1, return value"));
  ST_TRY(check_tensor(ctx, args[0], "input: expected a tensor", "input: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[3], "out0: expected a tensor", "out0: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[4], "out1: expected a tensor", "out1: must be contiguous"));
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = args[3]->to_tensor();
  Tensor& mask = args[4]->to_tensor();
  if (!is_floating(x.dtype)) return ctx.fail("input: must be floating", Error::NotSupported);
  if (out.dtype != x.dtype) return ctx.fail("out0: dtype must equal input's dtype", Error::InvalidArgument);
  if (mask.dtype != ScalarType::Bool) return ctx.fail("out1: the mask must be Bool", Error::InvalidArgument);
  double p = 0;
  ST_TRY(scalar_as_double(ctx, args[1], &p, "p: expected a number"));
  if (!(p >= 0.0 && p <= 1.0)) return ctx.fail("p: must be in [0, 1]", Error::InvalidArgument);
  if (!args[2]->is_none() && !args[2]->is_bool()) return ctx.fail("train: expected a bool or None", Error::InvalidArgument);
  const bool train = args[2]->is_none() || args[2]->to_bool();
  ST_TRY(resize_out(ctx, out, x.sizes, x.dim));
  ST_TRY(resize_out(ctx, mask, x.sizes, x.dim));
  uint8_t* m = mask.data_as<uint8_t>();
  const uint32_t numel = x.numel;
  if (!train || p == 0.0) {
    __builtin_memcpy(out.data, x.data, x.nbytes());
    for (uint32_t i = 0; i < numel; ++i) m[i] = 1;
    return Error::Ok;
  }
  const double keep = 1.0 - p;
  const double scale = keep == 0.0 ? 0.0 : 1.0 / keep;
  uint64_t p_bits;
  __builtin_memcpy(&p_bits, &p, sizeof(p_bits));
  for (uint32_t i = 0; i < numel; ++i) {
    const double v = load_double(x.data, x.dtype, i);
    uint64_t v_bits;
    __builtin_memcpy(&v_bits, &v, sizeof(v_bits));
    // splitmix64's finaliser over (index, value, p): a stateless uniform draw in [0, 1).
    uint64_t h = (static_cast<uint64_t>(i) + 1) * 0x9e3779b97f4a7c15ull ^ v_bits ^ (p_bits * 0xbf58476d1ce4e5b9ull);
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
    h ^= h >> 31;
    const double u = static_cast<double>(h >> 11) * 0x1.0p-53;
    m[i] = u < keep ? 1 : 0;
    // input * mask * scale, in this order and precision (NaN * 0 stays NaN, as in PyTorch)
    if (x.dtype == ScalarType::Float) {
      out.data_as<float>()[i] = x.data_as<float>()[i] * static_cast<float>(m[i]) * static_cast<float>(scale);
    } else {
      store_double(out.data, out.dtype, i, v * m[i] * scale);
    }
  }
  return Error::Ok;
}

Error _cdist_forward_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 6, "expected 6 args: x1, x2, p, compute_mode, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "x1: expected a tensor", "x1: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[1], "x2: expected a tensor", "x2: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[4], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& x1 = args[0]->to_tensor();
  const Tensor& x2 = args[1]->to_tensor();
  Tensor& out = args[4]->to_tensor();
  if (!is_floating(x1.dtype)) return ctx.fail("x1: must be floating", Error::NotSupported);
  if (x2.dtype != x1.dtype) return ctx.fail("x2: dtype must equal x1's dtype", Error::InvalidArgument);
  if (out.dtype != x1.dtype) return ctx.fail("out: dtype must equal x1's dtype", Error::InvalidArgument);
  if (x1.dim < 2) return ctx.fail("x1: expected at least 2 dims [..., P, M]", Error::InvalidArgument);
  if (x2.dim < 2) return ctx.fail("x2: expected at least 2 dims [..., R, M]", Error::InvalidArgument);
  if (x1.sizes[x1.dim - 1] != x2.sizes[x2.dim - 1]) return ctx.fail("x2: must have as many columns as x1", Error::InvalidArgument);
  double p = 0;
  ST_TRY(p_arg(ctx, args[2], &p));
  if (!args[3]->is_none() && !(args[3]->is_int() && args[3]->to_int() >= 0 && args[3]->to_int() <= 2)) {
    return ctx.fail("compute_mode: expected None, 0, 1 or 2", Error::InvalidArgument);
  }
  // Batch dims: broadcast x1's and x2's leading dims (aligned from the end).
  const int b1 = x1.dim - 2;
  const int b2 = x2.dim - 2;
  const int nb = b1 > b2 ? b1 : b2;
  int32_t sizes[kMaxTensorDim];
  int32_t s1[kMaxTensorDim], s2[kMaxTensorDim];  // batch strides in matrices (0 = broadcast)
  int32_t m1 = 1, m2 = 1;
  for (int i = nb - 1; i >= 0; --i) {  // i: output batch dim
    const int d1 = i - (nb - b1);
    const int d2 = i - (nb - b2);
    const int32_t z1 = d1 >= 0 ? x1.sizes[d1] : 1;
    const int32_t z2 = d2 >= 0 ? x2.sizes[d2] : 1;
    if (z1 != z2 && z1 != 1 && z2 != 1) return ctx.fail("x2: batch dims do not broadcast with x1's", Error::InvalidArgument);
    sizes[i] = z1 == 1 ? z2 : z1;
    s1[i] = z1 == 1 ? 0 : m1;
    s2[i] = z2 == 1 ? 0 : m2;
    m1 *= z1;
    m2 *= z2;
  }
  const int32_t rows1 = x1.sizes[x1.dim - 2];
  const int32_t rows2 = x2.sizes[x2.dim - 2];
  const size_t m = static_cast<size_t>(x1.sizes[x1.dim - 1]);
  sizes[nb] = rows1;
  sizes[nb + 1] = rows2;
  ST_TRY(resize_out(ctx, out, sizes, nb + 2));
  size_t batches = 1;
  for (int i = 0; i < nb; ++i) batches *= static_cast<size_t>(sizes[i]);
  StridedIndex i1(sizes, s1, nb);
  StridedIndex i2(sizes, s2, nb);
  size_t o = 0;
  for (size_t bt = 0; bt < batches; ++bt) {
    const size_t base1 = i1.offset * static_cast<size_t>(rows1) * m;
    const size_t base2 = i2.offset * static_cast<size_t>(rows2) * m;
    for (int32_t r = 0; r < rows1; ++r) {
      for (int32_t q = 0; q < rows2; ++q) {
        store_double(out.data, out.dtype, o++, p_distance(x1, base1 + r * m, x2, base2 + q * m, m, p));
      }
    }
    i1.next();
    i2.next();
  }
  return Error::Ok;
}

Error _pdist_forward_out(KernelContext& ctx, EValue** args, size_t nargs) {
  ST_TRY(check_nargs(ctx, nargs, 4, "expected 4 args: self, p, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[2], "out: expected a tensor", "out: must be contiguous"));
  const Tensor& x = args[0]->to_tensor();
  Tensor& out = args[2]->to_tensor();
  if (!is_floating(x.dtype)) return ctx.fail("self: must be floating", Error::NotSupported);
  if (out.dtype != x.dtype) return ctx.fail("out: dtype must equal self's dtype", Error::InvalidArgument);
  if (x.dim != 2) return ctx.fail("self: expected 2 dims [N, M]", Error::InvalidArgument);
  double p = 0;
  ST_TRY(p_arg(ctx, args[1], &p));
  const size_t n = static_cast<size_t>(x.sizes[0]);
  const size_t m = static_cast<size_t>(x.sizes[1]);
  const uint64_t pairs = n < 2 ? 0 : static_cast<uint64_t>(n) * (n - 1) / 2;
  if (pairs > 0x7fffffffu) return ctx.fail("self: too many rows (the result would exceed int32 elements)", Error::InvalidArgument);
  const int32_t size[1] = {static_cast<int32_t>(pairs)};
  ST_TRY(resize_out(ctx, out, size, 1));
  size_t o = 0;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) store_double(out.data, out.dtype, o++, p_distance(x, i * m, x, j * m, m, p));
  }
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch
