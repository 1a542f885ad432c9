// Program loader/verifier tests over hand-made programs: a valid program loads;
// truncated, corrupted, out-of-range and oversized ones are rejected with the
// right error and never read out of bounds (run under ASan: scripts or
// `bazel test --config=asan` when available).
#include "runtime/program/program.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/platform/log.h"
#include "runtime/testing/check.h"
#include "runtime/testing/test_programs.h"

using slimtorch::Error;
using slimtorch::LoadLimits;
using slimtorch::Program;
using slimtorch::Span;
using slimtorch_test::ProgramSpec;

namespace {

alignas(16) uint8_t g_buf[1 << 16];
alignas(16) uint8_t g_copy[1 << 16];

Error load(const ProgramSpec& spec, const LoadLimits& limits = LoadLimits()) {
  const size_t n = slimtorch_test::build_program(spec, g_buf, sizeof(g_buf));
  return Program::load(Span<const uint8_t>(g_buf, n), limits).error();
}

bool message_has(const char* text) { return strstr(slimtorch::last_error_message(), text) != nullptr; }

void test_valid() {
  const size_t n = slimtorch_test::build_program(ProgramSpec(), g_buf, sizeof(g_buf));
  CHECK(n > 0);
  auto p = Program::load(Span<const uint8_t>(g_buf, n));
  CHECK(p.ok());
  if (!p.ok()) {
    return;
  }
  CHECK_EQ(p.get().num_methods(), 1u);
  CHECK(strcmp(p.get().method_name(0), "forward") == 0);
  CHECK(p.get().method_index("forward").ok());
  CHECK_EQ(p.get().method_index("forward").get(), 0u);
  CHECK_EQ(p.get().method_index("backward").error(), Error::InvalidArgument);
  CHECK_EQ(p.get().num_memory_ids(0), 1u);
  CHECK_EQ(p.get().planned_buffer_size(0, 1), 64u);
  CHECK_EQ(p.get().planned_buffer_size(0, 2), 0u);
  ProgramSpec loop;
  loop.loop = true;
  CHECK_EQ(load(loop), Error::Ok);
  ProgramSpec del;
  del.delegate = true;
  CHECK_EQ(load(del), Error::Ok);
}

void test_header_and_truncation() {
  const size_t n = slimtorch_test::build_program(ProgramSpec(), g_buf, sizeof(g_buf));
  // Every truncation is rejected (the header's sizes no longer fit the file).
  int accepted = 0;
  for (size_t len = 0; len < n; ++len) {
    memcpy(g_copy, g_buf, len);
    accepted += Program::load(Span<const uint8_t>(g_copy, len)).ok() ? 1 : 0;
  }
  CHECK_EQ(accepted, 0);
  CHECK_EQ(Program::load(Span<const uint8_t>(nullptr, 0)).error(), Error::InvalidProgram);

  memcpy(g_copy, g_buf, n);
  g_copy[6] = '3';  // "ET13"
  CHECK_EQ(Program::load(Span<const uint8_t>(g_copy, n)).error(), Error::InvalidProgram);
  CHECK(message_has("ET12"));

  memcpy(g_copy, g_buf, n);
  g_copy[8] = 'x';  // no extended header, but segment 0 has 32 bytes of data
  CHECK_EQ(Program::load(Span<const uint8_t>(g_copy, n)).error(), Error::InvalidProgram);
  CHECK(message_has("segment 0"));

  memcpy(g_copy, g_buf, n);
  g_copy[32] = 0x40;  // segment_data_size beyond the file
  CHECK_EQ(Program::load(Span<const uint8_t>(g_copy, n)).error(), Error::InvalidProgram);
  CHECK(message_has("truncated"));

  memcpy(g_copy, g_buf, n);
  g_copy[12] = 8;  // header length below 24
  CHECK_EQ(Program::load(Span<const uint8_t>(g_copy, n)).error(), Error::InvalidProgram);

  memcpy(g_copy, g_buf, n);
  g_copy[0] = 0xF0;  // root offset beyond the flatbuffer
  CHECK_EQ(Program::load(Span<const uint8_t>(g_copy, n)).error(), Error::InvalidProgram);

  // Constants are read in place: a misaligned program buffer is refused.
  memcpy(g_copy + 1, g_buf, n);
  CHECK_EQ(Program::load(Span<const uint8_t>(g_copy + 1, n)).error(), Error::InvalidArgument);
}

void test_out_of_range() {
  ProgramSpec s;
  s.op_index = 1;  // only one operator
  CHECK_EQ(load(s), Error::InvalidProgram);
  CHECK(message_has("instruction 0"));
  s = ProgramSpec();
  s.first_arg = 4;  // only 4 values
  CHECK_EQ(load(s), Error::InvalidProgram);
  s.first_arg = -1;
  CHECK_EQ(load(s), Error::InvalidProgram);
  s = ProgramSpec();
  s.memory_id = 2;  // only memory id 1
  CHECK_EQ(load(s), Error::InvalidProgram);
  CHECK(message_has("memory_id 2"));
  s = ProgramSpec();
  s.memory_id = 0;  // id 0 is reserved
  CHECK_EQ(load(s), Error::InvalidProgram);
  s = ProgramSpec();
  s.out_offset = 48;  // 48 + 24 > 64
  CHECK_EQ(load(s), Error::InvalidProgram);
  CHECK(message_has("overruns"));
  s.out_offset = 1ull << 40;
  CHECK_EQ(load(s), Error::InvalidProgram);
  s = ProgramSpec();
  s.out_offset = 33;  // inside the buffer, but a float at an odd address (bit-flip sweep finding)
  CHECK_EQ(load(s), Error::InvalidProgram);
  CHECK(message_has("not a multiple of its element size"));
  s = ProgramSpec();
  s.constant_idx = 2;  // offsets has 2 entries (0 reserved, 1)
  CHECK_EQ(load(s), Error::InvalidProgram);
  s = ProgramSpec();
  s.dim0 = 3;  // c would need 36 bytes; the segment has 32
  s.buffer_size = 128;
  CHECK_EQ(load(s), Error::InvalidProgram);
  s = ProgramSpec();
  s.dim0 = -1;
  CHECK_EQ(load(s), Error::InvalidProgram);
  CHECK(message_has("negative"));
  s = ProgramSpec();
  s.dim0 = 1 << 30;  // huge tensors are a limit error, not an allocation
  s.dim1 = 1 << 30;
  CHECK_EQ(load(s), Error::LimitExceeded);
  s = ProgramSpec();
  s.buffer_size = -5;
  CHECK_EQ(load(s), Error::LimitExceeded);
}

void test_limits() {
  LoadLimits l;
  l.max_values = 3;
  CHECK_EQ(load(ProgramSpec(), l), Error::LimitExceeded);
  l = LoadLimits();
  l.max_instructions = 0;
  CHECK_EQ(load(ProgramSpec(), l), Error::LimitExceeded);
  l = LoadLimits();
  l.max_planned_bytes = 63;
  CHECK_EQ(load(ProgramSpec(), l), Error::LimitExceeded);
  l = LoadLimits();
  l.max_args = 4;
  CHECK_EQ(load(ProgramSpec(), l), Error::LimitExceeded);
  l = LoadLimits();
  l.max_file_bytes = 100;
  CHECK_EQ(load(ProgramSpec(), l), Error::LimitExceeded);
  l = LoadLimits();
  l.max_plans = 0;
  CHECK_EQ(load(ProgramSpec(), l), Error::LimitExceeded);
}

// Flips every byte of every test program a few ways: load must never crash or
// read out of bounds (ASan/UBSan builds check the latter), whatever it returns.
void test_corruption() {
  for (int variant = 0; variant < 3; ++variant) {
    ProgramSpec s;
    s.loop = variant == 1;
    s.delegate = variant == 2;
    const size_t n = slimtorch_test::build_program(s, g_buf, sizeof(g_buf));
    int loaded = 0, total = 0;
    static const uint8_t kMasks[] = {0x01, 0x80, 0xFF};
    for (size_t pos = 0; pos < n; ++pos) {
      for (uint8_t mask : kMasks) {
        memcpy(g_copy, g_buf, n);
        g_copy[pos] ^= mask;
        loaded += Program::load(Span<const uint8_t>(g_copy, n)).ok() ? 1 : 0;
        ++total;
      }
    }
    CHECK(loaded < total);  // most corruptions are detected; none crash
  }
}

}  // namespace

int main() {
  setenv("SLIMTORCH_QUIET", "1", 1);
  test_valid();
  test_header_and_truncation();
  test_out_of_range();
  test_limits();
  test_corruption();
  return slimtorch_test::check_summary();
}
