// Helpers shared by the portable kernels: argument checks, scalar extraction,
// shape checks and broadcast index math. One piece of code per job, so every
// kernel validates the same way and fails with the same kind of message.
//
// Nothing here allocates: shapes live in fixed arrays of kMaxTensorDim on the
// caller's stack, tensors are the runtime's (see runtime/core/tensor.h).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernels/portable/helium/f32.h"
#include "runtime/core/evalue.h"
#include "runtime/core/result.h"  // ST_TRY
#include "runtime/kernel/kernel.h"

namespace slimtorch {
namespace native {

// ---- argument checks (each returns Ok or ctx.fail(why)) --------------------

// nargs must equal `expected` (schema args + out + return value).
Error check_nargs(KernelContext& ctx, size_t nargs, size_t expected, const char* why);

// v must be a Tensor that is contiguous (identity dim order) with at most kMaxTensorDim dims.
Error check_tensor(KernelContext& ctx, const EValue* v, const char* why_not_tensor, const char* why_not_contiguous);

// A Scalar argument (Int, Double or Bool) read as double / int64.
// Fail with `why` when the tag is anything else.
Error scalar_as_double(KernelContext& ctx, const EValue* v, double* out, const char* why);
Error scalar_as_int(KernelContext& ctx, const EValue* v, int64_t* out, const char* why);

// Normalises dim (may be negative) against `ndim` (a 0-dim tensor accepts 0 and -1).
// Returns false when out of range.
bool normalize_dim(int64_t dim, int ndim, int* out);

// ---- dtype helpers ----------------------------------------------------------

bool is_floating(ScalarType t);   // Float, Double, Half, BFloat16 (load_double/store_double convert the 16-bit ones)

// 16-bit floats as their bits: IEEE binary16 and bfloat16 <-> float (round to nearest even).
float half_to_float(uint16_t h);
uint16_t float_to_half(float f);
float bfloat16_to_float(uint16_t b);
uint16_t float_to_bfloat16(float f);
bool is_integral(ScalarType t);   // Byte, Char, Short, Int, Long, UInt16/32/64 (not Bool)
bool is_real_or_bool(ScalarType t);  // is_floating, is_integral or Bool: what load_*/store_* handle

// Element i of typed memory `p` as double / int64 (p's dtype `t`); 0 for an
// unsupported dtype (callers check support first with is_floating/is_integral/Bool).
double load_double(const void* p, ScalarType t, size_t i);
int64_t load_int(const void* p, ScalarType t, size_t i);
// Stores `v` into element i (casts like C, bool stores v != 0; floating to integer goes
// through double_to_int64).
void store_double(void* p, ScalarType t, size_t i, double v);
// Floating to integer as C truncates, but defined for every input: NaN gives 0 and values
// beyond int64's range saturate (a C cast is undefined behaviour there, and PyTorch's result
// depends on the CPU). Found by the fuzzer: a corrupt constant must not be UB.
int64_t double_to_int64(double v);
void store_int(void* p, ScalarType t, size_t i, int64_t v);

// ---- math --------------------------------------------------------------------

// e^x in single precision, the one exp of every kernel that needs it (softmax,
// sigmoid), instead of libm's expf (which drags in errno, a 328-byte table and
// its error helpers: 820 flash bytes on the Cortex-M55). Within 2 ulp of the
// exact result over the whole range; subnormal results are rounded once;
// x > 88.72283 gives +inf, x < -103.98 gives +0, -inf gives +0 and NaN gives
// NaN. Never sets errno.
float exp_float(float x);

// ---- shapes -----------------------------------------------------------------

bool same_shape(const Tensor& a, const Tensor& b);

// Resizes `out` to sizes[0..ndim): fails with "out: ..." when the rank differs
// or the tensor cannot take that shape.
Error resize_out(KernelContext& ctx, Tensor& out, const int32_t* sizes, int ndim);

// Broadcast shape of a and b (PyTorch rules, aligned from the last dim).
// Writes ndim entries into sizes (capacity kMaxTensorDim); false if incompatible.
bool broadcast_shape(const Tensor& a, const Tensor& b, int32_t* sizes, int* ndim);

// Walks the elements of an output of shape sizes[0..ndim) in row-major order
// while tracking the element offset of one input read with per-output-dim
// strides. Two ways to set the strides:
//  - broadcast: StridedIndex(in, out_sizes, ndim): input dims aligned from the
//    end; size-1 or missing dims repeat (stride 0). The caller checked that
//    `in` broadcasts to out_sizes.
//  - explicit: StridedIndex(out_sizes, in_strides, ndim) (e.g. a permutation).
// Usage: for each out element i: read in[it.offset]; it.next();
struct StridedIndex {
  int32_t index[kMaxTensorDim];   // current output coordinate
  int32_t sizes[kMaxTensorDim];   // output sizes
  int32_t strides[kMaxTensorDim]; // input element stride per output dim (0 when broadcast)
  int ndim;
  size_t offset;                  // element offset into the input for `index`

