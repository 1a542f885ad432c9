// XNNPACK backend tests on hand-made blobs (XH00 header + XN01 graph written
// with the test FbBuilder): the backend's own float code (transpose, slice,
// concatenate, batch matmul, gelu, tanh) between XNNPACK stages, constants in
// the blob, start/wait, and the error paths (truncated or inconsistent header,
// bad offsets, unknown node types, wrong arguments), each checked against a
// plain reference computed here.
#include <math.h>
#include <string.h>

#include <vector>

#include "backends/xnnpack/xnn_graph.h"
#include "backends/xnnpack/xnn_schema.h"
#include "backends/xnnpack/xnnpack_backend.h"
#include "runtime/core/evalue.h"
#include "runtime/executor/bump_allocator.h"
#include "runtime/kernel/kernel.h"
#include "runtime/platform/log.h"
#include "runtime/testing/check.h"
#include "runtime/testing/fb_builder.h"

// //runtime/executor (BumpAllocator) brings the kernel registry's symbols; this test runs no kernel.
namespace slimtorch {
extern const KernelEntry kSelectedKernels[1] = {{nullptr, nullptr}};
extern const size_t kNumSelectedKernels = 0;
// ... and the backend registry's build-time selection (runtime/backend/backend.h): none.
extern const Backend* const kSelectedBackends[1] = {nullptr};
extern const size_t kNumSelectedBackends = 0;
}  // namespace slimtorch

