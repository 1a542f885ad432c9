// Asynchronous delegates (method.h): a test backend whose work is deferred
// until wait() shows, through an order log, where the executor waits: not for
// independent instructions, before an instruction that reads a call's output
// or writes its input (tensors, tensor-list items, MoveCall values), before the
// same delegate's next call, for the oldest call when too many are in flight,
// and at the end of execute(); errors from start() and wait() name the
// instruction and the backend; execute() never returns with work in flight; a
// synchronous backend runs as before.
#include <stdlib.h>
#include <string.h>

#include "runtime/executor/method.h"
#include "runtime/platform/log.h"
#include "runtime/program/schema.h"
#include "runtime/testing/check.h"
#include "runtime/testing/test_programs.h"

using namespace slimtorch;          // NOLINT: test file
using namespace slimtorch::schema;  // NOLINT: instruction kinds
using slimtorch_test::ProgramSketch;
using slimtorch_test::SketchInstr;
using slimtorch_test::SketchValue;

namespace {

alignas(16) uint8_t g_program[1 << 16];
alignas(16) uint8_t g_planned[512];
alignas(16) uint8_t g_arena[8192];
Span<uint8_t> g_planned_spans[1];

// ---- the order log: "S0" start, "W0" wait, "E0" synchronous execute of
// delegate 0; "K32" a kernel writing the tensor at byte 32 of the buffer.
char g_log[256];
void log_event(char what, long n) {
  size_t len = strlen(g_log);
  if (len + 8 >= sizeof(g_log)) return;
  if (len > 0) g_log[len++] = ' ';
  g_log[len++] = what;
  char digits[8];
  int k = 0;
  do {
    digits[k++] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n > 0 && k < 7);
  while (k > 0) g_log[len++] = digits[--k];
  g_log[len] = '\0';
}
long offset_of(const Tensor& t) { return static_cast<const uint8_t*>(t.data) - g_planned; }
bool log_is(const char* want) {
  if (strcmp(g_log, want) == 0) return true;
  fprintf(stderr, "log: '%s', expected '%s'\n", g_log, want);
  return false;
}
bool message_has(const char* text) { return strstr(last_error_message(), text) != nullptr; }

// ---- kernels ----------------------------------------------------------------

void add_into(const Tensor& a, const Tensor& b, Tensor& out) {
  for (uint32_t i = 0; i < out.numel; ++i) {
    out.data_as<float>()[i] = a.data_as<float>()[i] + b.data_as<float>()[i];
  }
}

// test::add.out(a, b, out) -> out: out = a + b.
Error test_add(KernelContext& ctx, EValue** args, size_t nargs) {
  if (nargs != 4) return ctx.fail("bad arguments");
  add_into(args[0]->to_tensor(), args[1]->to_tensor(), args[2]->to_tensor());
  log_event('K', offset_of(args[2]->to_tensor()));
  return Error::Ok;
}

// test::sum.out(Tensor[] xs, out) -> out: out = the sum of xs.
Error test_sum(KernelContext& ctx, EValue** args, size_t nargs) {
  if (nargs != 3 || args[0]->tag != Tag::TensorList) return ctx.fail("bad arguments");
  Tensor& out = args[1]->to_tensor();
  for (uint32_t i = 0; i < out.numel; ++i) {
    float s = 0;
    for (size_t k = 0; k < args[0]->v.tl.size; ++k) s += args[0]->v.tl.items[k]->to_tensor().data_as<float>()[i];
    out.data_as<float>()[i] = s;
  }
  log_event('K', offset_of(out));
  return Error::Ok;
}

Error test_fail(KernelContext& ctx, EValue**, size_t) { return ctx.fail("always fails"); }

}  // namespace

namespace slimtorch {
const KernelEntry kSelectedKernels[] = {
    {"test::add.out", test_add}, {"test::fail.out", test_fail}, {"test::sum.out", test_sum}};
const size_t kNumSelectedKernels = 3;
// The generated registry's backend table (select's interface); unused until then.
extern const Backend* const kSelectedBackends[1] = {nullptr};
extern const size_t kNumSelectedBackends = 0;
}  // namespace slimtorch

