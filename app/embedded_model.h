// The model data an application image carries in itself: the program bytes,
// the example inputs, and the planned-memory buffers sized at build time.
//
// Generated per model by `slimtorch embed` (python/slimtorch/embed.py) as a
// C++ source file that defines exactly these symbols (one model per image,
// model_image()), or, with `slimtorch embed --model-name NAME`, one
// EmbeddedModel `slimtorch_app::models::NAME` (several models per image,
// model_library() in tools/model_library.bzl, which also generates the header
// declaring them). Ownership: everything is
// static storage in the image. The program and inputs are read-only (flash on
// a microcontroller); the planned buffers are zero-initialised RAM (.bss) that
// the method uses for its activations for as long as the image runs.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace slimtorch_app {

struct EmbeddedInput {
  const void* data;  // raw little-endian elements, row-major
  size_t nbytes;
  const int32_t* shape;  // the input's sizes (dynamic-shape inputs take them)
  size_t ndim;
};

struct PlannedBuffer {
  uint8_t* data;  // 16-byte aligned
  size_t size;
};

// Program bytes, 16-byte aligned. kProgramSize == 0 means "no program embedded"
// (the generic host runner pte_runner), in which case the other arrays are empty.
extern const uint8_t* const kProgram;
extern const size_t kProgramSize;

// One per method input, in the method's input order.
extern const EmbeddedInput kInputs[];
extern const size_t kNumInputs;

// kPlannedBuffers[i] backs memory id i + 1 (id 0 is reserved by the format).
extern const PlannedBuffer kPlannedBuffers[];
extern const size_t kNumPlannedBuffers;

// One model of an image that holds several (model_library()): the same data as
// the one-model symbols above, reached through the model's own name. Each model
// has its own planned buffers, so the models may run alternately or
// interleaved, each Method keeping its activations.
struct EmbeddedModel {
  const char* name;             // the model's name in model_library()
  const uint8_t* program;       // program bytes, 16-byte aligned
  size_t program_size;
  const EmbeddedInput* inputs;  // one per method input, in the method's input order
  size_t num_inputs;
  const PlannedBuffer* planned;  // planned[i] backs memory id i + 1
  size_t num_planned;
};

}  // namespace slimtorch_app