namespace {

using slimtorch::BackendInitContext;
using slimtorch::BumpAllocator;
using slimtorch::Error;
using slimtorch::EValue;
using slimtorch::ScalarType;
using slimtorch::Span;
using slimtorch::Tag;
using slimtorch::Tensor;
using slimtorch::xnnpack::kXnnpackBackend;
using slimtorch_test::FbBuilder;
namespace s = slimtorch::xnnpack::xnn_schema;

constexpr uint32_t kInternal = 0xFFFFFFFFu;

struct V {
  uint8_t dt;
  std::vector<uint32_t> dims;
  uint32_t cidx = 0;
  uint32_t ext = kInternal;
  uint32_t flags = 0;
};
struct N {
  uint8_t type;
  std::vector<std::pair<int, uint32_t>> u32s;
  std::vector<std::pair<int, std::vector<uint32_t>>> vecs;
};
struct C {
  uint64_t offset;
  uint64_t size;
  const char* key;
};

struct Graph {
  std::vector<V> values;
  std::vector<N> nodes;
  std::vector<uint32_t> inputs, outputs;
  std::vector<C> constants;           // constant_data[1..]; entry 0 is added (reserved)
  std::vector<uint8_t> constant_bytes;
  uint32_t num_externs = 0;
};

uint32_t ref_vec(FbBuilder& b, uint32_t t, int f, const std::vector<uint32_t>& items) {
  const uint32_t v = b.vec(items.data(), static_cast<uint32_t>(items.size()));
  b.ref(t, f, v);
  return v;
}

// The XN01 flatbuffer of g, wrapped in an XH00 header, followed by its constants.
std::vector<uint8_t> build_blob(const Graph& g) {
  FbBuilder* b = new FbBuilder();
  const uint32_t root = b->table(9);
  const uint32_t xnodes = b->vec_refs(static_cast<uint32_t>(g.nodes.size()));
  b->ref(root, s::kGraphXnodes, xnodes);
  const uint32_t xvalues = b->vec_refs(static_cast<uint32_t>(g.values.size()));
  b->ref(root, s::kGraphXvalues, xvalues);
  b->u32(root, s::kGraphNumExterns, g.num_externs);
  ref_vec(*b, root, s::kGraphInputIds, g.inputs);
  ref_vec(*b, root, s::kGraphOutputIds, g.outputs);
  const uint32_t cdata = b->vec_refs(static_cast<uint32_t>(g.constants.size() + 1));
  b->ref(root, s::kGraphConstantData, cdata);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const N& n = g.nodes[i];
    const uint32_t xn = b->table(4);
    b->vec_ref(xnodes, static_cast<uint32_t>(i), xn);
    b->u8(xn, s::kNodeUnionType, n.type);
    const uint32_t inner = b->table(20);
    b->ref(xn, s::kNodeUnion, inner);
    for (const auto& f : n.u32s) b->u32(inner, f.first, f.second);
    for (const auto& f : n.vecs) ref_vec(*b, inner, f.first, f.second);
  }
  for (size_t i = 0; i < g.values.size(); ++i) {
    const V& v = g.values[i];
    const uint32_t xv = b->table(2);
    b->vec_ref(xvalues, static_cast<uint32_t>(i), xv);
    b->u8(xv, s::kValueUnionType, s::kTensorValue);
    const uint32_t tv = b->table(7);
    b->ref(xv, s::kValueUnion, tv);
    b->u8(tv, s::kTvDatatype, v.dt);
    b->u32(tv, s::kTvNumDims, static_cast<uint32_t>(v.dims.size()));
    ref_vec(*b, tv, s::kTvDims, v.dims);
    b->u32(tv, s::kTvConstantBufferIdx, v.cidx);
    b->u32(tv, s::kTvExternalId, v.ext);
    b->u32(tv, s::kTvFlags, v.flags);
    b->u32(tv, s::kTvIdOut, static_cast<uint32_t>(i));
  }
  for (size_t i = 0; i <= g.constants.size(); ++i) {
    const uint32_t cd = b->table(3);
    b->vec_ref(cdata, static_cast<uint32_t>(i), cd);
    if (i == 0) continue;
    const C& c = g.constants[i - 1];
    b->u64(cd, s::kCdOffset, c.offset);
    b->u64(cd, s::kCdSize, c.size);
    if (c.key != nullptr) b->ref(cd, s::kCdNamedKey, b->str(c.key));
  }
  b->finish(root);
  memcpy(b->data() + 4, "XN01", 4);
  const uint32_t fb_size = b->size();
  const uint32_t c_off = (32 + fb_size + 15) & ~15u;
  std::vector<uint8_t> blob(c_off + g.constant_bytes.size());
  memcpy(blob.data() + 4, "XH00", 4);
  const uint16_t hl = 30;
  const uint32_t fb_off = 32;
  const uint64_t c_size = g.constant_bytes.size();
  memcpy(blob.data() + 8, &hl, 2);
  memcpy(blob.data() + 10, &fb_off, 4);
  memcpy(blob.data() + 14, &fb_size, 4);
  memcpy(blob.data() + 18, &c_off, 4);
  memcpy(blob.data() + 22, &c_size, 8);
  memcpy(blob.data() + 32, b->data(), fb_size);
  if (!g.constant_bytes.empty()) memcpy(blob.data() + c_off, g.constant_bytes.data(), g.constant_bytes.size());
  delete b;
  return blob;
}

