// The executor's delegate code, kept out of images without delegates.
//
// Method (method.cc) calls these through g_delegate_hooks, a pointer that
// method.cc defines (null) and delegates.cc sets from a static constructor
// (before main(); //runtime/executor:delegates is alwayslink, since nothing
// names it). An image that does not link that library has no delegate code,
// and its Method refuses programs with delegates at init (MissingBackend).
// Every backend's library depends on //runtime/executor:delegates, so an image
// that links a backend has it. (A weak reference instead of the pointer did
// not survive link-time optimisation on the Cortex-M55: GCC folded the null
// test and dropped the definition.)
//
// What the hooks do (the contract is at the top of method.h):
//  - init: resolves each BackendDelegate's backend (find_backend), reads its
//    compile specs into the arena (what is left after bookkeeping: part of what
//    delegates take, not of bookkeeping_bytes_needed()) and runs its init();
//    checks that the backend sets execute or start + wait.
//  - call: runs DelegateCall `pc`: waits for that delegate's call in flight (and
//    for the oldest call when kMaxInFlight are in flight), then execute(), or
//    start() and records the call as in flight.
//  - before: waits for every call in flight that instruction `pc` conflicts
//    with (same EValue, or overlapping tensor bytes).
//  - finish: waits for every call in flight, oldest first; returns the first
//    error (its message set), Ok otherwise.
//  - destroy: the backends' destroy() of every initialised delegate.
// Each hook that fails has waited for everything else first: nothing is in
// flight when it returns an error.
#pragma once

#include <stdint.h>

#include "runtime/core/error.h"
#include "runtime/executor/method.h"
#include "runtime/program/flatbuffer.h"

namespace slimtorch {

struct DelegateHooks {
  Error (*init)(Method& m, const Program& program, const Fb::Vec& delegates, BumpAllocator& arena);
  Error (*call)(Method& m, uint32_t pc);
  Error (*before)(Method& m, uint32_t pc);
  Error (*finish)(Method& m);
  void (*destroy)(Method& m);

  // The implementations (delegates.cc); members, so that they see Method's state.
  static Error init_all(Method& m, const Program& program, const Fb::Vec& delegates, BumpAllocator& arena);
  static Error call_one(Method& m, uint32_t pc);
  static Error wait_conflicts(Method& m, uint32_t pc);
  static Error wait_all(Method& m);
  static void destroy_all(Method& m);

 private:
  // Waits for in-flight entry `i` (removed from the table first); `at` is the
  // instruction that needs it (num_instrs_ at the end of execute()). On error,
  // waits for the others, then reports "instruction N: backend 'X' failed".
  static Error wait_entry(Method& m, uint32_t i, uint32_t at);
  // Instruction `pc` touches a value that DelegateCall `call` has in flight.
  static bool conflicts(const Method& m, uint32_t pc, uint32_t call);
};

// The hooks in use: &kDelegateHooks once delegates.cc is linked, else null.
extern const DelegateHooks* g_delegate_hooks;
extern const DelegateHooks kDelegateHooks;

}  // namespace slimtorch