  StridedIndex(const Tensor& in, const int32_t* out_sizes, int out_ndim);
  StridedIndex(const int32_t* out_sizes, const int32_t* in_strides, int out_ndim);
  void next();
};

// True when `in` broadcasts to sizes[0..ndim) (expand semantics: in.dim <= ndim,
// every aligned dim equal or 1).
bool broadcasts_to(const Tensor& in, const int32_t* sizes, int ndim);

// Copies element src[src_i] to dst[dst_i] for elements of `esize` bytes.
void copy_element(void* dst, size_t dst_i, const void* src, size_t src_i, size_t esize);

// out[m x n] += alpha * a[m x k] @ b[k x n], all contiguous Float rows.
// i-k-j loop order: the inner loop runs over contiguous rows of b and out.
void matmul_accumulate_f32(const float* a, const float* b, float* out, int32_t m, int32_t k, int32_t n, float alpha);


// ---- elementwise drivers ----------------------------------------------------

// A validated unary call: `self` and `out` contiguous, out resized to self's shape.
struct UnaryArgs {
  Tensor* self;
  Tensor* out;
};
// Checks nargs == 3 ([self, out, return]) for `self -> out` ops.
Error prepare_unary(KernelContext& ctx, EValue** args, size_t nargs, UnaryArgs* u);

// Contiguous row-major strides (in elements) of `t` into strides[0..t.dim).
void contiguous_strides(const Tensor& t, int32_t* strides);

// ---- shared drivers for the model kernels -----------------------------------

// dst[i] (contiguous, `numel` elements of `esize` bytes) = src[offset(i)], where
// offset walks out_sizes[0..ndim) row-major with src_strides (elements, may be 0
// for broadcast). The copy engine of expand/permute/slice/select/cat/split: the
// innermost dim is copied as a block when its stride is 1.
void strided_copy(void* dst, const void* src, const int32_t* out_sizes, const int32_t* src_strides, int ndim,
                  size_t esize);

// out[m x n] = a[m x k] @ b[k x n] (+ out's previous value when `accumulate`), all
// contiguous Float rows. Register-blocked (4 rows x 8 columns of accumulators) so
// the compiler keeps the block in vector registers; the shared GEMM of mm, bmm and
// 1x1 convolution.
void gemm_f32(const float* a, const float* b, float* out, int32_t m, int32_t k, int32_t n, bool accumulate);

// A validated `self -> out` op computed in floating point: self of any real or
// Bool dtype, out Float or Double (integer inputs give a floating result, as in
// PyTorch). ff runs on the all-Float fast path, fd otherwise.
using UnaryFloatFn = float (*)(float x);
using UnaryDoubleFn = double (*)(double x);
Error unary_float_op(KernelContext& ctx, EValue** args, size_t nargs, UnaryFloatFn ff, UnaryDoubleFn fd);

// Reads an int list argument of 1 or `n` entries (a single entry repeats, as
// PyTorch accepts for stride/padding/dilation); `empty_value` when the list is empty
// (avg_pool2d's stride=[] means "the kernel size"). Fails with `why`.
Error int_list_n(KernelContext& ctx, const EValue* v, int n, const int32_t* empty_value, int32_t* out, const char* why);

}  // namespace native
}  // namespace slimtorch

// ---- padding, pooling, upsampling, sampling ----
namespace slimtorch {
namespace native {

// Element i of a floating tensor as T (the op's math type: float for Float, Half and
// BFloat16, double for Double). kF32 = the tensor is Float: a direct load/store, the
// fast path; otherwise through load_double/store_double.
template <typename T, bool kF32>
inline T load_as(const void* p, ScalarType t, size_t i) {
  if (kF32) return static_cast<const float*>(p)[i];
  return static_cast<T>(load_double(p, t, i));
}
template <typename T, bool kF32>
inline void store_as(void* p, ScalarType t, size_t i, T v) {
  if (kF32) {
    static_cast<float*>(p)[i] = static_cast<float>(v);
  } else {
    store_double(p, t, i, static_cast<double>(v));
  }
}

}  // namespace native
}  // namespace slimtorch

// ---- indexing and scatter ----
namespace slimtorch {
namespace native {

// Long and Int are the index dtypes; element i of such a tensor as int64.
inline bool is_index_dtype(ScalarType t) { return t == ScalarType::Long || t == ScalarType::Int; }
inline int64_t index_at(const Tensor& t, size_t i) {
  return t.dtype == ScalarType::Long ? t.data_as<int64_t>()[i] : static_cast<int64_t>(t.data_as<int32_t>()[i]);
}

// dst[di] += src[si], both of dtype `t` (a real dtype or Bool): floating in double
// (Float directly in float), integers wrap around like PyTorch, Bool is logical or.
void add_element(void* dst, size_t di, const void* src, size_t si, ScalarType t);

// masked_select / masked_scatter: `mask` (must be Bool) broadcast with `self` to
// sizes[0..*ndim) (total elements), and how many of those elements the mask selects.
Error broadcast_mask(KernelContext& ctx, const Tensor& self, const Tensor& mask, int32_t* sizes, int* ndim,
                     size_t* total, uint64_t* selected);

}  // namespace native
}  // namespace slimtorch