// A float tensor argument (owns its storage).
struct Arg {
  explicit Arg(std::vector<int32_t> shape, ScalarType dt = ScalarType::Float) : sizes(std::move(shape)) {
    size_t n = 1;
    for (int32_t d : sizes) n *= static_cast<size_t>(d);
    data.assign(n, 0.0f);
    order.resize(sizes.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint8_t>(i);
    t.data = data.data();
    t.sizes = sizes.data();
    t.dim_order = order.data();
    t.numel = static_cast<uint32_t>(n);
    t.capacity_bytes = static_cast<uint32_t>(n * 4);
    t.dtype = dt;
    t.dim = static_cast<uint8_t>(sizes.size());
    ev.tag = Tag::Tensor;
    ev.v.t = &t;
  }
  std::vector<int32_t> sizes;
  std::vector<uint8_t> order;
  std::vector<float> data;
  Tensor t;
  EValue ev;
};

alignas(16) uint8_t g_arena[1 << 16];

Error init_blob(const std::vector<uint8_t>& blob, void** handle, size_t arena_bytes = sizeof(g_arena)) {
  BumpAllocator arena(g_arena, arena_bytes);
  BackendInitContext ctx{&arena, "XnnpackBackend", nullptr};
  return kXnnpackBackend.init(ctx, Span<const uint8_t>(blob.data(), blob.size()), nullptr, 0, handle);
}

bool message_has(const char* text) { return strstr(slimtorch::last_error_message(), text) != nullptr; }

float gelu_ref(float x) { return 0.5f * x * (1.0f + erff(x / sqrtf(2.0f))); }

// in0 [2,3] x in1 [3,4] -> bmm (own) -> + bias[4] (XNNPACK, constant in the blob) -> gelu (own) = out0 [2,4];
// out0 -> transpose [4,2] (own) -> tanh (own) = out1; slice(bias-add result, cols 1..3) ++ in0 (concat axis 1) = out2 [2,5].
Graph mixed_graph() {
  Graph g;
  g.values = {
      {s::kFp32, {2, 3}, 0, 0, 1},   // 0 in0
      {s::kFp32, {3, 4}, 0, 1, 1},   // 1 in1
      {s::kFp32, {2, 4}},            // 2 bmm
      {s::kFp32, {4}, 1},            // 3 bias (constant 1)
      {s::kFp32, {2, 4}},            // 4 add
      {s::kFp32, {2, 4}, 0, 2, 2},   // 5 out0 = gelu
      {s::kFp32, {4, 2}},            // 6 transpose
      {s::kFp32, {4, 2}, 0, 3, 2},   // 7 out1 = tanh
      {s::kFp32, {2, 2}},            // 8 slice
      {s::kFp32, {2, 5}, 0, 4, 2},   // 9 out2 = concat
  };
  g.nodes = {
      {s::kBatchMatrixMultiply, {{s::k21Input1, 0}, {s::k21Input2, 1}, {s::k21Output, 2}}, {}},
      {s::kAdd, {{s::k21Input1, 2}, {s::k21Input2, 3}, {s::k21Output, 4}}, {}},
      {s::kGelu, {{s::k11Input, 4}, {s::k11Output, 5}}, {}},
      {s::kStaticTranspose, {{s::kTrNumDims, 2}, {s::kTrInput, 5}, {s::kTrOutput, 6}}, {{s::kTrPerm, {1, 0}}}},
      {s::kTanh, {{s::k11Input, 6}, {s::k11Output, 7}}, {}},
      {s::kStaticSlice, {{s::kSlNumDims, 2}, {s::kSlInput, 4}, {s::kSlOutput, 8}},
       {{s::kSlOffsets, {0, 1}}, {s::kSlSizes, {2, 2}}}},
      {s::kConcatenate2, {{s::kCatAxis, 1}, {s::kCatInput1, 8}, {s::kCatInput2, 0}, {s::kCatOutput, 9}}, {}},
  };
  g.inputs = {0, 1};
  g.outputs = {5, 7, 9};
  g.num_externs = 5;
  const float bias[4] = {0.5f, -1.0f, 0.25f, 2.0f};
  g.constant_bytes.resize(16);
  memcpy(g.constant_bytes.data(), bias, 16);
  g.constants = {{0, 16, nullptr}};
  return g;
}

void check_mixed_outputs(const Arg& a, const Arg& b, const Arg& o0, const Arg& o1, const Arg& o2) {
  const float bias[4] = {0.5f, -1.0f, 0.25f, 2.0f};
  float add[2][4];
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 4; ++j) {
      float acc = 0;
      for (int k = 0; k < 3; ++k) acc += a.data[i * 3 + k] * b.data[k * 4 + j];
      add[i][j] = acc + bias[j];
    }
  }
  int bad = 0;
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 4; ++j) {
      bad += fabsf(o0.data[i * 4 + j] - gelu_ref(add[i][j])) > 1e-5f;
      bad += fabsf(o1.data[j * 2 + i] - tanhf(gelu_ref(add[i][j]))) > 1e-5f;
    }
    bad += fabsf(o2.data[i * 5 + 0] - add[i][1]) > 1e-5f;
    bad += fabsf(o2.data[i * 5 + 1] - add[i][2]) > 1e-5f;
    for (int k = 0; k < 3; ++k) bad += o2.data[i * 5 + 2 + k] != a.data[i * 3 + k];
  }
  CHECK_EQ(bad, 0);
}

