#include "backends/xnnpack/xnn_graph.h"

#include <string.h>

#include "backends/xnnpack/xnn_schema.h"
#include "runtime/core/result.h"
#include "runtime/platform/log.h"
#include "runtime/program/program.h"

namespace slimtorch {
namespace xnnpack {

namespace s = xnn_schema;

namespace xnn_schema {
const char* node_type_name(uint8_t type) {
  static const char* const kNames[kNumNodeTypes] = {
      "NONE", "XNNAdd", "XNNFullyConnected", "XNNSoftmax", "XNNSigmoid", "XNNStaticTranspose", "XNNClamp",
      "XNNConv2d", "XNNDiv", "XNNStaticResizeBilinear2D", "XNNStaticConstantPad", "XNNAvgPooling2d",
      "XNNMinimum", "XNNDepthwiseConv2d", "XNNMaxPooling2d", "XNNMultiply", "XNNSubtract", "XNNFloor",
      "XNNConvert", "XNNGlobalAvgPooling2d", "XNNStaticReshape", "XNNArgMaxPooling2d", "XNNSquareRoot",
      "XNNCeiling", "XNNHardswish", "XNNLeakyReLU", "XNNMaximum", "XNNNegate", "XNNSquare", "XNNELU", "XNNAbs",
      "XNNPReLU", "XNNConcatenate2", "XNNConcatenate3", "XNNConcatenate4", "XNNStaticSlice",
      "XNNScaledDotProductAttention", "XNNBatchMatrixMultiply", "XNNConcatenate5", "XNNConvTranspose2d",
      "XNNReciprocalSquareRoot", "XNNLog", "XNNGelu", "XNNTanh", "XNNExp", "XNNSin", "XNNCopy", "XNNCos"};
  return type < kNumNodeTypes ? kNames[type] : "unknown";
}
}  // namespace xnn_schema

const char* datatype_name(uint8_t datatype) {
  static const char* const kNames[] = {"invalid", "fp32",  "fp16",  "qint8",  "quint8", "qint32", "qcint8", "qcint32",
                                       "qcint4",  "qdint8", "qbint4", "qpint8", "int32",  "pfp32",  "bf16"};
  return datatype < sizeof(kNames) / sizeof(kNames[0]) ? kNames[datatype] : "unknown";
}

bool datatype_scalar_type(uint8_t datatype, ScalarType* out) {
  switch (datatype) {
    case s::kFp32: *out = ScalarType::Float; return true;
    case s::kFp16: *out = ScalarType::Half; return true;
    case s::kQint8:
    case s::kQcint8: *out = ScalarType::Char; return true;
    case s::kQuint8: *out = ScalarType::Byte; return true;
    case s::kQint32:
    case s::kQcint32:
    case s::kInt32: *out = ScalarType::Int; return true;
    default: return false;
  }
}

namespace {

uint32_t elem_size(uint8_t datatype) {
  ScalarType t;
  return datatype_scalar_type(datatype, &t) ? static_cast<uint32_t>(element_size(t)) : 0;
}

uint16_t load16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t load32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}
uint64_t load64(const uint8_t* p) { return load32(p) | (static_cast<uint64_t>(load32(p + 4)) << 32); }

float bits_to_float(uint32_t bits) {
  float f;
  memcpy(&f, &bits, sizeof(f));
  return f;
}

// The field numbers of a node type's value ids; -1 ends a list.
struct NodeIo {
  int8_t in[kMaxNodeInputs];
  int8_t out;
  int8_t out2;
  int8_t flags;
  uint8_t optional_in;  // bit i: in[i] may be kNoValue (a bias)
};

bool node_io(uint8_t type, NodeIo* io) {
  const NodeIo k1x1 = {{s::k11Input, -1, -1, -1, -1}, s::k11Output, -1, s::k11Flags, 0};
  const NodeIo k2x1 = {{s::k21Input1, s::k21Input2, -1, -1, -1}, s::k21Output, -1, s::k21Flags, 0};
  switch (type) {
    case s::kSoftmax: case s::kSigmoid: case s::kClamp: case s::kFloor: case s::kConvert:
    case s::kGlobalAvgPooling2d: case s::kSquareRoot: case s::kCeiling: case s::kHardswish: case s::kNegate:
    case s::kSquare: case s::kAbs: case s::kReciprocalSquareRoot: case s::kLog: case s::kGelu: case s::kTanh:
    case s::kExp: case s::kSin: case s::kCopy: case s::kCos:
      *io = k1x1;
      return true;
    case s::kAdd: case s::kDiv: case s::kMinimum: case s::kMultiply: case s::kSubtract: case s::kMaximum:
    case s::kPReLU: case s::kBatchMatrixMultiply:
      *io = k2x1;
      return true;
    case s::kFullyConnected:
      *io = {{s::kFcInput, s::kFcFilter, s::kFcBias, -1, -1}, s::kFcOutput, -1, s::kFcFlags, 1u << 2};
      return true;
    case s::kConv2d: case s::kDepthwiseConv2d: case s::kConvTranspose2d:
      *io = {{s::kConvInput, s::kConvFilter, s::kConvBias, -1, -1}, s::kConvOutput, -1, s::kConvFlags, 1u << 2};
      return true;
    case s::kAvgPooling2d: case s::kMaxPooling2d:
      *io = {{s::kPoolInput, -1, -1, -1, -1}, s::kPoolOutput, -1, s::kPoolFlags, 0};
      return true;
    case s::kStaticTranspose: *io = {{s::kTrInput, -1, -1, -1, -1}, s::kTrOutput, -1, s::kTrFlags, 0}; return true;
    case s::kStaticReshape: *io = {{s::kRsInput, -1, -1, -1, -1}, s::kRsOutput, -1, s::kRsFlags, 0}; return true;
    case s::kStaticSlice: *io = {{s::kSlInput, -1, -1, -1, -1}, s::kSlOutput, -1, s::kSlFlags, 0}; return true;
    case s::kStaticResizeBilinear2D:
      *io = {{s::kRzInput, -1, -1, -1, -1}, s::kRzOutput, -1, s::kRzFlags, 0};
      return true;
    case s::kStaticConstantPad: *io = {{s::kPadInput, -1, -1, -1, -1}, s::kPadOutput, -1, s::kPadFlags, 0}; return true;
    case s::kELU: *io = {{s::kEluInput, -1, -1, -1, -1}, s::kEluOutput, -1, s::kEluFlags, 0}; return true;
    case s::kLeakyReLU: *io = {{s::kLrInput, -1, -1, -1, -1}, s::kLrOutput, -1, s::kLrFlags, 0}; return true;
    case s::kConcatenate2: *io = {{s::kCatInput1, s::kCatInput2, -1, -1, -1}, s::kCatOutput, -1, s::kCatFlags, 0}; return true;
    case s::kConcatenate3:
      *io = {{s::kCatInput1, s::kCatInput2, s::kCatInput3, -1, -1}, s::kCatOutput, -1, s::kCatFlags, 0};
      return true;
    case s::kConcatenate4:
      *io = {{s::kCatInput1, s::kCatInput2, s::kCatInput3, s::kCatInput4, -1}, s::kCatOutput, -1, s::kCatFlags, 0};
      return true;
    case s::kConcatenate5:
      *io = {{s::kCatInput1, s::kCatInput2, s::kCatInput3, s::kCatInput4, s::kCatInput5}, s::kCatOutput, -1,
             s::kCatFlags, 0};
      return true;
    case s::kArgMaxPooling2d:  // padding x4, pooling h/w, input, output_value, output_index, flags
      *io = {{6, -1, -1, -1, -1}, 7, 8, 9, 0};
      return true;
    case s::kScaledDotProductAttention:  // query, key, value, scale, mask, output, flags
      *io = {{0, 1, 2, 3, 4}, 5, -1, 6, 0};
      return true;
    default:
      return false;
  }
}

struct Parser {
  const Fb& fb;
  const char* name;
  const Program* program;
  const uint8_t* constants;  // constant data region of the blob
  uint64_t constants_size;
  Scratch& scratch;
};

Error parse_constant(Parser& p, const Fb::Vec& constant_data, uint32_t vi, uint32_t idx, XnnValue* v) {
  const Fb& fb = p.fb;
  if (idx >= constant_data.len) {
    return ST_FAIL(Error::InvalidProgram, "{s}: value {} constant_buffer_idx {} is out of range (constant_data has {})",
                   p.name, vi, idx, constant_data.len);
  }
  const Fb::Table cd = fb.vec_table(constant_data, idx);
  const uint64_t offset = fb.u64(cd, s::kCdOffset, 0);
  const uint64_t size = fb.u64(cd, s::kCdSize, 0);
  const Fb::Str key = fb.str(cd, s::kCdNamedKey);
  if (fb.bad() || !cd.present()) {
    return ST_FAIL(Error::InvalidProgram, "{s}: value {}: constant_data[{}] is malformed", p.name, vi, idx);
  }
  if (size != v->nbytes()) {
    return ST_FAIL(Error::InvalidProgram, "{s}: value {}: constant_data[{}].size {} != dims x element size {}", p.name,
                   vi, idx, static_cast<int64_t>(size), static_cast<int64_t>(v->nbytes()));
  }
  if (offset != UINT64_MAX) {
    if (key.len != 0) {
      return ST_FAIL(Error::InvalidProgram, "{s}: value {}: constant_data[{}] has both an offset and a named_key",
                     p.name, vi, idx);
    }
    if (offset > p.constants_size || size > p.constants_size - offset) {
      return ST_FAIL(Error::InvalidProgram,
                     "{s}: value {}: constant_data[{}] (offset {}, size {}) runs past the blob's constant data ({} bytes)",
                     p.name, vi, idx, static_cast<int64_t>(offset), static_cast<int64_t>(size),
                     static_cast<int64_t>(p.constants_size));
    }
    v->data = p.constants + offset;
    return Error::Ok;
  }
  if (key.len == 0) {
    return ST_FAIL(Error::InvalidProgram, "{s}: value {}: constant_data[{}] has neither an offset nor a named_key",
                   p.name, vi, idx);
  }
  if (p.program == nullptr) {
    return ST_FAIL(Error::InvalidProgram, "{s}: value {}: named constant '{s}' but no program to look it up in", p.name,
                   vi, key.data);
  }
  const Span<const uint8_t> bytes = p.program->named_data(key.data, key.len);
  if (bytes.data == nullptr) {
    return ST_FAIL(Error::InvalidProgram, "{s}: value {}: named constant '{s}' is not in the program's named_data",
                   p.name, vi, key.data);
  }
  if (bytes.size < size) {
    return ST_FAIL(Error::InvalidProgram, "{s}: value {}: named constant '{s}' has {} bytes, the tensor needs {}",
                   p.name, vi, key.data, static_cast<int64_t>(bytes.size), static_cast<int64_t>(size));
  }
  v->data = bytes.data;
  return Error::Ok;
}

Error parse_value(Parser& p, const Fb::Vec& values, const Fb::Vec& constant_data, uint32_t i, XnnValue* out,
                  uint32_t* id_out) {
  const Fb& fb = p.fb;
  const Fb::Table xv = fb.vec_table(values, i);
  const uint8_t kind = fb.u8(xv, s::kValueUnionType);
  Fb::Table tv = fb.table(xv, s::kValueUnion);
  Fb::Table quant;
  uint8_t quant_kind = 0;
  if (kind == s::kQuantizedTensorValue) {
    quant_kind = fb.u8(tv, s::kQtvQuantParamsType);
    quant = fb.table(tv, s::kQtvQuantParams);
    tv = fb.table(tv, s::kQtvTensorValue);
  } else if (kind != s::kTensorValue) {
    return ST_FAIL(Error::InvalidProgram, "{s}: xvalues[{}] has unknown kind {}", p.name, i, kind);
  }
  if (fb.bad() || !tv.present()) {
    return ST_FAIL(Error::InvalidProgram, "{s}: xvalues[{}] is malformed (its tensor value table)", p.name, i);
  }
  XnnValue v;
  v.datatype = fb.u8(tv, s::kTvDatatype);
  v.elem_size = elem_size(v.datatype);
  if (v.elem_size == 0) {
    return ST_FAIL(Error::NotSupported, "{s}: xvalues[{}] has datatype {s} ({}), which this backend does not run",
                   p.name, i, datatype_name(v.datatype), v.datatype);
  }
  const Fb::Vec dims = fb.vec(tv, s::kTvDims, 4);
  const uint32_t num_dims = fb.u32(tv, s::kTvNumDims);
  if (fb.bad() || dims.len != num_dims || num_dims > kMaxDims) {
    return ST_FAIL(Error::InvalidProgram, "{s}: xvalues[{}]: num_dims {} with {} dims (at most {})", p.name, i,
                   num_dims, dims.len, kMaxDims);
  }
  v.ndim = static_cast<uint8_t>(num_dims);
  for (uint32_t d = 0; d < num_dims; ++d) {
    v.dims[d] = static_cast<uint32_t>(fb.vec_i32(dims, d));
    v.numel *= v.dims[d];
    if (v.numel > (1ull << 31)) {
      return ST_FAIL(Error::InvalidProgram, "{s}: xvalues[{}]: dims give more than 2^31 elements", p.name, i);
    }
  }
  v.external_id = fb.u32(tv, s::kTvExternalId, 0);
  v.flags = fb.u32(tv, s::kTvFlags, 0);
  *id_out = fb.u32(tv, s::kTvIdOut, 0);
  if (kind == s::kQuantizedTensorValue) {
    if (quant_kind == s::kPerTensorQuant) {
      v.quant = quant_kind;
      v.scale = bits_to_float(fb.u32(quant, s::kPtScale));
      v.zero_point = fb.i32(quant, s::kPtZeroPoint);
    } else if (quant_kind == s::kPerChannelQuant) {
      v.quant = quant_kind;
      v.channel_dim = static_cast<uint32_t>(fb.i32(quant, s::kPcChannelDim));
      const Fb::Vec scales = fb.vec(quant, s::kPcScale, 4);
      if (fb.bad() || v.channel_dim >= v.ndim) {
        return ST_FAIL(Error::InvalidProgram, "{s}: xvalues[{}]: per-channel channel_dim {} of {} dims", p.name, i,
                       v.channel_dim, v.ndim);
      }
      const uint32_t channels = v.dims[v.channel_dim];
      float* copy = p.scratch.array<float>(channels);
      if (copy == nullptr) return ST_FAIL(Error::OutOfMemory, "{s}: no memory for value {}'s scales", p.name, i);
      if (scales.len != 0) {
        if (scales.len != channels) {
          return ST_FAIL(Error::InvalidProgram, "{s}: xvalues[{}]: {} per-channel scales for {} channels", p.name, i,
                         scales.len, channels);
        }
        for (uint32_t c = 0; c < channels; ++c) copy[c] = bits_to_float(static_cast<uint32_t>(fb.vec_i32(scales, c)));
      } else {
        // Newer writers keep the scales in constant data (scale_buffer_idx, num_scales floats).
        const uint32_t idx = fb.u32(quant, s::kPcScaleBufferIdx);
        XnnValue sv;
        sv.elem_size = 4;
        sv.numel = fb.u32(quant, s::kPcNumScales);
        if (idx == 0 || sv.numel != channels) {
          return ST_FAIL(Error::InvalidProgram, "{s}: xvalues[{}]: per-channel scales: none inline, buffer {} with {} for {} channels",
                         p.name, i, idx, static_cast<int64_t>(sv.numel), channels);
        }
        ST_TRY(parse_constant(p, constant_data, i, idx, &sv));
        memcpy(copy, sv.data, 4u * channels);
      }
      v.scales = copy;
      v.num_scales = channels;
    } else {
      return ST_FAIL(Error::NotSupported, "{s}: xvalues[{}]: quantization kind {} (only per-tensor and per-channel)",
                     p.name, i, quant_kind);
    }
  }
  const uint32_t cidx = fb.u32(tv, s::kTvConstantBufferIdx);
  if (fb.bad()) return ST_FAIL(Error::InvalidProgram, "{s}: xvalues[{}] is malformed", p.name, i);
  if (cidx != 0) ST_TRY(parse_constant(p, constant_data, i, cidx, &v));
  *out = v;
  return Error::Ok;
}

Error read_ids(const Fb& fb, const Fb::Table& g, int field, const char* what, const char* name, uint32_t num_values,
               Scratch& scratch, uint32_t** ids, uint32_t* n) {
  const Fb::Vec v = fb.vec(g, field, 4);
  if (fb.bad()) return ST_FAIL(Error::InvalidProgram, "{s}: XNNGraph.{s} is malformed", name, what);
  *ids = scratch.array<uint32_t>(v.len);
  if (*ids == nullptr) return ST_FAIL(Error::OutOfMemory, "{s}: no memory for {s}", name, what);
  for (uint32_t i = 0; i < v.len; ++i) {
    const uint32_t id = static_cast<uint32_t>(fb.vec_i32(v, i));
    if (id >= num_values) {
      return ST_FAIL(Error::InvalidProgram, "{s}: XNNGraph.{s}[{}] = {} is not a value id (< {})", name, what, i, id,
                     num_values);
    }
    (*ids)[i] = id;
  }
  *n = v.len;
  return Error::Ok;
}

}  // namespace

Error parse_graph(Span<const uint8_t> blob, const Program* program, const char* name, Scratch& scratch,
                  XnnGraph* out) {
  if (blob.data == nullptr || blob.size < 8) {
    return ST_FAIL(Error::InvalidProgram, "{s}: delegate blob of {} bytes is too short for a header", name,
                   static_cast<int64_t>(blob.size));
  }
  const uint8_t* b = blob.data;
  uint64_t fb_off = 0;
  uint64_t fb_size = blob.size;
  const uint8_t* constants = nullptr;
  uint64_t constants_size = 0;
  if (memcmp(b + 4, "XH00", 4) == 0) {
    if (blob.size < s::kHeaderLength) {
      return ST_FAIL(Error::InvalidProgram, "{s}: blob of {} bytes is shorter than its XH00 header ({})", name,
                     static_cast<int64_t>(blob.size), s::kHeaderLength);
    }
    const uint16_t header_len = load16(b + 8);
    fb_off = load32(b + 10);
    fb_size = load32(b + 14);
    const uint64_t c_off = load32(b + 18);
    constants_size = load64(b + 22);
    if (header_len < s::kHeaderLength) {
      return ST_FAIL(Error::InvalidProgram, "{s}: XH00 header length {} < {}", name, header_len, s::kHeaderLength);
    }
    if (fb_off < header_len || fb_size < 8 || fb_off > blob.size || fb_size > blob.size - fb_off) {
      return ST_FAIL(Error::InvalidProgram, "{s}: XH00 flatbuffer offset {} size {} outside the {}-byte blob", name,
                     static_cast<int64_t>(fb_off), static_cast<int64_t>(fb_size), static_cast<int64_t>(blob.size));
    }
    if (c_off < fb_off + fb_size || c_off > blob.size || constants_size > blob.size - c_off) {
      return ST_FAIL(Error::InvalidProgram,
                     "{s}: XH00 constant data offset {} size {} outside the blob ({} bytes, flatbuffer ends at {})", name,
                     static_cast<int64_t>(c_off), static_cast<int64_t>(constants_size),
                     static_cast<int64_t>(blob.size), static_cast<int64_t>(fb_off + fb_size));
    }
    constants = b + c_off;
  }
  const uint8_t* f = b + fb_off;
  if (memcmp(f + 4, "XN01", 4) != 0 && memcmp(f + 4, "XN00", 4) != 0) {
    return ST_FAIL(Error::InvalidProgram, "{s}: the blob is neither XH00 nor an XN01/XN00 flatbuffer", name);
  }
  XnnGraph g;
  g.name = name;
  g.fb = Fb(f, static_cast<uint32_t>(fb_size));
  const Fb& fb = g.fb;
  const Fb::Table root = fb.root();
  const Fb::Vec xnodes = fb.vec(root, s::kGraphXnodes, 4);
  const Fb::Vec xvalues = fb.vec(root, s::kGraphXvalues, 4);
  const Fb::Vec constant_data = fb.vec(root, s::kGraphConstantData, 4);
  g.num_externs = fb.u32(root, s::kGraphNumExterns);
  if (fb.bad() || !root.present()) {
    return ST_FAIL(Error::InvalidProgram, "{s}: XNNGraph root table is malformed", name);
  }
  if (fb.vec(root, s::kGraphConstantBuffer, 4).len != 0) {
    return ST_FAIL(Error::NotSupported, "{s}: constants in the deprecated XNNGraph.constant_buffer", name);
  }
  g.num_values = xvalues.len;
  g.num_nodes = xnodes.len;
  g.values = scratch.array<XnnValue>(g.num_values);
  g.nodes = scratch.array<XnnNode>(g.num_nodes);
  bool* seen = scratch.array<bool>(g.num_values);  // id taken / value available
  if (g.values == nullptr || g.nodes == nullptr || seen == nullptr) {
    return ST_FAIL(Error::OutOfMemory, "{s}: no memory for {} values and {} nodes", name, g.num_values, g.num_nodes);
  }
  Parser p{fb, name, program, constants, constants_size, scratch};
  for (uint32_t i = 0; i < g.num_values; ++i) {
    XnnValue v;
    uint32_t id = 0;
    ST_TRY(parse_value(p, xvalues, constant_data, i, &v, &id));
    if (id >= g.num_values || seen[id]) {
      return ST_FAIL(Error::InvalidProgram, "{s}: xvalues[{}].id_out {} is out of range (< {}) or used twice", name, i,
                     id, g.num_values);
    }
    seen[id] = true;
    g.values[id] = v;
  }
  ST_TRY(read_ids(fb, root, s::kGraphInputIds, "input_ids", name, g.num_values, scratch, &g.inputs, &g.num_inputs));
  ST_TRY(read_ids(fb, root, s::kGraphOutputIds, "output_ids", name, g.num_values, scratch, &g.outputs, &g.num_outputs));

  // The values' external flags agree with input_ids / output_ids.
  for (uint32_t id = 0; id < g.num_values; ++id) {
    const uint32_t flags = g.values[id].flags;
    bool is_in = false, is_out = false;
    for (uint32_t i = 0; i < g.num_inputs; ++i) is_in |= g.inputs[i] == id;
    for (uint32_t i = 0; i < g.num_outputs; ++i) is_out |= g.outputs[i] == id;
    if ((flags & ~3u) != 0 || ((flags & 1u) != 0) != is_in || ((flags & 2u) != 0) != is_out) {
      return ST_FAIL(Error::InvalidProgram,
                     "{s}: value {}: flags {} disagree with input_ids/output_ids (an input: {s}, an output: {s})", name,
                     id, flags, is_in ? "yes" : "no", is_out ? "yes" : "no");
    }
  }
  // Availability: graph inputs and constants first, then each node's output.
  for (uint32_t i = 0; i < g.num_values; ++i) seen[i] = g.values[i].data != nullptr;
  for (uint32_t i = 0; i < g.num_inputs; ++i) {
    const uint32_t id = g.inputs[i];
    if (seen[id]) {
      return ST_FAIL(Error::InvalidProgram, "{s}: input_ids[{}] = value {} is a constant or listed twice", name, i, id);
    }
    seen[id] = true;
  }
  for (uint32_t n = 0; n < g.num_nodes; ++n) {
    XnnNode& node = g.nodes[n];
    node = XnnNode();  // scratch memory is zeroed, not constructed
    const Fb::Table xn = fb.vec_table(xnodes, n);
    node.type = fb.u8(xn, s::kNodeUnionType);
    node.t = fb.table(xn, s::kNodeUnion);
    const Fb::Table mm = fb.table(xn, s::kNodeOutputMinMax);
    if (mm.present()) {
      node.out_min = bits_to_float(fb.u32(mm, s::kOutputMin));
      node.out_max = bits_to_float(fb.u32(mm, s::kOutputMax));
    }
    if (fb.bad() || !xn.present()) return ST_FAIL(Error::InvalidProgram, "{s}: xnodes[{}] is malformed", name, n);
    NodeIo io;
    if (!node_io(node.type, &io)) {
      return ST_FAIL(Error::NotSupported, "{s}: node {} has node type {} ({s}), which this backend does not know", name,
                     n, node.type, s::node_type_name(node.type));
    }
    if (!node.t.present()) {
      return ST_FAIL(Error::InvalidProgram, "{s}: node {} ({s}) has no node table", name, n, s::node_type_name(node.type));
    }
    for (uint32_t k = 0; k < kMaxNodeInputs && io.in[k] >= 0; ++k) {
      const uint32_t id = fb.u32(node.t, io.in[k]);
      node.in[k] = id;
      node.n_in = static_cast<uint8_t>(k + 1);
      if (id == kNoValue && (io.optional_in & (1u << k)) != 0) continue;
      if (id >= g.num_values || !seen[id]) {
        return ST_FAIL(Error::InvalidProgram, "{s}: node {} ({s}) input {} = value {}, not an available value id (< {})",
                       name, n, s::node_type_name(node.type), k, id, g.num_values);
      }
    }
    node.flags = fb.u32(node.t, io.flags);
    const int8_t outs[2] = {io.out, io.out2};
    for (int k = 0; k < 2 && outs[k] >= 0; ++k) {
      const uint32_t id = fb.u32(node.t, outs[k]);
      if (id >= g.num_values || seen[id]) {
        return ST_FAIL(Error::InvalidProgram,
                       "{s}: node {} ({s}) output = value {}: out of range (< {}), constant, input or written twice", name,
                       n, s::node_type_name(node.type), id, g.num_values);
      }
      seen[id] = true;
      (k == 0 ? node.out : node.out2) = id;
    }
    if (fb.bad()) return ST_FAIL(Error::InvalidProgram, "{s}: node {} ({s}) is malformed", name, n, s::node_type_name(node.type));
  }
  for (uint32_t i = 0; i < g.num_outputs; ++i) {
    const uint32_t id = g.outputs[i];
    const XnnValue& v = g.values[id];
    if (v.data != nullptr) return ST_FAIL(Error::NotSupported, "{s}: output_ids[{}] = value {} is a constant", name, i, id);
    for (uint32_t j = 0; j < g.num_inputs; ++j) {
      if (g.inputs[j] == id) {
        return ST_FAIL(Error::NotSupported, "{s}: output_ids[{}] = value {} is also input {}", name, i, id, j);
      }
    }
    for (uint32_t j = 0; j < i; ++j) {
      if (g.outputs[j] == id) return ST_FAIL(Error::InvalidProgram, "{s}: output_ids lists value {} twice", name, id);
    }
    if (!seen[id]) return ST_FAIL(Error::InvalidProgram, "{s}: output_ids[{}] = value {} is never written", name, i, id);
  }
  *out = g;
  return Error::Ok;
}

}  // namespace xnnpack
}  // namespace slimtorch
