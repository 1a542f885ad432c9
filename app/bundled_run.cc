// Bundled test cases: run and report; see bundled_run.h.
#include "app/bundled_run.h"

#include "runtime/core/format_g9.h"
#include "runtime/platform/log.h"

namespace slimtorch_app {

using slimtorch::BundledOutputResult;
using slimtorch::Error;

namespace {

// One output line, assembled in a fixed buffer (long names are cut, never overrun).
class Line {
 public:
  Line& str(const char* s) {
    while (*s != '\0' && len_ + 1 < sizeof(buf_)) buf_[len_++] = *s++;
    buf_[len_] = '\0';
    return *this;
  }
  Line& num(int64_t v) {
    char b[24];
    b[slimtorch::format_int(b, v)] = '\0';
    return str(b);
  }
  Line& real(double v) {
    char b[32];
    slimtorch::format_g9(v, b);
    return str(b);
  }
  void emit(WriteFn write) {
    str("\n");
    write(buf_);
    len_ = 0;
    buf_[0] = '\0';
  }

 private:
  char buf_[240] = {};
  size_t len_ = 0;
};

}  // namespace

Error run_bundled_suite(const slimtorch::BundledProgram& bundle, size_t suite, const slimtorch::Program& program,
                        size_t plan, const slimtorch::MemoryConfig& memory,
                        const slimtorch::BundledTolerance& tolerance, WriteFn write, BundledTally* tally) {
  slimtorch::Method method;
  ST_TRY(method.init(program, plan, memory));
  if (method.num_outputs() > SLIMTORCH_MAX_OUTPUTS) {
    return ST_FAIL(Error::InvalidArgument, "the method has {} outputs: raise SLIMTORCH_MAX_OUTPUTS ({})",
                   method.num_outputs(), SLIMTORCH_MAX_OUTPUTS);
  }
  BundledOutputResult results[SLIMTORCH_MAX_OUTPUTS];
  const char* name = bundle.method_name(suite);
  for (size_t c = 0; c < bundle.num_test_cases(suite); ++c) {
    ST_TRY(bundle.run_test_case(&method, suite, c, tolerance,
                                slimtorch::Span<BundledOutputResult>(results, SLIMTORCH_MAX_OUTPUTS)));
    ++tally->test_cases;
    for (size_t i = 0; i < bundle.num_expected_outputs(suite, c); ++i) {
      const BundledOutputResult& r = results[i];
      ++tally->outputs;
      Line line;
      line.str("test ").str(name).str("[").num(static_cast<int64_t>(c)).str("] output ").num(static_cast<int64_t>(i));
      if (r.verdict == BundledOutputResult::kDtype || r.verdict == BundledOutputResult::kShape ||
          r.verdict == BundledOutputResult::kKind) {
        ++tally->failed;
        line.str(": FAIL ")
            .str(r.verdict == BundledOutputResult::kDtype   ? "dtype"
                 : r.verdict == BundledOutputResult::kShape ? "shape"
                                                            : "kind (tensor or scalar type)")
            .str(" differs from the expected output");
        line.emit(write);
        continue;
      }
      line.str(r.pass() ? ": pass" : ": FAIL").str(" max_abs_diff ").real(r.max_abs_diff).str(" at ");
      line.num(r.max_index);
      if (!r.pass()) {
        ++tally->failed;
        line.str(" (actual ").real(r.actual).str(", expected ").real(r.expected).str("; ").num(r.mismatches);
        line.str(" of ").num(r.numel).str(" elements out of tolerance)");
      }
      line.emit(write);
    }
  }
  return Error::Ok;
}

bool print_bundled_summary(const BundledTally& tally, const slimtorch::BundledTolerance& tolerance, WriteFn write) {
  const bool ok = tally.failed == 0 && tally.outputs > 0;
  Line line;
  line.str("selftest: ").str(ok ? "PASS " : "FAIL ").num(tally.test_cases).str(" test cases, ").num(tally.outputs);
  line.str(" outputs: ").num(tally.outputs - tally.failed).str(" passed, ").num(tally.failed).str(" failed (rtol ");
  line.real(tolerance.rtol).str(", atol ").real(tolerance.atol).str(")");
  if (tally.outputs == 0) line.str("; the bundle has no test cases");
  line.emit(write);
  return ok;
}

}  // namespace slimtorch_app
