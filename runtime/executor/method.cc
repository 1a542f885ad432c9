// Method init (resolve everything into the bookkeeping arena) and execution.
#include "runtime/executor/method.h"

#include "runtime/core/meta.h"  // placement new only
#include "runtime/core/tensor.h"
#include "runtime/executor/delegates.h"
#include "runtime/platform/log.h"
#include "runtime/profiling/hooks.h"
#include "runtime/program/schema.h"

namespace slimtorch {

// Set before main() by //runtime/executor:delegates when the image links it;
// null otherwise (delegates.h).
const DelegateHooks* g_delegate_hooks = nullptr;

namespace {

using namespace schema;  // NOLINT: field numbers only

// The vectors of a plan init() walks, read once.
struct PlanVecs {
  Fb::Vec values, buffer_sizes, inputs, outputs, ops, instrs, delegates;
};

PlanVecs plan_vecs(const Fb& fb, const Fb::Table& plan) {
  PlanVecs v;
  v.values = fb.vec(plan, kPlanValues, 4);
  v.buffer_sizes = fb.vec(plan, kPlanBufferSizes, 8);
  v.inputs = fb.vec(plan, kPlanInputs, 4);
  v.outputs = fb.vec(plan, kPlanOutputs, 4);
  v.ops = fb.vec(plan, kPlanOperators, 4);
  const Fb::Vec chains = fb.vec(plan, kPlanChains, 4);
  v.instrs = chains.len == 1 ? fb.vec(fb.vec_table(chains, 0), kChainInstructions, 4) : Fb::Vec();
  v.delegates = fb.vec(plan, kPlanDelegates, 4);
  return v;
}

// The arena's fixed-size arrays (counts are vector lengths), in carving order.
// Everything else init() needs (Tensor structs and their sizes, list items,
// operator names, instruction arguments) comes from
// a Stream that follows them.
struct Regions {
  EValue* values;
  EValue** io;  // inputs, then outputs
  void* instrs;
  const char** op_names;
  KernelFn* op_fns;
  void* delegates;
};

template <typename InstrT, typename SlotT>
Regions carve(BumpAllocator& a, const PlanVecs& v) {
  Regions r;
  r.values = a.allocate_array<EValue>(v.values.len);
  r.io = a.allocate_array<EValue*>(static_cast<size_t>(v.inputs.len) + v.outputs.len);
  r.instrs = a.allocate_array<InstrT>(v.instrs.len);
  r.op_names = a.allocate_array<const char*>(v.ops.len);
  r.op_fns = a.allocate_array<KernelFn>(v.ops.len);
  r.delegates = a.allocate_array<SlotT>(v.delegates.len);
  return r;
}

// The bookkeeping whose size is known only once the plan has been walked,
// taken piece by piece, in walk order, from the arena after the fixed arrays.
// This lets init() walk the plan once instead of counting first. Offsets are
// relative to an 8-byte aligned base, so the padding between pieces (hence
// the total) is the same placing (base set) and counting (base null);
// count_bookkeeping() counts by taking the same pieces in the same order.
class Stream {
 public:
  Stream(uint8_t* base, size_t size) : base_(base), size_(size) {}

  // `count` Ts; nullptr when counting or when the arena is full.
  template <typename T>
  T* take(size_t count) {
    return static_cast<T*>(take_bytes(count, sizeof(T), alignof(T) < 8 ? alignof(T) : 8));
  }
  // `count` pieces of `size` bytes aligned to `align` (a power of two <= 8).
  void* take_bytes(size_t count, size_t size, size_t align) {
    const size_t start = (used_ + align - 1) & ~(align - 1);
    size_t bytes = 0;
    if (start < used_ || __builtin_mul_overflow(count, size, &bytes) || __builtin_add_overflow(start, bytes, &used_)) {
      used_ = SIZE_MAX;  // saturates: no arena is that large
    }
    return base_ == nullptr || used_ > size_ ? nullptr : base_ + start;
  }
  size_t used() const { return used_; }

