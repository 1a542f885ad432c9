// See run_one.h.
#include "tools/fuzz/run_one.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/bundled/bundled_program.h"
#include "runtime/executor/method.h"

namespace slimtorch_fuzz {

using slimtorch::Error;
using slimtorch::Method;
using slimtorch::Program;
using slimtorch::Span;

namespace {

// A zeroed, 16-byte aligned heap block freed at scope exit (host test code only).
struct Block {
  explicit Block(size_t n) : size(n) {
    data = static_cast<uint8_t*>(aligned_alloc(16, (n + 15) / 16 * 16 + 16));
    memset(data, 0, (n + 15) / 16 * 16 + 16);
  }
  ~Block() { free(data); }
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;
  uint8_t* data;
  size_t size;
};

constexpr size_t kMaxIds = 16;

// FNV-1a over `n` bytes, continuing from `h`.
uint64_t fnv(uint64_t h, const void* p, size_t n) {
  const uint8_t* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 0x100000001b3ull;
  return h;
}

// Hash of every output: tag, then a tensor's dtype, shape and bytes, or a scalar.
uint64_t outputs_digest(const Method& method) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < method.num_outputs(); ++i) {
    const slimtorch::EValue& v = method.output(i);
    h = fnv(h, &v.tag, sizeof(v.tag));
    if (v.is_tensor()) {
      const slimtorch::Tensor& t = v.to_tensor();
      h = fnv(h, &t.dtype, sizeof(t.dtype));
      h = fnv(h, t.sizes, sizeof(int32_t) * t.dim);
      if (t.data != nullptr) h = fnv(h, t.data, t.nbytes());
    } else if (v.is_int() || v.is_double() || v.is_bool()) {
      h = fnv(h, &v.v, sizeof(v.v));
    }
  }
  return h;
}

constexpr size_t kMaxTestCases = 4;  // of one bundled suite
constexpr size_t kMaxOutputs = 64;

// Initialises and executes plan `plan`; returns the outcome for that method. With a
// bundle, runs (up to kMaxTestCases of) the test cases of its suite `suite` instead of
// the fixed inputs: the inputs checked against the method, the outputs compared.
Outcome run_method(const Program& program, size_t plan, uint64_t* digest,
                   const slimtorch::BundledProgram* bundle = nullptr, size_t suite = 0) {
  const size_t n_ids = program.num_memory_ids(plan);
  if (n_ids > kMaxIds) return kInitError;
  uint64_t total = 0;
  for (size_t id = 1; id <= n_ids; ++id) {
    const uint64_t n = program.planned_buffer_size(plan, id);
    if (n > kMaxBufferBytes) return kInitError;
    total += n;
  }
  if (total > kMaxBufferBytes) return kInitError;
  slimtorch::Result<size_t> need = Method::bookkeeping_bytes_needed(program, plan);
  if (!need.ok() || need.get() > kMaxBufferBytes) return kInitError;

  // Planned buffers, each its own heap block so ASan sees overruns of any one.
  Block* blocks[kMaxIds] = {};
  Span<uint8_t> spans[kMaxIds];
  for (size_t i = 0; i < n_ids; ++i) {
    blocks[i] = new Block(static_cast<size_t>(program.planned_buffer_size(plan, i + 1)));
    spans[i] = Span<uint8_t>(blocks[i]->data, blocks[i]->size);
  }
  Block arena(need.get() + 4096);
  Outcome result = kCompleted;
  {
    Method method;
    slimtorch::MemoryConfig memory;
    memory.planned = Span<Span<uint8_t>>(spans, n_ids);
    memory.arena = Span<uint8_t>(arena.data, arena.size);
    if (method.init(program, plan, memory) != Error::Ok) {
      result = kInitError;
    } else if (bundle != nullptr) {
      slimtorch::BundledOutputResult results[kMaxOutputs];
      for (size_t c = 0; c < bundle->num_test_cases(suite) && c < kMaxTestCases; ++c) {
        if (bundle->run_test_case(&method, suite, c, slimtorch::BundledTolerance(),
                                  Span<slimtorch::BundledOutputResult>(results, kMaxOutputs)) != Error::Ok) {
          result = kExecError;
          break;
        }
      }
    } else {
      // Inputs with no planned memory get zeroed caller memory, up to the limit.
      Block* input_blocks[64] = {};
      for (size_t i = 0; i < method.num_inputs() && i < 64 && result == kCompleted; ++i) {
        const slimtorch::EValue& v = method.input(i);
        if (!v.is_tensor()) continue;
        slimtorch::Tensor& t = v.to_tensor();
        if (t.data != nullptr) {
          if (t.dtype == slimtorch::ScalarType::Float) {
            for (uint32_t k = 0; k < t.numel; ++k) t.data_as<float>()[k] = static_cast<float>(k % 13) * 0.1f - 0.6f;
          }
          continue;
        }
        const size_t nbytes = t.nbytes();
        if (nbytes > kMaxBufferBytes) {
          result = kExecError;
          break;
        }
        input_blocks[i] = new Block(nbytes);
        if (method.set_input_data(i, input_blocks[i]->data, nbytes) != Error::Ok) result = kExecError;
      }
      // Two executions: state (mutable buffers) carries over, as on a device.
      for (int run = 0; run < 2 && result == kCompleted; ++run) {
        if (method.execute() != Error::Ok) result = kExecError;
      }
      if (result == kCompleted && digest != nullptr) *digest = outputs_digest(method);
      for (Block* b : input_blocks) delete b;
    }
  }  // the Method goes before the buffers it points into
  for (Block* b : blocks) delete b;
  return result;
}

}  // namespace

