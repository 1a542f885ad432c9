// //backends/polled_test:polled_test_firmware: a program with one delegate on
// the polled fake accelerator (d = a * b, 64 floats, 16 interrupts) and
// independent portable adds (e = p + q, f = e + p, g = f + e), then
// out = d + g, which reads the delegate's output. Checks the numbers against
// a plain loop, that the three independent adds ran while the device was
// still busy (so the executor did not wait for them) and that the last add
// ran after the job had finished; prints one line and exits 0, or 1 naming
// what failed. Cortex-M55 on QEMU (SysTick) and the host (interval timer).
#include <stdint.h>
#include <string.h>

#include "backends/polled_test/polled_backend.h"
#include "runtime/executor/method.h"
#include "runtime/program/schema.h"
#include "runtime/testing/test_programs.h"

#ifdef SLIMTORCH_BARE_METAL
#include "platforms/bare_metal/semihosting.h"
#else
#include <stdio.h>
#endif

namespace slimtorch::native {
Error add_out(KernelContext& ctx, EValue** args, size_t nargs);  // kernels/portable
}

namespace {

using namespace slimtorch;          // NOLINT: test program
using namespace slimtorch::schema;  // NOLINT: instruction kinds
using slimtorch_test::SketchInstr;
using slimtorch_test::SketchValue;

constexpr int kN = 64;  // elements per tensor: 16 chunks of polled_test::kChunk

// What each add saw of the device when it ran.
struct Seen {
  bool busy;
  uint32_t done;
};
Seen g_seen[8];
int g_adds = 0;

// aten::add.out: the portable kernel, recording the device's state first.
Error logged_add(KernelContext& ctx, EValue** args, size_t nargs) {
  const polled_test::DeviceStatus s = polled_test::status();
  if (g_adds < 8) g_seen[g_adds] = Seen{s.busy, s.done};
  ++g_adds;
  return native::add_out(ctx, args, nargs);
}

void say(const char* s) {
#ifdef SLIMTORCH_BARE_METAL
  st_semihost_write0(s);
#else
  fputs(s, stdout);
#endif
}

int fail(const char* why) {
  say("FAIL: ");
  say(why);
  say("\n");
  return 1;
}

alignas(16) uint8_t g_program[1 << 14];
alignas(16) uint8_t g_planned[10 * kN * 4];
alignas(16) uint8_t g_arena[4096];

}  // namespace

namespace slimtorch {
const KernelEntry kSelectedKernels[] = {{"aten::add.out", logged_add}};
const size_t kNumSelectedKernels = 1;
// The generated registry's backend table (select's interface); unused until then.
extern const Backend* const kSelectedBackends[1] = {nullptr};
extern const size_t kNumSelectedBackends = 0;
}  // namespace slimtorch

int main() {
  if (register_backend(&polled_test::kPolledBackend) != Error::Ok) return fail("register_backend");
  // Values: 0 a, 1 b, 2 d, 3 p, 4 q, 5 alpha = 1, 6 e, 7 f, 8 g, 9 out.
  SketchValue values[10];
  for (int i = 0; i < 10; ++i) {
    values[i].numel = kN;
    values[i].offset = static_cast<uint64_t>(i) * kN * 4;
  }
  values[5] = SketchValue();
  values[5].kind = SketchValue::kInt;
  values[5].i = 1;
  const int32_t dargs[3] = {0, 1, 2};
  const int32_t e_args[5] = {3, 4, 5, 6, 6};
  const int32_t f_args[5] = {6, 3, 5, 7, 7};
  const int32_t g_args[5] = {7, 6, 5, 8, 8};
  const int32_t o_args[5] = {2, 8, 5, 9, 9};
  const SketchInstr instrs[] = {{kDelegateCall, 0, dargs, 3, 0},
                                {kKernelCall, 0, e_args, 5, 0},
                                {kKernelCall, 0, f_args, 5, 0},
                                {kKernelCall, 0, g_args, 5, 0},
                                {kKernelCall, 0, o_args, 5, 0}};
  const int32_t inputs[4] = {0, 1, 3, 4};
  const int32_t outputs[1] = {9};
  const char* const ops[1] = {"aten::add.out"};
  const char* const delegates[1] = {"PolledTestBackend"};
  slimtorch_test::ProgramSketch sketch;
  sketch.values = values;
  sketch.num_values = 10;
  sketch.inputs = inputs;
  sketch.num_inputs = 4;
  sketch.outputs = outputs;
  sketch.num_outputs = 1;
  sketch.instrs = instrs;
  sketch.num_instrs = 5;
  sketch.ops = ops;
  sketch.num_ops = 1;
  sketch.delegates = delegates;
  sketch.num_delegates = 1;
  sketch.buffer_size = sizeof(g_planned);
  const size_t n = slimtorch_test::build_sketch(sketch, g_program, sizeof(g_program));
  Result<Program> program = Program::load(Span<const uint8_t>(g_program, n));
  if (!program.ok()) return fail("Program::load");
  Span<uint8_t> planned[1] = {Span<uint8_t>(g_planned, sizeof(g_planned))};
  const MemoryConfig memory{Span<Span<uint8_t>>(planned, 1), Span<uint8_t>(g_arena, sizeof(g_arena))};
  Method method;
  if (method.init(program.get(), 0, memory) != Error::Ok) return fail("Method::init");

  float in[4][kN];
  for (int i = 0; i < kN; ++i) {
    in[0][i] = 0.5f * static_cast<float>(i);       // a
    in[1][i] = static_cast<float>(i % 7) - 3.0f;  // b
    in[2][i] = 1.0f + 0.25f * static_cast<float>(i);  // p
    in[3][i] = static_cast<float>(i % 5);         // q
  }
  for (int k = 0; k < 4; ++k) {
    if (method.set_input(k, in[k], sizeof(in[k])) != Error::Ok) return fail("set_input");
  }
  for (int run = 0; run < 2; ++run) {  // twice: the device and the method are reusable
    g_adds = 0;
    const uint32_t interrupts_before = polled_test::status().interrupts;
    if (method.execute() != Error::Ok) return fail("execute");
    const polled_test::DeviceStatus s = polled_test::status();
    const Tensor& out = method.output(0).to_tensor();
    for (int i = 0; i < kN; ++i) {
      const float e = in[2][i] + in[3][i];
      const float f = e + in[2][i];
      const float g = f + e;
      if (out.data_as<float>()[i] != in[0][i] * in[1][i] + g) return fail("outputs differ from the reference");
    }
    if (g_adds != 4) return fail("expected 4 adds");
    for (int k = 0; k < 3; ++k) {
      if (!g_seen[k].busy || g_seen[k].done >= static_cast<uint32_t>(kN)) {
        return fail("an independent add ran after the device had finished (the executor waited too early?)");
      }
    }
    if (g_seen[3].busy || g_seen[3].done != static_cast<uint32_t>(kN)) {
      return fail("the add reading the delegate's output ran before the job finished");
    }
    if (s.busy || s.interrupts - interrupts_before != kN / polled_test::kChunk) {
      return fail("the job was not done by exactly 16 interrupts");
    }
  }
  say("polled delegate: outputs match; 3 independent adds ran while the device was busy; 16 interrupts per job\n");
  return 0;
}