void test_mixed_stages() {
  const std::vector<uint8_t> blob = build_blob(mixed_graph());
  void* h = nullptr;
  CHECK_EQ(init_blob(blob, &h), Error::Ok);
  if (h == nullptr) {
    fprintf(stderr, "init: %s\n", slimtorch::last_error_message());
    return;
  }
  Arg a({2, 3}), b({3, 4}), o0({2, 4}), o1({4, 2}), o2({2, 5});
  for (size_t i = 0; i < a.data.size(); ++i) a.data[i] = 0.3f * static_cast<float>(i) - 0.7f;
  for (size_t i = 0; i < b.data.size(); ++i) b.data[i] = 0.1f * static_cast<float>(i % 5) - 0.2f;
  EValue* args[] = {&a.ev, &b.ev, &o0.ev, &o1.ev, &o2.ev};
  CHECK_EQ(kXnnpackBackend.execute(h, args, 5), Error::Ok);
  check_mixed_outputs(a, b, o0, o1, o2);

  // Asynchronous: start returns, wait gives the same result (new inputs, new output memory).
  for (float& x : a.data) x = -x;
  Arg p0({2, 4}), p1({4, 2}), p2({2, 5});
  EValue* args2[] = {&a.ev, &b.ev, &p0.ev, &p1.ev, &p2.ev};
  CHECK_EQ(kXnnpackBackend.start(h, args2, 5), Error::Ok);
  CHECK_EQ(kXnnpackBackend.wait(h), Error::Ok);
  check_mixed_outputs(a, b, p0, p1, p2);
  CHECK_EQ(kXnnpackBackend.wait(h), Error::Ok);  // nothing in flight: a no-op

  // Wrong arguments: count, dtype, element count.
  CHECK_EQ(kXnnpackBackend.execute(h, args, 4), Error::InvalidArgument);
  CHECK(message_has("2 inputs and 3 outputs, got 4"));
  o1.t.dtype = ScalarType::Int;
  CHECK_EQ(kXnnpackBackend.execute(h, args, 5), Error::InvalidArgument);
  CHECK(message_has("output 1 is Int"));
  o1.t.dtype = ScalarType::Float;
  b.t.numel = 11;
  CHECK_EQ(kXnnpackBackend.start(h, args, 5), Error::InvalidArgument);
  CHECK(message_has("input 1 has 11 elements"));
  b.t.numel = 12;
  kXnnpackBackend.destroy(h);

  // Two threads (a pthreadpool) and a tiny arena (everything from malloc): same results.
  slimtorch::xnnpack::set_num_threads(2);
  CHECK_EQ(init_blob(blob, &h, 64), Error::Ok);
  slimtorch::xnnpack::set_num_threads(1);
  CHECK_EQ(kXnnpackBackend.execute(h, args, 5), Error::Ok);
  check_mixed_outputs(a, b, o0, o1, o2);
  kXnnpackBackend.destroy(h);
}

