// Runner core shared by host and firmware; see run_model.h.
#include "app/run_model.h"

#include "runtime/core/format_g9.h"
#include "runtime/core/element.h"
#include "runtime/platform/log.h"
#include "runtime/platform/platform.h"

namespace slimtorch_app {

using slimtorch::Error;
using slimtorch::EValue;
using slimtorch::ScalarType;
using slimtorch::Tag;
using slimtorch::Tensor;

namespace {

// Output assembly buffer: static, flushed through WriteFn when nearly full.
char g_line[256];
size_t g_len = 0;

void flush(WriteFn write) {
  g_line[g_len] = '\0';
  if (g_len > 0) {
    write(g_line);
  }
  g_len = 0;
}

void put(WriteFn write, const char* s, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (g_len + 1 >= sizeof(g_line)) {
      flush(write);
    }
    g_line[g_len++] = s[i];
  }
}

void put_str(WriteFn write, const char* s) {
  size_t n = 0;
  while (s[n] != '\0') {
    ++n;
  }
  put(write, s, n);
}

void put_int(WriteFn write, int64_t v) {
  char buf[24];
  put(write, buf, slimtorch::format_int(buf, v));
}

// Copies row-major `src` into tensor `t`'s memory, laid out in t's dim order.
void copy_to_dim_order(const Tensor& t, const void* src) {
  const size_t es = slimtorch::element_size(t.dtype);
  const uint8_t* from = static_cast<const uint8_t*>(src);
  uint8_t* to = static_cast<uint8_t*>(t.data);
  for (uint32_t k = 0; k < t.numel; ++k) {
    __builtin_memcpy(to + memory_index(t, k) * es, from + static_cast<size_t>(k) * es, es);
  }
}

}  // namespace

size_t memory_index(const Tensor& t, uint32_t k) { return slimtorch::element::memory_index(t, k); }

Error run_method(const slimtorch::Program& program, const RunRequest& request, slimtorch::Method* method) {
  slimtorch::MemoryConfig memory;
  memory.planned = request.planned;
  memory.arena = request.arena;
  ST_TRY(method->init(program, 0, memory));
  if (request.num_inputs != method->num_inputs()) {
    return ST_FAIL(Error::InvalidArgument, "the method takes {} inputs, got {}",
                   method->num_inputs(), request.num_inputs);
  }
  for (uint32_t run = 0; run < (request.iterations > 0 ? request.iterations : 1); ++run) {
    const uint64_t t0 = request.exec_ns != nullptr ? slimtorch::st_time_ns() : 0;
    for (size_t i = 0; i < request.num_inputs; ++i) {  // inputs' memory may be reused: set each time
      const RunInput& in = request.inputs[i];
      if (in.shape != nullptr && method->input(i).is_tensor()) {
        ST_TRY(method->set_input_shape(i, in.shape, in.ndim));
      }
      ST_TRY(method->set_input(i, in.data, in.nbytes));  // checks the size, copies as is
      const EValue& v = method->input(i);
      if (v.is_tensor() && !slimtorch::is_contiguous(v.to_tensor())) copy_to_dim_order(v.to_tensor(), in.data);
    }
    ST_TRY(method->execute());
    if (request.exec_ns != nullptr) request.exec_ns[run] = slimtorch::st_time_ns() - t0;
  }
  return Error::Ok;
}

Error run_embedded(const EmbeddedModel& model, slimtorch::Span<uint8_t> arena, uint32_t iterations,
                   EmbeddedRun* run) {
  if (model.program_size == 0) {
    return ST_FAIL(Error::InvalidArgument, "no program embedded in this image");
  }
  if (model.num_inputs > SLIMTORCH_MAX_INPUTS || model.num_planned > SLIMTORCH_MAX_MEMORY_IDS) {
    return ST_FAIL(Error::InvalidArgument, "too many inputs or planned buffers: raise SLIMTORCH_MAX_INPUTS or SLIMTORCH_MAX_MEMORY_IDS");
  }
  slimtorch::Result<slimtorch::Program> program =
      slimtorch::Program::load(slimtorch::Span<const uint8_t>(model.program, model.program_size));
  if (!program.ok()) return program.error();
  run->program = program.get();
  for (size_t i = 0; i < model.num_planned; ++i) {
    run->planned[i] = slimtorch::Span<uint8_t>(model.planned[i].data, model.planned[i].size);
  }
  for (size_t i = 0; i < model.num_inputs; ++i) {
    const EmbeddedInput& in = model.inputs[i];
    run->inputs[i] = RunInput{in.data, in.nbytes, in.shape, in.ndim};
  }
  RunRequest request;
  request.inputs = run->inputs;
  request.num_inputs = model.num_inputs;
  request.planned = slimtorch::Span<slimtorch::Span<uint8_t>>(run->planned, model.num_planned);
  request.arena = arena;
  request.iterations = iterations;
  return run_method(run->program, request, &run->method);
}

void print_outputs(const slimtorch::Method& method, WriteFn write) {
  char num[32];
  for (size_t i = 0; i < method.num_outputs(); ++i) {
    const EValue& v = method.output(i);
    put_str(write, "output ");
    put_int(write, static_cast<int64_t>(i));
    put_str(write, " shape ");
    if (v.tag == Tag::Tensor) {
      const Tensor& t = v.to_tensor();
      if (t.dim == 0) {
        put_str(write, "()");
      }
      for (uint8_t d = 0; d < t.dim; ++d) {
        if (d > 0) put_str(write, "x");
        put_int(write, t.sizes[d]);
      }
      put_str(write, " :");
      const bool floating = slimtorch::element::is_floating(t.dtype);
      for (uint32_t k = 0; k < t.numel; ++k) {
        put_str(write, " ");
        const size_t m = memory_index(t, k);
        if (floating) {
          put(write, num, slimtorch::format_g9(slimtorch::element::as_double(t.data, t.dtype, m), num));
        } else {
          put_int(write, slimtorch::element::as_int(t.data, t.dtype, m));
        }
      }
    } else {
      put_str(write, "() :");
      if (v.tag == Tag::Int || v.tag == Tag::Bool) {
        put_str(write, " ");
        put_int(write, v.tag == Tag::Int ? v.v.i : (v.v.b ? 1 : 0));
      } else if (v.tag == Tag::Double) {
        put_str(write, " ");
        put(write, num, slimtorch::format_g9(v.v.d, num));
      }
    }
    put_str(write, "\n");
    flush(write);
  }
}

void print_error(Error e, WriteFn write) {
  put_str(write, "error: ");
  const char* msg = slimtorch::last_error_message();
  put_str(write, msg[0] != '\0' ? msg : slimtorch::error_name(e));
  put_str(write, " (");
  put_str(write, slimtorch::error_name(e));
  put_str(write, ")\n");
  flush(write);
}

bool run_and_print_model(const EmbeddedModel& model, slimtorch::Span<uint8_t> arena, EmbeddedRun* run,
                         WriteFn write) {
  write("model ");
  write(model.name);
  write("\n");
  const slimtorch::Error e = run_embedded(model, arena, 1, run);
  if (e != slimtorch::Error::Ok) {
    print_error(e, write);
    return false;
  }
  print_outputs(run->method, write);
  return true;
}

}  // namespace slimtorch_app
