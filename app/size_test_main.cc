// //app:size_test: the smallest useful image, the runtime core alone (issue 8).
// It loads and verifies a program with no operators, initialises its method,
// executes it and exits with the status: 0, or 10 + the slimtorch::Error code
// of the step that failed (no text: the image carries no formatting code).
//   arm_m55: the program embedded in the image (app/size_test_program.py);
//   host:    size_test [PROGRAM.pte] (default: the embedded program).
//
// Memory: program bytes are flash (or a static buffer the host reads the file
// into), planned buffers the embedded .bss arrays, the bookkeeping arena the
// static array below; all static, alive until exit.
#include <stdint.h>

#include "app/embedded_model.h"
#include "runtime/executor/method.h"
#include "runtime/program/program.h"

#ifndef SLIMTORCH_BARE_METAL
#include <stdio.h>
#endif

namespace {

alignas(16) uint8_t g_arena[1024];
slimtorch::Span<uint8_t> g_planned[4];
#ifndef SLIMTORCH_BARE_METAL
alignas(16) uint8_t g_file[1 << 16];  // a program read from a file (host only)
#endif

int status(slimtorch::Error e) { return e == slimtorch::Error::Ok ? 0 : 10 + static_cast<int>(e); }

}  // namespace

#ifdef SLIMTORCH_BARE_METAL
int main() {
#else
int main(int argc, char** argv) {
#endif
  using namespace slimtorch_app;
  slimtorch::Span<const uint8_t> bytes(kProgram, kProgramSize);
#ifndef SLIMTORCH_BARE_METAL
  if (argc > 1) {
    FILE* f = fopen(argv[1], "rb");
    if (f == nullptr) return 2;
    const size_t n = fread(g_file, 1, sizeof(g_file), f);
    fclose(f);
    bytes = slimtorch::Span<const uint8_t>(g_file, n);
  }
#endif
  slimtorch::Result<slimtorch::Program> program = slimtorch::Program::load(bytes);
  if (!program.ok()) return status(program.error());
  const size_t n_ids = program.get().num_memory_ids(0);
  if (n_ids > kNumPlannedBuffers || n_ids > 4) return status(slimtorch::Error::OutOfMemory);
  for (size_t i = 0; i < n_ids; ++i) {
    g_planned[i] = slimtorch::Span<uint8_t>(kPlannedBuffers[i].data, kPlannedBuffers[i].size);
  }
  const slimtorch::MemoryConfig memory{slimtorch::Span<slimtorch::Span<uint8_t>>(g_planned, n_ids),
                                       slimtorch::Span<uint8_t>(g_arena, sizeof(g_arena))};
  slimtorch::Method method;
  slimtorch::Error e = method.init(program.get(), 0, memory);
  if (e == slimtorch::Error::Ok) e = method.execute();
  return status(e);
}
