// Shared kernel helpers; see util.h.
#include "kernels/portable/util.h"

namespace slimtorch {
namespace native {

namespace {

// 2^e as a float, for -126 <= e <= 127 (a normal number: exponent bits only).
float pow2_float(int e) {
  const uint32_t bits = static_cast<uint32_t>(e + 127) << 23;
  float f;
  __builtin_memcpy(&f, &bits, sizeof(f));
  return f;
}

}  // namespace

// Not inlined: softmax calls it from two loops (inlining both cost 32 B on the MLP image).
__attribute__((noinline)) float exp_float(float x) {
  if (x != x) return x;                                   // NaN
  if (x > 0x1.62e42ep+6f) return __builtin_inff();        // e^x > FLT_MAX (x > 88.7228)
  if (x < -103.972084045410156f) return 0.0f;             // below half the smallest subnormal, -inf
  // x = k ln2 + r with |r| <= ln2/2. ln2 is split so that k * kLn2Hi is exact
  // (kLn2Hi has 15 significant bits, |k| <= 150) and x - k * kLn2Hi cancels exactly.
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693145751953125f;
  constexpr float kLn2Lo = 1.42860676533018704e-06f;
  const int k = static_cast<int>(x * kLog2e + (x < 0.0f ? -0.5f : 0.5f));
  const float r = (x - static_cast<float>(k) * kLn2Hi) - static_cast<float>(k) * kLn2Lo;
  // e^r by its Taylor series to r^7 (truncation error < 6e-9 relative for |r| <= 0.347).
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  // Times 2^k in two exact steps (k is in [-150, 128], each half a normal
  // exponent), so a subnormal or overflowing result is rounded only once.
  const int k1 = k / 2;
  return p * pow2_float(k1) * pow2_float(k - k1);
}

Error check_nargs(KernelContext& ctx, size_t nargs, size_t expected, const char* why) {
  return nargs == expected ? Error::Ok : ctx.fail(why, Error::InvalidArgument);
}

Error check_tensor(KernelContext& ctx, const EValue* v, const char* why_not_tensor, const char* why_not_contiguous) {
  if (v == nullptr || !v->is_tensor() || v->v.t == nullptr) return ctx.fail(why_not_tensor, Error::InvalidArgument);
  if (v->to_tensor().dim > kMaxTensorDim) return ctx.fail("tensor has more dimensions than kMaxTensorDim", Error::NotSupported);
  if (!is_contiguous(v->to_tensor())) return ctx.fail(why_not_contiguous, Error::NotSupported);
  return Error::Ok;
}

Error scalar_as_double(KernelContext& ctx, const EValue* v, double* out, const char* why) {
  if (v == nullptr || !(v->is_int() || v->is_double() || v->is_bool())) return ctx.fail(why, Error::InvalidArgument);
  *out = v->to_scalar_double();
  return Error::Ok;
}

Error scalar_as_int(KernelContext& ctx, const EValue* v, int64_t* out, const char* why) {
  if (v == nullptr) return ctx.fail(why, Error::InvalidArgument);
  if (v->is_int()) {
    *out = v->to_int();
  } else if (v->is_bool()) {
    *out = v->to_bool() ? 1 : 0;
  } else if (v->is_double() && v->to_double() == static_cast<double>(static_cast<int64_t>(v->to_double()))) {
    *out = static_cast<int64_t>(v->to_double());  // integral-valued double, e.g. alpha=2.0
  } else {
    return ctx.fail(why, Error::InvalidArgument);
  }
  return Error::Ok;
}

bool normalize_dim(int64_t dim, int ndim, int* out) {
  const int64_t n = ndim == 0 ? 1 : ndim;
  if (dim < -n || dim >= n) return false;
  *out = static_cast<int>(dim < 0 ? dim + n : dim);
  return true;
}

bool is_floating(ScalarType t) {
  return t == ScalarType::Float || t == ScalarType::Double || t == ScalarType::Half || t == ScalarType::BFloat16;
}

// IEEE binary16 <-> float, in integer arithmetic (no hardware half needed): every
// half is exactly a float; float -> half rounds to nearest even, overflow gives inf,
// NaN stays NaN (quiet).
// Targets with IEEE half hardware (the Cortex-M55's FPU: one vcvtb each way) convert in
// hardware; the others in the integer arithmetic below.
float half_to_float(uint16_t h) {
#if defined(__ARM_FP16_FORMAT_IEEE)
  __fp16 x;
  __builtin_memcpy(&x, &h, 2);
  return static_cast<float>(x);
#else
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1fu) {
    bits = sign | 0x7f800000u | (mant << 13);  // inf / NaN
  } else if (exp != 0) {
    bits = sign | ((exp + 112u) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;  // +-0
  } else {  // subnormal half: normalise
    exp = 113;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --exp;
    }
    bits = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
  }
  float f;
  __builtin_memcpy(&f, &bits, 4);
  return f;
#endif
}

uint16_t float_to_half(float f) {
#if defined(__ARM_FP16_FORMAT_IEEE)
  const __fp16 x = static_cast<__fp16>(f);  // round to nearest even (the FPSCR default)
  uint16_t h;
  __builtin_memcpy(&h, &x, 2);
  return h;
#else
  uint32_t x;
  __builtin_memcpy(&x, &f, 4);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds past 65504
  const int32_t e = static_cast<int32_t>(abs >> 23) - 127;
  if (e < -25) return sign;  // below half the smallest subnormal
  uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
  // shift so that the result keeps 11 significant bits (10 for normals + implicit bit)
  const int32_t shift = e >= -14 ? 13 : 13 + (-14 - e);
  const uint32_t half_ulp = 1u << (shift - 1);
  const uint32_t rest = mant & ((1u << shift) - 1);
  mant >>= shift;
  if (rest > half_ulp || (rest == half_ulp && (mant & 1u))) ++mant;
  uint32_t bits;
  if (e >= -14) {
    bits = (static_cast<uint32_t>(e + 15) << 10) + (mant - 0x400u);  // carry may bump the exponent
  } else {
    bits = mant;  // subnormal (a carry into 0x400 gives the smallest normal, correctly)
  }
  return static_cast<uint16_t>(sign | bits);
#endif
}

float bfloat16_to_float(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  __builtin_memcpy(&f, &bits, 4);
  return f;
}

uint16_t float_to_bfloat16(float f) {
  uint32_t x;
  __builtin_memcpy(&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // quiet NaN
  x += 0x7fffu + ((x >> 16) & 1u);  // round to nearest even
  return static_cast<uint16_t>(x >> 16);
}

bool is_integral(ScalarType t) {
  switch (t) {
    case ScalarType::Byte:
    case ScalarType::Char:
    case ScalarType::Short:
    case ScalarType::Int:
    case ScalarType::Long:
    case ScalarType::UInt16:
    case ScalarType::UInt32:
    case ScalarType::UInt64:
      return true;
    default:
      return false;
  }
}

double load_double(const void* p, ScalarType t, size_t i) {
  switch (t) {
    case ScalarType::Float: return static_cast<const float*>(p)[i];
    case ScalarType::Double: return static_cast<const double*>(p)[i];
    case ScalarType::Half: return half_to_float(static_cast<const uint16_t*>(p)[i]);
    case ScalarType::BFloat16: return bfloat16_to_float(static_cast<const uint16_t*>(p)[i]);
    default: return static_cast<double>(load_int(p, t, i));
  }
}

int64_t load_int(const void* p, ScalarType t, size_t i) {
  switch (t) {
    case ScalarType::Byte: return static_cast<const uint8_t*>(p)[i];
    case ScalarType::Char: return static_cast<const int8_t*>(p)[i];
    case ScalarType::Short: return static_cast<const int16_t*>(p)[i];
    case ScalarType::Int: return static_cast<const int32_t*>(p)[i];
    case ScalarType::Long: return static_cast<const int64_t*>(p)[i];
    case ScalarType::UInt16: return static_cast<const uint16_t*>(p)[i];
    case ScalarType::UInt32: return static_cast<const uint32_t*>(p)[i];
    case ScalarType::UInt64: return static_cast<int64_t>(static_cast<const uint64_t*>(p)[i]);
    case ScalarType::Bool: return static_cast<const uint8_t*>(p)[i] != 0 ? 1 : 0;
    case ScalarType::Float: return double_to_int64(static_cast<const float*>(p)[i]);
    case ScalarType::Double: return double_to_int64(static_cast<const double*>(p)[i]);
    case ScalarType::Half:
    case ScalarType::BFloat16: return double_to_int64(load_double(p, t, i));
    default: return 0;
  }
}

void store_double(void* p, ScalarType t, size_t i, double v) {
  switch (t) {
    case ScalarType::Float: static_cast<float*>(p)[i] = static_cast<float>(v); break;
    case ScalarType::Double: static_cast<double*>(p)[i] = v; break;
    // via float: double -> float -> half can round twice, but PyTorch's own half math
    // computes in float, so this matches it.
    case ScalarType::Half: static_cast<uint16_t*>(p)[i] = float_to_half(static_cast<float>(v)); break;
    case ScalarType::BFloat16: static_cast<uint16_t*>(p)[i] = float_to_bfloat16(static_cast<float>(v)); break;
    case ScalarType::Bool: static_cast<uint8_t*>(p)[i] = v != 0.0 ? 1 : 0; break;
    default: store_int(p, t, i, double_to_int64(v)); break;
  }
}

int64_t double_to_int64(double v) {
  if (!(v == v)) return 0;  // NaN
  if (v >= 9223372036854775807.0) return INT64_MAX;
  if (v <= -9223372036854775808.0) return INT64_MIN;
  return static_cast<int64_t>(v);
}

void store_int(void* p, ScalarType t, size_t i, int64_t v) {
  switch (t) {
    case ScalarType::Byte: static_cast<uint8_t*>(p)[i] = static_cast<uint8_t>(v); break;
    case ScalarType::Char: static_cast<int8_t*>(p)[i] = static_cast<int8_t>(v); break;
    case ScalarType::Short: static_cast<int16_t*>(p)[i] = static_cast<int16_t>(v); break;
    case ScalarType::Int: static_cast<int32_t*>(p)[i] = static_cast<int32_t>(v); break;
    case ScalarType::Long: static_cast<int64_t*>(p)[i] = v; break;
    case ScalarType::UInt16: static_cast<uint16_t*>(p)[i] = static_cast<uint16_t>(v); break;
    case ScalarType::UInt32: static_cast<uint32_t*>(p)[i] = static_cast<uint32_t>(v); break;
    case ScalarType::UInt64: static_cast<uint64_t*>(p)[i] = static_cast<uint64_t>(v); break;
    case ScalarType::Bool: static_cast<uint8_t*>(p)[i] = v != 0 ? 1 : 0; break;
    case ScalarType::Float: static_cast<float*>(p)[i] = static_cast<float>(v); break;
    case ScalarType::Double: static_cast<double*>(p)[i] = static_cast<double>(v); break;
    case ScalarType::Half:
    case ScalarType::BFloat16: store_double(p, t, i, static_cast<double>(v)); break;
    default: break;
  }
}

bool same_shape(const Tensor& a, const Tensor& b) {
  if (a.dim != b.dim) return false;
  for (int d = 0; d < a.dim; ++d) {
    if (a.sizes[d] != b.sizes[d]) return false;
  }
  return true;
}

Error resize_out(KernelContext& ctx, Tensor& out, const int32_t* sizes, int ndim) {
  if (ndim != out.dim) return ctx.fail("out: has the wrong number of dimensions for the result", Error::InvalidArgument);
  if (resize_tensor(out, sizes, static_cast<size_t>(ndim)) != Error::Ok) {
    return ctx.fail("out: cannot be resized to the result shape (static shape differs or capacity too small)",
                    Error::InvalidArgument);
  }
  return Error::Ok;
}

bool broadcast_shape(const Tensor& a, const Tensor& b, int32_t* sizes, int* ndim) {
  const int n = a.dim > b.dim ? a.dim : b.dim;
  for (int i = 0; i < n; ++i) {  // i counts from the last dim
    const int32_t sa = i < a.dim ? a.sizes[a.dim - 1 - i] : 1;
    const int32_t sb = i < b.dim ? b.sizes[b.dim - 1 - i] : 1;
    if (sa != sb && sa != 1 && sb != 1) return false;
    sizes[n - 1 - i] = sa == 1 ? sb : sa;
  }
  *ndim = n;
  return true;
}

void contiguous_strides(const Tensor& t, int32_t* strides) {
  int32_t s = 1;
  for (int d = t.dim - 1; d >= 0; --d) {
    strides[d] = s;
    s *= t.sizes[d];
  }
}

StridedIndex::StridedIndex(const Tensor& in, const int32_t* out_sizes, int out_ndim) : ndim(out_ndim), offset(0) {
  int32_t in_strides[kMaxTensorDim];
  contiguous_strides(in, in_strides);
  const int lead = out_ndim - in.dim;  // missing leading input dims broadcast
  for (int d = 0; d < out_ndim; ++d) {
    index[d] = 0;
    sizes[d] = out_sizes[d];
    const int id = d - lead;
    strides[d] = (id < 0 || in.sizes[id] == 1) ? 0 : in_strides[id];
  }
}

StridedIndex::StridedIndex(const int32_t* out_sizes, const int32_t* in_strides, int out_ndim)
    : ndim(out_ndim), offset(0) {
  for (int d = 0; d < out_ndim; ++d) {
    index[d] = 0;
    sizes[d] = out_sizes[d];
    strides[d] = in_strides[d];
  }
}

void StridedIndex::next() {
  for (int d = ndim - 1; d >= 0; --d) {
    offset += static_cast<size_t>(strides[d]);
    if (++index[d] < sizes[d]) return;
    offset -= static_cast<size_t>(strides[d]) * static_cast<size_t>(sizes[d]);
    index[d] = 0;
  }
}

bool broadcasts_to(const Tensor& in, const int32_t* sizes, int ndim) {
  if (in.dim > ndim) return false;
  for (int i = 1; i <= in.dim; ++i) {
    const int32_t s = in.sizes[in.dim - i];
    if (s != 1 && s != sizes[ndim - i]) return false;
  }
  return true;
}

void copy_element(void* dst, size_t dst_i, const void* src, size_t src_i, size_t esize) {
  switch (esize) {
    case 1: static_cast<uint8_t*>(dst)[dst_i] = static_cast<const uint8_t*>(src)[src_i]; break;
    case 2: static_cast<uint16_t*>(dst)[dst_i] = static_cast<const uint16_t*>(src)[src_i]; break;
    case 4: static_cast<uint32_t*>(dst)[dst_i] = static_cast<const uint32_t*>(src)[src_i]; break;
    case 8: static_cast<uint64_t*>(dst)[dst_i] = static_cast<const uint64_t*>(src)[src_i]; break;
    default:
      __builtin_memcpy(static_cast<uint8_t*>(dst) + dst_i * esize, static_cast<const uint8_t*>(src) + src_i * esize,
                       esize);
      break;
  }
}

void matmul_accumulate_f32(const float* __restrict a, const float* __restrict b, float* __restrict out, int32_t m,
                           int32_t k, int32_t n, float alpha) {
  for (int32_t i = 0; i < m; ++i) {
    float* o = out + static_cast<size_t>(i) * n;
    const float* ai = a + static_cast<size_t>(i) * k;
    for (int32_t p = 0; p < k; ++p) {
      const float s = alpha * ai[p];
      const float* bp = b + static_cast<size_t>(p) * n;
      for (int32_t j = 0; j < n; ++j) o[j] += s * bp[j];
    }
  }
}

Error prepare_unary(KernelContext& ctx, EValue** args, size_t nargs, UnaryArgs* u) {
  ST_TRY(check_nargs(ctx, nargs, 3, "expected 3 args: self, out, return value"));
  ST_TRY(check_tensor(ctx, args[0], "self: expected a tensor", "self: must be contiguous"));
  ST_TRY(check_tensor(ctx, args[1], "out: expected a tensor", "out: must be contiguous"));
  u->self = &args[0]->to_tensor();
  u->out = &args[1]->to_tensor();
  return resize_out(ctx, *u->out, u->self->sizes, u->self->dim);
}

bool is_real_or_bool(ScalarType t) { return is_floating(t) || is_integral(t) || t == ScalarType::Bool; }

}  // namespace native
}  // namespace slimtorch

