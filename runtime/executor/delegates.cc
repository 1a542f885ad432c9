// Delegate init, synchronous and asynchronous DelegateCalls, and the waits
// (delegates.h; the contract is at the top of method.h).
#include "runtime/executor/delegates.h"

#include "runtime/core/tensor.h"
#include "runtime/platform/log.h"
#include "runtime/program/schema.h"

namespace slimtorch {

using namespace schema;  // NOLINT: field numbers only

extern const DelegateHooks kDelegateHooks = {DelegateHooks::init_all, DelegateHooks::call_one,
                                             DelegateHooks::wait_conflicts, DelegateHooks::wait_all,
                                             DelegateHooks::destroy_all};

namespace {

// A backend reports why it failed with its own ST_FAIL (naming the node, the
// argument, the field); the executor's message about the call keeps that text
// after its own: "instruction 3: backend 'X' failed: input 0 has 32 elements...".
// The backend's message is copied first, since the waits that settle other
// calls may overwrite the buffer. Text builds only: other builds carry no text.
#if SLIMTORCH_ERROR_MESSAGES == 2
struct Inner {
  char text[kErrorMessageCapacity];
  Inner() {
    const char* m = last_error_message();
    size_t k = 0;
    for (; k + 1 < sizeof(text) && m[k] != '\0'; ++k) {
      text[k] = m[k];
    }
    text[k] = '\0';
  }
};
#define ST_BACKEND_FAIL(code, inner, fmt, ...) ST_FAIL(code, fmt ": {s}", __VA_ARGS__, (inner).text)
#else
struct Inner {};
#define ST_BACKEND_FAIL(code, inner, fmt, ...) ((void)(inner), ST_FAIL(code, fmt, __VA_ARGS__))
#endif

// Installs the hooks before main(): nothing names this file, so no reference
// can bring it into an image; alwayslink does, and its constructor runs.
struct InstallHooks {
  InstallHooks() { g_delegate_hooks = &kDelegateHooks; }
};
InstallHooks g_install_hooks;

// The bytes a tensor may occupy while a backend owns it: [lo, hi).
struct Range {
  uintptr_t lo;
  uintptr_t hi;
};

Range range_of(const Tensor& t) {
  const size_t n = t.nbytes();
  const size_t bytes = n > t.capacity_bytes ? n : t.capacity_bytes;
  const uintptr_t lo = reinterpret_cast<uintptr_t>(t.data);
  return Range{lo, t.data == nullptr ? lo : lo + bytes};
}

bool overlap(const Range& a, const Range& b) { return a.lo < b.hi && b.lo < a.hi; }

// The tensors of a value: itself, or a (optional) tensor list's items.
// Calls visit(const Tensor&) for each; stops and returns true when it does.
template <typename Visit>
bool any_tensor(const EValue& v, Visit visit) {
  if (v.tag == Tag::Tensor) {
    return visit(*v.v.t);
  }
  if (v.tag == Tag::TensorList || v.tag == Tag::OptionalTensorList) {
    for (size_t k = 0; k < v.v.tl.size; ++k) {
      const EValue* item = v.v.tl.items[k];
      if (item->tag == Tag::Tensor && visit(*item->v.t)) {
        return true;
      }
    }
  }
  return false;
}

// `a` (touched by an instruction) and `b` (an argument of a call in flight)
// conflict: the same value, a list item that is `b`, or overlapping tensor bytes.
bool values_conflict(const EValue* a, const EValue* b) {
  if (a == b) {
    return true;
  }
  if (a->tag == Tag::TensorList || a->tag == Tag::OptionalTensorList) {
    for (size_t k = 0; k < a->v.tl.size; ++k) {
      if (a->v.tl.items[k] == b) {
        return true;
      }
    }
  }
  return any_tensor(*a, [&](const Tensor& ta) {
    const Range ra = range_of(ta);
    return ra.lo != ra.hi && any_tensor(*b, [&](const Tensor& tb) { return overlap(ra, range_of(tb)); });
  });
}

}  // namespace

Error DelegateHooks::init_all(Method& m, const Program& program, const Fb::Vec& delegates, BumpAllocator& arena) {
  const Fb& fb = program.fb();
  for (uint32_t i = 0; i < delegates.len; ++i) {
    const Fb::Table d = fb.vec_table(delegates, i);
    const Fb::Str id = fb.str(d, kDelegateId);
    const Fb::Table ref = fb.table(d, kDelegateProcessed);
    const Backend* backend = find_backend(id.data, id.len);
    if (backend == nullptr) {
      return ST_FAIL(Error::MissingBackend, "delegate {} needs backend '{s}', which is not registered in this build", i,
                     id.data);
    }
    if (backend->is_available != nullptr && !backend->is_available()) {
      return ST_FAIL(Error::MissingBackend, "delegate {} needs backend '{s}', which is not available here", i, id.data);
    }
    if ((backend->start == nullptr) != (backend->wait == nullptr) ||
        (backend->execute == nullptr && backend->start == nullptr) || backend->init == nullptr) {
      return ST_FAIL(Error::InvalidArgument,
                     "backend '{s}' sets neither execute nor the pair start/wait (runtime/backend/backend.h)",
                     id.data);
    }
    // Compile specs: keys and values stay in the program bytes.
    const Fb::Vec spec_vec = fb.vec(d, kDelegateCompileSpecs, 4);
    CompileSpec* const specs = arena.allocate_array<CompileSpec>(spec_vec.len);
    if (spec_vec.len > 0 && specs == nullptr) {
      return ST_FAIL(Error::OutOfMemory, "delegate {}: no arena left for its {} compile specs", i, spec_vec.len);
    }
    for (uint32_t k = 0; k < spec_vec.len; ++k) {
      const Fb::Table spec = fb.vec_table(spec_vec, k);
      const Fb::Str key = fb.str(spec, kSpecKey);
      const Fb::Vec value = fb.vec(spec, kSpecValue, 1);
      specs[k] = CompileSpec{key.data != nullptr ? key.data : "", fb.vec_bytes(value), value.len};
    }
    BackendInitContext ctx{&arena, id.data, &program};
    void* handle = nullptr;
    const Span<const uint8_t> blob = program.delegate_blob(fb.u8(ref, kDataRefLocation), fb.u32(ref, kDataRefIndex));
    const Error e = backend->init(ctx, blob, specs, spec_vec.len, &handle);
    if (e != Error::Ok) {
      const Inner inner;
      return ST_BACKEND_FAIL(e, inner, "backend '{s}' failed to initialise delegate {}", id.data, i);
    }
    m.delegates_[i] = Method::DelegateSlot{backend, handle};
    m.num_delegates_ = i + 1;
  }
  return Error::Ok;
}

void DelegateHooks::destroy_all(Method& m) {
  for (uint32_t i = 0; i < m.num_delegates_; ++i) {
    Method::DelegateSlot& d = m.delegates_[i];
    if (d.backend != nullptr && d.backend->destroy != nullptr && d.handle != nullptr) {
      d.backend->destroy(d.handle);
    }
    d.backend = nullptr;
  }
}

Error DelegateHooks::wait_entry(Method& m, uint32_t i, uint32_t at) {
  const uint32_t call = m.in_flight_[i];
  for (uint32_t k = i + 1; k < m.num_in_flight_; ++k) {
    m.in_flight_[k - 1] = m.in_flight_[k];
  }
  --m.num_in_flight_;
  const Method::DelegateSlot& d = m.delegates_[m.instrs_[call].a];
  const Error e = d.backend->wait(d.handle);
  if (e == Error::Ok) {
    return Error::Ok;
  }
  const Inner inner;
  m.settle();  // the others first: their messages yield to this one
  if (at >= m.num_instrs_) {
    return ST_BACKEND_FAIL(e, inner, "instruction {}: backend '{s}' failed (its wait() at the end of execute)", call,
                           d.backend->name);
  }
  return ST_BACKEND_FAIL(e, inner, "instruction {}: backend '{s}' failed (its wait() before instruction {})", call,
                         d.backend->name, at);
}

bool DelegateHooks::conflicts(const Method& m, uint32_t pc, uint32_t call) {
  const Method::Instr& in = m.instrs_[pc];
  const Method::Instr& c = m.instrs_[call];
  EValue* pair[2];
  EValue** touched = in.args;
  uint32_t n = in.nargs;
  if (in.kind == kMoveCall || in.kind == kJumpFalseCall) {
    pair[0] = &m.values_[in.a];  // the source, or the condition
    n = 1;
    if (in.kind == kMoveCall) {
      pair[n++] = &m.values_[in.b];  // the destination (JumpFalseCall's b is an instruction)
    }
    touched = pair;
  } else if (in.kind != kKernelCall && in.kind != kDelegateCall) {
    return false;  // FreeCall
  }
  for (uint32_t k = 0; k < n; ++k) {
    for (uint32_t j = 0; j < c.nargs; ++j) {
      if (values_conflict(touched[k], c.args[j])) {
        return true;
      }
    }
  }
  return false;
}

Error DelegateHooks::wait_conflicts(Method& m, uint32_t pc) {
  for (uint32_t i = 0; i < m.num_in_flight_;) {
    if (conflicts(m, pc, m.in_flight_[i])) {
      ST_TRY(wait_entry(m, i, pc));  // removes entry i: the next one moved into its place
    } else {
      ++i;
    }
  }
  return Error::Ok;
}

Error DelegateHooks::wait_all(Method& m) {
  while (m.num_in_flight_ != 0) {
    ST_TRY(wait_entry(m, 0, m.num_instrs_));
  }
  return Error::Ok;
}

Error DelegateHooks::call_one(Method& m, uint32_t pc) {
  const Method::Instr& in = m.instrs_[pc];
  const Method::DelegateSlot& d = m.delegates_[in.a];
  for (uint32_t i = 0; i < m.num_in_flight_; ++i) {
    if (m.instrs_[m.in_flight_[i]].a == in.a) {
      ST_TRY(wait_entry(m, i, pc));  // a delegate runs one call at a time
      break;                         // (so at most one entry is this delegate's)
    }
  }
  // A backend with both paths runs synchronously when nothing could overlap its
  // work: the call is the last instruction, or the next one touches its tensors
  // (it would wait at once). Then no hand-off to a worker is paid for nothing.
  const bool overlap_possible = pc + 1 < m.num_instrs_ && !conflicts(m, pc + 1, pc);
  if (d.backend->start == nullptr || (d.backend->execute != nullptr && !overlap_possible)) {
    const Error e = d.backend->execute(d.handle, in.args, in.nargs);
    if (e != Error::Ok) {
      const Inner inner;
      m.settle();
      return ST_BACKEND_FAIL(e, inner, "instruction {}: backend '{s}' failed", pc, d.backend->name);
    }
    return Error::Ok;
  }
  if (m.num_in_flight_ == Method::kMaxInFlight) {
    ST_TRY(wait_entry(m, 0, pc));
  }
  const Error e = d.backend->start(d.handle, in.args, in.nargs);
  if (e != Error::Ok) {  // nothing of this call is in flight
    const Inner inner;
    m.settle();
    return ST_BACKEND_FAIL(e, inner, "instruction {}: backend '{s}' failed (its start())", pc, d.backend->name);
  }
  m.in_flight_[m.num_in_flight_++] = pc;
  return Error::Ok;
}

}  // namespace slimtorch
