// Runs one untrusted program through the whole runtime: Program::load, then for
// every method (up to kMaxMethods) bookkeeping_bytes_needed, Method::init and
// Method::execute, with LoadLimits that bound memory and time. A bundled program
// (BP08 identifier) goes through BundledProgram::load, its inner program's load,
// and each suite's test cases (inputs set and checked, outputs compared). Shared by the
// libFuzzer harness (fuzz_program.cc) and the bit-flip sweep (bitflip_main.cc).
//
// This is test code for the host (built by tools/fuzz/build.sh with clang and
// ASan/UBSan): it allocates the planned buffers and the arena from the heap,
// sized by what the program asks for, after checking them against the limits.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "runtime/program/program.h"

namespace slimtorch_fuzz {

// How far a program got. A corrupt program must stop at an error, or complete.
enum Outcome : int {
  kLoadError = 0,  // Program::load refused it
  kInitError = 1,  // a method's bookkeeping/init refused it (or a buffer over the limits)
  kExecError = 2,  // set-up of inputs or execute() returned an error
  kCompleted = 3,  // every method ran to the end
  kNumOutcomes = 4,
};

const char* outcome_name(Outcome o);

// The limits the fuzz targets load with: small enough that a corrupt size or
// count is refused rather than allocated or looped over.
slimtorch::LoadLimits fuzz_limits();

// Largest planned buffer / arena the runner allocates (on top of the limits).
constexpr uint64_t kMaxBufferBytes = 16u << 20;
constexpr size_t kMaxMethods = 4;

// `data` need not be aligned: it is copied into a 16-byte aligned buffer first.
// Float inputs get a fixed pattern (other inputs zeros). If `digest` is given, it
// receives a hash of method 0's outputs (shapes and bytes) after a completed run,
// so a sweep can tell runs that completed with the original outputs from runs
// that completed with different ones (undetected corruption).
Outcome run_one(const uint8_t* data, size_t size, uint64_t* digest = nullptr);

}  // namespace slimtorch_fuzz