void test_header_errors() {
  const std::vector<uint8_t> good = build_blob(mixed_graph());
  void* h = nullptr;
  // Truncated: shorter than the header.
  std::vector<uint8_t> blob(good.begin(), good.begin() + 20);
  CHECK_EQ(init_blob(blob, &h), Error::InvalidProgram);
  CHECK(message_has("shorter than its XH00 header"));
  CHECK(h == nullptr);
  // Truncated: the flatbuffer runs past the end.
  blob.assign(good.begin(), good.begin() + 100);
  CHECK_EQ(init_blob(blob, &h), Error::InvalidProgram);
  CHECK(message_has("flatbuffer offset 32"));
  // Flatbuffer offset inside the header.
  blob = good;
  blob[10] = 8;
  CHECK_EQ(init_blob(blob, &h), Error::InvalidProgram);
  // Constant data size beyond the blob.
  blob = good;
  blob[22 + 4] = 1;  // + 2^32 bytes
  CHECK_EQ(init_blob(blob, &h), Error::InvalidProgram);
  CHECK(message_has("constant data offset"));
  // Wrong magic.
  blob = good;
  memcpy(blob.data() + 32 + 4, "ET12", 4);
  CHECK_EQ(init_blob(blob, &h), Error::InvalidProgram);
  CHECK(message_has("neither XH00"));
  // Every truncation and every single-byte corruption of the graph: an error or a
  // consistent init, never a crash (ASan/UBSan builds check the reads).
  for (size_t n = 0; n < good.size(); n += 7) {
    blob.assign(good.begin(), good.begin() + static_cast<long>(n));
    if (init_blob(blob, &h) == Error::Ok) kXnnpackBackend.destroy(h);
  }
  int ok = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    blob = good;
    blob[i] ^= 0xA5;
    if (init_blob(blob, &h) == Error::Ok) {
      ++ok;
      kXnnpackBackend.destroy(h);
    }
  }
  CHECK(ok < static_cast<int>(good.size()));
}

void test_graph_errors() {
  void* h = nullptr;
  // A constant offset past the constant data.
  Graph g = mixed_graph();
  g.constants[0].offset = 8;
  CHECK_EQ(init_blob(build_blob(g), &h), Error::InvalidProgram);
  CHECK(message_has("value 3: constant_data[1] (offset 8, size 16) runs past"));
  // A constant whose size is not dims x element size.
  g = mixed_graph();
  g.constants[0].size = 12;
  CHECK_EQ(init_blob(build_blob(g), &h), Error::InvalidProgram);
  CHECK(message_has("constant_data[1].size 12 != dims x element size 16"));
  // A named constant without a program.
  g = mixed_graph();
  g.constants[0] = {UINT64_MAX, 16, "weights"};
  CHECK_EQ(init_blob(build_blob(g), &h), Error::InvalidProgram);
  CHECK(message_has("named constant 'weights'"));
  // constant_buffer_idx out of range.
  g = mixed_graph();
  g.values[3].cidx = 7;
  CHECK_EQ(init_blob(build_blob(g), &h), Error::InvalidProgram);
  CHECK(message_has("constant_buffer_idx 7 is out of range"));
  // An unknown node type, and one that neither XNNPACK 2022 nor the own code runs.
  g = mixed_graph();
  g.nodes[2].type = 200;
  CHECK_EQ(init_blob(build_blob(g), &h), Error::NotSupported);
  CHECK(message_has("node 2 has node type 200 (unknown)"));
  g = mixed_graph();
  g.nodes[2] = {s::kScaledDotProductAttention, {{0, 4}, {1, 4}, {2, 4}, {3, 3}, {4, 3}, {5, 5}}, {}};
  CHECK_EQ(init_blob(build_blob(g), &h), Error::NotSupported);
  CHECK(message_has("XNNScaledDotProductAttention, which neither"));
  // A node reading a value id out of range, or one not yet written.
  g = mixed_graph();
  g.nodes[1].u32s[1].second = 99;
  CHECK_EQ(init_blob(build_blob(g), &h), Error::InvalidProgram);
  CHECK(message_has("node 1 (XNNAdd) input 1 = value 99"));
  g = mixed_graph();
  g.nodes[0].u32s[0].second = 6;
  CHECK_EQ(init_blob(build_blob(g), &h), Error::InvalidProgram);
  CHECK(message_has("node 0 (XNNBatchMatrixMultiply) input 0 = value 6"));
  // Own-code shape checks: a perm that is not one, a slice past the input, a bmm mismatch.
  g = mixed_graph();
  g.nodes[3].vecs[0].second = {1, 1};
  CHECK_EQ(init_blob(build_blob(g), &h), Error::InvalidProgram);
  CHECK(message_has("perm[1] = 1 is not a permutation"));
  g = mixed_graph();
  g.nodes[5].vecs[0].second = {0, 3};
  CHECK_EQ(init_blob(build_blob(g), &h), Error::InvalidProgram);
  CHECK(message_has("XNNStaticSlice): dim 1: offset 3 size 2 of input 4"));
  g = mixed_graph();
  g.values[1].dims = {4, 3};
  CHECK_EQ(init_blob(build_blob(g), &h), Error::InvalidProgram);
  CHECK(message_has("XNNBatchMatrixMultiply)"));
  // An own-code node on int8 math.
  g = mixed_graph();
  g.values[6].dt = s::kQint8;
  g.values[7].dt = s::kQint8;
  CHECK_EQ(init_blob(build_blob(g), &h), Error::NotSupported);
  // A datatype this backend does not run.
  g = mixed_graph();
  g.values[0].dt = s::kQcint4;
  CHECK_EQ(init_blob(build_blob(g), &h), Error::NotSupported);
  CHECK(message_has("xvalues[0] has datatype qcint4"));
  // Shapes XNNPACK cannot broadcast: Debian's XNNPACK would accept the node at define time and
  // fail at setup; the backend refuses it at init.
  g = mixed_graph();
  g.values[3].dims = {3};  // bias of 3 for an add over 4 columns
  g.constants[0].size = 12;
  g.constant_bytes.resize(12);
  CHECK_EQ(init_blob(build_blob(g), &h), Error::InvalidProgram);
  CHECK(message_has("node 1 (XNNAdd): the inputs' shapes do not broadcast"));
  // A value whose external flag disagrees with input_ids.
  g = mixed_graph();
  g.values[2].flags = 1;
  CHECK_EQ(init_blob(build_blob(g), &h), Error::InvalidProgram);
  CHECK(message_has("value 2: flags 1 disagree with input_ids/output_ids"));
}

