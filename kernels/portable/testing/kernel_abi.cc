// A C ABI over the kernels, for tests only: builds EValues from flat arrays
// described by StTestArg, looks the op up in the registry generated with
// `gen_registry.py --all`, and calls it. Loaded by
// kernels/portable/tests/test_kernels.py with ctypes.
//
// Ownership: every pointer in StTestArg (sizes, list, dim_order, data) belongs
// to the caller and must stay valid during st_test_call; the kernel may rewrite
// `sizes` when it resizes an output. EValues, Tensors and list items live on
// this function's stack for the duration of the call.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "runtime/core/evalue.h"
#include "runtime/kernel/kernel.h"

namespace {

constexpr int kMaxArgs = 24;  // cortex_m::quantized_transpose_conv2d has 17
constexpr int kMaxListItems = 16;

enum ArgKind : int32_t {
  kNone = 0,
  kInt = 1,
  kDouble = 2,
  kBool = 3,
  kTensor = 4,
  kIntList = 5,
  kAlias = 6,  // the same EValue as arg `i` (the return value aliases `out`)
  kString = 7,         // data: chars, ndim: length
  kTensorList = 8,     // list: indices of Tensor args (hidden or not), ndim: count
  kOptTensorList = 9,  // Tensor?[]: `list` holds indices of Tensor args (hidden or not), -1 for None
  kDoubleList = 10,    // float[]: data: ndim doubles
};

}  // namespace

