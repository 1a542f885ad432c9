// Self-test image (`<model>_selftest`, executorch_model(..., bundle = True)): runs
// every test case of the bundled program embedded in the image (`slimtorch embed
// --bundle`: kProgram holds the .bpte bytes) and prints each output's verdict and
// a summary (app/bundled_run.h). Exit status 0 when every output matches, 1 on a
// mismatch or an error: on the Cortex-M55 that is QEMU's exit code (semihosting),
// so a `qemu_test` fails when the firmware no longer computes what PyTorch did.
//
// Memory, as app/firmware_main.cc: the bundle in flash (const), the planned
// buffers the embedded arrays, the bookkeeping arena the static array below of
// exactly the bytes the build measured for the program (model_sizes.h). The
// embedded planned buffers are those of method 0, so the bundle's suites must
// test method 0 (a model's `forward`). Tolerances: SLIMTORCH_SELFTEST_RTOL /
// SLIMTORCH_SELFTEST_ATOL (defaults: BundledTolerance's, 1e-4 / 1e-5).
#include <stdint.h>

#include "app/bundled_run.h"
#include "app/console.h"
#include "app/embedded_model.h"
#include "app/run_model.h"
#include "model_sizes.h"
#include "runtime/bundled/bundled_program.h"
#include "runtime/platform/log.h"


namespace {

alignas(16) uint8_t g_arena[slimtorch_model::kBookkeepingBytes];  // bookkeeping, one method at a time

void write(const char* text) { slimtorch_app::write_text(text); }

int fail(slimtorch::Error e) {
  slimtorch_app::print_error(e, write);
  return 1;
}

}  // namespace

int main() {
  using namespace slimtorch_app;
  slimtorch::BundledTolerance tolerance;
#ifdef SLIMTORCH_SELFTEST_RTOL
  tolerance.rtol = SLIMTORCH_SELFTEST_RTOL;
#endif
#ifdef SLIMTORCH_SELFTEST_ATOL
  tolerance.atol = SLIMTORCH_SELFTEST_ATOL;
#endif
  slimtorch::Result<slimtorch::BundledProgram> bundle =
      slimtorch::BundledProgram::load(slimtorch::Span<const uint8_t>(kProgram, kProgramSize));
  if (!bundle.ok()) return fail(bundle.error());
  const slimtorch::BundledProgram& bp = bundle.get();
  slimtorch::Result<slimtorch::Program> program = slimtorch::Program::load(bp.program());
  if (!program.ok()) return fail(program.error());
  slimtorch::Span<uint8_t> planned[SLIMTORCH_MAX_MEMORY_IDS];
  if (kNumPlannedBuffers > SLIMTORCH_MAX_MEMORY_IDS) {
    return fail(ST_FAIL(slimtorch::Error::InvalidArgument, "{} planned buffers: raise SLIMTORCH_MAX_MEMORY_IDS",
                        kNumPlannedBuffers));
  }
  for (size_t i = 0; i < kNumPlannedBuffers; ++i) planned[i] = slimtorch::Span<uint8_t>(kPlannedBuffers[i].data, kPlannedBuffers[i].size);
  const slimtorch::MemoryConfig memory{slimtorch::Span<slimtorch::Span<uint8_t>>(planned, kNumPlannedBuffers),
                                       slimtorch::Span<uint8_t>(g_arena, sizeof(g_arena))};
  BundledTally tally;
  for (size_t s = 0; s < bp.num_suites(); ++s) {
    slimtorch::Result<size_t> plan = program.get().method_index(bp.method_name(s));
    if (!plan.ok()) return fail(plan.error());
    if (plan.get() != 0) {
      return fail(ST_FAIL(slimtorch::Error::NotSupported,
                          "the bundle tests method '{s}' (method {}): the self-test image has memory for method 0 only",
                          bp.method_name(s), plan.get()));
    }
    const slimtorch::Error e = run_bundled_suite(bp, s, program.get(), 0, memory, tolerance, write, &tally);
    if (e != slimtorch::Error::Ok) return fail(e);
  }
  return print_bundled_summary(tally, tolerance, write) ? 0 : 1;
}
