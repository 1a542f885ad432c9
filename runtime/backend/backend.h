// Delegate backends: the interface a backend implements and the registry the
// executor resolves DelegateCall instructions through.
//
// A backend is a static table of function pointers (no virtual calls, no RTTI).
// Lifetime: the Backend struct must have static storage (it is registered by
// pointer). The blob and compile specs passed to init() point into the program
// bytes and the method's bookkeeping arena and stay valid for the Method's
// lifetime. A backend's per-delegate state (`handle`) is allocated by the
// backend from `ctx.arena` (the part of the method's arena left after
// bookkeeping) or from its own static storage; destroy() releases anything else.
//
// Synchronous and asynchronous backends. A backend sets either execute (the
// outputs are ready when it returns) or the pair start/wait, or all three (the
// executor then uses start/wait). start() begins the delegate on its arguments
// and may return before the work ends; from then until wait() returns, the
// delegate's input and output tensors belong to the backend: the executor runs
// on with the instructions that touch none of their bytes, and calls wait() at
// the first instruction that does, before the next call of the same delegate,
// and at the end of Method::execute() (so execute() never returns with work in
// flight). wait() blocks until the work ends (a worker thread's join on the
// host; polling a device's completion flag on bare metal) and returns the
// work's result. An error from start() means nothing is in flight.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "runtime/core/error.h"
#include "runtime/core/evalue.h"
#include "runtime/core/span.h"

namespace slimtorch {

class BumpAllocator;

struct CompileSpec {
  const char* key;       // NUL-terminated, in the program bytes
  const uint8_t* value;  // in the program bytes
  size_t value_size;
};

class Program;

struct BackendInitContext {
  BumpAllocator* arena;     // remaining method arena; may be used for the handle
  const char* delegate_id;  // the backend name the program asked for
  const Program* program;   // the program being initialised: Program::named_data()
};

struct Backend {
  const char* name;  // matches BackendDelegate.id in the program, e.g. "XnnpackBackend"
  bool (*is_available)();
  // Prepares one delegate from its processed blob; sets *handle.
  Error (*init)(BackendInitContext& ctx, Span<const uint8_t> processed, const CompileSpec* specs,
                size_t num_specs, void** handle);
  // Runs the delegate on the DelegateCall's arguments (inputs then outputs).
  // May be null for a backend that sets start and wait.
  Error (*execute)(void* handle, EValue** args, size_t nargs);
  void (*destroy)(void* handle);  // may be null
  // Asynchronous pair (see above); both null for a synchronous backend.
  Error (*start)(void* handle, EValue** args, size_t nargs);
  Error (*wait)(void* handle);
};

constexpr size_t kMaxBackends = 8;

// The backends selected at build time: defined by the generated registry
// (codegen/gen_registry.py, from the manifests' `backend:<id>` build features),
// static storage. An image whose programs delegate nothing gets a one-element
// null dummy and kNumSelectedBackends == 0, so it references no backend code.
extern const Backend* const kSelectedBackends[];
extern const size_t kNumSelectedBackends;

// Adds `backend` (static storage) to the registry. Error::LimitExceeded when
// kMaxBackends are registered, InvalidArgument for a duplicate name.
Error register_backend(const Backend* backend);

// The backend called name[0..len): kSelectedBackends first, then the
// register_backend() table; nullptr when absent.
const Backend* find_backend(const char* name, size_t len);

}  // namespace slimtorch
