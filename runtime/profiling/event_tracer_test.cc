// EventTracer: the ETDump it writes reads back (through the project's checked
// flatbuffer reader) with upstream's layout; a buffer that runs out gives a named
// error, writes nothing outside the buffer, and keeps the recorded events valid.
// (Upstream's own reader parses pte_runner's and the firmware's ETDumps:
// tests/test_etdump_runtime.py.)
#include "runtime/profiling/event_tracer.h"

#include <string.h>

#include "runtime/platform/log.h"
#include "runtime/program/flatbuffer.h"
#include "runtime/testing/check.h"

namespace {

using slimtorch::Error;
using slimtorch::EventTracer;
using slimtorch::Fb;
using slimtorch::Span;

const char* const kOps[3] = {"aten::add.out", "aten::mm.out", "aten::relu.out"};

// "Default" with two events, then "Execute" with `n` instruction events (names
// alternate between OPERATOR_CALL + a suffix and MOVE_CALL), times 10*i .. 10*i+5.
void record(EventTracer& t, uint32_t n) {
  t.begin_block("Default");
  t.record("Method::init", nullptr, -1, 0, 1, 2);
  t.record("Program::load_method", nullptr, -1, 0, 0, 3);
  t.begin_block("Execute");
  for (uint32_t i = 0; i < n; ++i) {
    if (i % 2 == 0) {
      t.record("native_call_", kOps[i % 3] + 6, 0, static_cast<int32_t>(i), 10 * i, 10 * i + 5);
    } else {
      t.record("MOVE_CALL", nullptr, 0, static_cast<int32_t>(i), 10 * i, 10 * i + 5);
    }
  }
}

bool str_is(const Fb::Str& s, const char* want) { return s.len == strlen(want) && memcmp(s.data, want, s.len) == 0; }

// Checks the ETDump's layout; returns its number of instruction events (-1 if malformed).
int check_etdump(Span<const uint8_t> out, uint32_t n_recorded) {
  if (out.size < 12) return -1;
  uint32_t prefix;
  memcpy(&prefix, out.data, 4);
  CHECK_EQ(prefix, out.size - 4);
  CHECK(memcmp(out.data + 8, "ED00", 4) == 0);
  const Fb fb(out.data + 4, static_cast<uint32_t>(out.size - 4));
  const Fb::Table root = fb.root();
  CHECK_EQ(fb.u32(root, 0), EventTracer::kVersion);
  const Fb::Vec runs = fb.vec(root, 1, 4);
  uint32_t total = 0;
  int instr = 0;
  for (uint32_t r = 0; r < runs.len; ++r) {
    const Fb::Table run = fb.vec_table(runs, r);
    CHECK(str_is(fb.str(run, 0), r == 0 ? "Default" : "Execute"));
    CHECK_EQ(fb.i32(run, 1, -1), -1);  // bundled_input_index: unset
    const Fb::Vec events = fb.vec(run, 3, 4);
    for (uint32_t e = 0; e < events.len; ++e, ++total) {
      const Fb::Table pe = fb.table(fb.vec_table(events, e), 0);
      const Fb::Str name = fb.str(pe, 0);
      if (r == 0) {
        CHECK(str_is(name, e == 0 ? "Method::init" : "Program::load_method"));
        CHECK_EQ(fb.i32(pe, 1), -1);
        continue;
      }
      const int32_t id = fb.i32(pe, 2, -1);
      CHECK_EQ(id, instr);
      CHECK(str_is(name, id % 2 == 1 ? "MOVE_CALL" : id % 3 == 0 ? "native_call_add.out" : id % 3 == 1 ? "native_call_mm.out" : "native_call_relu.out"));
      CHECK_EQ(fb.i32(pe, 1), 0);  // chain_index: the schema default 0 (left out)
      CHECK_EQ(fb.u64(pe, 6), 10u * id);
      CHECK_EQ(fb.u64(pe, 7), 10u * id + 5);
      ++instr;
    }
  }
  CHECK_EQ(total, n_recorded);
  CHECK(!fb.bad());
  return fb.bad() ? -1 : instr;
}

}  // namespace

int main() {
  alignas(8) static uint8_t buf[8192];
  {
    EventTracer t(Span<uint8_t>(buf + 1, 6000));
    record(t, 60);
    Span<const uint8_t> out;
    CHECK(t.finish(&out) == Error::Ok);
    CHECK_EQ(t.dropped(), 0u);
    CHECK_EQ(t.num_events(), 62u);
    CHECK_EQ(check_etdump(out, 62), 60);
    // Names are written once: 60 events take well under 60 bytes each.
    CHECK(out.size < 60 * 60);
    CHECK(t.bytes_needed() >= out.size);
    // After finish() the tracer ignores more events.
    t.record("MOVE_CALL", nullptr, 0, 99, 0, 1);
    Span<const uint8_t> again;
    CHECK(t.finish(&again) == Error::Ok && again.data == out.data && again.size == out.size);
  }
  // Every buffer size up to what 60 events need: no write outside the buffer;
  // the events recorded so far form a valid ETDump; the error names the shortfall.
  size_t full = 0;
  {
    EventTracer t(Span<uint8_t>(buf, sizeof(buf)));
    record(t, 60);
    Span<const uint8_t> out;
    t.finish(&out);
    full = out.size;
  }
  int short_runs = 0;
  for (size_t cap = 0; cap <= full + 64; cap += 12) {
    memset(buf, 0x5A, sizeof(buf));
    EventTracer t(Span<uint8_t>(buf + 32, cap));
    record(t, 60);
    Span<const uint8_t> out;
    const Error e = t.finish(&out);
    bool untouched = true;
    for (size_t i = 0; i < 32; ++i) untouched = untouched && buf[i] == 0x5A;
    for (size_t i = 32 + cap; i < sizeof(buf); ++i) untouched = untouched && buf[i] == 0x5A;
    CHECK(untouched);
    if (t.dropped() == 0 && e == Error::Ok) {
      CHECK_EQ(check_etdump(out, 62), 60);
      continue;
    }
    ++short_runs;
    CHECK(e == Error::OutOfMemory);
    CHECK(strstr(slimtorch::last_error_message(), "--etdump-bytes") != nullptr);
    CHECK(t.bytes_needed() >= full - 64);  // an estimate, never far below the real size
    if (out.size > 0) {
      CHECK(strstr(slimtorch::last_error_message(), "events dropped") != nullptr);
      const int instr = check_etdump(out, t.num_events());
      CHECK(instr >= 0 && static_cast<uint32_t>(instr) + 2 >= t.num_events());
      CHECK_EQ(t.num_events() + t.dropped(), 62u);
    }
  }
  CHECK(short_runs > 10);
  return slimtorch_test::check_summary();
}
