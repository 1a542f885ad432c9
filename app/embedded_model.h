// The model data an application image carries in itself: the program bytes,
// the example inputs, and the planned-memory buffers sized at build time.
//
// Generated per model by `slimtorch embed` (python/slimtorch/embed.py) as a
// C++ source file that defines exactly these symbols. Ownership: everything is
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

}  // namespace slimtorch_app
