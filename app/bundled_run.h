// Running a bundled program's test cases and printing the verdicts, for every
// runner that has a bundle: pte_runner MODEL.bpte (host) and the
// `<model>_selftest` images (host and Cortex-M55, app/selftest_main.cc).
//
// Printed, one line per output of each test case:
//   test <method>[<case>] output <i>: pass max_abs_diff <d> at <k>
//   test <method>[<case>] output <i>: FAIL max_abs_diff <d> at <k> (actual <a>, expected <e>; <m> of <n> elements out of tolerance)
//   test <method>[<case>] output <i>: FAIL dtype|shape|kind differs from the expected output
// (k: the logical, row-major element index of the largest difference) and at the end
//   selftest: PASS|FAIL <c> test cases, <o> outputs: <p> passed, <f> failed (rtol <r>, atol <a>)
// Numbers are printed without printf (runtime/core/format_g9.h), so the
// firmware needs no printf float support. No heap.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "app/run_model.h"
#include "runtime/bundled/bundled_program.h"
#include "runtime/executor/method.h"
#include "runtime/program/program.h"

namespace slimtorch_app {

// Counts over every suite run so far (the summary line prints them).
struct BundledTally {
  uint32_t test_cases = 0;
  uint32_t outputs = 0;
  uint32_t failed = 0;
};

// Most outputs of one method a bundled test case may have.
#ifndef SLIMTORCH_MAX_OUTPUTS
#define SLIMTORCH_MAX_OUTPUTS 16
#endif

// Runs every test case of suite `suite` of `bundle` on method `plan` of `program`
// (the bundle's inner program, loaded), initialised with `memory` (planned buffers
// and bookkeeping arena for that method, the caller's), printing a line per output.
// Returns an error (printed by the caller) when a case cannot run; mismatches are
// not errors: they are counted in *tally.
slimtorch::Error run_bundled_suite(const slimtorch::BundledProgram& bundle, size_t suite,
                                   const slimtorch::Program& program, size_t plan,
                                   const slimtorch::MemoryConfig& memory, const slimtorch::BundledTolerance& tolerance,
                                   WriteFn write, BundledTally* tally);

// Prints the summary line; returns true when every output passed.
bool print_bundled_summary(const BundledTally& tally, const slimtorch::BundledTolerance& tolerance, WriteFn write);

}  // namespace slimtorch_app