// The MLP's shape as slimtorch lowers it: in [2,16] -> fully connected (w [4,16], bias [4]) ->
// softmax = out [2,4]. The cases are bit flips of tools/fuzz's sweep that reached libXNNPACK
// (SEGV, `output_data != NULL` assertions, a bad free in xnn_delete_runtime).
Graph fc_graph() {
  Graph g;
  g.values = {
      {s::kFp32, {2, 16}, 0, 0, 1},  // 0 in
      {s::kFp32, {4, 16}, 1},        // 1 weight
      {s::kFp32, {4}, 2},            // 2 bias
      {s::kFp32, {2, 4}},            // 3 fc
      {s::kFp32, {2, 4}, 0, 1, 2},   // 4 out = softmax
  };
  g.nodes = {
      {s::kFullyConnected, {{s::kFcInput, 0}, {s::kFcFilter, 1}, {s::kFcBias, 2}, {s::kFcOutput, 3}}, {}},
      {s::kSoftmax, {{s::k11Input, 3}, {s::k11Output, 4}}, {}},
  };
  g.inputs = {0};
  g.outputs = {4};
  g.num_externs = 2;
  g.constant_bytes.assign(4 * 64 + 16, 0);
  g.constants = {{0, 256, nullptr}, {256, 16, nullptr}};
  return g;
}

