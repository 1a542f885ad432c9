#include "kernels/cortex_m/args.h"

namespace slimtorch {
namespace cortex_m {

bool memory_strides(const Tensor& t, int32_t* strides) {
  if (t.dim > kMaxTensorDim) return false;
  bool seen[kMaxTensorDim] = {};
  int64_t stride = 1;
  for (int i = t.dim - 1; i >= 0; --i) {
    const int d = t.dim_order != nullptr ? t.dim_order[i] : i;
    if (d >= t.dim || seen[d]) return false;
    seen[d] = true;
    strides[d] = static_cast<int32_t>(stride);
    stride *= t.sizes[d] > 0 ? t.sizes[d] : 1;
    if (stride > INT32_MAX) return false;
  }
  return true;
}

bool same_layout(const Tensor& a, const Tensor& b) {
  if (a.dim != b.dim) return false;
  int32_t sa[kMaxTensorDim], sb[kMaxTensorDim];
  if (!memory_strides(a, sa) || !memory_strides(b, sb)) return false;
  for (int d = 0; d < a.dim; ++d) {
    if (a.sizes[d] != b.sizes[d]) return false;
    if (a.sizes[d] != 1 && sa[d] != sb[d]) return false;
  }
  return true;
}

bool broadcast_strides(const Tensor& in, int out_dim, int32_t* strides) {
  int32_t s[kMaxTensorDim];
  if (in.dim > out_dim || !memory_strides(in, s)) return false;
  const int lead = out_dim - in.dim;
  for (int d = 0; d < out_dim; ++d) {
    strides[d] = d < lead || in.sizes[d - lead] == 1 ? 0 : s[d - lead];
  }
  return true;
}

bool contiguous_memory(const Tensor& t) {
  int32_t s[kMaxTensorDim];
  if (!memory_strides(t, s)) return false;
  if (t.numel == 0) return true;
  int64_t want = 1;
  for (int d = t.dim - 1; d >= 0; --d) {
    if (t.sizes[d] != 1 && s[d] != want) return false;
    want *= t.sizes[d];
  }
  return true;
}

Error tensor_arg(KernelContext& ctx, const EValue* v, ScalarType dtype, Tensor** out,
                 const char* why) {
  if (v == nullptr || !v->is_tensor() || v->to_tensor().dtype != dtype) {
    return ctx.fail(why, Error::InvalidArgument);
  }
  *out = &v->to_tensor();
  return Error::Ok;
}

Error opt_tensor_arg(KernelContext& ctx, const EValue* v, ScalarType dtype, Tensor** out,
                     const char* why) {
  if (v != nullptr && v->is_none()) {
    *out = nullptr;
    return Error::Ok;
  }
  return tensor_arg(ctx, v, dtype, out, why);
}

Error any_tensor_arg(KernelContext& ctx, const EValue* v, Tensor** out, const char* why) {
  if (v == nullptr || !v->is_tensor()) return ctx.fail(why, Error::InvalidArgument);
  *out = &v->to_tensor();
  return Error::Ok;
}

Error int_arg(KernelContext& ctx, const EValue* v, int64_t lo, int64_t hi, int32_t* out,
              const char* why) {
  if (v == nullptr || !v->is_int() || v->to_int() < lo || v->to_int() > hi) {
    return ctx.fail(why, Error::InvalidArgument);
  }
  *out = static_cast<int32_t>(v->to_int());
  return Error::Ok;
}

Error multiplier_arg(KernelContext& ctx, const EValue* v, int32_t* out, const char* why) {
  return int_arg(ctx, v, INT32_MIN, INT32_MAX, out, why);
}

Error shift_arg(KernelContext& ctx, const EValue* v, int32_t* out, const char* why) {
  return int_arg(ctx, v, -62, 31, out, why);
}

// True when t's memory is NHWC for the logical dims (n, h, w, c) = dims (dn, dh, dw, dc).
static bool is_nhwc_memory(const Tensor& t, int dn, int dh, int dw, int dc) {
  int32_t s[kMaxTensorDim];
  if (!memory_strides(t, s)) return false;
  if (t.numel == 0) return true;  // an empty tensor has every layout
  const int32_t c = t.sizes[dc], w = t.sizes[dw], h = t.sizes[dh];
  const int dims[4] = {dn, dh, dw, dc};
  const int32_t want[4] = {h * w * c, w * c, c, 1};
  for (int i = 0; i < 4; ++i) {
    if (t.sizes[dims[i]] != 1 && s[dims[i]] != want[i]) return false;
  }
  return true;
}

Error nhwc_view(KernelContext& ctx, Tensor& t, bool nhwc_sizes, Nhwc* out, const char* why) {
  if (t.dim != 4 || t.dtype != ScalarType::Char) return ctx.fail(why, Error::InvalidArgument);
  for (int d = 0; d < 4; ++d) {
    if (t.sizes[d] < 0) return ctx.fail(why, Error::InvalidArgument);
  }
  const bool ok = nhwc_sizes ? is_nhwc_memory(t, 0, 1, 2, 3) : is_nhwc_memory(t, 0, 2, 3, 1);
  if (!ok) return ctx.fail(why, Error::NotSupported);
  out->data = t.data_as<int8_t>();
  out->n = t.sizes[0];
  out->h = nhwc_sizes ? t.sizes[1] : t.sizes[2];
  out->w = nhwc_sizes ? t.sizes[2] : t.sizes[3];
  out->c = nhwc_sizes ? t.sizes[3] : t.sizes[1];
  return Error::Ok;
}

Error nhwc_out(KernelContext& ctx, Tensor& out, bool nhwc_sizes, int32_t n, int32_t h, int32_t w,
               int32_t c,
               Nhwc* view) {
  if (out.dtype != ScalarType::Char) return ctx.fail("out: must be int8", Error::InvalidArgument);
  const int32_t nchw[4] = {n, c, h, w};
  const int32_t nhwc[4] = {n, h, w, c};
  ST_TRY(native::resize_out(ctx, out, nhwc_sizes ? nhwc : nchw, 4));
  return nhwc_view(ctx, out, nhwc_sizes, view,
                   nhwc_sizes ? "out: must be contiguous NHWC" : "out: must be channels-last (dim order 0,2,3,1)");
}

Error requant_tensors(KernelContext& ctx, const EValue* mult, const EValue* shift, int32_t channels,
                      const int32_t** mults, const int32_t** shifts) {
  Tensor* m = nullptr;
  Tensor* s = nullptr;
  ST_TRY(tensor_arg(ctx, mult, ScalarType::Int, &m,
                    "requantize_multipliers: expected an int32 tensor"));
  ST_TRY(tensor_arg(ctx, shift, ScalarType::Int, &s,
                    "requantize_shifts: expected an int32 tensor"));
  if (static_cast<int64_t>(m->numel) != channels) {
    return ctx.fail("requantize_multipliers: must have one entry per output channel",
                    Error::InvalidArgument);
  }
  if (static_cast<int64_t>(s->numel) != channels) {
    return ctx.fail("requantize_shifts: must have one entry per output channel",
                    Error::InvalidArgument);
  }
  for (int32_t i = 0; i < channels; ++i) {
    const int32_t v = s->data_as<int32_t>()[i];
    if (v < -62 || v > 31) {
      return ctx.fail("requantize_shifts: each shift must be in [-62, 31]", Error::InvalidArgument);
    }
  }
  *mults = m->data_as<int32_t>();
  *shifts = s->data_as<int32_t>();
  return Error::Ok;
}

Error activation_range(KernelContext& ctx, const EValue* lo, const EValue* hi, int32_t* min,
                       int32_t* max) {
  ST_TRY(int_arg(ctx, lo, -128, 127, min, "activation_min: expected an int in [-128, 127]"));
  ST_TRY(int_arg(ctx, hi, -128, 127, max, "activation_max: expected an int in [-128, 127]"));
  if (*min > *max) {
    return ctx.fail("activation_min: must not exceed activation_max", Error::InvalidArgument);
  }
  return Error::Ok;
}

Error pair_arg(KernelContext& ctx, const EValue* v, int32_t lo, int32_t* out, const char* why) {
  ST_TRY(native::int_list_n(ctx, v, 2, nullptr, out, why));
  if (out[0] < lo || out[1] < lo || out[0] > 65535 || out[1] > 65535) {
    return ctx.fail(why, Error::InvalidArgument);
  }
  return Error::Ok;
}

int32_t window_out(int32_t in, int32_t k, int32_t stride, int32_t pad, int32_t dilation,
                   bool ceil_mode) {
  if (stride <= 0) return -1;
  const int64_t span = static_cast<int64_t>(in) + 2 * static_cast<int64_t>(pad) -
                       static_cast<int64_t>(dilation) * (k - 1) - 1;
  if (span < 0) return -1;
  int64_t out = (span + (ceil_mode ? stride - 1 : 0)) / stride + 1;
  if (ceil_mode && (out - 1) * stride >= static_cast<int64_t>(in) + pad) --out;
  if (out <= 0 || out > INT32_MAX) return -1;
  return static_cast<int32_t>(out);
}

}  // namespace cortex_m
}  // namespace slimtorch