const char* outcome_name(Outcome o) {
  switch (o) {
    case kLoadError: return "load_error";
    case kInitError: return "init_error";
    case kExecError: return "exec_error";
    case kCompleted: return "completed";
    default: return "?";
  }
}

slimtorch::LoadLimits fuzz_limits() {
  slimtorch::LoadLimits l;
  l.max_file_bytes = 4u << 20;
  l.max_plans = 8;
  l.max_values = 1u << 14;
  l.max_instructions = 1u << 14;
  l.max_operators = 1u << 10;
  l.max_args = 256;
  l.max_list_items = 1u << 12;
  l.max_memory_ids = kMaxIds;
  l.max_planned_bytes = kMaxBufferBytes;
  l.max_steps = 1u << 16;
  return l;
}

Outcome run_one(const uint8_t* data, size_t size, uint64_t* digest) {
  Block bytes(size);  // 16-byte aligned copy: constants are read in place
  if (size > 0) memcpy(bytes.data, data, size);
  if (slimtorch::BundledProgram::is_bundled(Span<const uint8_t>(bytes.data, size))) {
    // A bundled program (BP08): its loader, then its inner program's, then each
    // suite's test cases on the method it names.
    slimtorch::Result<slimtorch::BundledProgram> bundle =
        slimtorch::BundledProgram::load(Span<const uint8_t>(bytes.data, size));
    if (!bundle.ok()) return kLoadError;
    const slimtorch::BundledProgram& bp = bundle.get();
    slimtorch::Result<Program> inner = Program::load(bp.program(), fuzz_limits());
    if (!inner.ok()) return kLoadError;
    Outcome worst = kCompleted;
    for (size_t s = 0; s < bp.num_suites() && s < kMaxMethods; ++s) {
      slimtorch::Result<size_t> plan = inner.get().method_index(bp.method_name(s));
      const Outcome o = plan.ok() ? run_method(inner.get(), plan.get(), nullptr, &bp, s) : kInitError;
      if (o < worst) worst = o;
    }
    return worst;
  }
  slimtorch::Result<Program> loaded = Program::load(Span<const uint8_t>(bytes.data, size), fuzz_limits());
  if (!loaded.ok()) return kLoadError;
  const Program& program = loaded.get();
  if (program.num_methods() == 0) return kCompleted;
  Outcome worst = kCompleted;  // the earliest stage any method stopped at
  for (size_t plan = 0; plan < program.num_methods() && plan < kMaxMethods; ++plan) {
    const Outcome o = run_method(program, plan, plan == 0 ? digest : nullptr);
    if (o < worst) worst = o;
  }
  return worst;
}

}  // namespace slimtorch_fuzz
