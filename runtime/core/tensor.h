// Tensor: a view of typed memory with a shape. Plain data, no ownership.
//
// Lifetime: Tensor structs and their sizes live in the method's bookkeeping
// arena (owned by the application, see runtime/executor/method.h) and stay
// valid until the Method is destroyed; dim_order points into the program bytes
// (which outlive the Method) or at static storage, and is never written.
// `data` points into a planned buffer, the program's constant segment, or
// memory the application supplied for an input or output.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "runtime/core/error.h"
#include "runtime/core/scalar_type.h"

namespace slimtorch {

constexpr int kMaxTensorDim = 16;

struct Tensor {
  void* data = nullptr;
  int32_t* sizes = nullptr;        // dim entries
  uint8_t* dim_order = nullptr;    // dim entries; identity (0,1,...) means contiguous
  uint32_t numel = 0;              // product of sizes
  uint32_t capacity_bytes = 0;     // bytes available at `data` (planned upper bound)
  ScalarType dtype = ScalarType::Float;
  uint8_t dim = 0;
  uint8_t shape_dynamism = 0;      // 0 static, 1 dynamic with bound, 2 unbound

  size_t nbytes() const { return static_cast<size_t>(numel) * element_size(dtype); }

  template <typename T>
  T* data_as() const { return static_cast<T*>(data); }

  // Size of dimension d; d may be negative (counted from the end). Caller checks range.
  int32_t size(int d) const { return sizes[d < 0 ? d + dim : d]; }
};

// Sets `t`'s shape to new_sizes[0..ndim). ndim must equal t.dim. A static tensor
// only accepts its current shape; a dynamic one any shape whose bytes fit
// capacity_bytes. Kernels call this on their outputs before writing them.
Error resize_tensor(Tensor& t, const int32_t* new_sizes, size_t ndim);

// True when dim_order is the identity permutation (row-major contiguous).
bool is_contiguous(const Tensor& t);

// The element stride of dimension d (0 <= d < t.dim) in t's memory layout: the product of
// the sizes of the dims its dim order lays out inside d. Channels-last NCHW ([0,2,3,1]):
// C has stride 1, W stride C, H stride W*C, N stride H*W*C.
uint32_t dim_order_stride(const Tensor& t, int d);

}  // namespace slimtorch
