// Dtype-selective kernels: op_relu.cpp and op_binary.cpp compiled with a
// Float-only selection (testdata/float_only_dtypes.h; mul.out also keeps Long)
// still compute Float exactly, broadcasting included, and refuse a tensor of a
// dtype left out with NotSupported and a message naming the dtype, before
// writing anything.
#include "runtime/kernel/dtype_selection.h"

#include <string.h>

#include "runtime/testing/check.h"

namespace slimtorch {
namespace native {
Error relu_out(KernelContext& ctx, EValue** args, size_t nargs);
Error add_out(KernelContext& ctx, EValue** args, size_t nargs);
Error sub_out(KernelContext& ctx, EValue** args, size_t nargs);
Error mul_out(KernelContext& ctx, EValue** args, size_t nargs);
Error div_out(KernelContext& ctx, EValue** args, size_t nargs);
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

Tensor make(void* data, int32_t* sizes, uint8_t* order, ScalarType dtype, uint32_t n, size_t esize,
             uint8_t dim = 1) {
  Tensor t;
  t.data = data;
  t.sizes = sizes;
  t.dim_order = order;
  t.dim = dim;
  t.numel = n;
  t.capacity_bytes = static_cast<uint32_t>(n * esize);
  t.dtype = dtype;
  return t;
}

EValue int_value(int64_t i) {
  EValue v;
  v.tag = slimtorch::Tag::Int;
  v.v.i = i;
  return v;
}

using Kernel = Error (*)(slimtorch::KernelContext&, EValue**, size_t);

// kernel(x, y[, alpha], out) with the return value aliasing out.
Error call_binary(Kernel kernel, Tensor* x, Tensor* y, const EValue* alpha, Tensor* out,
                  slimtorch::KernelContext* ctx) {
  EValue a = tensor_value(x), b = tensor_value(y), o = tensor_value(out);
  EValue al = alpha != nullptr ? *alpha : EValue();
  EValue* with_alpha[5] = {&a, &b, &al, &o, &o};
  EValue* without[4] = {&a, &b, &o, &o};
  return alpha != nullptr ? kernel(*ctx, with_alpha, 5) : kernel(*ctx, without, 4);
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
  {  // add.out, one shape (the frameless fast path) and broadcast [2, 1] + [3] (the driver)
    float x[3] = {1.0f, 2.0f, 3.0f}, y[3] = {10.0f, 20.0f, 30.0f}, out[6] = {};
    int32_t s3[1] = {3};
    Tensor tx = make(x, s3, order, ScalarType::Float, 3, 4), ty = make(y, s3, order, ScalarType::Float, 3, 4);
    uint8_t order2[2] = {0, 1};
    Tensor to = make(out, s3, order, ScalarType::Float, 3, 4);
    const EValue one = int_value(1);
    slimtorch::KernelContext ctx;
    CHECK_EQ(call_binary(slimtorch::native::add_out, &tx, &ty, &one, &to, &ctx), Error::Ok);
    CHECK(out[0] == 11.0f && out[1] == 22.0f && out[2] == 33.0f);
    float col[2] = {100.0f, 200.0f};
    int32_t s21[2] = {2, 1};
    Tensor tc = make(col, s21, order2, ScalarType::Float, 2, 4, 2);
    int32_t s23[2] = {2, 3};
    Tensor t6 = make(out, s23, order2, ScalarType::Float, 6, 4, 2);
    const EValue two = int_value(2);
    CHECK_EQ(call_binary(slimtorch::native::add_out, &tc, &ty, &two, &t6, &ctx), Error::Ok);
    CHECK(out[0] == 120.0f && out[2] == 160.0f && out[3] == 220.0f && out[5] == 260.0f);
    CHECK_EQ(call_binary(slimtorch::native::sub_out, &tc, &ty, &one, &t6, &ctx), Error::Ok);
    CHECK(out[0] == 90.0f && out[5] == 170.0f);
  }
  {  // a Double tensor is left out of add.out and div.out
    double x[3] = {1, 2, 3}, out[3] = {9, 9, 9};
    Tensor tx = make(x, sizes, order, ScalarType::Double, 3, 8), to = make(out, sizes, order, ScalarType::Double, 3, 8);
    const EValue one = int_value(1);
    slimtorch::KernelContext ctx;
    CHECK_EQ(call_binary(slimtorch::native::add_out, &tx, &tx, &one, &to, &ctx), Error::NotSupported);
    CHECK(strcmp(ctx.message, "dtype Double was left out of this dtype-selective build") == 0);
    CHECK_EQ(call_binary(slimtorch::native::div_out, &tx, &tx, nullptr, &to, &ctx), Error::NotSupported);
    CHECK(out[0] == 9.0 && out[2] == 9.0);  // nothing written
  }
  {  // mul.out keeps Long (integer math wraps) and Float; div.out left Long out
    int64_t x[3] = {INT64_MAX, -3, 7}, y[3] = {2, 5, -1}, out[3] = {9, 9, 9};
    Tensor tx = make(x, sizes, order, ScalarType::Long, 3, 8), ty = make(y, sizes, order, ScalarType::Long, 3, 8);
    Tensor to = make(out, sizes, order, ScalarType::Long, 3, 8);
    slimtorch::KernelContext ctx;
    CHECK_EQ(call_binary(slimtorch::native::mul_out, &tx, &ty, nullptr, &to, &ctx), Error::Ok);
    CHECK(out[0] == -2 && out[1] == -15 && out[2] == -7);
    float f[3] = {1.5f, -2.0f, 4.0f}, fo[3] = {};
    Tensor tf = make(f, sizes, order, ScalarType::Float, 3, 4), tfo = make(fo, sizes, order, ScalarType::Float, 3, 4);
    CHECK_EQ(call_binary(slimtorch::native::mul_out, &tf, &tf, nullptr, &tfo, &ctx), Error::Ok);
    CHECK(fo[0] == 2.25f && fo[1] == 4.0f && fo[2] == 16.0f);
    CHECK_EQ(call_binary(slimtorch::native::div_out, &tf, &tx, nullptr, &tfo, &ctx), Error::NotSupported);
    CHECK(strcmp(ctx.message, "dtype Long was left out of this dtype-selective build") == 0);
  }
  return slimtorch_test::check_summary();
}
