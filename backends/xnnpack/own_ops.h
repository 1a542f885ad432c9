// The XNNPACK backend's own code for node types that upstream's partitioner
// emits but Debian's XNNPACK (2022) cannot build: StaticTranspose, StaticSlice,
// Concatenate2..5, Copy (any element size), BatchMatrixMultiply, Gelu, Tanh,
// Exp, Log, Sin, Cos, ReciprocalSquareRoot (float32). Plain loops; each node is
// planned once at init (shapes checked against its values, strides computed)
// and then runs without any check.
#pragma once

#include <stdint.h>

#include "backends/xnnpack/xnn_graph.h"
#include "runtime/core/error.h"

namespace slimtorch {
namespace xnnpack {

struct OwnOp {
  uint8_t type = 0;
  uint32_t in[kMaxNodeInputs] = {};
  uint8_t n_in = 0;
  uint32_t out = 0;
  uint32_t elem = 4;        // element bytes (data movement)
  uint64_t numel = 0;       // output elements
  bool clamp = false;
  float lo = 0, hi = 0;
  // Strided gather (transpose, slice): out[i] = in[base + sum idx[d] * istride[d]].
  uint8_t ndim = 0;
  uint32_t odims[kMaxDims] = {};
  uint64_t istride[kMaxDims] = {};
  uint64_t base = 0;
  // Concatenate: `outer` rows, each input contributing chunk[k] contiguous elements.
  uint64_t outer = 0;
  uint64_t chunk[kMaxNodeInputs] = {};
  // BatchMatrixMultiply: out[b] (m x n) = a[b] (m x k) * b[b] (k x n, or n x k when transposed).
  uint32_t m = 0, k = 0, n = 0;
  bool transpose_b = false;
  uint8_t nbatch = 0;                  // batch dims (broadcast)
  uint32_t bdims[kMaxDims] = {};
  uint64_t astride[kMaxDims] = {};     // per batch dim, in matrices (0 when broadcast)
  uint64_t bstride[kMaxDims] = {};
};

// True when the backend's own code runs `type` (then plan_own() can plan it).
bool is_own_type(uint8_t type);

// Checks node `index` of `g` (an own type) against its values and plans it.
Error plan_own(const XnnGraph& g, uint32_t index, OwnOp* op);

// Runs a planned op; ptr[v] is value v's memory (inputs and output).
void run_own(const OwnOp& op, void* const* ptr);

}  // namespace xnnpack
}  // namespace slimtorch
