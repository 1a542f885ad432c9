// EventTracer: records profiling events and writes them as upstream
// ExecuTorch's ETDump (file identifier "ED00", a size-prefixed flatbuffer in the
// layout of upstream's devtools/etdump/etdump_schema_flatcc.fbs), so upstream's
// Inspector and `slimtorch profile` read it.
//
// Opt-in and compiled out by default: only images built with
// --//runtime/profiling:enabled (SLIMTORCH_PROFILING=1) have Method hooks that
// call it (runtime/profiling/hooks.h, README.md in this folder).
//
// What a Method records (upstream's names, so upstream's tools map them):
//  - block "Default" per Method::init: events "Method::init" and
//    "Program::load_method" (slimtorch has no separate load step: both span
//    Method::init, the second with its argument checks);
//  - block "Execute" per Method::execute: one event per instruction executed,
//    named by its kind ("OPERATOR_CALL", "DELEGATE_CALL", "MOVE_CALL",
//    "JF_CALL", "FREE_CALL") with chain_index 0 and instruction_id = the
//    instruction's index (upstream's debug handle); a KernelCall also gets the
//    event upstream's generated kernel wrappers record, "native_call_<op>"
//    (e.g. "native_call_addmm.out"), with the same times; then "Method::execute".
// Times are st_time_ns() (runtime/platform/platform.h): nanoseconds, what
// upstream's Inspector assumes by default.
//
// Memory: one caller-provided buffer, no heap. The ETDump is built back to
// front from the buffer's end (FlatBuilder, runtime/program/flatbuffer_builder.h)
// while the front holds the list of event offsets of the block being recorded
// (4 bytes an event). Each event costs about 50 bytes (its tables; names are
// written once and shared). Room to finish is kept at all times: an event that
// would not leave it is dropped and counted, never written past the buffer, and
// finish() still gives a valid ETDump of the events recorded before it.
//
// Lifetime: the buffer must outlive the tracer and the bytes finish() returns
// (which lie inside it). Names passed to record() must be static (their
// addresses are the key of the name cache). One tracer follows one Method at a
// time; not thread-safe.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "runtime/core/error.h"
#include "runtime/core/span.h"
#include "runtime/platform/platform.h"
#include "runtime/program/flatbuffer_builder.h"

namespace slimtorch {

class EventTracer {
 public:
  // The ETDump's version field (upstream's ETDUMP_VERSION).
  static constexpr uint32_t kVersion = 0;

  explicit EventTracer(Span<uint8_t> buffer);
  EventTracer(const EventTracer&) = delete;
  EventTracer& operator=(const EventTracer&) = delete;

  // Starts a new block (an ETDump RunData), ending the one before.
  void begin_block(const char* name);
  // One profiling event in the current block: name `name` followed by `suffix`
  // (may be null), chain_index `chain`, instruction_id `instruction`.
  void record(const char* name, const char* suffix, int32_t chain, int32_t instruction, uint64_t start_ns,
              uint64_t end_ns);

  uint32_t num_events() const { return num_events_; }  // recorded
  uint32_t dropped() const { return dropped_; }        // not recorded: the buffer was full
  // Bytes a buffer would need for everything so far (an estimate once events were dropped).
  size_t bytes_needed() const;

  // Ends the last block and writes the ETDump root: `*out` is the ETDump (inside the
  // buffer). OutOfMemory when events were dropped, with a message giving the count
  // and the size needed; `*out` is then the valid ETDump of the recorded events.
  // Later record() and begin_block() calls are ignored.
  Error finish(Span<const uint8_t>* out);

 private:
  // Bytes finishing needs after `events` more events and `blocks` more blocks.
  size_t finish_reserve(uint32_t events, uint32_t blocks) const;
  bool push_scratch(FlatBuilder::Ref r);
  void end_block();
  FlatBuilder::Ref name_ref(const char* name, const char* suffix);

  FlatBuilder b_;
  FlatBuilder::Ref* scratch_ = nullptr;  // front of the buffer: block Refs, then this block's event Refs
  uint32_t num_scratch_ = 0;
  uint32_t num_blocks_ = 0;              // closed blocks (the first entries of scratch_)
  const char* block_name_ = nullptr;     // the open block, or null
  uint32_t block_events_ = 0;
  uint32_t num_events_ = 0;
  uint32_t dropped_ = 0;
  size_t dropped_bytes_ = 0;
  bool finished_ = false;
  bool refused_block_ = false;           // the last begin_block() found no room
  Span<const uint8_t> result_;           // finish()'s ETDump
  // Written names, by their static addresses (direct-mapped).
  struct NameSlot {
    const char* name;
    const char* suffix;
    FlatBuilder::Ref ref;
  };
  static constexpr uint32_t kNameSlots = 32;
  NameSlot names_[kNameSlots] = {};
};

// Records one event `name` over its own lifetime (a scope), if `tracer` is set.
class ProfileScope {
 public:
  ProfileScope(EventTracer* tracer, const char* name)
      : tracer_(tracer), name_(name), start_(tracer != nullptr ? st_time_ns() : 0) {}
  ~ProfileScope() {
    if (tracer_ != nullptr) {
      tracer_->record(name_, nullptr, -1, 0, start_, st_time_ns());  // upstream's unset chain / handle
    }
  }
  ProfileScope(const ProfileScope&) = delete;
  ProfileScope& operator=(const ProfileScope&) = delete;

 private:
  EventTracer* tracer_;
  const char* name_;
  uint64_t start_;
};

}  // namespace slimtorch
