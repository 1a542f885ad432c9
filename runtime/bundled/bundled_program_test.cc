// Bundled-program tests: hand-made BP08 bundles around runtime/testing's add
// program (out = x + c, c = [1..6], float [2, 3]), run with the portable add
// kernel. Passing and failing test cases (the failing output's largest
// difference and where), tolerances, input count/kind/dtype/shape disagreement,
// output shape/dtype disagreement, truncated and corrupt bundles.
#include <string.h>

#include "runtime/bundled/bundled_program.h"
#include "runtime/kernel/kernel.h"
#include "runtime/platform/log.h"
#include "runtime/testing/check.h"
#include "runtime/testing/fb_builder.h"
#include "runtime/testing/test_programs.h"

using slimtorch::BundledOutputResult;
using slimtorch::BundledProgram;
using slimtorch::BundledTolerance;
using slimtorch::Error;
using slimtorch::Method;
using slimtorch::MemoryConfig;
using slimtorch::Program;
using slimtorch::Result;
using slimtorch::Span;
using slimtorch_test::FbBuilder;

namespace slimtorch {
namespace native {
Error add_out(KernelContext& ctx, EValue** args, size_t nargs);  // kernels/portable/op_binary.cpp
}  // namespace native
const KernelEntry kSelectedKernels[] = {{"aten::add.out", native::add_out}};
const size_t kNumSelectedKernels = 1;
const Backend* const kSelectedBackends[1] = {nullptr};
const size_t kNumSelectedBackends = 0;
}  // namespace slimtorch

