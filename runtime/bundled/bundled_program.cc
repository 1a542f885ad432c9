// Bundled-program loading and test-case checking; see bundled_program.h.
#include "runtime/bundled/bundled_program.h"

#include "runtime/core/element.h"
#include "runtime/core/evalue.h"
#include "runtime/platform/log.h"

namespace slimtorch {

namespace {

// Field numbers of bundled_program_schema.fbs (vtable slot order).
enum : int {
  kBundleVersion = 0,
  kBundleSuites = 1,
  kBundleProgram = 2,
  kSuiteMethodName = 0,
  kSuiteTestCases = 1,
  kCaseInputs = 0,
  kCaseExpectedOutputs = 1,
  kValueType = 0,  // the union's type field (val_type)
  kValueVal = 1,
  kTensorScalarType = 0,
  kTensorSizes = 1,
  kTensorData = 2,
  kTensorDimOrder = 3,
  kScalarVal = 0,  // Int.int_val, Bool.bool_val, Double.double_val
};

// ValueUnion's type numbers.
enum ValueType : uint8_t { kNone = 0, kTensor = 1, kInt = 2, kBool = 3, kDouble = 4 };

const char* value_type_name(uint8_t t) {
  switch (t) {
    case kTensor: return "tensor";
    case kInt: return "int";
    case kBool: return "bool";
    case kDouble: return "double";
    default: return "unknown";
  }
}

const char* tag_name(Tag t) {
  switch (t) {
    case Tag::Tensor: return "tensor";
    case Tag::Int: return "int";
    case Tag::Bool: return "bool";
    case Tag::Double: return "double";
    case Tag::None: return "none";
    default: return "list or string";
  }
}

// A bundled tensor, decoded from a verified bundle: sizes and dim order copied
// out (the flatbuffer's int vector need not be aligned), data in the bundle.
struct BundledTensor {
  ScalarType dtype = ScalarType::Float;
  uint8_t dim = 0;
  int32_t sizes[kMaxTensorDim] = {};
  uint8_t dim_order[kMaxTensorDim] = {};
  const uint8_t* data = nullptr;
  uint32_t data_len = 0;
  uint32_t numel = 1;

