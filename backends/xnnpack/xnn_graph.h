// XnnGraph: upstream's XNNPACK delegate blob (XH00 header + XN01/XN00
// flatbuffer), parsed and checked once at init into plain tables.
//
// parse_graph() bounds-checks every offset, size, id and vector it reads, so
// the rest of the backend can index values and nodes freely: every value id a
// node or the graph names is < num_values, every constant's bytes lie inside
// the blob or the program's named data and match dims x element size, nodes
// are in an order where each reads only graph inputs, constants or values an
// earlier node wrote. What is wrong is Error::InvalidProgram (NotSupported for a
// valid feature this backend lacks), with a message naming the delegate, the
// value or node index and the field.
//
// Lifetime: the tables live in the Scratch given to parse_graph(); constant
// data pointers point into the blob or the program bytes (both outlive the
// Method); `fb` views the blob's flatbuffer.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "backends/xnnpack/scratch.h"
#include "runtime/core/error.h"
#include "runtime/core/scalar_type.h"
#include "runtime/core/span.h"
#include "runtime/program/flatbuffer.h"

namespace slimtorch {

class Program;

namespace xnnpack {

constexpr uint32_t kMaxDims = 6;  // XNN_MAX_TENSOR_DIMS of Debian's XNNPACK
constexpr uint32_t kNoValue = UINT32_MAX;  // XNN_INVALID_VALUE_ID (e.g. no bias)
constexpr uint32_t kMaxNodeInputs = 5;

struct XnnValue {
  uint8_t datatype = 0;      // xnn_schema::Datatype
  uint8_t ndim = 0;
  uint8_t quant = 0;         // 0, or xnn_schema::kPerTensorQuant / kPerChannelQuant
  uint32_t elem_size = 0;    // bytes per element
  uint32_t dims[kMaxDims] = {};
  uint64_t numel = 1;
  uint32_t external_id = kNoValue;
  uint32_t flags = 0;        // XNN_VALUE_FLAG_EXTERNAL_INPUT / _OUTPUT as serialized
  const uint8_t* data = nullptr;  // constant bytes, or null for a run-time value
  float scale = 1.0f;        // per tensor
  int32_t zero_point = 0;
  const float* scales = nullptr;  // per channel (num_scales floats, copied into scratch)
  uint32_t num_scales = 0;
  uint32_t channel_dim = 0;
  uint64_t nbytes() const { return numel * elem_size; }
};

struct XnnNode {
  uint8_t type = 0;          // xnn_schema::NodeType
  Fb::Table t;               // the node's own table (fields per type, xnn_schema.h)
  float out_min = -__builtin_inff();
  float out_max = __builtin_inff();
  uint32_t in[kMaxNodeInputs] = {kNoValue, kNoValue, kNoValue, kNoValue, kNoValue};
  uint8_t n_in = 0;          // in[0..n_in): some may be kNoValue (an absent bias)
  uint32_t out = kNoValue;
  uint32_t out2 = kNoValue;  // ArgMaxPooling2d's index output
  uint32_t flags = 0;
};

struct XnnGraph {
  Fb fb;
  const char* name = "XnnpackBackend";  // for messages
  XnnValue* values = nullptr;           // indexed by the serialized id (id_out)
  uint32_t num_values = 0;
  XnnNode* nodes = nullptr;
  uint32_t num_nodes = 0;
  uint32_t* inputs = nullptr;           // value ids in DelegateCall order
  uint32_t num_inputs = 0;
  uint32_t* outputs = nullptr;
  uint32_t num_outputs = 0;
  uint32_t num_externs = 0;
};

// Parses `blob` (a whole processed delegate blob). `program` resolves named
// constants (may be null: then a named constant is an error). `name` names the
// delegate in messages.
Error parse_graph(Span<const uint8_t> blob, const Program* program, const char* name, Scratch& scratch,
                  XnnGraph* out);

// The runtime dtype an XNNPACK datatype is exchanged as (Float for fp32,
// Char for qint8/qcint8, Byte for quint8, Int for qint32/qcint32/int32, Half
// for fp16); false when it has none.
bool datatype_scalar_type(uint8_t datatype, ScalarType* out);
const char* datatype_name(uint8_t datatype);

}  // namespace xnnpack
}  // namespace slimtorch
