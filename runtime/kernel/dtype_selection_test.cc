// Dtype-selective kernels: op_relu.cpp compiled with a Float-only selection
// (testdata/float_only_dtypes.h) still computes Float exactly, and refuses a
// Double tensor with NotSupported and a message naming the dtype.
#include "runtime/kernel/dtype_selection.h"

#include <string.h>

#include "runtime/testing/check.h"

namespace slimtorch {
namespace native {
Error relu_out(KernelContext& ctx, EValue** args, size_t nargs);
}  // namespace native
// No registry: the test calls the kernel directly.
extern const KernelEntry kSelectedKernels[1] = {{nullptr, nullptr}};
extern const size_t kNumSelectedKernels = 0;
}  // namespace slimtorch

namespace {

using slimtorch::Error;
using slimtorch::EValue;
using slimtorch::ScalarType;
using slimtorch::Tensor;

EValue tensor_value(Tensor* t) {
  EValue v;
  v.tag = slimtorch::Tag::Tensor;
  v.v.t = t;
  return v;
}

Tensor make(void* data, int32_t* sizes, uint8_t* order, ScalarType dtype, uint32_t n, size_t esize) {
  Tensor t;
  t.data = data;
  t.sizes = sizes;
  t.dim_order = order;
  t.dim = 1;
  t.numel = n;
  t.capacity_bytes = static_cast<uint32_t>(n * esize);
  t.dtype = dtype;
  return t;
}

}  // namespace

int main() {
  int32_t sizes[1] = {3};
  uint8_t order[1] = {0};
  {
    float in[3] = {-1.5f, 0.0f, 2.5f}, out[3] = {9, 9, 9};
    Tensor x = make(in, sizes, order, ScalarType::Float, 3, 4), y = make(out, sizes, order, ScalarType::Float, 3, 4);
    EValue a = tensor_value(&x), b = tensor_value(&y);
    EValue* args[3] = {&a, &b, &b};
    slimtorch::KernelContext ctx;
    CHECK_EQ(slimtorch::native::relu_out(ctx, args, 3), Error::Ok);
    CHECK(out[0] == 0.0f && out[1] == 0.0f && out[2] == 2.5f);
  }
  {
    double in[3] = {-1.5, 0.0, 2.5}, out[3] = {9, 9, 9};
    Tensor x = make(in, sizes, order, ScalarType::Double, 3, 8), y = make(out, sizes, order, ScalarType::Double, 3, 8);
    EValue a = tensor_value(&x), b = tensor_value(&y);
    EValue* args[3] = {&a, &b, &b};
    slimtorch::KernelContext ctx;
    CHECK_EQ(slimtorch::native::relu_out(ctx, args, 3), Error::NotSupported);
    CHECK(strcmp(ctx.message, "dtype Double was left out of this dtype-selective build") == 0);
    CHECK(out[0] == 9.0);  // nothing written
  }
  return slimtorch_test::check_summary();
}
