// Method: one ExecutionPlan of a Program, initialised for execution.
//
// Ownership and lifetimes (nothing is allocated from a heap):
//  - The Program (and the program bytes under it) must outlive the Method.
//  - MemoryConfig.planned[i] backs memory id i + 1: the activations, inputs and
//    outputs the exporter planned into it. Owned by the application; must
//    outlive the Method and must not be shared with another live Method.
//  - MemoryConfig.arena is the bookkeeping arena: EValues, Tensor structs,
//    their sizes, list item arrays, the resolved instruction table and
//    operator names are carved from it at init. (A tensor's dim_order points
//    into the program bytes, or at a static identity order.) Owned by the application;
//    must outlive the Method. bookkeeping_bytes_needed() tells its size; what
//    is left after bookkeeping is offered to delegate backends.
//
// Everything is resolved at init (kernel function pointers, argument EValue*
// arrays, tensor data pointers), so execute() is a loop of fn(ctx, args, n).
//
// Delegates (DelegateCall) run through runtime/executor/delegates.{h,cc}, a
// separate library (//runtime/executor:delegates) that an image links only when
// it has backends: every backend library depends on it. method.cc reaches it
// through one pointer the library sets before main() (g_delegate_hooks); an
// image without it has no delegate code at all, and a program with delegates
// fails init there with MissingBackend naming the library.
//
// Asynchronous delegates (a backend with start/wait, runtime/backend/backend.h).
// Decisions:
//  - A DelegateCall of such a backend calls start() and leaves the work in
//    flight. At most kMaxInFlight delegate calls are in flight; starting one
//    more first waits for the oldest. A backend that also sets execute runs
//    synchronously (execute) when nothing could overlap: the DelegateCall is
//    the last instruction, or the next one conflicts with it (see below) and
//    would wait at once; so a lone delegate pays no hand-off to a worker.
//  - Before each later instruction the executor compares what the instruction
//    touches with the argument tensors (inputs and outputs: the DelegateCall
//    does not say which is which) of every call in flight, and calls wait() on
//    each one it conflicts with, oldest first, before running it. Touched
//    values: a KernelCall's and a DelegateCall's args (a tensor list's or an
//    optional tensor list's items too), MoveCall's source and destination,
//    JumpFalseCall's condition; FreeCall touches nothing. Two values conflict
//    when they are the same EValue or when a tensor of one overlaps a tensor of
//    the other in bytes: [data, data + max(nbytes, capacity_bytes)) of each, as
//    the tensors are at that moment (the capacity covers a backend resizing its
//    output within its planned bound; zero-byte tensors overlap nothing). No
//    program field is needed, so upstream's programs get the same overlap.
//    Read-read overlaps (e.g. two users of one input) also wait: conservative.
//  - A DelegateCall of a delegate in flight waits for it first.
//  - At the end of execute() every call in flight is waited for, oldest first.
//    On any failure (a kernel, start(), wait(), a jump, max_steps) the executor
//    first waits for everything else in flight, then reports the failure, so
//    execute() never returns with work in flight. A failed start() or wait() is
//    "instruction N: backend 'X' failed", N the DelegateCall's index.
//  - The backend must not change its argument tensors' data or capacity_bytes
//    (it may resize them within capacity), nor any other EValue.
//  - Cost without delegates in flight: one well-predicted test per
//    instruction (is anything in flight?). (Folding it into the step-limit
//    test made the 32-bit image bigger: 64-bit compares.)
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "runtime/backend/backend.h"
#include "runtime/core/evalue.h"
#include "runtime/core/result.h"
#include "runtime/core/span.h"
#include "runtime/executor/bump_allocator.h"
#include "runtime/kernel/kernel.h"
#include "runtime/program/program.h"

namespace slimtorch {

struct DelegateHooks;  // runtime/executor/delegates.h
class EventTracer;    // runtime/profiling/event_tracer.h (profiled images only)

struct MemoryConfig {
  Span<Span<uint8_t>> planned;  // planned[i] backs memory id i + 1; 8-byte aligned
  Span<uint8_t> arena;          // bookkeeping arena
};

class Method {
 public:
  Method() = default;
  ~Method();
  Method(const Method&) = delete;
  Method& operator=(const Method&) = delete;

