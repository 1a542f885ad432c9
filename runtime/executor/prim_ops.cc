// Primitive operators the runtime provides itself. Upstream's exporter emits
// them for symbolic shapes (sym_size, Int arithmetic), control flow (compare
// ops feeding JumpFalse, et_copy_index in scan/map loops) and views (et_view).
//
// Arguments follow the kernel convention: schema arguments, then the return
// value (the last argument). Scalars are Int, Double or Bool EValues; Int
// arithmetic follows Python (floor division, floor modulo), as torch.export
// traced it.
#include "runtime/executor/prim_ops.h"

#include "runtime/core/tensor.h"

namespace slimtorch {
namespace {

struct Num {
  bool is_int;
  int64_t i;
  double d;
};

bool to_num(const EValue& v, Num* out) {
  if (v.tag == Tag::Int || v.tag == Tag::Bool) {
    *out = Num{true, v.tag == Tag::Int ? v.v.i : (v.v.b ? 1 : 0), 0.0};
    return true;
  }
  if (v.tag == Tag::Double) {
    *out = Num{false, 0, v.v.d};
    return true;
  }
  return false;
}

double as_double(const Num& n) { return n.is_int ? static_cast<double>(n.i) : n.d; }

double floor_d(double x) {
  if (!(x > -9.2e18 && x < 9.2e18)) {
    return x;  // NaN, infinities and huge values are already integral
  }
  const double t = static_cast<double>(static_cast<int64_t>(x));
  return t > x ? t - 1.0 : t;
}

// Stores `n` into the return value, converted to the type it was declared with.
Error store(KernelContext& ctx, EValue& ret, const Num& n) {
  switch (ret.tag) {
    case Tag::Int: ret.v.i = n.is_int ? n.i : static_cast<int64_t>(n.d); return Error::Ok;
    case Tag::Double: ret.v.d = as_double(n); return Error::Ok;
    case Tag::Bool: ret.v.b = n.is_int ? n.i != 0 : n.d != 0.0; return Error::Ok;
    default: break;
  }
  return ctx.fail("return value is not an Int, Double or Bool");
}

Error store_bool(KernelContext& ctx, EValue& ret, bool b) { return store(ctx, ret, Num{true, b ? 1 : 0, 0.0}); }

enum class Op : uint8_t { Add, Sub, Mul, FloorDiv, TrueDiv, Mod, Eq, Gt, Lt, Ge, Le, Max, Min };

template <Op op>
Error binary(KernelContext& ctx, EValue** args, size_t nargs) {
  Num a, b;
  if (nargs != 3 || !to_num(*args[0], &a) || !to_num(*args[1], &b)) {
    return ctx.fail("expected (Scalar a, Scalar b) -> Scalar");
  }
  const bool ints = a.is_int && b.is_int;
  const double x = as_double(a), y = as_double(b);
  EValue& ret = *args[2];
  switch (op) {
    case Op::Add:
    case Op::Sub:
    case Op::Mul: {
      if (ints) {  // two's complement wrap, no undefined behaviour
        const uint64_t ua = static_cast<uint64_t>(a.i), ub = static_cast<uint64_t>(b.i);
        const uint64_t r = op == Op::Add ? ua + ub : op == Op::Sub ? ua - ub : ua * ub;
        return store(ctx, ret, Num{true, static_cast<int64_t>(r), 0.0});
      }
      const double r = op == Op::Add ? x + y : op == Op::Sub ? x - y : x * y;
      return store(ctx, ret, Num{false, 0, r});
    }
    case Op::FloorDiv:
    case Op::Mod: {
      if (ints) {
        if (b.i == 0) {
          return ctx.fail("integer division by zero");
        }
        if (b.i == -1) {  // avoids INT64_MIN / -1
          return store(ctx, ret, Num{true, op == Op::Mod ? 0 : static_cast<int64_t>(0 - static_cast<uint64_t>(a.i)), 0.0});
        }
        int64_t q = a.i / b.i, r = a.i % b.i;
        if (r != 0 && ((r < 0) != (b.i < 0))) {
          q -= 1;
          r += b.i;
        }
        return store(ctx, ret, Num{true, op == Op::Mod ? r : q, 0.0});
      }
      const double q = floor_d(x / y);
      return store(ctx, ret, Num{false, 0, op == Op::Mod ? x - q * y : q});
    }
    case Op::TrueDiv:
      return store(ctx, ret, Num{false, 0, x / y});
    case Op::Max:
    case Op::Min: {
      const bool take_a = op == Op::Max ? (ints ? a.i >= b.i : x >= y) : (ints ? a.i <= b.i : x <= y);
      return store(ctx, ret, take_a ? a : b);
    }
    case Op::Eq: return store_bool(ctx, ret, ints ? a.i == b.i : x == y);
    case Op::Gt: return store_bool(ctx, ret, ints ? a.i > b.i : x > y);
    case Op::Lt: return store_bool(ctx, ret, ints ? a.i < b.i : x < y);
    case Op::Ge: return store_bool(ctx, ret, ints ? a.i >= b.i : x >= y);
    case Op::Le: return store_bool(ctx, ret, ints ? a.i <= b.i : x <= y);
  }
  return Error::Internal;
}

enum class Un : uint8_t { Neg, Float, Int, Ceil, Round, Trunc, Not };

template <Un op>
Error unary(KernelContext& ctx, EValue** args, size_t nargs) {
  Num a;
  if (nargs != 2 || !to_num(*args[0], &a)) {
    return ctx.fail("expected (Scalar a) -> Scalar");
  }
  EValue& ret = *args[1];
  const double x = as_double(a);
  switch (op) {
    case Un::Neg:
      return store(ctx, ret, a.is_int ? Num{true, static_cast<int64_t>(0 - static_cast<uint64_t>(a.i)), 0.0} : Num{false, 0, -x});
    case Un::Float: return store(ctx, ret, Num{false, 0, x});
    case Un::Not: return store_bool(ctx, ret, x == 0.0);
    case Un::Int:
    case Un::Trunc:
      return store(ctx, ret, a.is_int ? a : Num{true, static_cast<int64_t>(x), 0.0});
    case Un::Ceil: {
      const double f = floor_d(x);
      return store(ctx, ret, a.is_int ? a : Num{true, static_cast<int64_t>(f < x ? f + 1.0 : f), 0.0});
    }
    case Un::Round: {  // Python round(): halves go to the even neighbour
      if (a.is_int) {
        return store(ctx, ret, a);
      }
      const double f = floor_d(x), diff = x - f;
      int64_t r = static_cast<int64_t>(f);
      if (diff > 0.5 || (diff == 0.5 && (r & 1) != 0)) {
        r += 1;
      }
      return store(ctx, ret, Num{true, r, 0.0});
    }
  }
  return Error::Internal;
}

// The (Tensor self, int dim) arguments of sym_size / sym_stride, dim normalised.
Error tensor_and_dim(KernelContext& ctx, EValue** args, size_t nargs, const Tensor** t, int* dim) {
  if (nargs != 3 || !args[0]->is_tensor() || !args[1]->is_int()) {
    return ctx.fail("expected (Tensor self, int dim) -> int");
  }
  *t = &args[0]->to_tensor();
  int64_t d = args[1]->to_int();
  d = d < 0 ? d + (*t)->dim : d;
  if (d < 0 || d >= (*t)->dim) {
    return ctx.fail("dim out of range", Error::InvalidArgument);
  }
  *dim = static_cast<int>(d);
  return Error::Ok;
}

// aten::sym_size.int(Tensor self, int dim) -> SymInt
Error sym_size_int(KernelContext& ctx, EValue** args, size_t nargs) {
  const Tensor* t = nullptr;
  int d = 0;
  const Error e = tensor_and_dim(ctx, args, nargs, &t, &d);
  return e != Error::Ok ? e : store(ctx, *args[2], Num{true, t->sizes[d], 0.0});
}

// aten::sym_numel(Tensor self) -> SymInt
Error sym_numel(KernelContext& ctx, EValue** args, size_t nargs) {
  if (nargs != 2 || !args[0]->is_tensor()) {
    return ctx.fail("expected (Tensor self) -> int");
  }
  return store(ctx, *args[1], Num{true, args[0]->to_tensor().numel, 0.0});
}

// aten::sym_stride.int(Tensor self, int dim) -> SymInt: the element stride of `dim` in the
// tensor's dim order (the product of the sizes of the dims laid out inside it).
Error sym_stride_int(KernelContext& ctx, EValue** args, size_t nargs) {
  const Tensor* t = nullptr;
  int d = 0;
  const Error e = tensor_and_dim(ctx, args, nargs, &t, &d);
  if (e != Error::Ok) {
    return e;
  }
  return store(ctx, *args[2], Num{true, static_cast<int64_t>(dim_order_stride(*t, d)), 0.0});
}

// aten::_local_scalar_dense(Tensor self) -> Scalar: the value of a one-element tensor
// (`x.item()`), stored as the type the return value was declared with.
Error local_scalar_dense(KernelContext& ctx, EValue** args, size_t nargs) {
  if (nargs != 2 || !args[0]->is_tensor()) {
    return ctx.fail("expected (Tensor self) -> Scalar");
  }
  const Tensor& t = args[0]->to_tensor();
  if (t.numel != 1 || t.data == nullptr) {
    return ctx.fail("self: must have exactly one element", Error::InvalidArgument);
  }
  Num n{true, 0, 0.0};
  switch (t.dtype) {
    case ScalarType::Bool:
    case ScalarType::Byte: n.i = *static_cast<const uint8_t*>(t.data); break;
    case ScalarType::Char: n.i = *static_cast<const int8_t*>(t.data); break;
    case ScalarType::Short: n.i = *static_cast<const int16_t*>(t.data); break;
    case ScalarType::Int: n.i = *static_cast<const int32_t*>(t.data); break;
    case ScalarType::Long: n.i = *static_cast<const int64_t*>(t.data); break;
    case ScalarType::Float: n = Num{false, 0, *static_cast<const float*>(t.data)}; break;
    case ScalarType::Double: n = Num{false, 0, *static_cast<const double*>(t.data)}; break;
    default: return ctx.fail("self: dtype not supported (integer, Bool, Float or Double)", Error::NotSupported);
  }
  if (!n.is_int && args[1]->tag == Tag::Int && !(n.d > -9.2e18 && n.d < 9.2e18)) {
    return ctx.fail("self: value out of int64 range", Error::InvalidArgument);
  }
  return store(ctx, *args[1], n);
}

// executorch_prim::sym_ite.Scalar(Scalar b, Scalar t, Scalar f) -> Scalar: b ? t : f.
Error sym_ite(KernelContext& ctx, EValue** args, size_t nargs) {
  Num b, t, f;
  if (nargs != 4 || !to_num(*args[0], &b) || !to_num(*args[1], &t) || !to_num(*args[2], &f)) {
    return ctx.fail("expected (Scalar b, Scalar t, Scalar f) -> Scalar");
  }
  return store(ctx, *args[3], as_double(b) != 0.0 ? t : f);
}

// executorch_prim::et_copy_index.tensor(Tensor(a!) copy_to, Tensor copy_from, int index)
// copy_to[index] = copy_from, growing a dynamic copy_to's first dim to index + 1.
Error et_copy_index(KernelContext& ctx, EValue** args, size_t nargs) {
  if (nargs < 3 || !args[0]->is_tensor() || !args[1]->is_tensor() || !args[2]->is_int()) {
    return ctx.fail("expected (Tensor copy_to, Tensor copy_from, int index)");
  }
  Tensor& to = args[0]->to_tensor();
  const Tensor& from = args[1]->to_tensor();
  const int64_t index = args[2]->to_int();
  if (to.dtype != from.dtype || to.dim != from.dim + 1 || index < 0) {
    return ctx.fail("copy_to must have copy_from's dtype and one more dim; index >= 0", Error::InvalidArgument);
  }
  for (uint8_t d = 0; d < from.dim; ++d) {
    if (to.sizes[d + 1] != from.sizes[d]) {
      return ctx.fail("copy_from's shape must equal copy_to's shape without dim 0", Error::InvalidArgument);
    }
  }
  if (index >= to.sizes[0]) {
    int32_t sizes[kMaxTensorDim];
    for (uint8_t d = 0; d < to.dim; ++d) {
      sizes[d] = to.sizes[d];
    }
    sizes[0] = static_cast<int32_t>(index + 1);
    if (index >= 0x7FFFFFFF || resize_tensor(to, sizes, to.dim) != Error::Ok) {
      return ctx.fail("index beyond copy_to's capacity", Error::InvalidArgument);
    }
  }
  const size_t n = from.nbytes();
  __builtin_memcpy(static_cast<uint8_t*>(to.data) + static_cast<size_t>(index) * n, from.data, n);
  return Error::Ok;
}

// executorch_prim::et_view.default(Tensor self, int[] size) -> Tensor
// The output aliases self's data with a new shape (one size may be -1).
Error et_view(KernelContext& ctx, EValue** args, size_t nargs) {
  if (nargs != 3 || !args[0]->is_tensor() || !args[1]->is_int_list() || !args[2]->is_tensor()) {
    return ctx.fail("expected (Tensor self, int[] size) -> Tensor");
  }
  const Tensor& self = args[0]->to_tensor();
  Tensor& out = args[2]->to_tensor();
  const IntListRef& size = args[1]->v.il;
  if (size.size != out.dim || out.dtype != self.dtype) {
    return ctx.fail("size must have the output's rank and dtype", Error::InvalidArgument);
  }
  int64_t known = 1;
  int infer = -1;
  for (uint32_t d = 0; d < size.size; ++d) {
    const int64_t s = size.at(d);
    if (s == -1 && infer < 0) {
      infer = static_cast<int>(d);
    } else if (s < 0 || s > 0x7FFFFFFF || (known *= s) > 0x7FFFFFFF) {
      return ctx.fail("invalid view size", Error::InvalidArgument);
    }
  }
  int64_t inferred = 0;
  if (infer >= 0) {
    if (known == 0 || self.numel % known != 0) {
      return ctx.fail("view size does not divide the tensor", Error::InvalidArgument);
    }
    inferred = self.numel / known;
    known *= inferred;
  }
  if (known != self.numel) {
    return ctx.fail("view size does not match the tensor's numel", Error::InvalidArgument);
  }
  for (uint32_t d = 0; d < size.size; ++d) {
    out.sizes[d] = static_cast<int32_t>(static_cast<int>(d) == infer ? inferred : size.at(d));
  }
  out.numel = self.numel;
  out.data = self.data;
  out.capacity_bytes = self.capacity_bytes;
  return Error::Ok;
}

}  // namespace

// The entry points the generated registry names (runtime/executor/prim_ops.yaml).
namespace prim {
Error sym_size_int(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::sym_size_int(ctx, args, nargs); }
Error sym_numel(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::sym_numel(ctx, args, nargs); }
Error sym_stride_int(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::sym_stride_int(ctx, args, nargs); }
Error local_scalar_dense(KernelContext& ctx, EValue** args, size_t nargs) {
  return slimtorch::local_scalar_dense(ctx, args, nargs);
}
Error sym_ite_Scalar(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::sym_ite(ctx, args, nargs); }
Error add_Scalar(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::binary<Op::Add>(ctx, args, nargs); }
Error sub_Scalar(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::binary<Op::Sub>(ctx, args, nargs); }
Error mul_Scalar(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::binary<Op::Mul>(ctx, args, nargs); }
Error floordiv_Scalar(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::binary<Op::FloorDiv>(ctx, args, nargs); }
Error floordiv_int(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::binary<Op::FloorDiv>(ctx, args, nargs); }
Error truediv_Scalar(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::binary<Op::TrueDiv>(ctx, args, nargs); }
Error mod_Scalar(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::binary<Op::Mod>(ctx, args, nargs); }
Error mod_int(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::binary<Op::Mod>(ctx, args, nargs); }
Error eq_Scalar(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::binary<Op::Eq>(ctx, args, nargs); }
Error gt_Scalar(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::binary<Op::Gt>(ctx, args, nargs); }
Error lt_Scalar(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::binary<Op::Lt>(ctx, args, nargs); }
Error ge_Scalar(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::binary<Op::Ge>(ctx, args, nargs); }
Error le_Scalar(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::binary<Op::Le>(ctx, args, nargs); }
Error sym_max_Scalar(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::binary<Op::Max>(ctx, args, nargs); }
Error sym_min_Scalar(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::binary<Op::Min>(ctx, args, nargs); }
Error neg_Scalar(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::unary<Un::Neg>(ctx, args, nargs); }
Error sym_float_Scalar(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::unary<Un::Float>(ctx, args, nargs); }
Error sym_int_Scalar(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::unary<Un::Int>(ctx, args, nargs); }
Error ceil_Scalar(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::unary<Un::Ceil>(ctx, args, nargs); }
Error round_Scalar(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::unary<Un::Round>(ctx, args, nargs); }
Error trunc_Scalar(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::unary<Un::Trunc>(ctx, args, nargs); }
Error sym_not_Scalar(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::unary<Un::Not>(ctx, args, nargs); }
Error et_copy_index_tensor(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::et_copy_index(ctx, args, nargs); }
Error et_view_default(KernelContext& ctx, EValue** args, size_t nargs) { return slimtorch::et_view(ctx, args, nargs); }
}  // namespace prim

namespace {

struct PrimEntry {
  const char* name;
  KernelFn fn;
};

const PrimEntry kPrimOps[] = {
    {"aten::sym_size.int", prim::sym_size_int},
    {"aten::sym_numel", prim::sym_numel},
    {"aten::sym_stride.int", prim::sym_stride_int},
    {"aten::_local_scalar_dense", prim::local_scalar_dense},
    {"executorch_prim::sym_ite.Scalar", prim::sym_ite_Scalar},
    {"executorch_prim::add.Scalar", prim::add_Scalar},
    {"executorch_prim::sub.Scalar", prim::sub_Scalar},
    {"executorch_prim::mul.Scalar", prim::mul_Scalar},
    {"executorch_prim::floordiv.Scalar", prim::floordiv_Scalar},
    {"executorch_prim::floordiv.int", prim::floordiv_int},
    {"executorch_prim::truediv.Scalar", prim::truediv_Scalar},
    {"executorch_prim::mod.Scalar", prim::mod_Scalar},
    {"executorch_prim::mod.int", prim::mod_int},
    {"executorch_prim::eq.Scalar", prim::eq_Scalar},
    {"executorch_prim::gt.Scalar", prim::gt_Scalar},
    {"executorch_prim::lt.Scalar", prim::lt_Scalar},
    {"executorch_prim::ge.Scalar", prim::ge_Scalar},
    {"executorch_prim::le.Scalar", prim::le_Scalar},
    {"executorch_prim::sym_max.Scalar", prim::sym_max_Scalar},
    {"executorch_prim::sym_min.Scalar", prim::sym_min_Scalar},
    {"executorch_prim::neg.Scalar", prim::neg_Scalar},
    {"executorch_prim::sym_float.Scalar", prim::sym_float_Scalar},
    {"executorch_prim::sym_int.Scalar", prim::sym_int_Scalar},
    {"executorch_prim::ceil.Scalar", prim::ceil_Scalar},
    {"executorch_prim::round.Scalar", prim::round_Scalar},
    {"executorch_prim::trunc.Scalar", prim::trunc_Scalar},
    {"executorch_prim::sym_not.Scalar", prim::sym_not_Scalar},
    {"executorch_prim::et_copy_index.tensor", prim::et_copy_index_tensor},
    {"executorch_prim::et_view.default", prim::et_view_default},
};

}  // namespace

KernelFn find_prim_op(const char* name, size_t len) {
  for (const PrimEntry& e : kPrimOps) {
    size_t k = 0;
    while (k < len && e.name[k] != '\0' && e.name[k] == name[k]) {
      ++k;
    }
    if (k == len && e.name[k] == '\0') {
      return e.fn;
    }
  }
  return nullptr;
}

}  // namespace slimtorch