namespace slimtorch {
namespace native {

void strided_copy(void* dst, const void* src, const int32_t* out_sizes, const int32_t* src_strides, int ndim,
                  size_t esize) {
  size_t numel = 1;
  for (int d = 0; d < ndim; ++d) numel *= static_cast<size_t>(out_sizes[d]);
  if (numel == 0) return;
  if (ndim == 0) {
    copy_element(dst, 0, src, 0, esize);
    return;
  }
  // Rows of the innermost dim; the outer dims are walked by StridedIndex.
  const int32_t row = out_sizes[ndim - 1];
  const int32_t row_stride = src_strides[ndim - 1];
  StridedIndex it(out_sizes, src_strides, ndim - 1);
  const size_t rows = numel / static_cast<size_t>(row);
  uint8_t* d = static_cast<uint8_t*>(dst);
  const uint8_t* s = static_cast<const uint8_t*>(src);
  for (size_t r = 0; r < rows; ++r) {
    const size_t base = it.offset;
    if (row_stride == 1) {
      __builtin_memcpy(d + r * row * esize, s + base * esize, static_cast<size_t>(row) * esize);
    } else {
      for (int32_t j = 0; j < row; ++j) {
        copy_element(dst, r * row + j, src, base + static_cast<size_t>(j) * row_stride, esize);
      }
    }
    it.next();
  }
}

#ifndef SLIMTORCH_BARE_METAL
namespace {

// The host's GEMM micro-kernel in GCC vector types: SSE (x86-64), AVX (host_avx2, with
// FMA fusing c += b * s), NEON (aarch64). kGemmRows rows x 2 vectors of out stay in
// registers for the whole reduction: 12 of the 16 SSE/AVX registers (32 on NEON).
#ifdef __AVX__
typedef float VecF __attribute__((vector_size(32)));
#else
typedef float VecF __attribute__((vector_size(16)));
#endif
constexpr int32_t kVecW = static_cast<int32_t>(sizeof(VecF) / sizeof(float));
constexpr int32_t kGemmRows = 6;
constexpr int32_t kGemmCols = 2 * kVecW;

inline VecF load_vec(const float* p) {
  VecF v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}

inline void store_vec(float* p, VecF v) { __builtin_memcpy(p, &v, sizeof(v)); }

// out[0..R) x [0..kGemmCols) (rows n apart) = a[0..R) x [0..k) @ b[k x kGemmCols] (+ out).
template <int R>
void gemm_tile(const float* __restrict a, int32_t k, const float* __restrict b, int32_t n, float* __restrict out,
               bool accumulate) {
  VecF c[R][2];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    c[r][0] = accumulate ? load_vec(out + static_cast<size_t>(r) * n) : VecF{};
    c[r][1] = accumulate ? load_vec(out + static_cast<size_t>(r) * n + kVecW) : VecF{};
  }
  for (int32_t p = 0; p < k; ++p) {
    const VecF b0 = load_vec(b + static_cast<size_t>(p) * n);
    const VecF b1 = load_vec(b + static_cast<size_t>(p) * n + kVecW);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const VecF s = a[static_cast<size_t>(r) * k + p] - VecF{};  // broadcast (x - 0 is x, -0 included)
      c[r][0] += b0 * s;
      c[r][1] += b1 * s;
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    store_vec(out + static_cast<size_t>(r) * n, c[r][0]);
    store_vec(out + static_cast<size_t>(r) * n + kVecW, c[r][1]);
  }
}

template <int R>
void gemm_column_panel(const float* a, int32_t m, int32_t k, const float* b, int32_t n, float* out, bool accumulate) {
  int32_t i = 0;
  for (; i + R <= m; i += R) {
    gemm_tile<R>(a + static_cast<size_t>(i) * k, k, b, n, out + static_cast<size_t>(i) * n, accumulate);
  }
  a += static_cast<size_t>(i) * k;
  out += static_cast<size_t>(i) * n;
  switch (m - i) {
    case 5: gemm_tile<5>(a, k, b, n, out, accumulate); break;
    case 4: gemm_tile<4>(a, k, b, n, out, accumulate); break;
    case 3: gemm_tile<3>(a, k, b, n, out, accumulate); break;
    case 2: gemm_tile<2>(a, k, b, n, out, accumulate); break;
    case 1: gemm_tile<1>(a, k, b, n, out, accumulate); break;
    default: break;
  }
}

}  // namespace
#endif

void gemm_f32(const float* __restrict a, const float* __restrict b, float* __restrict out, int32_t m, int32_t k,
              int32_t n, bool accumulate) {
#ifdef SLIMTORCH_HELIUM_F32
  if (helium::enabled()) {
    helium::gemm_f32(a, b, out, m, k, n, accumulate);
    return;
  }
#endif
#ifndef SLIMTORCH_BARE_METAL
  // Column panels of b (k x kGemmCols, reused by every row block while it is in cache),
  // then the columns past the last whole panel.
  const int32_t n_main = n - n % kGemmCols;
  for (int32_t j = 0; j < n_main; j += kGemmCols) gemm_column_panel<kGemmRows>(a, m, k, b + j, n, out + j, accumulate);
  const int32_t i = m;  // every row's columns up to n_main are done
#else
  constexpr int kR = 4;  // rows of out per block
  constexpr int kC = 8;  // columns of out per block (two SSE / MVE vectors)
  const int32_t n_main = n - n % kC;
  int32_t i = 0;
  for (; i + kR <= m; i += kR) {
    const float* a0 = a + static_cast<size_t>(i) * k;
    for (int32_t j = 0; j < n_main; j += kC) {
      float acc[kR][kC];
      for (int r = 0; r < kR; ++r) {
        for (int c = 0; c < kC; ++c) acc[r][c] = accumulate ? out[static_cast<size_t>(i + r) * n + j + c] : 0.0f;
      }
      for (int32_t p = 0; p < k; ++p) {
        const float* bp = b + static_cast<size_t>(p) * n + j;
        for (int r = 0; r < kR; ++r) {
          const float av = a0[static_cast<size_t>(r) * k + p];
          for (int c = 0; c < kC; ++c) acc[r][c] += av * bp[c];
        }
      }
      for (int r = 0; r < kR; ++r) {
        for (int c = 0; c < kC; ++c) out[static_cast<size_t>(i + r) * n + j + c] = acc[r][c];
      }
    }
  }
#endif
  // Leftover rows (all columns) and leftover columns of the blocked rows: i-k-j loops.
  for (int32_t r = 0; r < m; ++r) {
    const int32_t j0 = r < i ? n_main : 0;
    if (j0 >= n) continue;
    float* o = out + static_cast<size_t>(r) * n;
    if (!accumulate) {
      for (int32_t j = j0; j < n; ++j) o[j] = 0.0f;
    }
    const float* ar = a + static_cast<size_t>(r) * k;
    for (int32_t p = 0; p < k; ++p) {
      const float s = ar[p];
      const float* bp = b + static_cast<size_t>(p) * n;
      for (int32_t j = j0; j < n; ++j) o[j] += s * bp[j];
    }
  }
}

Error unary_float_op(KernelContext& ctx, EValue** args, size_t nargs, UnaryFloatFn ff, UnaryDoubleFn fd) {
  UnaryArgs u;
  ST_TRY(prepare_unary(ctx, args, nargs, &u));
  const Tensor& x = *u.self;
  Tensor& out = *u.out;
  if (!is_floating(out.dtype)) return ctx.fail("out: must be Float or Double", Error::InvalidArgument);
  if (!is_real_or_bool(x.dtype)) return ctx.fail("self: unsupported dtype", Error::NotSupported);
  const uint32_t n = x.numel;
  if (x.dtype == ScalarType::Float && out.dtype == ScalarType::Float) {
    const float* in = x.data_as<float>();
    float* o = out.data_as<float>();
    for (uint32_t i = 0; i < n; ++i) o[i] = ff(in[i]);
    return Error::Ok;
  }
  for (uint32_t i = 0; i < n; ++i) store_double(out.data, out.dtype, i, fd(load_double(x.data, x.dtype, i)));
  return Error::Ok;
}

Error int_list_n(KernelContext& ctx, const EValue* v, int n, const int32_t* empty_value, int32_t* out, const char* why) {
  if (v == nullptr || !v->is_int_list()) return ctx.fail(why, Error::InvalidArgument);
  const uint32_t size = v->v.il.size;
  if (size == 0 && empty_value != nullptr) {
    for (int i = 0; i < n; ++i) out[i] = empty_value[i];
    return Error::Ok;
  }
  if (size != 1 && size != static_cast<uint32_t>(n)) return ctx.fail(why, Error::InvalidArgument);
  for (int i = 0; i < n; ++i) {
    const int64_t x = v->v.il.at(size == 1 ? 0 : static_cast<uint32_t>(i));
    if (x < INT32_MIN || x > INT32_MAX) return ctx.fail(why, Error::InvalidArgument);
    out[i] = static_cast<int32_t>(x);
  }
  return Error::Ok;
}

}  // namespace native
}  // namespace slimtorch