  // Bytes of bookkeeping arena init() needs for `plan` (an upper bound that
  // holds for any arena alignment), not counting what delegates may take.
  static Result<size_t> bookkeeping_bytes_needed(const Program& program, size_t plan);

  // Prepares plan `plan` of `program`. Errors: InvalidArgument (plan index),
  // OutOfMemory (arena or a planned buffer too small; the message gives the
  // bytes needed), MissingKernel (names the op), MissingBackend (names it).
  Error init(const Program& program, size_t plan, const MemoryConfig& memory);

  size_t num_inputs() const { return num_inputs_; }
  size_t num_outputs() const { return num_outputs_; }
  const EValue& input(size_t i) const { return *inputs_[i]; }    // i < num_inputs()
  const EValue& output(size_t i) const { return *outputs_[i]; }  // i < num_outputs()

  // Copies `nbytes` into input i: a planned tensor (nbytes must equal its
  // current nbytes()) or an Int/Double (8 bytes) / Bool (1 byte) scalar.
  Error set_input(size_t i, const void* data, size_t nbytes);
  // Points a tensor input at caller memory (which must outlive execute()).
  Error set_input_data(size_t i, void* data, size_t nbytes);
  // Changes a dynamic-shape tensor input's shape within its planned bounds (the
  // sizes the program gives it: each dimension at most its bound). A shape over a
  // bound fails with InvalidArgument naming the input, the dimension and the bound.
  Error set_input_shape(size_t i, const int32_t* sizes, size_t ndim);

  // Runs every instruction. Kernel failures name the instruction and the op;
  // delegate failures the instruction and the backend. Returns with no
  // delegate work in flight.
  Error execute();

  // Delegate calls that may be in flight at once (see the top of this file).
  static constexpr uint32_t kMaxInFlight = 4;

#if SLIMTORCH_PROFILING
  // Profiled images (--//runtime/profiling:enabled): init() and execute() record
  // their events into `tracer` (null: none); set it before init() to get the init
  // events. The tracer is the caller's and must outlive its use here.
  void set_event_tracer(EventTracer* tracer) { tracer_ = tracer; }
#endif

 private:
  friend struct DelegateHooks;
  struct Instr {
    KernelFn fn = nullptr;     // KernelCall: resolved kernel
    EValue** args = nullptr;   // KernelCall/DelegateCall arguments
    uint32_t nargs = 0;
    int32_t a = 0;             // op/delegate index, move source, jump condition, freed value
    int32_t b = 0;             // move destination, jump target
    uint8_t kind = 0;          // schema::InstrKind
  };
  struct DelegateSlot {
    const Backend* backend = nullptr;
    void* handle = nullptr;
  };

  void reset();
  // Waits for every delegate call in flight (before a failure is reported).
  void settle();
#if SLIMTORCH_ERROR_MESSAGES == 2
  // "Float, Float, Float": the tensor dtypes of the first KernelCall of operator `op`
  // (for the missing-kernel message). Text builds only.
  void describe_first_call(uint32_t op, char* buf, size_t cap) const;
#endif
  Error check_input(size_t i, Tag want) const;

  EValue* values_ = nullptr;
  uint32_t num_values_ = 0;
  Instr* instrs_ = nullptr;
  uint32_t num_instrs_ = 0;
  EValue** inputs_ = nullptr;
  uint32_t num_inputs_ = 0;
  EValue** outputs_ = nullptr;
  uint32_t num_outputs_ = 0;
  const char** op_names_ = nullptr;  // "aten::addmm.out", NUL-terminated, in the arena
  DelegateSlot* delegates_ = nullptr;
  uint32_t num_delegates_ = 0;
  const DelegateHooks* hooks_ = nullptr;  // set by init() when the program has delegates
  uint32_t in_flight_[kMaxInFlight];      // DelegateCall instruction indices, oldest first
  uint32_t num_in_flight_ = 0;
  uint64_t max_steps_ = 0;
  const Program* program_ = nullptr;  // init()'s program (outlives the Method): input bounds
  size_t plan_index_ = 0;
  EValue none_;  // target of None items in optional tensor lists
#if SLIMTORCH_PROFILING
  EventTracer* tracer_ = nullptr;
  void record_instruction(const Instr& in, uint32_t pc, uint64_t start_ns) const;
#endif
  bool ready_ = false;
};

}  // namespace slimtorch
