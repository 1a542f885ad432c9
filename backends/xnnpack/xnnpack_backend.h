// The XNNPACK delegate backend (host only): runs the XNNPACK blobs upstream
// ExecuTorch's XnnpackPartitioner (and slimtorch's) writes, over Debian's
// libxnnpack (git 2022-02-16) through its subgraph API.
//
// A blob is upstream's format: the XH00 header, an XN01 (or XN00) flatbuffer
// graph (backends/xnnpack/serialization/schema.fbs), then its constant data;
// constants may instead live in the program's named data (upstream 1.5.1 puts
// them there). init() parses and checks the whole blob (xnn_graph.h), then
// splits the node list into stages: each maximal run of node types Debian's
// XNNPACK can build becomes one XNNPACK subgraph and runtime; the node types
// it lacks but upstream emits (StaticTranspose, StaticSlice, Concatenate2..5,
// Copy, BatchMatrixMultiply, Gelu, Tanh, Exp, Log, Sin, Cos,
// ReciprocalSquareRoot) run on the backend's own float code between them
// (own_ops.h). Values that cross a stage boundary get buffers the backend
// allocates. A node type neither runs (ScaledDotProductAttention) is an init
// error naming the node type and the delegate.
//
// Arguments: the DelegateCall's inputs then outputs, matched to the graph's
// input and output values in upstream's order (ascending external id, which is
// the order of input_ids / output_ids in every blob upstream writes); each
// argument's dtype and element count are checked against its value.
//
// Asynchronous: each delegate handle owns one worker thread (pthread, created
// at init, joined in destroy). start() checks and binds the arguments on the
// caller's thread, hands the run to the worker and returns; wait() blocks until
// it is done and returns its result. execute() runs on the caller's thread
// (no hand-off), after waiting for any started run.
//
// Memory: unlike the rest of the runtime this backend uses the heap. XNNPACK
// allocates its runtimes, packed weights and workspace with malloc; the
// backend's own tables and stage-boundary buffers come from ctx.arena when they
// fit there, else from malloc (released in destroy). Threads: XNNPACK runs on
// the worker thread, or on a pthreadpool of set_num_threads() threads.
#pragma once

#include <stddef.h>

#include "runtime/backend/backend.h"

namespace slimtorch {
namespace xnnpack {

// Backend name "XnnpackBackend" (upstream's id). Register it with
// register_backend(&kXnnpackBackend) or select it through the generated registry.
extern const Backend kXnnpackBackend;

// Threads XNNPACK uses for each delegate initialised afterwards: 1 (the
// default) runs on the calling or worker thread; n > 1 gives each delegate a
// pthreadpool of n threads. Set it before Method::init. 0 means 1.
void set_num_threads(size_t n);
size_t num_threads();

}  // namespace xnnpack
}  // namespace slimtorch
