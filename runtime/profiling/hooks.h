// The executor's profiling hooks: macros that call the EventTracer
// (event_tracer.h) in images built with --//runtime/profiling:enabled
// (SLIMTORCH_PROFILING=1, a define the executor passes to every dependent), and
// expand to nothing otherwise, so such images do not change by one byte.
// `tracer` is an EventTracer* (null: nothing is recorded, one test per hook).
#pragma once

#if SLIMTORCH_PROFILING
#include "runtime/platform/platform.h"
#include "runtime/profiling/event_tracer.h"

// A new ETDump block (RunData): "Default" for init, "Execute" per execute.
#define ST_PROFILE_BLOCK(tracer, name) \
  do {                                 \
    if ((tracer) != nullptr) {         \
      (tracer)->begin_block(name);     \
    }                                  \
  } while (0)
// An event spanning the rest of the enclosing scope.
#define ST_PROFILE_SCOPE(tracer, var, name) ::slimtorch::ProfileScope var((tracer), (name))
// The start time of an instruction (0 when not tracing).
#define ST_PROFILE_START(tracer, var) const uint64_t var = (tracer) != nullptr ? ::slimtorch::st_time_ns() : 0
#else
#define ST_PROFILE_BLOCK(tracer, name) ((void)0)
#define ST_PROFILE_SCOPE(tracer, var, name) ((void)0)
#define ST_PROFILE_START(tracer, var) ((void)0)
#endif