 private:
  uint8_t* base_;
  size_t size_;
  size_t used_ = 0;
};

// Bytes of arena init() takes for a plan whose Stream holds `stream_bytes`
// (the fixed arrays, then the Stream): an upper bound for any arena alignment,
// what bookkeeping_bytes_needed() advertises.
template <typename InstrT, typename SlotT>
size_t arena_bound(const PlanVecs& pv, size_t stream_bytes) {
  BumpAllocator counter;
  carve<InstrT, SlotT>(counter, pv);
  counter.allocate(stream_bytes, 8);
  return counter.used();
}

// A Tensor and its sizes, one Stream piece.
size_t tensor_piece(uint32_t dim) { return sizeof(Tensor) + sizeof(int32_t) * dim; }

// arena_bound() for `plan`, counting the Stream's pieces by taking them in
// init()'s order: values, operator names, instruction arguments.
template <typename InstrT, typename SlotT>
size_t count_bookkeeping(const Fb& fb, const Fb::Table& plan) {
  const PlanVecs pv = plan_vecs(fb, plan);
  Stream s(nullptr, 0);
  for (uint32_t i = 0; i < pv.values.len; ++i) {
    const Fb::Table v = fb.vec_table(pv.values, i);
    const uint8_t kind = fb.u8(v, kValueType);
    const Fb::Table val = fb.table(v, kValueVal);
    if (kind == kValTensor) {
      s.take_bytes(1, tensor_piece(fb.vec(val, kTensorSizes, 4).len), alignof(Tensor));
    } else if (kind == kValIntList || kind == kValTensorList || kind == kValOptTensorList) {
      s.take<EValue*>(fb.vec(val, kScalarField, kind == kValIntList ? 8 : 4).len);
    }
  }
  for (uint32_t i = 0; i < pv.ops.len; ++i) {
    const Fb::Table op = fb.vec_table(pv.ops, i);
    s.take<char>(fb.str(op, kOpName).len + 1 + fb.str(op, kOpOverload).len + 1);
  }
  for (uint32_t pc = 0; pc < pv.instrs.len; ++pc) {
    const Fb::Table ins = fb.vec_table(pv.instrs, pc);
    const uint8_t kind = fb.u8(ins, kInstrType);
    if (kind == kKernelCall || kind == kDelegateCall) {
      s.take<EValue*>(fb.vec(fb.table(ins, kInstrArgs), kCallArgs, 4).len);
    }
  }
  return arena_bound<InstrT, SlotT>(pv, s.used());
}

// dim_order of a tensor whose program lists none: contiguous.
constexpr uint8_t kIdentityDimOrder[kMaxTensorDim] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

Tag tag_of(uint8_t kind) {
  switch (kind) {
    case kValInt: return Tag::Int;
    case kValBool: return Tag::Bool;
    case kValDouble: return Tag::Double;
    case kValTensor: return Tag::Tensor;
    case kValString: return Tag::String;
    case kValIntList: return Tag::IntList;
    case kValDoubleList: return Tag::DoubleList;
    case kValBoolList: return Tag::BoolList;
    case kValTensorList: return Tag::TensorList;
    case kValOptTensorList: return Tag::OptionalTensorList;
    default: return Tag::None;
  }
}

}  // namespace

Method::~Method() { reset(); }

void Method::reset() {
  if (hooks_ != nullptr) {
    hooks_->destroy(*this);  // every initialised delegate's backend destroy()
  }
  hooks_ = nullptr;
  num_delegates_ = 0;
  num_in_flight_ = 0;
  ready_ = false;
}

void Method::settle() {
  if (num_in_flight_ != 0) {
    hooks_->finish(*this);  // errors of these calls yield to the failure being reported
  }
}

Result<size_t> Method::bookkeeping_bytes_needed(const Program& program, size_t plan) {
  if (plan >= program.num_methods()) {
    return ST_FAIL(Error::InvalidArgument, "method index {} out of range", plan);
  }
  return count_bookkeeping<Instr, DelegateSlot>(program.fb(), program.plan(plan));
}

#if SLIMTORCH_ERROR_MESSAGES == 2
void Method::describe_first_call(uint32_t op, char* buf, size_t cap) const {
  size_t n = 0;
  auto put = [&](const char* s) {
    for (; *s != '\0' && n + 1 < cap; ++s) buf[n++] = *s;
  };
  const char* none = "no call";
  for (uint32_t pc = 0; pc < num_instrs_; ++pc) {
    const Instr& in = instrs_[pc];
    if (in.kind != kKernelCall || static_cast<uint32_t>(in.a) != op) continue;
    none = "no tensor arguments";
    for (uint32_t k = 0; k + 1 < in.nargs; ++k) {  // the return value repeats `out`
      if (in.args[k]->tag != Tag::Tensor) continue;
      if (n > 0) put(", ");
      put(scalar_type_name(in.args[k]->v.t->dtype));
    }
    break;
  }
  if (n == 0) put(none);
  buf[n] = '\0';
}
#endif

Error Method::init(const Program& program, size_t plan_index, const MemoryConfig& memory) {
  reset();
  ST_PROFILE_BLOCK(tracer_, "Default");
  ST_PROFILE_SCOPE(tracer_, load_event, "Program::load_method");
  if (plan_index >= program.num_methods()) {
    return ST_FAIL(Error::InvalidArgument, "method index {} out of range", plan_index);
  }
  ST_PROFILE_SCOPE(tracer_, init_event, "Method::init");
  const Fb& fb = program.fb();
  const Fb::Table plan = program.plan(plan_index);

  // 1. Planned buffers: one per memory id, each at least the planned size.
  const size_t n_ids = program.num_memory_ids(plan_index);
  if (memory.planned.size < n_ids) {
    return ST_FAIL(Error::OutOfMemory, "method needs {} planned buffers, got {}", n_ids, memory.planned.size);
  }
  for (size_t id = 1; id <= n_ids; ++id) {
    const Span<uint8_t>& buf = memory.planned[id - 1];
    const uint64_t need = program.planned_buffer_size(plan_index, id);
    if (buf.size < need || (need > 0 && buf.data == nullptr)) {
      return ST_FAIL(Error::OutOfMemory, "planned buffer for memory id {} too small: need {} bytes, have {}",
                     id, need, buf.size);
    }
    if ((reinterpret_cast<uintptr_t>(buf.data) & 7u) != 0) {
      return ST_FAIL(Error::InvalidArgument, "planned buffer for memory id {} is not 8-byte aligned", id);
    }
  }

  // 2. Bookkeeping arena: the fixed arrays, then a Stream over the rest of it
  // (pieces taken as the plan is walked, once); the Stream's bytes are handed
  // back to the arena before delegates allocate from it (step 7). The arena's
  // need is counted by a second walk only when the Stream runs out.
  BumpAllocator arena(memory.arena.data, memory.arena.size);
  auto arena_too_small = [&]() -> Error {  // the count runs only for a message (not with messages off)
    return ST_FAIL(Error::OutOfMemory, "bookkeeping arena too small: need {} bytes, have {}",
                   count_bookkeeping<Instr, DelegateSlot>(fb, plan), memory.arena.size);
  };
  const PlanVecs pv = plan_vecs(fb, plan);
  const Regions r = carve<Instr, DelegateSlot>(arena, pv);
  uint8_t* const stream_base = static_cast<uint8_t*>(arena.allocate(0, 8));
  if (arena.failed() || stream_base == nullptr) {
    return arena_too_small();
  }
  Stream stream(stream_base, arena.size() - arena.used());
  values_ = r.values;
  num_values_ = pv.values.len;
  instrs_ = static_cast<Instr*>(r.instrs);
  num_instrs_ = pv.instrs.len;
  op_names_ = r.op_names;
  delegates_ = static_cast<DelegateSlot*>(r.delegates);
  max_steps_ = program.limits().max_steps;
  program_ = &program;
  plan_index_ = plan_index;

  // 3. Values. Lists point at other values, so every EValue exists first.
  for (uint32_t i = 0; i < num_values_; ++i) {
    new (&values_[i]) EValue();
  }
  for (uint32_t i = 0; i < num_values_; ++i) {
    const Fb::Table v = fb.vec_table(pv.values, i);
    const uint8_t kind = fb.u8(v, kValueType);
    const Fb::Table val = fb.table(v, kValueVal);
    EValue& ev = values_[i];
    ev.tag = tag_of(kind);
    switch (kind) {
      case kValInt: ev.v.i = fb.i64(val, kScalarField); break;
      case kValBool: ev.v.b = fb.u8(val, kScalarField) != 0; break;
      case kValDouble: ev.v.d = fb.f64(val, kScalarField); break;
      case kValString: {
        const Fb::Str s = fb.str(val, kScalarField);
        ev.v.s = StringRef{s.data != nullptr ? s.data : "", s.len};
        break;
      }
      case kValTensor: {
        TensorInfo info;
        ST_TRY(program.tensor_info(pv.buffer_sizes, val, &info));  // verified at load: cannot fail
        void* const piece = stream.take_bytes(1, tensor_piece(info.dim), alignof(Tensor));
        if (piece == nullptr) {
          return arena_too_small();
        }
        Tensor* const t = new (piece) Tensor();
        int32_t* const sizes = reinterpret_cast<int32_t*>(t + 1);
        t->dtype = info.dtype;
        t->dim = info.dim;
        t->shape_dynamism = info.dynamism;
        t->numel = info.numel;
        t->sizes = sizes;
        for (uint32_t d = 0; d < info.dim; ++d) {
          sizes[d] = fb.vec_i32(info.sizes, d);
        }
        // dim_order is only ever read (is_contiguous): it points at the program's
        // bytes (a permutation, checked at load) or at the identity.
        t->dim_order = const_cast<uint8_t*>(info.dim_order.len != 0 ? fb.vec_bytes(info.dim_order) : kIdentityDimOrder);
        if (info.storage == TensorInfo::kConstant) {
          // Read-only program bytes; kernels never write their inputs.
          t->data = const_cast<uint8_t*>(info.initial);
          t->capacity_bytes = info.nbytes;
        } else if (info.storage == TensorInfo::kPlanned) {
          uint8_t* p = memory.planned[info.memory_id - 1].data + info.offset;
          t->data = p;
          t->capacity_bytes = info.nbytes;
          if (info.initial != nullptr) {
            __builtin_memcpy(p, info.initial, info.nbytes);
          }
        }
        ev.v.t = t;
        break;
      }
      case kValIntList:
      case kValTensorList:
      case kValOptTensorList: {
        const Fb::Vec items = fb.vec(val, kScalarField, kind == kValIntList ? 8 : 4);
        EValue** const refs = stream.take<EValue*>(items.len);
        if (refs == nullptr) {
          return arena_too_small();
        }
        for (uint32_t k = 0; k < items.len; ++k) {
          const int64_t ref = kind == kValIntList ? fb.vec_i64(items, k) : fb.vec_i32(items, k);
          refs[k] = ref < 0 ? &none_ : &values_[ref];
        }
        if (kind == kValIntList) {
          ev.v.il = IntListRef{refs, items.len};
        } else {
          ev.v.tl = TensorListRef{refs, items.len};
        }
        break;
      }
      case kValDoubleList:
      case kValBoolList: {
        const Fb::Vec items = fb.vec(val, kScalarField, kind == kValDoubleList ? 8 : 1);
        if (kind == kValDoubleList) {
          ev.v.dl = DoubleListRef{fb.vec_bytes(items), items.len};
        } else {
          ev.v.bl = BoolListRef{fb.vec_bytes(items), items.len};
        }
        break;
      }
      default:
        break;
    }
  }

  // 4. Inputs and outputs.
  const Fb::Vec& ins = pv.inputs;
  const Fb::Vec& outs = pv.outputs;
  inputs_ = r.io;
  num_inputs_ = ins.len;
  for (uint32_t i = 0; i < ins.len; ++i) {
    inputs_[i] = &values_[fb.vec_i32(ins, i)];
  }
  outputs_ = r.io + ins.len;
  num_outputs_ = outs.len;
  for (uint32_t i = 0; i < outs.len; ++i) {
    outputs_[i] = &values_[fb.vec_i32(outs, i)];
  }

  // 5. Operators: "name.overload" strings and their kernels.
  const Fb::Vec& ops = pv.ops;
  uint32_t missing = 0;
  for (uint32_t i = 0; i < ops.len; ++i) {
    const Fb::Table op = fb.vec_table(ops, i);
    const Fb::Str name = fb.str(op, kOpName);
    const Fb::Str overload = fb.str(op, kOpOverload);
    char* names = stream.take<char>(name.len + 1 + overload.len + 1);
    if (names == nullptr) {
      return arena_too_small();
    }
    const char* full = names;
    __builtin_memcpy(names, name.data, name.len);
    names += name.len;
    if (overload.len > 0) {
      *names++ = '.';
      __builtin_memcpy(names, overload.data, overload.len);
      names += overload.len;
    }
    *names++ = '\0';
    const size_t len = static_cast<size_t>(names - full - 1);
    op_names_[i] = full;
    r.op_fns[i] = find_kernel(full, len);  // primitive ops too (runtime/executor/prim_ops.h)
    missing += r.op_fns[i] == nullptr ? 1 : 0;  // reported once the instructions are read (below)
  }

  // 6. Instructions, with each KernelCall's function resolved once.
  for (uint32_t pc = 0; pc < num_instrs_; ++pc) {
    const Fb::Table ins_t = fb.vec_table(pv.instrs, pc);
    const Fb::Table a = fb.table(ins_t, kInstrArgs);
    Instr* in = new (&instrs_[pc]) Instr();
    in->kind = fb.u8(ins_t, kInstrType);
    in->a = fb.i32(a, 0);
    in->b = in->kind == kFreeCall ? 0 : fb.i32(a, 1);
    if (in->kind == kKernelCall || in->kind == kDelegateCall) {
      const Fb::Vec args = fb.vec(a, kCallArgs, 4);
      EValue** const refs = stream.take<EValue*>(args.len);
      if (refs == nullptr) {
        return arena_too_small();
      }
      in->args = refs;
      in->nargs = args.len;
      for (uint32_t k = 0; k < args.len; ++k) {
        refs[k] = &values_[fb.vec_i32(args, k)];
      }
    }
    if (in->kind == kKernelCall) {
      in->fn = r.op_fns[in->a];
    }
  }

  // 6a. Missing kernels: each one is logged, the error names the first. Text builds say
  // which dtypes the program calls it with (its first call's tensor arguments, in
  // order: the kernel key a manifest and catalog would need).
  if (missing > 0) {
    uint32_t first = ops.len;
    for (uint32_t i = 0; i < ops.len; ++i) {
      if (r.op_fns[i] != nullptr) {
        continue;
      }
      first = first < i ? first : i;
#if SLIMTORCH_ERROR_MESSAGES == 2
      char dtypes[120];
      describe_first_call(i, dtypes, sizeof(dtypes));
      ST_FAIL(Error::MissingKernel, "no kernel for operator '{s}' (called with {s})", op_names_[i], dtypes);
#else
      ST_FAIL(Error::MissingKernel, "no kernel for operator '{s}'", op_names_[i]);
#endif
    }
#if SLIMTORCH_ERROR_MESSAGES == 2
    char dtypes[120];
    describe_first_call(first, dtypes, sizeof(dtypes));
    return ST_FAIL(Error::MissingKernel,
                   "{} operator(s) have no kernel in this build's registry, the first '{s}' (called with {s}; add "
                   "them to the model's manifest / kernel catalog)",
                   missing, op_names_[first], dtypes);
#else
    return ST_FAIL(Error::MissingKernel,
                   "{} operator(s) have no kernel in this build's registry, the first '{s}' (add them to the "
                   "model's manifest / kernel catalog)",
                   missing, op_names_[first]);
#endif
  }

  // 6b. Tensors with no storage (neither planned nor constant) are legal only
  // where something else supplies their data before use: method inputs (the
  // caller, checked by execute()), et_view outputs (alias their source) and
  // MoveCall destinations (replaced by the moved value). Anything else would
  // hand a kernel a null pointer, so the program is refused here.
  const KernelFn view_fn = find_kernel("executorch_prim::et_view.default", 32);
  for (uint32_t pc = 0; pc < num_instrs_; ++pc) {
    const Instr& in = instrs_[pc];
    EValue* target = in.kind == kMoveCall ? &values_[in.b]
                     : (in.kind == kKernelCall && in.fn == view_fn && in.nargs == 3) ? in.args[2]
                                                                                    : nullptr;
    if (target != nullptr && target->tag == Tag::Tensor && target->v.t->data == nullptr) {
      target->v.t->data = &none_;  // marker only: never read before being replaced
      target->v.t->capacity_bytes = 0;
    }
  }
  for (uint32_t i = 0; i < num_values_; ++i) {
    const EValue& v = values_[i];
    if (v.tag == Tag::Tensor && v.v.t->data == nullptr && v.v.t->numel > 0) {
      bool is_input = false;
      for (uint32_t k = 0; k < num_inputs_ && !is_input; ++k) {
        is_input = inputs_[k] == &values_[i];
      }
      if (!is_input) {
        return ST_FAIL(Error::InvalidProgram,
                       "value {}: tensor has no storage (not planned, not constant, not an input)",
                       i);
      }
    }
  }

  // The arena must hold what bookkeeping_bytes_needed() advertises, not just
  // this placement (which may fit in less, depending on the arena's address):
  // an arena short of the figure fails the same way wherever it lies.
  if (arena_bound<Instr, DelegateSlot>(pv, stream.used()) > memory.arena.size) {
    return arena_too_small();
  }

  // 7. Delegates (runtime/executor/delegates.cc): find each backend and let it
  // prepare its blob; their compile specs and handles come from the arena after
  // the Stream's bytes, taken first (no padding: its base is aligned).
  arena.allocate(stream.used(), 8);
  if (pv.delegates.len > 0) {
    const DelegateHooks* const hooks = g_delegate_hooks;
    if (hooks == nullptr) {
      return ST_FAIL(Error::MissingBackend,
                     "delegate 0 needs backend '{s}', but this image links no delegate support (link the backend's "
                     "library, which brings //runtime/executor:delegates)",
                     fb.str(fb.vec_table(pv.delegates, 0), kDelegateId).data);
    }
    hooks_ = hooks;
    ST_TRY(hooks->init(*this, program, pv.delegates, arena));
  }
  ready_ = true;
  return Error::Ok;
}

Error Method::check_input(size_t i, Tag want) const {
  if (!ready_) {
    return ST_FAIL(Error::InvalidArgument, "method is not initialised");
  }
  if (i >= num_inputs_) {
    return ST_FAIL(Error::InvalidArgument, "input {} out of range: method has {} inputs", i, num_inputs_);
  }
  if (want != Tag::None && inputs_[i]->tag != want) {
    return ST_FAIL(Error::InvalidArgument, "input {} is not a tensor", i);
  }
  return Error::Ok;
}

Error Method::set_input(size_t i, const void* data, size_t nbytes) {
  ST_TRY(check_input(i, Tag::None));
  EValue& v = *inputs_[i];
  if (v.tag == Tag::Tensor) {
    Tensor& t = *v.v.t;
    if (nbytes != t.nbytes()) {
      return ST_FAIL(Error::InvalidArgument, "input {}: expected {} bytes, got {}", i, t.nbytes(), nbytes);
    }
    if (t.data == nullptr && nbytes > 0) {
      return ST_FAIL(Error::InvalidArgument, "input {} has no planned memory; pass it with set_input_data()", i);
    }
    if (nbytes > 0) {
      __builtin_memcpy(t.data, data, nbytes);
    }
    return Error::Ok;
  }
  const size_t want = v.tag == Tag::Bool ? 1 : (v.tag == Tag::Int || v.tag == Tag::Double) ? 8 : 0;
  if (want == 0 || nbytes != want) {
    return ST_FAIL(Error::InvalidArgument, "input {}: scalar input expects {} bytes", i, want);
  }
  if (v.tag == Tag::Bool) {
    v.v.b = *static_cast<const uint8_t*>(data) != 0;
  } else {
    __builtin_memcpy(&v.v.i, data, 8);  // int64 or double, same storage size
  }
  return Error::Ok;
}

Error Method::set_input_data(size_t i, void* data, size_t nbytes) {
  ST_TRY(check_input(i, Tag::Tensor));
  Tensor& t = *inputs_[i]->v.t;
  if (nbytes < t.nbytes()) {
    return ST_FAIL(Error::InvalidArgument, "input {}: expected {} bytes, got {}", i, t.nbytes(), nbytes);
  }
  t.data = data;
  t.capacity_bytes = static_cast<uint32_t>(nbytes);
  return Error::Ok;
}

Error Method::set_input_shape(size_t i, const int32_t* sizes, size_t ndim) {
  ST_TRY(check_input(i, Tag::Tensor));
  const Tensor& t = *inputs_[i]->v.t;
  if (ndim != t.dim) {
    return ST_FAIL(Error::InvalidArgument, "input {}: has {} dimensions, the program expects {}", i, ndim, t.dim);
  }
  // The bounds are the sizes the program gives the input (memory is planned for them).
  const Fb& fb = program_->fb();
  const Fb::Table plan = program_->plan(plan_index_);
  const uint32_t value = static_cast<uint32_t>(inputs_[i] - values_);
  TensorInfo info;
  ST_TRY(program_->tensor_info(fb.vec(plan, kPlanBufferSizes, 8),
                               fb.table(fb.vec_table(fb.vec(plan, kPlanValues, 4), value), kValueVal), &info));
  for (size_t d = 0; d < ndim; ++d) {
    const int32_t bound = fb.vec_i32(info.sizes, static_cast<uint32_t>(d));
    if (sizes[d] != bound && (t.shape_dynamism == 0 || sizes[d] > bound || sizes[d] < 0)) {
      if (t.shape_dynamism == 0) {
        return ST_FAIL(Error::InvalidArgument, "input {}: dimension {} is {}, but the input is static with size {}", i, d,
                       sizes[d], bound);
      }
      return ST_FAIL(Error::InvalidArgument,
                     "input {}: dimension {} is {}, beyond its bound {} (the model's dynamic_shapes() max)", i, d,
                     sizes[d], bound);
    }
  }
  const Error e = resize_tensor(*inputs_[i]->v.t, sizes, ndim);
  if (e != Error::Ok) {
    return ST_FAIL(e, "input {}: shape rejected (wrong rank, static shape, or larger than the planned bound)", i);
  }
  return Error::Ok;
}

#if SLIMTORCH_PROFILING
// One executed instruction's events (upstream's names, event_tracer.h): chain 0,
// instruction_id = its index. A KernelCall also gets "native_call_<op>" (the
// operator without its namespace), recorded first as upstream's inner scope is.
void Method::record_instruction(const Instr& in, uint32_t pc, uint64_t start_ns) const {
  const uint64_t end_ns = st_time_ns();
  const int32_t id = static_cast<int32_t>(pc);
  const char* name = "FREE_CALL";
  switch (in.kind) {
    case kKernelCall: {
      const char* op = op_names_[in.a];
      for (const char* p = op; *p != '\0'; ++p) {
        if (p[0] == ':' && p[1] == ':') op = p + 2;
      }
      tracer_->record("native_call_", op, 0, id, start_ns, end_ns);
      name = "OPERATOR_CALL";
      break;
    }
    case kDelegateCall: name = "DELEGATE_CALL"; break;
    case kMoveCall: name = "MOVE_CALL"; break;
    case kJumpFalseCall: name = "JF_CALL"; break;
    default: break;
  }
  tracer_->record(name, nullptr, 0, id, start_ns, end_ns);
}
#endif

Error Method::execute() {
  ST_PROFILE_BLOCK(tracer_, "Execute");
  ST_PROFILE_SCOPE(tracer_, execute_event, "Method::execute");
  if (!ready_) {
    return ST_FAIL(Error::InvalidArgument, "method is not initialised");
  }
  for (uint32_t i = 0; i < num_inputs_; ++i) {
    const EValue& v = *inputs_[i];
    if (v.tag == Tag::Tensor && v.v.t->data == nullptr && v.v.t->numel > 0) {
      return ST_FAIL(Error::InvalidArgument, "input {} has no data: call set_input_data() first", i);
    }
  }
  KernelContext ctx;
  uint64_t steps = 0;
  uint32_t pc = 0;
  while (pc < num_instrs_) {
    if (++steps > max_steps_) {
      settle();
      return ST_FAIL(Error::LimitExceeded,
                     "execution stopped after {} instructions (LoadLimits.max_steps): a loop that does not end?",
                     max_steps_);
    }
    // The one test per instruction delegates add (method.h): false unless a call is in flight.
    if (num_in_flight_ != 0) {
      ST_TRY(hooks_->before(*this, pc));  // on failure nothing is in flight
    }
    const Instr& in = instrs_[pc];
    ST_PROFILE_START(tracer_, start_ns);
#if SLIMTORCH_PROFILING
    const uint32_t this_pc = pc;
#endif
    switch (in.kind) {
      case kKernelCall: {
        // ctx is this execute()'s own and a failing call ends it: nothing to
        // reset per call; the operator's name is looked up only on failure.
        const Error e = in.fn(ctx, in.args, in.nargs);
        if (e != Error::Ok) {
          settle();
          return ST_FAIL(e, "instruction {} ({s}) failed: {s}", pc, op_names_[in.a], ctx.message);
        }
        ++pc;
        break;
      }
      case kDelegateCall:
        // Runs it, or starts it and leaves it in flight; on failure nothing is in flight.
        ST_TRY(hooks_->call(*this, pc));
        ++pc;
        break;
      case kMoveCall:
        values_[in.b] = values_[in.a];
        ++pc;
        break;
      case kJumpFalseCall: {
        const EValue& c = values_[in.a];
        bool cond = false;
        if (c.tag == Tag::Bool) {
          cond = c.v.b;
        } else if (c.tag == Tag::Tensor && c.v.t->dtype == ScalarType::Bool && c.v.t->numel == 1 && c.v.t->data != nullptr) {
          cond = *static_cast<const uint8_t*>(c.v.t->data) != 0;
        } else {
          settle();
          return ST_FAIL(Error::InvalidProgram, "instruction {}: jump condition is not a bool or 1-element bool tensor",
                         pc);
        }
        pc = cond ? pc + 1 : static_cast<uint32_t>(in.b);
        break;
      }
      default:  // FreeCall: planned memory is reused by the plan itself, nothing to free
        ++pc;
        break;
    }
#if SLIMTORCH_PROFILING
    if (tracer_ != nullptr) {
      record_instruction(in, this_pc, start_ns);
    }
#endif
  }
  return num_in_flight_ != 0 ? hooks_->finish(*this) : Error::Ok;
}

}  // namespace slimtorch