extern "C" {

struct StTestArg {
  int32_t kind;        // ArgKind
  int32_t dtype;       // Tensor: ScalarType number
  int64_t i;           // Int / Bool value; Alias: index of the aliased arg
  double d;            // Double value
  int32_t ndim;        // Tensor: number of dims; IntList: number of items
  int32_t dynamism;    // Tensor: 0 static, 1 dynamic bound, 2 unbound
  int32_t* sizes;      // Tensor: ndim sizes (rewritten on resize)
  int64_t* list;       // IntList: ndim values; OptTensorList: ndim arg indices (-1 = None)
  uint8_t* dim_order;  // Tensor: ndim entries, or null for contiguous
  void* data;          // Tensor: element data; String: characters; DoubleList: doubles
  uint64_t capacity_bytes;  // Tensor: bytes available at data
  int32_t hidden;      // Tensor: 1 = only an item of a TensorList, not passed to the kernel itself
};

// Calls kernel `op` ("aten::add.out"). Returns the kernel's Error as an int
// (0 = Ok), -1 if no such kernel is registered, -2 if the arguments cannot be
// described (too many, bad alias). Copies the kernel's message into msg.
// Hidden tensors (list items only) are left out of the kernel's own arguments.
int st_test_call(const char* op, StTestArg* args, int nargs, char* msg, int msg_len) {
  using namespace slimtorch;
  if (msg_len > 0) msg[0] = '\0';
  KernelFn fn = find_kernel(op, strlen(op));
  if (fn == nullptr) return -1;
  if (nargs < 0 || nargs > kMaxArgs) return -2;

  EValue values[kMaxArgs];
  EValue* ptrs[kMaxArgs];
  Tensor tensors[kMaxArgs];
  uint8_t identity[kMaxArgs][kMaxTensorDim];
  EValue items[kMaxArgs][kMaxListItems];
  EValue* positional[kMaxArgs];  // the args the kernel sees: every non-hidden one, in order
  int npos = 0;
  EValue* item_ptrs[kMaxArgs][kMaxListItems];

  for (int a = 0; a < nargs; ++a) {
    const StTestArg& s = args[a];
    EValue& v = values[a];
    ptrs[a] = &v;
    switch (s.kind) {
      case kNone:
        v.tag = Tag::None;
        break;
      case kInt:
        v.tag = Tag::Int;
        v.v.i = s.i;
        break;
      case kDouble:
        v.tag = Tag::Double;
        v.v.d = s.d;
        break;
      case kBool:
        v.tag = Tag::Bool;
        v.v.b = s.i != 0;
        break;
      case kTensor: {
        if (s.ndim < 0 || s.ndim > kMaxTensorDim) return -2;
        Tensor& t = tensors[a];
        t.data = s.data;
        t.sizes = s.sizes;
        for (int d = 0; d < s.ndim; ++d) identity[a][d] = static_cast<uint8_t>(d);
        t.dim_order = s.dim_order != nullptr ? s.dim_order : identity[a];
        uint64_t numel = 1;
        for (int d = 0; d < s.ndim; ++d) numel *= static_cast<uint64_t>(s.sizes[d]);
        t.numel = static_cast<uint32_t>(numel);
        t.capacity_bytes = static_cast<uint32_t>(s.capacity_bytes);
        t.dtype = static_cast<ScalarType>(s.dtype);
        t.dim = static_cast<uint8_t>(s.ndim);
        t.shape_dynamism = static_cast<uint8_t>(s.dynamism);
        v.tag = Tag::Tensor;
        v.v.t = &t;
        break;
      }
      case kIntList:
        if (s.ndim < 0 || s.ndim > kMaxListItems) return -2;
        for (int k = 0; k < s.ndim; ++k) {
          items[a][k].tag = Tag::Int;
          items[a][k].v.i = s.list[k];
          item_ptrs[a][k] = &items[a][k];
        }
        v.tag = Tag::IntList;
        v.v.il.items = item_ptrs[a];
        v.v.il.size = static_cast<uint32_t>(s.ndim);
        break;
      case kAlias:
        if (s.i < 0 || s.i >= a) return -2;
        ptrs[a] = ptrs[s.i];
        break;
      case kString:
        v.tag = Tag::String;
        v.v.s.data = static_cast<const char*>(s.data);
        v.v.s.size = static_cast<uint32_t>(s.ndim);
        break;
      case kTensorList:
        if (s.ndim < 0 || s.ndim > kMaxListItems) return -2;
        for (int k = 0; k < s.ndim; ++k) {
          if (s.list[k] < 0 || s.list[k] >= a || args[s.list[k]].kind != kTensor) return -2;
          item_ptrs[a][k] = ptrs[s.list[k]];
        }
        v.tag = Tag::TensorList;
        v.v.tl.items = item_ptrs[a];
        v.v.tl.size = static_cast<uint32_t>(s.ndim);
        break;
      case kOptTensorList:  // items resolved below, once every arg exists
        if (s.ndim < 0 || s.ndim > kMaxListItems) return -2;
        v.tag = Tag::OptionalTensorList;
        v.v.tl.items = item_ptrs[a];
        v.v.tl.size = static_cast<uint32_t>(s.ndim);
        break;
      case kDoubleList:
        if (s.ndim < 0) return -2;
        v.tag = Tag::DoubleList;
        v.v.dl.bytes = static_cast<const uint8_t*>(s.data);
        v.v.dl.size = static_cast<uint32_t>(s.ndim);
        break;
      default:
        return -2;
    }
  }
  EValue none;
  for (int a = 0; a < nargs; ++a) {
    if (args[a].kind != kOptTensorList) continue;
    for (int k = 0; k < args[a].ndim; ++k) {
      const int64_t ref = args[a].list[k];
      if (ref < -1 || ref >= nargs || (ref >= 0 && args[ref].kind != kTensor)) return -2;
      item_ptrs[a][k] = ref < 0 ? &none : ptrs[ref];
    }
  }

  for (int a = 0; a < nargs; ++a) {
    if (!(args[a].kind == kTensor && args[a].hidden != 0)) positional[npos++] = ptrs[a];
  }
  KernelContext ctx;
  const Error err = fn(ctx, positional, static_cast<size_t>(npos));
  if (msg_len > 0) {
    strncpy(msg, ctx.message, static_cast<size_t>(msg_len) - 1);
    msg[msg_len - 1] = '\0';
  }
  return static_cast<int>(err);
}

// The registry's rows, so tests can check that every catalog op is callable.
int st_test_num_kernels() { return static_cast<int>(slimtorch::kNumSelectedKernels); }
const char* st_test_kernel_name(int i) {
  return (i >= 0 && static_cast<size_t>(i) < slimtorch::kNumSelectedKernels) ? slimtorch::kSelectedKernels[i].name
                                                                              : nullptr;
}

}  // extern "C"
