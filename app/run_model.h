// Shared by every runner (host model_runtime / pte_runner, the Cortex-M55
// firmware): load a program, initialise its first method, set inputs, execute,
// and print the outputs in the contract format
//   output <i> shape <d0>x<d1>... : <v0> <v1> ...
// with 9 significant digits (enough for every float to round-trip), formatted
// here from the values' bits with integer arithmetic, without printf or
// double arithmetic, so the firmware needs neither printf float support nor
// soft-double helpers, and host and firmware print identical text.
//
// Ownership: every buffer in RunRequest belongs to the caller and must outlive
// the Program and Method the calls fill in (the caller's storage too).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "app/embedded_model.h"
#include "runtime/executor/method.h"
#include "runtime/program/program.h"

namespace slimtorch_app {

// Receives NUL-terminated text (pieces of lines, '\n' included).
using WriteFn = void (*)(const char* text);

struct RunInput {
  const void* data;       // raw little-endian elements, row-major over the logical shape
                          // (as numpy and PyTorch print them); run_method lays them out in
                          // the dim order the program declares (e.g. channels last)
  size_t nbytes;
  const int32_t* shape;   // null: keep the program's shape
  size_t ndim;
};

struct RunRequest {
  const RunInput* inputs = nullptr;
  size_t num_inputs = 0;
  slimtorch::Span<slimtorch::Span<uint8_t>> planned;  // planned[i] backs memory id i + 1
  slimtorch::Span<uint8_t> arena;                     // bookkeeping arena
  uint32_t iterations = 1;  // executions; state (mutable buffers) carries from one to the next
  uint64_t* exec_ns = nullptr;  // if set: `iterations` entries, each execution's duration
                                // (setting the inputs + execute), from st_time_ns()
};

// Initialises method 0 of `program` into `method`, then `iterations` times sets the
// inputs (shape first, for dynamic-shape inputs) and executes.
slimtorch::Error run_method(const slimtorch::Program& program, const RunRequest& request, slimtorch::Method* method);

// Most inputs and memory ids an embedded model may have (EmbeddedRun's arrays).
#ifndef SLIMTORCH_MAX_INPUTS
#define SLIMTORCH_MAX_INPUTS 16
#endif
#ifndef SLIMTORCH_MAX_MEMORY_IDS
#define SLIMTORCH_MAX_MEMORY_IDS 8
#endif

// Everything one run of an embedded model keeps besides the model's own data
// (program bytes, inputs and planned buffers, static in the image): the loaded
// program, the views run_method takes, and the method. The caller owns it
// (static storage in firmware) and it must live as long as the method is used;
// one per model when an image runs several (model_library()).
struct EmbeddedRun {
  slimtorch::Program program;
  RunInput inputs[SLIMTORCH_MAX_INPUTS];
  slimtorch::Span<uint8_t> planned[SLIMTORCH_MAX_MEMORY_IDS];
  slimtorch::Method method;
};

// Loads `model`'s program into run->program, then run_method on it with the model's
// inputs and planned buffers and the caller's bookkeeping `arena` (the model's
// kBookkeepingBytes from its generated sizes header), `iterations` times.
slimtorch::Error run_embedded(const EmbeddedModel& model, slimtorch::Span<uint8_t> arena, uint32_t iterations,
                              EmbeddedRun* run);

// One model of several in an image (model_library()): prints "model <name>", runs it
// (run_embedded, once) and prints its outputs, or "error: ..." and returns false. The
// `model <name>` sections are what `slimtorch compare --expected-dir NAME=DIR` reads.
bool run_and_print_model(const EmbeddedModel& model, slimtorch::Span<uint8_t> arena, EmbeddedRun* run,
                         WriteFn write);

// Where logical element `k` (row-major over t's sizes) of `t` is in its memory (in
// elements), following t's dim order: k itself for a contiguous tensor.
size_t memory_index(const slimtorch::Tensor& t, uint32_t k);

// Prints every output of `method` in the contract format, elements in logical
// (row-major) order whatever the tensor's dim order.
void print_outputs(const slimtorch::Method& method, WriteFn write);

// Prints "error: <last runtime message>" (or the error name) and a newline.
void print_error(slimtorch::Error e, WriteFn write);

}  // namespace slimtorch_app