void test_xnnpack_shape_errors() {
  void* h = nullptr;
  Graph g = fc_graph();
  CHECK_EQ(init_blob(build_blob(g), &h), Error::Ok);
  if (h != nullptr) kXnnpackBackend.destroy(h);
  // Input inner dim != filter input channels (XNNPACK would read past the input).
  g = fc_graph();
  g.values[0].dims = {1, 32};
  CHECK_EQ(init_blob(build_blob(g), &h), Error::InvalidProgram);
  CHECK(message_has("node 0 (XNNFullyConnected): input's last dim != filter input channels"));
  // Declared output smaller than what XNNPACK writes.
  g = fc_graph();
  g.values[3].dims = {1, 4};
  CHECK_EQ(init_blob(build_blob(g), &h), Error::InvalidProgram);
  CHECK(message_has("node 0 (XNNFullyConnected): output shape"));
  g = fc_graph();
  g.values[4].dims = {2, 2};
  CHECK_EQ(init_blob(build_blob(g), &h), Error::InvalidProgram);
  CHECK(message_has("node 1 (XNNSoftmax): output shape != input shape"));
  // A 0 dimension, unknown node flags, a bias of the wrong length.
  g = fc_graph();
  g.values[3].dims = {0, 4};
  CHECK_EQ(init_blob(build_blob(g), &h), Error::InvalidProgram);
  CHECK(message_has("has a 0 dimension"));
  g = fc_graph();
  g.nodes[0].u32s.push_back({s::kFcFlags, 4});
  CHECK_EQ(init_blob(build_blob(g), &h), Error::InvalidProgram);
  CHECK(message_has("node 0 (XNNFullyConnected): unknown flags"));
  // A node output nobody reads or returns (XNNPACK's planner gives it no memory): it runs.
  g = fc_graph();
  g.values.push_back({s::kFp32, {2, 4}});  // 5
  g.nodes.push_back({s::kSoftmax, {{s::k11Input, 3}, {s::k11Output, 5}}, {}});
  CHECK_EQ(init_blob(build_blob(g), &h), Error::Ok);
  if (h != nullptr) {
    Arg in({2, 16}), out({2, 4});
    EValue* args[] = {&in.ev, &out.ev};
    CHECK_EQ(kXnnpackBackend.execute(h, args, 2), Error::Ok);
    CHECK(out.data[0] == 0.25f);  // zero weights: softmax of equal logits
    kXnnpackBackend.destroy(h);
  }
  // Convolution: stride 0, and an output height that is not the computed one.
  Graph c;
  c.values = {
      {s::kFp32, {1, 5, 5, 2}, 0, 0, 1},  // 0 in NHWC
      {s::kFp32, {3, 3, 3, 2}, 1},        // 1 filter OHWI
      {s::kFp32, {1, 3, 3, 3}, 0, 1, 2},  // 2 out
  };
  c.nodes = {{s::kConv2d,
              {{s::kConvKernelH, 3}, {s::kConvKernelW, 3}, {s::kConvStrideH, 1}, {s::kConvStrideW, 1},
               {s::kConvDilationH, 1}, {s::kConvDilationW, 1}, {s::kConvGroups, 1}, {s::kConvGroupIn, 2},
               {s::kConvGroupOut, 3}, {s::kConvInput, 0}, {s::kConvFilter, 1}, {s::kConvBias, kInternal},
               {s::kConvOutput, 2}},
              {}}};
  c.inputs = {0};
  c.outputs = {2};
  c.num_externs = 2;
  c.constant_bytes.assign(54 * 4, 0);
  c.constants = {{0, 54 * 4, nullptr}};
  CHECK_EQ(init_blob(build_blob(c), &h), Error::Ok);
  if (h != nullptr) kXnnpackBackend.destroy(h);
  Graph bad = c;
  bad.nodes[0].u32s[2].second = 0;
  CHECK_EQ(init_blob(build_blob(bad), &h), Error::InvalidProgram);
  CHECK(message_has("node 0 (XNNConv2d): kernel, stride, dilation"));
  bad = c;
  bad.values[2].dims = {1, 4, 3, 3};
  CHECK_EQ(init_blob(build_blob(bad), &h), Error::InvalidProgram);
  CHECK(message_has("node 0 (XNNConv2d): declared output height/width != computed"));
  bad = c;
  bad.values[1].dims = {3, 3, 2, 2};
  bad.constants[0].size = 36 * 4;
  CHECK_EQ(init_blob(build_blob(bad), &h), Error::InvalidProgram);
  CHECK(message_has("node 0 (XNNConv2d): filter is not"));
}

}  // namespace

int main() {
  test_mixed_stages();
  test_header_errors();
  test_graph_errors();
  test_xnnpack_shape_errors();
  return slimtorch_test::check_summary();
}