namespace {

alignas(16) uint8_t g_program[1 << 14];
size_t g_program_size = 0;
FbBuilder g_b;  // static: 64 KiB
alignas(32) uint8_t g_bundle[1 << 16];
alignas(16) uint8_t g_planned[256];
alignas(16) uint8_t g_arena[8192];
Span<uint8_t> g_planned_spans[1];

const float kX[6] = {10, 11, 12, 13, 14, 15};
const float kOut[6] = {11, 13, 15, 17, 19, 21};  // x + [1..6]
const int32_t kShape[2] = {2, 3};

bool message_has(const char* text) { return strstr(slimtorch::last_error_message(), text) != nullptr; }

struct TensorSpec {
  int8_t dtype = 6;  // Float
  const int32_t* sizes = kShape;
  uint32_t dim = 2;
  const void* data = nullptr;
  uint32_t nbytes = 0;
};

struct CaseSpec {
  TensorSpec input;
  uint32_t num_inputs = 1;
  TensorSpec expected;
  bool expected_is_int = false;  // an Int value instead of the expected tensor
};

// Writes a Value table holding `t` (parents first, as FbBuilder writes).
uint32_t tensor_value(const TensorSpec& t) {
  const uint32_t value = g_b.table(2);
  g_b.u8(value, 0, 1);  // ValueUnion: Tensor
  const uint32_t tensor = g_b.table(4);
  g_b.ref(value, 1, tensor);
  g_b.u8(tensor, 0, static_cast<uint8_t>(t.dtype));
  g_b.ref(tensor, 1, g_b.vec(t.sizes, t.dim));
  g_b.align(16, 4);  // data: force_align 16
  const uint32_t data = g_b.size();
  g_b.raw(&t.nbytes, 4, 1);
  g_b.raw(t.data, t.nbytes, 1);
  g_b.ref(tensor, 2, data);
  return value;
}

// A bundle with one suite ("forward") and one test case; returns its size.
size_t build_bundle(const CaseSpec& c) {
  g_b.reset();
  memcpy(g_b.data() + 4, "BP08", 4);
  const uint32_t root = g_b.table(3);
  g_b.u32(root, 0, 1);
  const uint32_t suites = g_b.vec_refs(1);
  g_b.ref(root, 1, suites);
  const uint32_t suite = g_b.table(2);
  g_b.vec_ref(suites, 0, suite);
  g_b.ref(suite, 0, g_b.str("forward"));
  const uint32_t cases = g_b.vec_refs(1);
  g_b.ref(suite, 1, cases);
  const uint32_t tc = g_b.table(2);
  g_b.vec_ref(cases, 0, tc);
  const uint32_t inputs = g_b.vec_refs(c.num_inputs);
  g_b.ref(tc, 0, inputs);
  for (uint32_t i = 0; i < c.num_inputs; ++i) g_b.vec_ref(inputs, i, tensor_value(c.input));
  const uint32_t outputs = g_b.vec_refs(1);
  g_b.ref(tc, 1, outputs);
  if (c.expected_is_int) {
    const uint32_t value = g_b.table(2);
    g_b.vec_ref(outputs, 0, value);
    g_b.u8(value, 0, 2);  // Int
    const uint32_t body = g_b.table(1);
    g_b.ref(value, 1, body);
    g_b.i64(body, 0, 7);
  } else {
    g_b.vec_ref(outputs, 0, tensor_value(c.expected));
  }
  g_b.align(32, 4);  // program: force_align 32
  const uint32_t program = g_b.size();
  const uint32_t n = static_cast<uint32_t>(g_program_size);
  g_b.raw(&n, 4, 1);
  g_b.raw(g_program, n, 1);
  g_b.ref(root, 2, program);
  g_b.finish(root);
  memcpy(g_bundle, g_b.data(), g_b.size());
  return g_b.size();
}

CaseSpec good_case() {
  CaseSpec c;
  c.input.data = kX;
  c.input.nbytes = sizeof(kX);
  c.expected.data = kOut;
  c.expected.nbytes = sizeof(kOut);
  return c;
}

// Loads the bundle, its program and the method; runs test case 0. Returns
// run_test_case's error; *pass and results[0] tell how the output compared.
Error run(size_t size, BundledOutputResult* result, bool* pass, const BundledTolerance& tol = BundledTolerance()) {
  Result<BundledProgram> bp = BundledProgram::load(Span<const uint8_t>(g_bundle, size));
  CHECK(bp.ok());
  if (!bp.ok()) return bp.error();
  CHECK_EQ(bp.get().num_suites(), 1u);
  CHECK_EQ(strcmp(bp.get().method_name(0), "forward"), 0);
  CHECK_EQ(bp.get().num_test_cases(0), 1u);
  // The program is a view into the bundle, aligned as the schema asks.
  const Span<const uint8_t> inner = bp.get().program();
  CHECK(inner.data > g_bundle && inner.data + inner.size <= g_bundle + size);
  CHECK_EQ(reinterpret_cast<uintptr_t>(inner.data) % 32, 0u);
  CHECK_EQ(memcmp(inner.data, g_program, g_program_size), 0);
  Result<Program> p = Program::load(inner);
  CHECK(p.ok());
  if (!p.ok()) return p.error();
  memset(g_planned, 0, sizeof(g_planned));
  g_planned_spans[0] = Span<uint8_t>(g_planned, 64);
  MemoryConfig mem;
  mem.planned = Span<Span<uint8_t>>(g_planned_spans, 1);
  mem.arena = Span<uint8_t>(g_arena, sizeof(g_arena));
  Method m;
  const Error ie = m.init(p.get(), 0, mem);
  CHECK_EQ(ie, Error::Ok);
  if (ie != Error::Ok) return ie;
  return bp.get().run_test_case(&m, 0, 0, tol, Span<BundledOutputResult>(result, 1), pass);
}

void test_passing_and_failing_cases() {
  BundledOutputResult r;
  bool pass = false;
  CHECK_EQ(run(build_bundle(good_case()), &r, &pass), Error::Ok);
  CHECK(pass);
  CHECK(r.pass());
  CHECK_EQ(r.numel, 6u);
  CHECK_EQ(r.mismatches, 0u);
  CHECK(r.max_abs_diff == 0.0);

  // One expected element off by 0.5: fails, naming element 4 and the difference.
  float wrong[6];
  memcpy(wrong, kOut, sizeof(wrong));
  wrong[4] += 0.5f;
  CaseSpec c = good_case();
  c.expected.data = wrong;
  CHECK_EQ(run(build_bundle(c), &r, &pass), Error::Ok);
  CHECK(!pass);
  CHECK_EQ(r.verdict, BundledOutputResult::kValues);
  CHECK_EQ(r.mismatches, 1u);
  CHECK_EQ(r.max_index, 4u);
  CHECK(r.max_abs_diff == 0.5);
  CHECK(r.actual == 19.0 && r.expected == 19.5);
  // ... and passes with a tolerance that covers it (atol + rtol * |19.5| >= 0.5).
  BundledTolerance loose;
  loose.atol = 0.5;
  CHECK_EQ(run(build_bundle(c), &r, &pass, loose), Error::Ok);
  CHECK(pass);

  // Within the default tolerance: 1e-4 relative of 21 is 2.1e-3.
  memcpy(wrong, kOut, sizeof(wrong));
  wrong[5] += 1e-3f;
  CHECK_EQ(run(build_bundle(c), &r, &pass), Error::Ok);
  CHECK(pass);
  CHECK(r.max_abs_diff > 0 && r.max_index == 5u);
}

void test_output_disagreement() {
  BundledOutputResult r;
  bool pass = true;
  CaseSpec c = good_case();
  const int32_t other[2] = {3, 2};
  c.expected.sizes = other;
  CHECK_EQ(run(build_bundle(c), &r, &pass), Error::Ok);
  CHECK(!pass);
  CHECK_EQ(r.verdict, BundledOutputResult::kShape);
  c = good_case();
  c.expected.dtype = 3;  // Int, same byte count
  CHECK_EQ(run(build_bundle(c), &r, &pass), Error::Ok);
  CHECK_EQ(r.verdict, BundledOutputResult::kDtype);
  c = good_case();
  c.expected_is_int = true;
  CHECK_EQ(run(build_bundle(c), &r, &pass), Error::Ok);
  CHECK_EQ(r.verdict, BundledOutputResult::kKind);
}

void test_input_disagreement() {
  BundledOutputResult r;
  bool pass = true;
  CaseSpec c = good_case();
  const int32_t other[2] = {3, 2};
  c.input.sizes = other;
  CHECK_EQ(run(build_bundle(c), &r, &pass), Error::InvalidArgument);
  CHECK(message_has("input 0 has shape [3, 2] in the bundle, the method takes [2, 3]"));
  CHECK(message_has("method 'forward'"));
  CHECK(!pass);

  const int32_t three_d[3] = {1, 2, 3};
  c.input.sizes = three_d;
  c.input.dim = 3;
  CHECK_EQ(run(build_bundle(c), &r, &pass), Error::InvalidArgument);
  CHECK(message_has("shape [1, 2, 3] in the bundle, the method takes [2, 3]"));

  c = good_case();
  const double xd[6] = {10, 11, 12, 13, 14, 15};
  c.input.dtype = 7;  // Double
  c.input.data = xd;
  c.input.nbytes = sizeof(xd);
  CHECK_EQ(run(build_bundle(c), &r, &pass), Error::InvalidArgument);
  CHECK(message_has("input 0 is Double in the bundle, the method takes Float"));

  c = good_case();
  c.num_inputs = 2;
  CHECK_EQ(run(build_bundle(c), &r, &pass), Error::InvalidArgument);
  CHECK(message_has("gives 2 inputs, the method takes 1"));
}

void test_corrupt_bundles() {
  const size_t n = build_bundle(good_case());
  // Every truncation is refused with a named error (the program and the data are at the end).
  size_t refused = 0;
  for (size_t len = 0; len < n; ++len) {
    Result<BundledProgram> bp = BundledProgram::load(Span<const uint8_t>(g_bundle, len));
    if (!bp.ok()) {
      ++refused;
      CHECK(bp.error() == Error::InvalidProgram);
    }
  }
  CHECK_EQ(refused, n);
  CHECK(message_has("bundled program") || message_has("BP08"));

  // Not a bundle: a plain program.
  Result<BundledProgram> plain = BundledProgram::load(Span<const uint8_t>(g_program, g_program_size));
  CHECK(!plain.ok());
  CHECK(message_has("no BP08 file identifier"));
  CHECK(!BundledProgram::is_bundled(Span<const uint8_t>(g_program, g_program_size)));
  CHECK(BundledProgram::is_bundled(Span<const uint8_t>(g_bundle, n)));

  // Data shorter than the sizes need.
  CaseSpec c = good_case();
  c.input.nbytes = 20;
  Result<BundledProgram> shortdata = BundledProgram::load(Span<const uint8_t>(g_bundle, build_bundle(c)));
  CHECK(!shortdata.ok());
  CHECK(message_has("test case 0 input 0 is a bad tensor: its data is shorter than its sizes need"));

  // A negative size and an unknown dtype.
  c = good_case();
  const int32_t negative[2] = {-2, 3};
  c.expected.sizes = negative;
  CHECK(!BundledProgram::load(Span<const uint8_t>(g_bundle, build_bundle(c))).ok());
  CHECK(message_has("expected output 0 is a bad tensor: a size is negative"));
  c = good_case();
  c.input.dtype = 99;
  CHECK(!BundledProgram::load(Span<const uint8_t>(g_bundle, build_bundle(c))).ok());
  CHECK(message_has("scalar_type is not a dtype the runtime knows"));

  // Every single-byte corruption of the bundle's structure (not the inner
  // program, which Program::load verifies) is refused or loads consistently: no
  // out-of-bounds read (ASan in tools/fuzz), and a loaded one runs without crashing.
  CHECK_EQ(build_bundle(good_case()), n);
  Result<BundledProgram> good = BundledProgram::load(Span<const uint8_t>(g_bundle, n));
  CHECK(good.ok());
  if (!good.ok()) return;
  const size_t program_at = static_cast<size_t>(good.get().program().data - g_bundle);
  static uint8_t saved[1 << 16];
  memcpy(saved, g_bundle, n);
  for (size_t pos = 0; pos < program_at; ++pos) {
    memcpy(g_bundle, saved, n);
    g_bundle[pos] ^= 0xFF;
    Result<BundledProgram> bp = BundledProgram::load(Span<const uint8_t>(g_bundle, n));
    if (bp.ok()) {
      CHECK(bp.get().program().data + bp.get().program().size <= g_bundle + n);
    }
  }
  memcpy(g_bundle, saved, n);
}

}  // namespace

int main() {
  slimtorch_test::ProgramSpec spec;
  g_program_size = slimtorch_test::build_program(spec, g_program, sizeof(g_program));
  CHECK(g_program_size > 0);
  test_passing_and_failing_cases();
  test_output_disagreement();
  test_input_disagreement();
  test_corrupt_bundles();
  return slimtorch_test::check_summary();
}
