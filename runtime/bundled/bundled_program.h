// BundledProgram: a verified view of upstream ExecuTorch's bundled program
// (`.bpte`, flatbuffer file identifier "BP08", schema
// executorch/devtools/bundled_program/schema/bundled_program_schema.fbs): an
// ExecuTorch program plus test cases (inputs and expected outputs) per method.
//
// Ownership: the application owns the bundle bytes and keeps them alive and
// unchanged while the BundledProgram, the Program loaded from program(), and
// every Method made from it are used. program() is a view into those bytes (no
// copy); the bundle schema aligns it to 32 bytes, so a 32-byte (at least
// 16-byte) aligned bundle gives an aligned program. Nothing is allocated.
//
// load() reads everything the test-case calls use once, bounds-checked through
// the runtime's flatbuffer reader (runtime/program/flatbuffer.h): every table,
// vector and string, each value's kind, each tensor's dtype, sizes, dim order
// and data length. A corrupt bundle is Error::InvalidProgram with a message
// naming what is wrong; after a successful load the other calls cannot read
// out of bounds. The work is linear in the bundle's size.
//
// Running a test case (run_test_case):
//  - set_inputs(): the case must give as many inputs as the method takes, each
//    of the method's kind (tensor, int, double, bool), a tensor of the method
//    input's dtype and shape (a dynamic-shape input takes the case's shape within
//    its bounds). Otherwise Error::InvalidArgument naming the suite's method, the
//    test case, the input and both shapes (or dtypes, kinds, counts).
//  - execute.
//  - check_outputs(): each output against the expected one. Floating outputs
//    (float, double, half, bfloat16) pass when every element has
//    |actual - expected| <= atol + rtol * |expected| (torch.allclose's rule; NaN
//    matches only NaN, an infinity only the same infinity); integer and bool
//    outputs, and Int/Bool scalars, must be equal. A dtype, shape or kind that
//    differs from the expected one is a failed output (its verdict says which),
//    not an error. Each output's result has the largest |difference| and the
//    logical (row-major) element index where it is.
// Default tolerances: rtol 1e-4, atol 1e-5 (kDefaultRtol/kDefaultAtol): a float
// program computed in another order (another kernel library, Helium, XNNPACK)
// stays within a few float32 ulps times the reduction length; upstream's own
// bundled-program verifier uses 1e-5 / 1e-8 for bit-identical runs.
//
// Tensor data in a bundle is the tensor's storage in its dim order (what
// upstream's BundledProgram writes); empty dim order means contiguous. Inputs
// are copied into the method's memory (re-laid out when the method's dim order
// differs); an input with no planned memory is pointed at the bundle's bytes.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "runtime/core/result.h"
#include "runtime/core/scalar_type.h"
#include "runtime/core/span.h"
#include "runtime/executor/method.h"
#include "runtime/program/flatbuffer.h"

namespace slimtorch {

struct BundledTolerance {
  static constexpr double kDefaultRtol = 1e-4;
  static constexpr double kDefaultAtol = 1e-5;
  double rtol = kDefaultRtol;
  double atol = kDefaultAtol;
};

// How one output compared with its expected value.
struct BundledOutputResult {
  enum Verdict : uint8_t {
    kPass = 0,
    kValues,  // elements out of tolerance (or unequal integers)
    kDtype,   // the output's dtype differs from the expected one
    kShape,   // its shape differs
    kKind,    // tensor vs scalar, or another scalar kind
  };
  Verdict verdict = kPass;
  uint32_t numel = 0;         // elements compared (1 for a scalar)
  uint32_t mismatches = 0;    // elements out of tolerance
  double max_abs_diff = 0;    // largest |actual - expected| (NaN vs number: infinity)
  uint32_t max_index = 0;     // logical (row-major) index of that element
  double actual = 0;          // the output's element there
  double expected = 0;        // the expected element there
  bool pass() const { return verdict == kPass; }
};

class BundledProgram {
 public:
  BundledProgram() = default;

  // True when `bytes` carry the BP08 file identifier (bytes 4..7); reads 8 bytes at most.
  static bool is_bundled(Span<const uint8_t> bytes);

  // Verifies `bytes` as a bundled program (see the top of this file).
  static Result<BundledProgram> load(Span<const uint8_t> bytes);

  // The inner ExecuTorch program (a view into the bundle bytes); load it with Program::load.
  Span<const uint8_t> program() const { return program_; }
  uint32_t version() const { return version_; }

  size_t num_suites() const { return suites_.len; }
  // The method a suite tests (NUL-terminated, in the bundle bytes).
  const char* method_name(size_t suite) const;
  size_t num_test_cases(size_t suite) const;
  size_t num_expected_outputs(size_t suite, size_t test_case) const;

  // Sets every input of test case `test_case` of `suite` on `method` (initialised
  // from the suite's method). The bundle's bytes must outlive method->execute().
  Error set_inputs(Method* method, size_t suite, size_t test_case) const;

  // Compares the method's outputs with the test case's expected outputs, one
  // result per expected output into results[0..num_expected_outputs). The counts
  // must agree (InvalidArgument otherwise), and `results` must have room
  // (InvalidArgument naming the count needed).
  Error check_outputs(const Method& method, size_t suite, size_t test_case, const BundledTolerance& tolerance,
                      Span<BundledOutputResult> results) const;

  // set_inputs, Method::execute, check_outputs. *all_passed (if given) is set to
  // whether every output passed; an error means the case could not be run or compared.
  Error run_test_case(Method* method, size_t suite, size_t test_case, const BundledTolerance& tolerance,
                      Span<BundledOutputResult> results, bool* all_passed = nullptr) const;

 private:
  Fb::Table test_case(size_t suite, size_t test_case) const;
  Error verify_value(const Fb::Table& value, uint32_t suite, uint32_t test_case, const char* what,
                     uint32_t index) const;

  Fb fb_;
  Fb::Vec suites_;
  Span<const uint8_t> program_;
  uint32_t version_ = 0;
};

}  // namespace slimtorch