namespace {

// ---- backends: "AsyncTest" defers out = a + b to wait(); "SyncTest" computes it
// in execute(). Each delegate's handle holds its index and the pending call.

struct Handle {
  int index;
  EValue** args;  // the call in flight, or null
};
int g_inits = 0;
int g_pending = 0;          // calls started and not yet waited for, over all delegates
int g_fail_start = -1;      // delegate index whose start() fails
int g_fail_wait = -1;       // delegate index whose wait() fails
int g_max_pending = 0;

Error init(BackendInitContext& ctx, Span<const uint8_t> blob, const CompileSpec*, size_t, void** handle) {
  if (blob.size != 4 || memcmp(blob.data, "blob", 4) != 0) return Error::InvalidArgument;
  Handle* h = static_cast<Handle*>(ctx.arena->allocate(sizeof(Handle)));
  if (h == nullptr) return Error::OutOfMemory;
  h->index = g_inits++;
  h->args = nullptr;
  *handle = h;
  return Error::Ok;
}
Error start(void* handle, EValue** args, size_t nargs) {
  Handle* h = static_cast<Handle*>(handle);
  if (nargs != 3 || h->args != nullptr) return Error::Internal;  // the executor never overlaps one delegate's calls
  if (h->index == g_fail_start) return Error::NotSupported;
  log_event('S', h->index);
  h->args = args;
  ++g_pending;
  g_max_pending = g_pending > g_max_pending ? g_pending : g_max_pending;
  return Error::Ok;
}
Error wait(void* handle) {
  Handle* h = static_cast<Handle*>(handle);
  if (h->args == nullptr) return Error::Internal;  // wait() without start()
  log_event('W', h->index);
  EValue** args = h->args;
  h->args = nullptr;
  --g_pending;
  if (h->index == g_fail_wait) return Error::KernelFailed;
  add_into(args[0]->to_tensor(), args[1]->to_tensor(), args[2]->to_tensor());
  return Error::Ok;
}
Error execute(void* handle, EValue** args, size_t nargs) {
  if (nargs != 3) return Error::InvalidArgument;
  log_event('E', static_cast<Handle*>(handle)->index);
  add_into(args[0]->to_tensor(), args[1]->to_tensor(), args[2]->to_tensor());
  return Error::Ok;
}
Error bad_init(BackendInitContext&, Span<const uint8_t>, const CompileSpec*, size_t, void**) { return Error::Ok; }

const Backend kAsync = {"AsyncTest", nullptr, init, nullptr, nullptr, start, wait};
const Backend kSync = {"SyncTest", nullptr, init, execute, nullptr, nullptr, nullptr};
const Backend kBoth = {"BothTest", nullptr, init, execute, nullptr, start, wait};  // start/wait win
const Backend kNeither = {"NeitherTest", nullptr, bad_init, nullptr, nullptr, nullptr, nullptr};

// ---- programs ---------------------------------------------------------------

// Tensors of 4 floats; value i is the tensor at byte 16 * i (so K16 is value 1),
// unless a test gives its own offsets.
constexpr int kN = 16;
SketchValue g_values[kN];
const float kIn[4] = {1, 2, 3, 4};
LoadLimits g_limits;

SketchValue tensor_at(uint64_t offset) {
  SketchValue v;
  v.numel = 4;
  v.offset = offset;
  return v;
}

// Runs the sketch with inputs 0..num_inputs-1 (each value i set to kIn * (i + 1)).
Error run(ProgramSketch& s, Method* m, const char* const* delegates, uint32_t num_delegates) {
  for (int i = 0; i < kN; ++i) {
    if (g_values[i].kind == SketchValue::kTensor && g_values[i].numel == 0) g_values[i] = tensor_at(16 * i);
  }
  s.values = g_values;
  s.num_values = kN;
  s.delegates = delegates;
  s.num_delegates = num_delegates;
  s.buffer_size = sizeof(g_planned);
  static const char* const kOps[] = {"test::add.out", "test::sum.out", "test::fail.out"};
  s.ops = kOps;
  s.num_ops = 3;
  const size_t n = slimtorch_test::build_sketch(s, g_program, sizeof(g_program));
  Result<Program> p = Program::load(Span<const uint8_t>(g_program, n), g_limits);
  CHECK(p.ok());
  if (!p.ok()) return p.error();
  static Program program;
  program = p.get();
  memset(g_planned, 0, sizeof(g_planned));
  g_planned_spans[0] = Span<uint8_t>(g_planned, sizeof(g_planned));
  MemoryConfig mem;
  mem.planned = Span<Span<uint8_t>>(g_planned_spans, 1);
  mem.arena = Span<uint8_t>(g_arena, sizeof(g_arena));
  g_inits = 0;
  ST_TRY(m->init(program, 0, mem));
  for (uint32_t i = 0; i < s.num_inputs; ++i) {
    float x[4];
    for (int k = 0; k < 4; ++k) x[k] = kIn[k] * static_cast<float>(s.inputs[i] + 1);
    CHECK_EQ(m->set_input(i, x, sizeof(x)), Error::Ok);
  }
  g_log[0] = '\0';
  g_pending = 0;
  g_max_pending = 0;
  const Error e = m->execute();
  CHECK_EQ(g_pending, 0);  // execute() never returns with work in flight
  return e;
}

void reset_values() {
  for (SketchValue& v : g_values) v = SketchValue();
  g_fail_start = -1;
  g_fail_wait = -1;
}

// The value at byte 16 * i holds (i_a + 1 + i_b + 1) * kIn when it is a + b of inputs.
bool value_is(int i, float times) {
  const float* f = reinterpret_cast<const float*>(g_planned + 16 * i);
  for (int k = 0; k < 4; ++k) {
    if (f[k] != kIn[k] * times) return false;
  }
  return true;
}

const int32_t kInputs[4] = {0, 1, 2, 3};
const char* const kOneAsync[] = {"AsyncTest"};
const char* const kTwoAsync[] = {"AsyncTest", "AsyncTest"};

ProgramSketch sketch(const SketchInstr* instrs, uint32_t n, uint32_t num_inputs = 4) {
  ProgramSketch s;
  s.instrs = instrs;
  s.num_instrs = n;
  s.inputs = kInputs;
  s.num_inputs = num_inputs;
  static const int32_t kOut[1] = {7};
  s.outputs = kOut;
  s.num_outputs = 1;
  return s;
}

// Values 0-3 inputs (x0..x3 = kIn * 1..4), 4.. results.
const int32_t kD01[3] = {0, 1, 4};   // delegate: v4 = x0 + x1 (3 kIn)
const int32_t kK23[4] = {2, 3, 5, 5};  // kernel: v5 = x2 + x3 (7 kIn), independent
const int32_t kK45[4] = {4, 5, 7, 7};  // kernel: v7 = v4 + v5 (reads the delegate's output)

void test_independent_kernel_runs_before_wait() {
  reset_values();
  const SketchInstr instrs[] = {{kDelegateCall, 0, kD01, 3, 0}, {kKernelCall, 0, kK23, 4, 0}, {kKernelCall, 0, kK45, 4, 0}};
  ProgramSketch s = sketch(instrs, 3);
  Method m;
  CHECK_EQ(run(s, &m, kOneAsync, 1), Error::Ok);
  CHECK(log_is("S0 K80 W0 K112"));  // the independent add ran while the call was in flight
  CHECK(value_is(4, 3) && value_is(5, 7) && value_is(7, 10));
  // Executing again gives the same order (nothing left over from the first run).
  g_log[0] = '\0';
  CHECK_EQ(m.execute(), Error::Ok);
  CHECK(log_is("S0 K80 W0 K112"));
  CHECK_EQ(g_pending, 0);
}

void test_writing_an_input_waits() {
  reset_values();
  // v8 lies over x1's bytes (16..32) shifted by 8: it overlaps x1 in part.
  g_values[8] = tensor_at(24);
  const int32_t k_over[4] = {2, 3, 8, 8};
  // v9 starts where the delegate's output (64..80) ends: adjacent, no overlap.
  g_values[9] = tensor_at(80);
  const int32_t k_next[4] = {2, 3, 9, 9};
  const SketchInstr instrs[] = {{kDelegateCall, 0, kD01, 3, 0}, {kKernelCall, 0, k_next, 4, 0}, {kKernelCall, 0, k_over, 4, 0}};
  ProgramSketch s = sketch(instrs, 3);
  Method m;
  CHECK_EQ(run(s, &m, kOneAsync, 1), Error::Ok);
  CHECK(log_is("S0 K80 W0 K24"));
  CHECK(value_is(4, 3));  // the delegate read x0, x1 before the kernel overwrote x1's bytes
}

void test_tensor_lists_and_moves() {
  reset_values();
  // v10 = [x2, x3] (independent), v11 = [x2, v4] (holds the delegate's output).
  const int32_t free_list[2] = {2, 3};
  const int32_t busy_list[2] = {2, 4};
  g_values[10].kind = SketchValue::kTensorList;
  g_values[10].items = free_list;
  g_values[10].num_items = 2;
  g_values[11].kind = SketchValue::kTensorList;
  g_values[11].items = busy_list;
  g_values[11].num_items = 2;
  const int32_t sum_free[3] = {10, 5, 5};
  const int32_t sum_busy[3] = {11, 6, 6};
  const SketchInstr instrs[] = {{kDelegateCall, 0, kD01, 3, 0}, {kKernelCall, 1, sum_free, 3, 0},
                                {kKernelCall, 1, sum_busy, 3, 0}};
  ProgramSketch s = sketch(instrs, 3);
  Method m;
  CHECK_EQ(run(s, &m, kOneAsync, 1), Error::Ok);
  CHECK(log_is("S0 K80 W0 K96"));
  CHECK(value_is(6, 6));  // x2 + v4 = 3 + 3

  // A MoveCall of the delegate's output waits too (then the next call is free).
  reset_values();
  const SketchInstr moves[] = {{kDelegateCall, 0, kD01, 3, 0}, {kMoveCall, 4, nullptr, 0, 7}, {kKernelCall, 0, kK23, 4, 0}};
  ProgramSketch s2 = sketch(moves, 3);
  Method m2;
  CHECK_EQ(run(s2, &m2, kOneAsync, 1), Error::Ok);
  CHECK(log_is("S0 W0 K80"));
  CHECK(m2.output(0).is_tensor() && m2.output(0).to_tensor().data_as<float>()[0] == 3.0f);
}

void test_same_delegate_twice_and_end_of_execute() {
  reset_values();
  const int32_t d23[3] = {2, 3, 5};
  // Delegate 0 twice on disjoint tensors: the second call waits for the first.
  const SketchInstr twice[] = {{kDelegateCall, 0, kD01, 3, 0}, {kDelegateCall, 0, d23, 3, 0}};
  ProgramSketch s = sketch(twice, 2);
  Method m;
  CHECK_EQ(run(s, &m, kOneAsync, 1), Error::Ok);
  CHECK(log_is("S0 W0 S0 W0"));  // the last wait: the end of execute()
  CHECK(value_is(4, 3) && value_is(5, 7));
  // Two delegates: both in flight, waited for oldest first at the end.
  const SketchInstr two[] = {{kDelegateCall, 0, kD01, 3, 0}, {kDelegateCall, 1, d23, 3, 0}};
  ProgramSketch s2 = sketch(two, 2);
  Method m2;
  CHECK_EQ(run(s2, &m2, kTwoAsync, 2), Error::Ok);
  CHECK(log_is("S0 S1 W0 W1"));
  CHECK_EQ(g_max_pending, 2);
  CHECK(value_is(4, 3) && value_is(5, 7));
}

void test_in_flight_limit() {
  reset_values();
  // Five delegates on disjoint tensors (delegate i: values 3i, 3i+1 -> 3i+2;
  // the same inputs would conflict: read-read overlaps wait too): the fifth
  // start waits for the oldest.
  const char* const five[] = {"AsyncTest", "AsyncTest", "AsyncTest", "AsyncTest", "AsyncTest"};
  int32_t args[5][3];
  SketchInstr instrs[5];
  for (int i = 0; i < 5; ++i) {
    for (int k = 0; k < 3; ++k) args[i][k] = 3 * i + k;
    instrs[i] = SketchInstr{kDelegateCall, i, args[i], 3, 0};
  }
  ProgramSketch s = sketch(instrs, 5, 0);
  Method m;
  CHECK_EQ(run(s, &m, five, 5), Error::Ok);
  CHECK(log_is("S0 S1 S2 S3 W0 S4 W1 W2 W3 W4"));
  CHECK_EQ(g_max_pending, static_cast<int>(Method::kMaxInFlight));
}

void test_errors() {
  const int32_t d23[3] = {2, 3, 5};
  const SketchInstr instrs[] = {{kDelegateCall, 0, kD01, 3, 0}, {kDelegateCall, 1, d23, 3, 0}, {kKernelCall, 0, kK45, 4, 0}};
  {  // start() of the second call fails: the first is waited for, the error names instruction 1
    reset_values();
    g_fail_start = 1;
    ProgramSketch s = sketch(instrs, 3);
    Method m;
    CHECK_EQ(run(s, &m, kTwoAsync, 2), Error::NotSupported);
    CHECK(message_has("instruction 1: backend 'AsyncTest' failed"));
    CHECK(log_is("S0 W0"));
  }
  {  // wait() of the first fails where instruction 2 needs it; the second is waited for
    reset_values();
    g_fail_wait = 0;
    ProgramSketch s = sketch(instrs, 3);
    Method m;
    CHECK_EQ(run(s, &m, kTwoAsync, 2), Error::KernelFailed);
    CHECK(message_has("instruction 0: backend 'AsyncTest' failed"));
    CHECK(message_has("before instruction 2"));
    CHECK(log_is("S0 S1 W0 W1"));
  }
  {  // wait() fails at the end of execute()
    reset_values();
    g_fail_wait = 1;
    ProgramSketch s = sketch(instrs, 2);
    Method m;
    CHECK_EQ(run(s, &m, kTwoAsync, 2), Error::KernelFailed);
    CHECK(message_has("instruction 1: backend 'AsyncTest' failed"));
    CHECK(message_has("at the end of execute"));
    CHECK(log_is("S0 S1 W0 W1"));
  }
  {  // a kernel fails while a call is in flight: waited for, the kernel's message kept
    reset_values();
    const int32_t fail_args[2] = {2, 2};
    const SketchInstr f[] = {{kDelegateCall, 0, kD01, 3, 0}, {kKernelCall, 2, fail_args, 2, 0}};
    ProgramSketch s = sketch(f, 2);
    Method m;
    CHECK_EQ(run(s, &m, kOneAsync, 1), Error::KernelFailed);
    CHECK(message_has("instruction 1 (test::fail.out) failed: always fails"));
    CHECK(log_is("S0 W0"));
  }
  {  // a backend with neither execute nor start/wait is refused at init
    reset_values();
    const char* const neither[] = {"NeitherTest"};
    ProgramSketch s = sketch(instrs, 1);
    Method m;
    CHECK_EQ(run(s, &m, neither, 1), Error::InvalidArgument);
    CHECK(message_has("'NeitherTest' sets neither execute nor the pair start/wait"));
  }
}

// A loop that never ends while a call is in flight: max_steps stops it, after
// waiting for the call.
void test_step_limit_in_flight() {
  reset_values();
  g_values[12].kind = SketchValue::kBool;  // false: the jump is always taken
  const SketchInstr instrs[] = {{kDelegateCall, 0, kD01, 3, 0}, {kJumpFalseCall, 12, nullptr, 0, 1}};
  ProgramSketch s = sketch(instrs, 2);
  g_limits.max_steps = 50;
  Method m;
  CHECK_EQ(run(s, &m, kOneAsync, 1), Error::LimitExceeded);
  CHECK(message_has("after 50 instructions"));
  CHECK(log_is("S0 W0"));
  g_limits = LoadLimits();
}

void test_synchronous_backend() {
  // Each Method carves the one shared arena, so each lives in its own scope.
  reset_values();
  const SketchInstr instrs[] = {{kDelegateCall, 0, kD01, 3, 0}, {kKernelCall, 0, kK23, 4, 0}, {kKernelCall, 0, kK45, 4, 0}};
  ProgramSketch s = sketch(instrs, 3);
  {
    const char* const sync[] = {"SyncTest"};
    Method m;
    CHECK_EQ(run(s, &m, sync, 1), Error::Ok);
    CHECK(log_is("E0 K80 K112"));
    CHECK(value_is(7, 10));
  }
  // A backend with execute and start/wait runs asynchronously...
  const char* const both[] = {"BothTest"};
  {
    Method m;
    CHECK_EQ(run(s, &m, both, 1), Error::Ok);
    CHECK(log_is("S0 K80 W0 K112"));
  }
  // ... but synchronously when nothing could overlap: the next instruction reads
  // the call's output, or the call is the last instruction.
  const SketchInstr reads_next[] = {{kDelegateCall, 0, kD01, 3, 0}, {kKernelCall, 0, kK45, 4, 0}};
  {
    ProgramSketch s2 = sketch(reads_next, 2);
    Method m;
    CHECK_EQ(run(s2, &m, both, 1), Error::Ok);
    CHECK(log_is("E0 K112"));
  }
  {
    ProgramSketch s3 = sketch(reads_next, 1);
    Method m;
    CHECK_EQ(run(s3, &m, both, 1), Error::Ok);
    CHECK(log_is("E0"));
  }
}

}  // namespace

int main() {
  setenv("SLIMTORCH_QUIET", "1", 1);
  CHECK_EQ(register_backend(&kAsync), Error::Ok);
  CHECK_EQ(register_backend(&kSync), Error::Ok);
  CHECK_EQ(register_backend(&kBoth), Error::Ok);
  CHECK_EQ(register_backend(&kNeither), Error::Ok);
  test_independent_kernel_runs_before_wait();
  test_writing_an_input_waits();
  test_tensor_lists_and_moves();
  test_same_delegate_twice_and_end_of_execute();
  test_in_flight_limit();
  test_errors();
  test_step_limit_in_flight();
  test_synchronous_backend();
  return slimtorch_test::check_summary();
}
