// Method tests: init (arena and planned-buffer sizing, kernel and backend
// resolution), inputs, execution of every instruction kind, prim ops, and the
// messages failures leave behind. Programs come from runtime/testing.
#include "runtime/executor/method.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/executor/prim_ops.h"
#include "runtime/platform/log.h"
#include "runtime/testing/check.h"
#include "runtime/testing/test_programs.h"

using namespace slimtorch;  // NOLINT: test file
using slimtorch_test::ProgramSpec;

// ---- the test binary's kernel registry ------------------------------------

namespace {

// out = self + alpha * other, float, same shapes: args [self, other, alpha, out, ret].
Error test_add(KernelContext& ctx, EValue** args, size_t nargs) {
  if (nargs != 5 || !args[0]->is_tensor() || !args[1]->is_tensor() || !args[2]->is_int() || !args[3]->is_tensor()) {
    return ctx.fail("bad arguments");
  }
  const Tensor& a = args[0]->to_tensor();
  const Tensor& b = args[1]->to_tensor();
  Tensor& out = args[3]->to_tensor();
  if (resize_tensor(out, a.sizes, a.dim) != Error::Ok || a.numel != b.numel) {
    return ctx.fail("shape mismatch");
  }
  const float alpha = static_cast<float>(args[2]->to_int());
  for (uint32_t i = 0; i < a.numel; ++i) {
    out.data_as<float>()[i] = a.data_as<float>()[i] + alpha * b.data_as<float>()[i];
  }
  return Error::Ok;
}

Error test_fail(KernelContext& ctx, EValue**, size_t) { return ctx.fail("always fails"); }

}  // namespace