// ---- indexing and scatter ----
namespace slimtorch {
namespace native {

Error broadcast_mask(KernelContext& ctx, const Tensor& self, const Tensor& mask, int32_t* sizes, int* ndim,
                     size_t* total, uint64_t* selected) {
  if (mask.dtype != ScalarType::Bool) return ctx.fail("mask: must be Bool", Error::InvalidArgument);
  if (!broadcast_shape(self, mask, sizes, ndim)) {
    return ctx.fail("mask: shape does not broadcast with self", Error::InvalidArgument);
  }
  *total = 1;
  for (int d = 0; d < *ndim; ++d) *total *= static_cast<size_t>(sizes[d]);
  const uint8_t* m = mask.data_as<uint8_t>();
  uint64_t count = 0;
  StridedIndex mi(mask, sizes, *ndim);
  for (size_t i = 0; i < *total; ++i, mi.next()) count += m[mi.offset] != 0 ? 1 : 0;
  *selected = count;
  return Error::Ok;
}

void add_element(void* dst, size_t di, const void* src, size_t si, ScalarType t) {
  if (t == ScalarType::Float) {
    static_cast<float*>(dst)[di] += static_cast<const float*>(src)[si];
  } else if (is_floating(t)) {
    store_double(dst, t, di, load_double(dst, t, di) + load_double(src, t, si));
  } else {
    // unsigned sum: wraps without overflow UB; store_int truncates to t (Bool: != 0)
    const uint64_t s = static_cast<uint64_t>(load_int(dst, t, di)) + static_cast<uint64_t>(load_int(src, t, si));
    store_int(dst, t, di, static_cast<int64_t>(s));
  }
}

}  // namespace native
}  // namespace slimtorch
