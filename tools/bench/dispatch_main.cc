// Cortex-M55 dispatch-cost probe for tools/bench/framework_tax.py (issue 7).
//
// Runs the embedded 200-add chain (add_chain_200.py) once through
// Method::execute(), then calls the same add kernel directly 200 times with
// equivalent arguments, reading the SSE-300 system counter (32 MHz) around
// each. Under `qemu-system-arm -icount shift=N` the counter follows the
// instruction count, so the figures repeat exactly; the difference per call is
// what the runtime spends around the kernel body (the dispatch).
// Prints `instructions <n>`, `execute_ticks <t>`, `direct_ticks <t>`.
//
// Memory: the program and inputs are flash, planned buffers the embedded .bss
// arrays, the bookkeeping arena the static array below; all live until exit.
#include <stdint.h>

#include "app/embedded_model.h"
#include "platforms/bare_metal/semihosting.h"
#include "runtime/executor/method.h"
#include "runtime/platform/log.h"
#include "runtime/program/program.h"

namespace {

alignas(16) uint8_t g_arena[32768];
slimtorch::Span<uint8_t> g_planned[4];

volatile uint32_t* const kCntCr = reinterpret_cast<volatile uint32_t*>(0x58100000u);
volatile uint32_t* const kCntPct = reinterpret_cast<volatile uint32_t*>(0x48000000u);

void print(const char* name, int64_t v) {
  char buf[64];
  size_t n = 0;
  while (name[n] != '\0') {
    buf[n] = name[n];
    ++n;
  }
  buf[n++] = ' ';
  n += slimtorch::format_int(buf + n, v);
  buf[n++] = '\n';
  buf[n] = '\0';
  st_semihost_write0(buf);
}

int fail(const char* what) {
  st_semihost_write0("error: ");
  st_semihost_write0(what);
  st_semihost_write0(": ");
  st_semihost_write0(slimtorch::last_error_message());
  st_semihost_write0("\n");
  return 1;
}

}  // namespace

int main() {
  using namespace slimtorch_app;
  using slimtorch::Error;
  slimtorch::Result<slimtorch::Program> program =
      slimtorch::Program::load(slimtorch::Span<const uint8_t>(kProgram, kProgramSize));
  if (!program.ok()) return fail("load");
  if (kNumPlannedBuffers > 4 || kNumInputs != 2) return fail("unexpected program shape");
  for (size_t i = 0; i < kNumPlannedBuffers; ++i) {
    g_planned[i] = slimtorch::Span<uint8_t>(kPlannedBuffers[i].data, kPlannedBuffers[i].size);
  }
  slimtorch::MemoryConfig memory{slimtorch::Span<slimtorch::Span<uint8_t>>(g_planned, kNumPlannedBuffers),
                                 slimtorch::Span<uint8_t>(g_arena, sizeof(g_arena))};
  slimtorch::Method method;
  if (method.init(program.get(), 0, memory) != Error::Ok) return fail("init");
  for (size_t i = 0; i < kNumInputs; ++i) {
    if (method.set_input(i, kInputs[i].data, kInputs[i].nbytes) != Error::Ok) return fail("set_input");
  }

  *kCntCr = 1;  // enable the system counter
  const uint32_t t0 = *kCntPct;
  const Error e = method.execute();
  const uint32_t t1 = *kCntPct;
  if (e != Error::Ok) return fail("execute");

  // The same kernel, called directly: add.out(self, other, alpha, out) -> out.
  const slimtorch::KernelFn add = slimtorch::find_kernel("aten::add.out", 13);
  if (add == nullptr) return fail("no aten::add.out kernel");
  slimtorch::EValue a = method.input(0), b = method.input(1), out = method.output(0), alpha;
  alpha.tag = slimtorch::Tag::Int;
  alpha.v.i = 1;
  slimtorch::EValue* args[5] = {&a, &b, &alpha, &out, &out};
  slimtorch::KernelContext ctx;
  constexpr int kCalls = 200;
  const uint32_t t2 = *kCntPct;
  for (int k = 0; k < kCalls; ++k) {
    if (add(ctx, args, 5) != Error::Ok) return fail("direct add");
  }
  const uint32_t t3 = *kCntPct;
  print("instructions", kCalls);
  print("execute_ticks", static_cast<int64_t>(t1 - t0));
  print("direct_ticks", static_cast<int64_t>(t3 - t2));
  return 0;
}