namespace slimtorch {
// Sorted by name, like a generated registry (find_kernel binary-searches).
const KernelEntry kSelectedKernels[] = {{"aten::add.out", test_add},
                                        {"executorch_prim::add.Scalar", prim::add_Scalar},
                                        {"executorch_prim::lt.Scalar", prim::lt_Scalar},
                                        {"test::fail.out", test_fail}};
const size_t kNumSelectedKernels = 4;
// One backend "selected at build time", as a generated registry lists it; the
// delegate test registers its own at run time (register_backend()).
const Backend kBuildSelected = {"BuildSelected", nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
const Backend* const kSelectedBackends[] = {&kBuildSelected};
const size_t kNumSelectedBackends = 1;
}  // namespace slimtorch

namespace {

alignas(16) uint8_t g_program[1 << 16];
alignas(16) uint8_t g_planned[256];
alignas(16) uint8_t g_arena[8192];
Span<uint8_t> g_planned_spans[1];

const float kX[6] = {10, 11, 12, 13, 14, 15};

bool message_has(const char* text) { return strstr(last_error_message(), text) != nullptr; }

// Loads and inits `spec`; returns init's error (load must succeed).
Error setup(const ProgramSpec& spec, Program* program, Method* method, size_t arena = sizeof(g_arena),
            size_t planned = 64, const LoadLimits& limits = LoadLimits()) {
  const size_t n = slimtorch_test::build_program(spec, g_program, sizeof(g_program));
  Result<Program> p = Program::load(Span<const uint8_t>(g_program, n), limits);
  CHECK(p.ok());
  if (!p.ok()) {
    return p.error();
  }
  *program = p.get();
  memset(g_planned, 0, sizeof(g_planned));
  g_planned_spans[0] = Span<uint8_t>(g_planned, planned);
  MemoryConfig mem;
  mem.planned = Span<Span<uint8_t>>(g_planned_spans, 1);
  mem.arena = Span<uint8_t>(g_arena, arena);
  return method->init(*program, 0, mem);
}

bool output_is(const Method& m, float scale_c) {
  if (m.num_outputs() != 1 || !m.output(0).is_tensor()) {
    return false;
  }
  const Tensor& t = m.output(0).to_tensor();
  if (t.numel != 6 || t.dim != 2 || t.sizes[0] != 2 || t.sizes[1] != 3) {
    return false;
  }
  for (int i = 0; i < 6; ++i) {
    if (t.data_as<float>()[i] != kX[i] + scale_c * static_cast<float>(i + 1)) {
      return false;
    }
  }
  return true;
}

void test_run_add() {
  Program p;
  Method m;
  CHECK_EQ(setup(ProgramSpec(), &p, &m), Error::Ok);
  CHECK_EQ(m.num_inputs(), 1u);
  CHECK_EQ(m.set_input(0, kX, sizeof(kX)), Error::Ok);
  CHECK_EQ(m.execute(), Error::Ok);
  CHECK(output_is(m, 1.0f));
  // Inputs are checked.
  CHECK_EQ(m.set_input(0, kX, sizeof(kX) - 4), Error::InvalidArgument);
  CHECK(message_has("expected 24 bytes, got 20"));
  CHECK_EQ(m.set_input(1, kX, sizeof(kX)), Error::InvalidArgument);
  // Dynamic shapes: this input is static, so only its own shape is accepted.
  const int32_t same[2] = {2, 3}, other[2] = {3, 2};
  CHECK_EQ(m.set_input_shape(0, same, 2), Error::Ok);
  CHECK_EQ(m.set_input_shape(0, other, 2), Error::InvalidArgument);
}

void test_memory_sizing() {
  Program p;
  Method m;
  CHECK_EQ(setup(ProgramSpec(), &p, &m), Error::Ok);
  Result<size_t> need = Method::bookkeeping_bytes_needed(p, 0);
  CHECK(need.ok());
  CHECK(need.get() > 0 && need.get() < sizeof(g_arena));
  // Exactly the advertised size works; too little says how much is needed.
  Method m2;
  CHECK_EQ(setup(ProgramSpec(), &p, &m2, need.get()), Error::Ok);
  Method m3;
  CHECK_EQ(setup(ProgramSpec(), &p, &m3, 16), Error::OutOfMemory);
  char expect[64];
  size_t len = 0;
  const char* prefix = "need ";
  memcpy(expect, prefix, 5);
  len = 5 + format_int(expect + 5, static_cast<int64_t>(need.get()));
  expect[len] = '\0';
  CHECK(message_has(expect));
  CHECK(message_has("bookkeeping arena"));
  CHECK_EQ(m3.execute(), Error::InvalidArgument);  // not initialised
  Method m4;
  CHECK_EQ(setup(ProgramSpec(), &p, &m4, sizeof(g_arena), 63), Error::OutOfMemory);
  CHECK(message_has("memory id 1 too small: need 64 bytes, have 63"));
  CHECK_EQ(Method::bookkeeping_bytes_needed(p, 1).error(), Error::InvalidArgument);
}

// Every arena short of the advertised need, with a canary after it: init fails
// with the need in its message, wherever in its single walk the arena ran out
// (or after it, when this placement would fit), and never writes past the arena.
void test_every_short_arena() {
  ProgramSpec specs[2];
  specs[1].loop = true;  // lists, prim ops, more instructions
  for (const ProgramSpec& spec : specs) {
    Program p;
    Method m0;
    CHECK_EQ(setup(spec, &p, &m0), Error::Ok);
    const size_t need = Method::bookkeeping_bytes_needed(p, 0).get();
    CHECK(need + 64 <= sizeof(g_arena));
    size_t failures = 0;
    for (size_t size = 0; size < need; ++size) {
      memset(g_arena + size, 0xA5, 64);
      Method m;
      const Error e = setup(spec, &p, &m, size);
      for (size_t k = 0; k < 64; ++k) {
        CHECK_EQ(g_arena[size + k], 0xA5);
      }
      CHECK_EQ(e, Error::OutOfMemory);
      CHECK(message_has("bookkeeping arena too small: need "));
      failures += e == Error::OutOfMemory ? 1 : 0;
    }
    CHECK_EQ(failures, need);
    Method fits;
    CHECK_EQ(setup(spec, &p, &fits, need), Error::Ok);
    CHECK_EQ(fits.set_input(0, kX, sizeof(kX)), Error::Ok);
    CHECK_EQ(fits.execute(), Error::Ok);
    CHECK(output_is(fits, spec.loop ? 3.0f : 1.0f));
  }
}

void test_missing_kernel_and_kernel_failure() {
  Program p;
  Method m;
  ProgramSpec s;
  s.op_name = "aten::sub";
  CHECK_EQ(setup(s, &p, &m), Error::MissingKernel);
  CHECK(message_has("'aten::sub.out'"));
#if SLIMTORCH_ERROR_MESSAGES == 2
  CHECK(message_has("called with Float, Float"));  // the first call's tensor dtypes
#endif
  s.op_name = "test::fail";
  Method m2;
  CHECK_EQ(setup(s, &p, &m2), Error::Ok);
  CHECK_EQ(m2.set_input(0, kX, sizeof(kX)), Error::Ok);
  CHECK_EQ(m2.execute(), Error::KernelFailed);
  CHECK(message_has("instruction 0 (test::fail.out) failed: always fails"));
}

void test_control_flow() {
  Program p;
  Method m;
  ProgramSpec s;
  s.loop = true;
  CHECK_EQ(setup(s, &p, &m), Error::Ok);
  CHECK_EQ(m.set_input(0, kX, sizeof(kX)), Error::Ok);
  CHECK_EQ(m.execute(), Error::Ok);
  CHECK(output_is(m, 3.0f));  // three trips around the loop

  // A back-edge that never exits stops at max_steps.
  s.endless = true;
  LoadLimits limits;
  limits.max_steps = 1000;
  Method m2;
  CHECK_EQ(setup(s, &p, &m2, sizeof(g_arena), 64, limits), Error::Ok);
  CHECK_EQ(m2.set_input(0, kX, sizeof(kX)), Error::Ok);
  CHECK_EQ(m2.execute(), Error::LimitExceeded);
  CHECK(message_has("1000 instructions"));

  ProgramSpec mv;
  mv.move_output = true;
  Method m3;
  CHECK_EQ(setup(mv, &p, &m3), Error::Ok);
  CHECK_EQ(m3.set_input(0, kX, sizeof(kX)), Error::Ok);
  CHECK_EQ(m3.execute(), Error::Ok);
  CHECK(output_is(m3, 1.0f));
}

// A backend computing out = x + scale * c, where scale comes from its compile spec.
int g_destroyed = 0;
struct TestHandle {
  float scale;
};
bool backend_available() { return true; }
Error backend_init(BackendInitContext& ctx, Span<const uint8_t> blob, const CompileSpec* specs, size_t n, void** handle) {
  if (blob.size != 4 || memcmp(blob.data, "blob", 4) != 0 || n != 1 || strcmp(specs[0].key, "scale") != 0 ||
      specs[0].value_size != 1) {
    return Error::InvalidArgument;
  }
  TestHandle* h = static_cast<TestHandle*>(ctx.arena->allocate(sizeof(TestHandle)));
  if (h == nullptr) {
    return Error::OutOfMemory;
  }
  h->scale = specs[0].value[0];
  *handle = h;
  return Error::Ok;
}
Error backend_execute(void* handle, EValue** args, size_t nargs) {
  if (nargs != 3) {
    return Error::InvalidArgument;
  }
  const float scale = static_cast<TestHandle*>(handle)->scale;
  const Tensor& x = args[0]->to_tensor();
  const Tensor& c = args[1]->to_tensor();
  Tensor& out = args[2]->to_tensor();
  for (uint32_t i = 0; i < x.numel; ++i) {
    out.data_as<float>()[i] = x.data_as<float>()[i] + scale * c.data_as<float>()[i];
  }
  return Error::Ok;
}
void backend_destroy(void*) { ++g_destroyed; }
const Backend kTestBackend = {"TestBackend", backend_available, backend_init, backend_execute, backend_destroy,
                               nullptr,           nullptr};

void test_delegate() {
  Program p;
  ProgramSpec s;
  s.delegate = true;
  {
    Method m;
    CHECK_EQ(setup(s, &p, &m), Error::MissingBackend);
    CHECK(message_has("'TestBackend'"));
  }
  CHECK_EQ(register_backend(&kTestBackend), Error::Ok);
  CHECK_EQ(register_backend(&kTestBackend), Error::InvalidArgument);
  // The build's selection is found first, by exact name; a run-time duplicate is refused.
  CHECK(find_backend("BuildSelected", 13) == &kBuildSelected);
  CHECK(find_backend("BuildSelecte", 12) == nullptr);
  CHECK(find_backend("TestBackend", 11) == &kTestBackend);
  CHECK_EQ(register_backend(&kBuildSelected), Error::InvalidArgument);
  {
    Method m;
    CHECK_EQ(setup(s, &p, &m), Error::Ok);
    CHECK_EQ(m.set_input(0, kX, sizeof(kX)), Error::Ok);
    CHECK_EQ(m.execute(), Error::Ok);
    CHECK(output_is(m, 7.0f));
  }
  CHECK_EQ(g_destroyed, 1);
}

Error call_prim(const char* name, EValue* a, EValue* b, EValue* ret) {
  KernelFn fn = find_prim_op(name, strlen(name));
  if (fn == nullptr) {
    return Error::MissingKernel;
  }
  EValue* args[3] = {a, b != nullptr ? b : ret, ret};
  KernelContext ctx;
  return fn(ctx, args, b == nullptr ? 2 : 3);
}

EValue int_value(int64_t v) {
  EValue e;
  e.tag = Tag::Int;
  e.v.i = v;
  return e;
}

void test_prim_ops() {
  EValue a = int_value(-7), b = int_value(2), r = int_value(0);
  CHECK_EQ(call_prim("executorch_prim::floordiv.Scalar", &a, &b, &r), Error::Ok);
  CHECK_EQ(r.v.i, -4);  // Python floor division
  CHECK_EQ(call_prim("executorch_prim::mod.Scalar", &a, &b, &r), Error::Ok);
  CHECK_EQ(r.v.i, 1);
  CHECK_EQ(call_prim("executorch_prim::mul.Scalar", &a, &b, &r), Error::Ok);
  CHECK_EQ(r.v.i, -14);
  CHECK_EQ(call_prim("executorch_prim::sub.Scalar", &a, &b, &r), Error::Ok);
  CHECK_EQ(r.v.i, -9);
  EValue zero = int_value(0);
  CHECK_EQ(call_prim("executorch_prim::floordiv.Scalar", &a, &zero, &r), Error::KernelFailed);
  EValue d;
  d.tag = Tag::Double;
  CHECK_EQ(call_prim("executorch_prim::truediv.Scalar", &a, &b, &d), Error::Ok);
  CHECK(d.v.d == -3.5);
  EValue flag;
  flag.tag = Tag::Bool;
  CHECK_EQ(call_prim("executorch_prim::lt.Scalar", &a, &b, &flag), Error::Ok);
  CHECK(flag.v.b);
  CHECK_EQ(call_prim("executorch_prim::ge.Scalar", &a, &b, &flag), Error::Ok);
  CHECK(!flag.v.b);
  CHECK_EQ(call_prim("executorch_prim::eq.Scalar", &b, &b, &flag), Error::Ok);
  CHECK(flag.v.b);
  EValue half;
  half.tag = Tag::Double;
  half.v.d = 2.5;
  CHECK_EQ(call_prim("executorch_prim::round.Scalar", &half, nullptr, &r), Error::Ok);
  CHECK_EQ(r.v.i, 2);  // half to even, like Python
  CHECK_EQ(call_prim("executorch_prim::neg.Scalar", &a, nullptr, &r), Error::Ok);
  CHECK_EQ(r.v.i, 7);
  CHECK(find_prim_op("executorch_prim::nope.Scalar", 28) == nullptr);

  // sym_size on a [2, 3] tensor.
  int32_t sizes[2] = {2, 3};
  uint8_t order[2] = {0, 1};
  Tensor t;
  t.sizes = sizes;
  t.dim_order = order;
  t.dim = 2;
  t.numel = 6;
  EValue tv;
  tv.tag = Tag::Tensor;
  tv.v.t = &t;
  EValue dim = int_value(-1);
  CHECK_EQ(call_prim("aten::sym_size.int", &tv, &dim, &r), Error::Ok);
  CHECK_EQ(r.v.i, 3);
  dim = int_value(2);
  CHECK_EQ(call_prim("aten::sym_size.int", &tv, &dim, &r), Error::InvalidArgument);

  // sym_stride of a [2, 3] row-major tensor: dim 0 -> 3, dim 1 -> 1; channels-last style
  // dim order [1, 0] -> dim 0 -> 1.
  EValue d0 = int_value(0);
  CHECK_EQ(call_prim("aten::sym_stride.int", &tv, &d0, &r), Error::Ok);
  CHECK_EQ(r.v.i, 3);
  uint8_t swapped[2] = {1, 0};
  t.dim_order = swapped;
  CHECK_EQ(call_prim("aten::sym_stride.int", &tv, &d0, &r), Error::Ok);
  CHECK_EQ(r.v.i, 1);
  t.dim_order = order;

  // _local_scalar_dense (x.item()) of a one-element Long and Float tensor.
  int64_t one_long = -42;
  int32_t one_size[1] = {1};
  Tensor s1;
  s1.sizes = one_size;
  s1.dim_order = order;
  s1.dim = 1;
  s1.numel = 1;
  s1.dtype = ScalarType::Long;
  s1.data = &one_long;
  EValue sv;
  sv.tag = Tag::Tensor;
  sv.v.t = &s1;
  CHECK_EQ(call_prim("aten::_local_scalar_dense", &sv, nullptr, &r), Error::Ok);
  CHECK_EQ(r.v.i, -42);
  float one_float = 2.5f;
  s1.dtype = ScalarType::Float;
  s1.data = &one_float;
  EValue dv;
  dv.tag = Tag::Double;
  CHECK_EQ(call_prim("aten::_local_scalar_dense", &sv, nullptr, &dv), Error::Ok);
  CHECK(dv.v.d == 2.5);
  CHECK_EQ(call_prim("aten::_local_scalar_dense", &tv, nullptr, &r), Error::InvalidArgument);  // 6 elements

  // sym_ite(b, t, f)
  {
    KernelFn ite = find_prim_op("executorch_prim::sym_ite.Scalar", 31);
    CHECK(ite != nullptr);
    EValue yes;
    yes.tag = Tag::Bool;
    yes.v.b = false;
    EValue tv2 = int_value(5), fv = int_value(9), out = int_value(0);
    EValue* args[4] = {&yes, &tv2, &fv, &out};
    KernelContext ctx;
    CHECK_EQ(ite(ctx, args, 4), Error::Ok);
    CHECK_EQ(out.v.i, 9);
    yes.v.b = true;
    CHECK_EQ(ite(ctx, args, 4), Error::Ok);
    CHECK_EQ(out.v.i, 5);
  }
}

// Corrupted programs that still pass verification must init and run without
// crashing (ASan/UBSan builds check memory safety).
void test_corrupted_programs_run_safely() {
  ProgramSpec specs[2];
  specs[1].loop = true;
  LoadLimits limits;
  limits.max_steps = 10000;
  int ran = 0;
  for (const ProgramSpec& s : specs) {
    static uint8_t clean[1 << 16];
    const size_t n = slimtorch_test::build_program(s, clean, sizeof(clean));
    for (size_t pos = 0; pos < n; ++pos) {
      memcpy(g_program, clean, n);
      g_program[pos] ^= 0x04;
      Result<Program> p = Program::load(Span<const uint8_t>(g_program, n), limits);
      if (!p.ok()) {
        continue;
      }
      static uint8_t planned[1 << 12];
      Span<uint8_t> spans[4] = {Span<uint8_t>(planned, sizeof(planned)), Span<uint8_t>(planned, sizeof(planned)),
                                Span<uint8_t>(planned, sizeof(planned)), Span<uint8_t>(planned, sizeof(planned))};
      MemoryConfig mem;
      mem.planned = Span<Span<uint8_t>>(spans, 4);
      mem.arena = Span<uint8_t>(g_arena, sizeof(g_arena));
      Method m;
      if (m.init(p.get(), 0, mem) == Error::Ok) {
        m.execute();
        ++ran;
      }
    }
  }
  CHECK(ran > 0);
}

}  // namespace

// format_int: decimal up to 32 bits of magnitude, hexadecimal beyond (both signs).
void test_format_int() {
  const struct {
    int64_t v;
    const char* text;
  } cases[] = {
      {0, "0"},
      {-7, "-7"},
      {4294967295LL, "4294967295"},
      {-4294967295LL, "-4294967295"},
      {4294967296LL, "0x100000000"},
      {0x7fffffffffffffffLL, "0x7fffffffffffffff"},
      {INT64_MIN, "-0x8000000000000000"},
  };
  for (const auto& c : cases) {
    char buf[24];
    buf[format_int(buf, c.v)] = '\0';
    CHECK(strcmp(buf, c.text) == 0);
  }
}

int main() {
  setenv("SLIMTORCH_QUIET", "1", 1);
  test_format_int();
  test_run_add();
  test_memory_sizing();
  test_every_short_arena();
  test_missing_kernel_and_kernel_failure();
  test_control_flow();
  test_delegate();
  test_prim_ops();
  test_corrupted_programs_run_safely();
  return slimtorch_test::check_summary();
}
