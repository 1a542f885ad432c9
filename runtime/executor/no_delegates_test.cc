// An image that does not link //runtime/executor:delegates has no delegate
// code: a program with a delegate fails init, naming the backend and what to
// link, even when the backend is registered.
#include <stdlib.h>
#include <string.h>

#include "runtime/executor/method.h"
#include "runtime/platform/log.h"
#include "runtime/testing/check.h"
#include "runtime/testing/test_programs.h"

using namespace slimtorch;  // NOLINT: test file

namespace slimtorch {
Error unused_add(KernelContext& ctx, EValue**, size_t) { return ctx.fail("not called"); }
const KernelEntry kSelectedKernels[1] = {{"aten::add.out", unused_add}};
const size_t kNumSelectedKernels = 1;
// The generated registry's backend table (select's interface); unused until then.
extern const Backend* const kSelectedBackends[1] = {nullptr};
extern const size_t kNumSelectedBackends = 0;
}  // namespace slimtorch

namespace {

alignas(16) uint8_t g_program[1 << 16];
alignas(16) uint8_t g_planned[64];
alignas(16) uint8_t g_arena[4096];

Error never(BackendInitContext&, Span<const uint8_t>, const CompileSpec*, size_t, void**) { return Error::Internal; }
Error run(void*, EValue**, size_t) { return Error::Internal; }
const Backend kTestBackend = {"TestBackend", nullptr, never, run, nullptr, nullptr, nullptr};

}  // namespace

int main() {
  setenv("SLIMTORCH_QUIET", "1", 1);
  CHECK_EQ(register_backend(&kTestBackend), Error::Ok);
  slimtorch_test::ProgramSpec spec;
  spec.delegate = true;
  const size_t n = slimtorch_test::build_program(spec, g_program, sizeof(g_program));
  Result<Program> p = Program::load(Span<const uint8_t>(g_program, n));
  CHECK(p.ok());
  Span<uint8_t> planned[1] = {Span<uint8_t>(g_planned, sizeof(g_planned))};
  MemoryConfig mem;
  mem.planned = Span<Span<uint8_t>>(planned, 1);
  mem.arena = Span<uint8_t>(g_arena, sizeof(g_arena));
  Method m;
  CHECK_EQ(m.init(p.get(), 0, mem), Error::MissingBackend);
#if SLIMTORCH_ERROR_MESSAGES == 2
  CHECK(strstr(last_error_message(), "'TestBackend'") != nullptr);
  CHECK(strstr(last_error_message(), "links no delegate support") != nullptr);
#endif
  CHECK_EQ(m.execute(), Error::InvalidArgument);  // not initialised
  return slimtorch_test::check_summary();
}
