// Cortex-M55 firmware: runs the program embedded in the image
// (app/embedded_model.h) on its embedded inputs and prints the outputs over
// semihosting. main()'s return value becomes QEMU's exit code (0 on success).
//
// Memory: the program and inputs are in flash (const); the planned buffers are
// the embedded .bss arrays; the bookkeeping arena is the static array below,
// sized by SLIMTORCH_ARENA_BYTES (define it to fit bigger models).
#include <stdint.h>

#include "app/embedded_model.h"
#include "app/run_model.h"
#include "platforms/arm_m55/semihosting.h"

#ifndef SLIMTORCH_ARENA_BYTES
#define SLIMTORCH_ARENA_BYTES 16384
#endif
#ifndef SLIMTORCH_ITERATIONS
#define SLIMTORCH_ITERATIONS 1  // executions of the method (state carries over); last outputs printed
#endif
#ifndef SLIMTORCH_MAX_MEMORY_IDS
#define SLIMTORCH_MAX_MEMORY_IDS 8
#endif

namespace {

alignas(16) uint8_t g_arena[SLIMTORCH_ARENA_BYTES];  // bookkeeping for the method's whole life
slimtorch::Span<uint8_t> g_planned[SLIMTORCH_MAX_MEMORY_IDS];
slimtorch_app::RunInput g_inputs[16];

void write(const char* text) { st_semihost_write0(text); }

int fail(slimtorch::Error e) {
  slimtorch_app::print_error(e, write);
  return 1;
}

}  // namespace

int main() {
  using namespace slimtorch_app;
  if (kProgramSize == 0) {
    st_semihost_write0("error: no program embedded in this image\n");
    return 1;
  }
  if (kNumPlannedBuffers > SLIMTORCH_MAX_MEMORY_IDS || kNumInputs > 16) {
    st_semihost_write0("error: too many planned buffers or inputs: raise SLIMTORCH_MAX_MEMORY_IDS\n");
    return 1;
  }
  slimtorch::Result<slimtorch::Program> program =
      slimtorch::Program::load(slimtorch::Span<const uint8_t>(kProgram, kProgramSize));
  if (!program.ok()) {
    return fail(program.error());
  }
  for (size_t i = 0; i < kNumPlannedBuffers; ++i) {
    g_planned[i] = slimtorch::Span<uint8_t>(kPlannedBuffers[i].data, kPlannedBuffers[i].size);
  }
  for (size_t i = 0; i < kNumInputs; ++i) {
    g_inputs[i] = RunInput{kInputs[i].data, kInputs[i].nbytes, kInputs[i].shape, kInputs[i].ndim};
  }
  RunRequest request;
  request.inputs = g_inputs;
  request.num_inputs = kNumInputs;
  request.planned = slimtorch::Span<slimtorch::Span<uint8_t>>(g_planned, kNumPlannedBuffers);
  request.arena = slimtorch::Span<uint8_t>(g_arena, sizeof(g_arena));
  request.iterations = SLIMTORCH_ITERATIONS;
  slimtorch::Method method;  // lives until main returns (the image then exits)
  const slimtorch::Error e = run_method(program.get(), request, &method);
  if (e != slimtorch::Error::Ok) {
    return fail(e);
  }
  print_outputs(method, write);
  return 0;
}
