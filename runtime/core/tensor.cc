// resize_tensor(), is_contiguous() and dim_order_stride(): the only Tensor operations
// kernels need from the runtime. Neither allocates: a tensor's storage is fixed at method
// init, so a resize only changes the shape within capacity_bytes.
#include "runtime/core/tensor.h"

namespace slimtorch {

Error resize_tensor(Tensor& t, const int32_t* new_sizes, size_t ndim) {
  if (ndim != t.dim) {
    return Error::InvalidArgument;
  }
  uint64_t numel = 1;
  bool same = true;
  for (size_t d = 0; d < ndim; ++d) {
    if (new_sizes[d] < 0) {
      return Error::InvalidArgument;
    }
    numel *= static_cast<uint64_t>(new_sizes[d]);
    if (numel > 0xFFFFFFFFull) {
      return Error::InvalidArgument;
    }
    same = same && new_sizes[d] == t.sizes[d];
  }
  if (same) {
    return Error::Ok;
  }
  if (t.shape_dynamism == 0) {
    return Error::InvalidArgument;  // static tensors keep their planned shape
  }
  if (numel * element_size(t.dtype) > t.capacity_bytes) {
    return Error::OutOfMemory;  // larger than the planned upper bound
  }
  for (size_t d = 0; d < ndim; ++d) {
    t.sizes[d] = new_sizes[d];
  }
  t.numel = static_cast<uint32_t>(numel);
  return Error::Ok;
}

bool is_contiguous(const Tensor& t) {
  for (uint8_t d = 0; d < t.dim; ++d) {
    if (t.dim_order[d] != d) {
      return false;
    }
  }
  return true;
}

uint32_t dim_order_stride(const Tensor& t, int d) {
  uint32_t stride = 1;
  for (int k = t.dim - 1; k >= 0 && t.dim_order[k] != d; --k) {
    stride *= static_cast<uint32_t>(t.sizes[t.dim_order[k]]);
  }
  return stride;
}

}  // namespace slimtorch
