// Prints the bookkeeping arena bytes Method::init needs for the embedded
// program's method 0 on the platform this file is compiled for:
//   bookkeeping_bytes <N>
// The build runs it (natively on the host, under QEMU for the Cortex-M55) and
// writes N into the model's generated sizes header, so the figure comes from
// the runtime's own accounting (Method::bookkeeping_bytes_needed) compiled
// with the target's pointer and struct sizes: nothing is re-derived.
//
// Memory: the program bytes are the embedded model's flash array; nothing else
// is used (no planned buffers, no arena).
//
// Built with -DSLIMTORCH_PROBE_MODEL=NAME (model_library(), several models in
// one image) it measures the EmbeddedModel slimtorch_app::models::NAME instead
// of the one-model symbols.
#include <stddef.h>
#include <stdint.h>

#include "app/embedded_model.h"
#include "runtime/executor/method.h"
#include "runtime/program/program.h"

#include "app/console.h"

static void write(const char* text) { slimtorch_app::write_text(text); }

static void write_number(uint64_t n) {
  char buf[24];
  char* p = buf + sizeof(buf) - 1;
  *p = '\0';
  do {
    *--p = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  write(p);
}

#ifdef SLIMTORCH_PROBE_MODEL
namespace slimtorch_app {
namespace models {
extern const EmbeddedModel SLIMTORCH_PROBE_MODEL;
}  // namespace models
}  // namespace slimtorch_app
#endif

int main() {
  using namespace slimtorch_app;
#ifdef SLIMTORCH_PROBE_MODEL
  const uint8_t* const bytes = models::SLIMTORCH_PROBE_MODEL.program;
  const size_t size = models::SLIMTORCH_PROBE_MODEL.program_size;
#else
  const uint8_t* const bytes = kProgram;
  const size_t size = kProgramSize;
#endif
  slimtorch::Result<slimtorch::Program> program =
      slimtorch::Program::load(slimtorch::Span<const uint8_t>(bytes, size));
  if (!program.ok()) {
    write("error: the embedded program does not load\n");
    return 1;
  }
  slimtorch::Result<size_t> need = slimtorch::Method::bookkeeping_bytes_needed(program.get(), 0);
  if (!need.ok()) {
    write("error: the program has no method 0\n");
    return 1;
  }
  write("bookkeeping_bytes ");
  write_number(need.get());
  write("\n");
  return 0;
}