  // A Tensor viewing this one (for element::memory_index / as_double); read only.
  Tensor view() {
    Tensor t;
    t.data = const_cast<uint8_t*>(data);  // never written through
    t.sizes = sizes;
    t.dim_order = dim_order;
    t.numel = numel;
    t.capacity_bytes = data_len;
    t.dtype = dtype;
    t.dim = dim;
    return t;
  }
};

// Decodes tensor table `t`; returns false (with *why set) when it is malformed.
bool decode_tensor(const Fb& fb, const Fb::Table& t, BundledTensor* out, const char** why) {
  out->dtype = static_cast<ScalarType>(static_cast<int8_t>(fb.u8(t, kTensorScalarType)));
  const size_t esize = element_size(out->dtype);
  if (esize == 0) {
    *why = "its scalar_type is not a dtype the runtime knows";
    return false;
  }
  const Fb::Vec sizes = fb.vec(t, kTensorSizes, 4);
  const Fb::Vec data = fb.vec(t, kTensorData, 1);
  const Fb::Vec order = fb.vec(t, kTensorDimOrder, 1);
  if (fb.bad()) {
    *why = "its sizes, data or dim_order run past the end of the file";
    return false;
  }
  if (sizes.len > static_cast<uint32_t>(kMaxTensorDim)) {
    *why = "it has more than 16 dimensions";
    return false;
  }
  out->dim = static_cast<uint8_t>(sizes.len);
  uint64_t numel = 1;
  for (uint32_t d = 0; d < sizes.len; ++d) {
    const int32_t s = fb.vec_i32(sizes, d);
    if (s < 0) {
      *why = "a size is negative";
      return false;
    }
    out->sizes[d] = s;
    numel *= static_cast<uint64_t>(s);
    if (numel > 0x7FFFFFFFull) {
      *why = "its sizes give more than 2^31 elements";
      return false;
    }
  }
  out->numel = static_cast<uint32_t>(numel);
  if (order.len != 0 && order.len != sizes.len) {
    *why = "its dim_order has a length other than its number of dimensions";
    return false;
  }
  uint32_t seen = 0;
  for (uint32_t d = 0; d < sizes.len; ++d) {
    const uint8_t o = order.len == 0 ? static_cast<uint8_t>(d) : fb.vec_u8(order, d);
    if (o >= sizes.len || (seen & (1u << o)) != 0) {
      *why = "its dim_order is not a permutation of its dimensions";
      return false;
    }
    seen |= 1u << o;
    out->dim_order[d] = o;
  }
  // Upstream writes the tensor's whole storage: at least numel elements (none for an empty one).
  if (static_cast<uint64_t>(data.len) < numel * esize) {
    *why = "its data is shorter than its sizes need";
    return false;
  }
  out->data = fb.vec_bytes(data);
  out->data_len = data.len;
  const uintptr_t align = esize < 8 ? esize : 8;
  if (numel > 0 && reinterpret_cast<uintptr_t>(out->data) % align != 0) {
    *why = "its data is misaligned (load the bundle into a 16-byte aligned buffer)";
    return false;
  }
  return true;
}

// "[2, 3]" into buf (cap >= 2).
void format_shape(const int32_t* sizes, uint8_t dim, char* buf, size_t cap) {
  size_t n = 0;
  buf[n++] = '[';
  for (uint8_t d = 0; d < dim; ++d) {
    char num[24];
    const size_t len = format_int(num, sizes[d]);
    if (n + len + 4 >= cap) break;
    if (d > 0) {
      buf[n++] = ',';
      buf[n++] = ' ';
    }
    for (size_t k = 0; k < len; ++k) buf[n++] = num[k];
  }
  buf[n++] = ']';
  buf[n] = '\0';
}

double abs_double(double v) { return v < 0 ? -v : v; }

// Compares a floating element: sets *diff; true when within tolerance.
bool close(double a, double e, const BundledTolerance& tol, double* diff) {
  if (a == e) {  // also equal infinities
    *diff = 0;
    return true;
  }
  if (a != a || e != e) {  // NaN: matches only NaN
    const bool both = a != a && e != e;
    *diff = both ? 0 : __builtin_inf();
    return both;
  }
  *diff = abs_double(a - e);
  return *diff <= tol.atol + tol.rtol * abs_double(e);
}

// Folds one element's comparison into r.
void record(BundledOutputResult* r, uint32_t k, double a, double e, double diff, bool ok) {
  if (!ok) {
    ++r->mismatches;
    r->verdict = BundledOutputResult::kValues;
  }
  if (k == 0 || diff > r->max_abs_diff) {
    r->max_abs_diff = diff;
    r->max_index = k;
    r->actual = a;
    r->expected = e;
  }
}

void compare_tensor(const Tensor& t, BundledTensor& want, const BundledTolerance& tol, BundledOutputResult* r) {
  if (t.dtype != want.dtype) {
    r->verdict = BundledOutputResult::kDtype;
    return;
  }
  bool same_shape = t.dim == want.dim;
  for (uint8_t d = 0; same_shape && d < t.dim; ++d) same_shape = t.sizes[d] == want.sizes[d];
  if (!same_shape) {
    r->verdict = BundledOutputResult::kShape;
    return;
  }
  const Tensor w = want.view();
  const bool floating = element::is_floating(t.dtype);
  r->numel = t.numel;
  for (uint32_t k = 0; k < t.numel; ++k) {
    const size_t mi = element::memory_index(t, k);
    const size_t wi = element::memory_index(w, k);
    if (floating) {
      const double a = element::as_double(t.data, t.dtype, mi);
      const double e = element::as_double(w.data, w.dtype, wi);
      double diff;
      const bool ok = close(a, e, tol, &diff);
      record(r, k, a, e, diff, ok);
    } else {
      const int64_t a = element::as_int(t.data, t.dtype, mi);
      const int64_t e = element::as_int(w.data, w.dtype, wi);
      const double ad = EValue::int64_to_double(a);
      const double ed = EValue::int64_to_double(e);
      record(r, k, ad, ed, abs_double(ad - ed), a == e);
    }
  }
}

}  // namespace

bool BundledProgram::is_bundled(Span<const uint8_t> bytes) {
  return bytes.size >= 8 && bytes[4] == 'B' && bytes[5] == 'P' && bytes[6] == '0' && bytes[7] == '8';
}

Error BundledProgram::verify_value(const Fb::Table& value, uint32_t suite, uint32_t test_case, const char* what,
                                   uint32_t index) const {
  const uint8_t type = fb_.u8(value, kValueType);
  const Fb::Table body = fb_.table(value, kValueVal);
  if (fb_.bad() || !body.present() || type == kNone || type > kDouble) {
    return ST_FAIL(Error::InvalidProgram,
                   "bundled program: suite {} test case {} {s} {}: not a tensor, int, bool or double value (type {}); "
                   "the bundle is corrupt: write it again",
                   suite, test_case, what, index, type);
  }
  if (type == kTensor) {
    BundledTensor t;
    const char* why = "";
    if (!decode_tensor(fb_, body, &t, &why)) {
      return ST_FAIL(Error::InvalidProgram, "bundled program: suite {} test case {} {s} {} is a bad tensor: {s}", suite,
                     test_case, what, index, why);
    }
  } else {
    if (type == kBool) {
      (void)fb_.u8(body, kScalarVal);
    } else {
      (void)fb_.u64(body, kScalarVal);
    }
    if (fb_.bad()) {
      return ST_FAIL(Error::InvalidProgram, "bundled program: suite {} test case {} {s} {}: its {s} runs past the end of the file",
                     suite, test_case, what, index, value_type_name(type));
    }
  }
  return Error::Ok;
}

Result<BundledProgram> BundledProgram::load(Span<const uint8_t> bytes) {
  if (!is_bundled(bytes)) {
    return ST_FAIL(Error::InvalidProgram,
                   "not a bundled program: no BP08 file identifier at bytes 4..7 (a .pte is loaded with Program::load)");
  }
  if (bytes.size > 0x7FFFFFFFu) {
    return ST_FAIL(Error::LimitExceeded, "bundled program of {} bytes: the runtime reads at most 2 GiB", bytes.size);
  }
  BundledProgram bp;
  bp.fb_ = Fb(bytes.data, static_cast<uint32_t>(bytes.size));
  const Fb& fb = bp.fb_;
  const Fb::Table root = fb.root();
  bp.version_ = fb.u32(root, kBundleVersion);
  bp.suites_ = fb.vec(root, kBundleSuites, 4);
  const Fb::Vec program = fb.vec(root, kBundleProgram, 1);
  if (fb.bad() || !root.present()) {
    return ST_FAIL(Error::InvalidProgram,
                   "bundled program: its root table, test suites or program run past the end of the file "
                   "(truncated or corrupt bundle: write it again)");
  }
  if (program.len < 8) {
    return ST_FAIL(Error::InvalidProgram, "bundled program: the inner program has {} bytes (none bundled?)",
                   program.len);
  }
  bp.program_ = Span<const uint8_t>(fb.vec_bytes(program), program.len);
  for (uint32_t s = 0; s < bp.suites_.len; ++s) {
    const Fb::Table suite = fb.vec_table(bp.suites_, s);
    const Fb::Str name = fb.str(suite, kSuiteMethodName);
    const Fb::Vec cases = fb.vec(suite, kSuiteTestCases, 4);
    if (fb.bad() || !suite.present() || name.data == nullptr) {
      return ST_FAIL(Error::InvalidProgram,
                     "bundled program: test suite {} is corrupt (its method name or test cases run past the end of the file)",
                     s);
    }
    for (uint32_t c = 0; c < cases.len; ++c) {
      const Fb::Table tc = fb.vec_table(cases, c);
      const Fb::Vec inputs = fb.vec(tc, kCaseInputs, 4);
      const Fb::Vec outputs = fb.vec(tc, kCaseExpectedOutputs, 4);
      if (fb.bad() || !tc.present()) {
        return ST_FAIL(Error::InvalidProgram,
                       "bundled program: suite {} ('{s}') test case {} is corrupt (its inputs or expected outputs run "
                       "past the end of the file)",
                       s, name.data, c);
      }
      for (uint32_t i = 0; i < inputs.len; ++i) {
        ST_TRY(bp.verify_value(fb.vec_table(inputs, i), s, c, "input", i));
      }
      for (uint32_t i = 0; i < outputs.len; ++i) {
        ST_TRY(bp.verify_value(fb.vec_table(outputs, i), s, c, "expected output", i));
      }
    }
  }
  if (fb.bad()) {
    return ST_FAIL(Error::InvalidProgram, "bundled program: corrupt (an offset points outside the file)");
  }
  return bp;
}

const char* BundledProgram::method_name(size_t suite) const {
  return fb_.str(fb_.vec_table(suites_, static_cast<uint32_t>(suite)), kSuiteMethodName).data;
}

size_t BundledProgram::num_test_cases(size_t suite) const {
  return fb_.vec(fb_.vec_table(suites_, static_cast<uint32_t>(suite)), kSuiteTestCases, 4).len;
}

Fb::Table BundledProgram::test_case(size_t suite, size_t test_case) const {
  const Fb::Vec cases = fb_.vec(fb_.vec_table(suites_, static_cast<uint32_t>(suite)), kSuiteTestCases, 4);
  return fb_.vec_table(cases, static_cast<uint32_t>(test_case));
}

size_t BundledProgram::num_expected_outputs(size_t suite, size_t tc) const {
  return fb_.vec(test_case(suite, tc), kCaseExpectedOutputs, 4).len;
}

Error BundledProgram::set_inputs(Method* method, size_t suite, size_t tc) const {
  if (suite >= num_suites() || tc >= num_test_cases(suite)) {
    return ST_FAIL(Error::InvalidArgument, "bundled program: no test case {} in suite {}", tc, suite);
  }
  const char* name = method_name(suite);
  const Fb::Vec inputs = fb_.vec(test_case(suite, tc), kCaseInputs, 4);
  if (inputs.len != method->num_inputs()) {
    return ST_FAIL(Error::InvalidArgument,
                   "bundled test case {} of method '{s}' gives {} inputs, the method takes {}: bundle it with the "
                   "method's inputs",
                   tc, name, inputs.len, method->num_inputs());
  }
  for (uint32_t i = 0; i < inputs.len; ++i) {
    const Fb::Table value = fb_.vec_table(inputs, i);
    const uint8_t type = fb_.u8(value, kValueType);
    const Fb::Table body = fb_.table(value, kValueVal);
    const EValue& in = method->input(i);
    const Tag want = type == kTensor ? Tag::Tensor : type == kInt ? Tag::Int : type == kBool ? Tag::Bool : Tag::Double;
    if (in.tag != want) {
      return ST_FAIL(Error::InvalidArgument,
                     "bundled test case {} of method '{s}': input {} is a {s} in the bundle, the method takes a {s}",
                     tc, name, i, value_type_name(type), tag_name(in.tag));
    }
    if (type == kInt || type == kDouble) {
      const uint64_t bits = fb_.u64(body, kScalarVal);
      ST_TRY(method->set_input(i, &bits, 8));
      continue;
    }
    if (type == kBool) {
      const uint8_t b = fb_.u8(body, kScalarVal);
      ST_TRY(method->set_input(i, &b, 1));
      continue;
    }
    BundledTensor bt;
    const char* why = "";
    if (!decode_tensor(fb_, body, &bt, &why)) return Error::Internal;  // verified at load
    Tensor& t = in.to_tensor();
    if (bt.dtype != t.dtype) {
      return ST_FAIL(Error::InvalidArgument,
                     "bundled test case {} of method '{s}': input {} is {s} in the bundle, the method takes {s}: "
                     "bundle inputs of the method's dtype",
                     tc, name, i, scalar_type_name(bt.dtype), scalar_type_name(t.dtype));
    }
    bool same = bt.dim == t.dim;
    for (uint8_t d = 0; same && d < t.dim; ++d) same = bt.sizes[d] == t.sizes[d];
    if (!same && t.shape_dynamism != 0 && bt.dim == t.dim) {
      ST_TRY(method->set_input_shape(i, bt.sizes, bt.dim));  // names the bound it exceeds
      same = true;
    }
    if (!same) {
      char have[96];
      char takes[96];
      format_shape(bt.sizes, bt.dim, have, sizeof(have));
      format_shape(t.sizes, t.dim, takes, sizeof(takes));
      return ST_FAIL(Error::InvalidArgument,
                     "bundled test case {} of method '{s}': input {} has shape {s} in the bundle, the method takes {s}: "
                     "bundle inputs of the method's shape",
                     tc, name, i, have, takes);
    }
    const size_t es = element_size(t.dtype);
    const size_t nbytes = static_cast<size_t>(bt.numel) * es;
    bool same_order = true;
    for (uint8_t d = 0; same_order && d < t.dim; ++d) same_order = bt.dim_order[d] == t.dim_order[d];
    if (t.data == nullptr) {
      // No planned memory: the method reads the bundle's bytes in place.
      if (!same_order) {
        return ST_FAIL(Error::NotSupported,
                       "bundled test case {} of method '{s}': input {} has no planned memory and another dim order "
                       "than the bundle's: bundle it in the method's dim order",
                       tc, name, i);
      }
      ST_TRY(method->set_input_data(i, const_cast<uint8_t*>(bt.data), nbytes));  // read, never written
      continue;
    }
    ST_TRY(method->set_input(i, bt.data, nbytes));
    if (!same_order) {  // lay the elements out in the method's dim order
      const Tensor from = bt.view();
      uint8_t* to = static_cast<uint8_t*>(t.data);
      for (uint32_t k = 0; k < t.numel; ++k) {
        __builtin_memcpy(to + element::memory_index(t, k) * es, bt.data + element::memory_index(from, k) * es, es);
      }
    }
  }
  return Error::Ok;
}

Error BundledProgram::check_outputs(const Method& method, size_t suite, size_t tc, const BundledTolerance& tolerance,
                                    Span<BundledOutputResult> results) const {
  if (suite >= num_suites() || tc >= num_test_cases(suite)) {
    return ST_FAIL(Error::InvalidArgument, "bundled program: no test case {} in suite {}", tc, suite);
  }
  const char* name = method_name(suite);
  const Fb::Vec expected = fb_.vec(test_case(suite, tc), kCaseExpectedOutputs, 4);
  if (expected.len != method.num_outputs()) {
    return ST_FAIL(Error::InvalidArgument,
                   "bundled test case {} of method '{s}' expects {} outputs, the method has {}: bundle it with the "
                   "method's outputs",
                   tc, name, expected.len, method.num_outputs());
  }
  if (results.size < expected.len) {
    return ST_FAIL(Error::InvalidArgument, "bundled test case {}: room for {} output results, {} needed", tc,
                   results.size, expected.len);
  }
  for (uint32_t i = 0; i < expected.len; ++i) {
    BundledOutputResult& r = results[i];
    r = BundledOutputResult();
    const Fb::Table value = fb_.vec_table(expected, i);
    const uint8_t type = fb_.u8(value, kValueType);
    const Fb::Table body = fb_.table(value, kValueVal);
    const EValue& out = method.output(i);
    if (type == kTensor) {
      BundledTensor want;
      const char* why = "";
      if (!decode_tensor(fb_, body, &want, &why)) return Error::Internal;  // verified at load
      if (!out.is_tensor()) {
        r.verdict = BundledOutputResult::kKind;
      } else {
        compare_tensor(out.to_tensor(), want, tolerance, &r);
      }
      continue;
    }
    r.numel = 1;
    if (type == kDouble) {
      const double e = fb_.f64(body, kScalarVal);
      if (!out.is_double()) {
        r.verdict = BundledOutputResult::kKind;
        continue;
      }
      double diff;
      const bool ok = close(out.to_double(), e, tolerance, &diff);
      record(&r, 0, out.to_double(), e, diff, ok);
      continue;
    }
    const int64_t e = type == kBool ? fb_.u8(body, kScalarVal) : fb_.i64(body, kScalarVal);
    if ((type == kInt && !out.is_int()) || (type == kBool && !out.is_bool())) {
      r.verdict = BundledOutputResult::kKind;
      continue;
    }
    const int64_t a = type == kBool ? (out.to_bool() ? 1 : 0) : out.to_int();
    const double ad = EValue::int64_to_double(a);
    const double ed = EValue::int64_to_double(e);
    record(&r, 0, ad, ed, abs_double(ad - ed), a == e);
  }
  return Error::Ok;
}

Error BundledProgram::run_test_case(Method* method, size_t suite, size_t tc, const BundledTolerance& tolerance,
                                    Span<BundledOutputResult> results, bool* all_passed) const {
  if (all_passed != nullptr) *all_passed = false;
  ST_TRY(set_inputs(method, suite, tc));
  ST_TRY(method->execute());
  ST_TRY(check_outputs(*method, suite, tc, tolerance, results));
  if (all_passed != nullptr) {
    bool ok = true;
    for (size_t i = 0; i < num_expected_outputs(suite, tc); ++i) ok = ok && results[i].pass();
    *all_passed = ok;
  }
  return Error::Ok;
}

}  // namespace slimtorch
