// EventTracer (event_tracer.h): ETDump events into a fixed buffer.
#include "runtime/profiling/event_tracer.h"

#include "runtime/platform/log.h"

namespace slimtorch {

namespace {

// Field ids of upstream's etdump_schema_flatcc.fbs (in declaration order).
constexpr int kEtdumpVersion = 0, kEtdumpRunData = 1;
constexpr int kRunDataName = 0, kRunDataEvents = 3;
constexpr int kEventProfileEvent = 0;
constexpr int kProfileName = 0, kProfileChainIndex = 1, kProfileInstructionId = 2, kProfileStartTime = 6,
              kProfileEndTime = 7;

// Upper bounds of what the writer adds (bytes, alignment padding included).
constexpr size_t kEventBytes = 96;  // ProfileEvent + Event tables and vtables, without the name
constexpr size_t kBlockBytes = 96;  // RunData table, vtable and a short name
constexpr size_t kRootBytes = 64;   // ETDump table, vtable, size prefix, root offset, identifier

size_t length(const char* s) {
  size_t n = 0;
  while (s != nullptr && s[n] != '\0') {
    ++n;
  }
  return n;
}

}  // namespace

EventTracer::EventTracer(Span<uint8_t> buffer) : b_(buffer.data, buffer.size) {
  // The front keeps Refs: 4-byte aligned.
  const size_t skip = (4 - reinterpret_cast<uintptr_t>(buffer.data) % 4) % 4;
  if (buffer.data != nullptr && b_.set_front_limit(skip)) {
    scratch_ = reinterpret_cast<FlatBuilder::Ref*>(buffer.data + skip);
  }
}

size_t EventTracer::finish_reserve(uint32_t events, uint32_t blocks) const {
  const size_t open = (block_name_ != nullptr ? 1u : 0u) + blocks;
  const size_t ev = static_cast<size_t>(block_events_) + events;
  return open * kBlockBytes + 4 * ev + 12 + 4 * (num_blocks_ + open) + 12 + kRootBytes +
         4 * (static_cast<size_t>(events) + blocks);
}

size_t EventTracer::bytes_needed() const {
  const size_t front = scratch_ != nullptr ? reinterpret_cast<uint8_t*>(scratch_) - b_.data() : 0;
  return front + 4 * static_cast<size_t>(num_scratch_) + b_.used() + finish_reserve(0, 0) + dropped_bytes_;
}

bool EventTracer::push_scratch(FlatBuilder::Ref r) {
  const size_t front = reinterpret_cast<uint8_t*>(scratch_) - b_.data();
  if (!b_.set_front_limit(front + 4 * (static_cast<size_t>(num_scratch_) + 1))) {
    return false;
  }
  scratch_[num_scratch_++] = r;
  return true;
}

FlatBuilder::Ref EventTracer::name_ref(const char* name, const char* suffix) {
  const uintptr_t key = reinterpret_cast<uintptr_t>(name) ^ (reinterpret_cast<uintptr_t>(suffix) * 31u);
  NameSlot& slot = names_[(key >> 2) % kNameSlots];
  if (slot.ref != 0 && slot.name == name && slot.suffix == suffix) {
    return slot.ref;
  }
  const FlatBuilder::Ref r = b_.string2(name, length(name), suffix != nullptr ? suffix : "", length(suffix));
  slot = NameSlot{name, suffix, r};
  return r;
}

void EventTracer::end_block() {
  if (block_name_ == nullptr) {
    return;
  }
  const FlatBuilder::Ref events = b_.vector_of_refs(scratch_ + num_blocks_, block_events_);
  const FlatBuilder::Ref name = b_.string(block_name_, length(block_name_));
  b_.start_table();
  b_.add_ref(kRunDataEvents, events);
  b_.add_ref(kRunDataName, name);
  const FlatBuilder::Ref run = b_.end_table();
  num_scratch_ = num_blocks_;
  scratch_[num_scratch_++] = run;  // in place of the first event Ref: the front only shrinks
  const size_t front = reinterpret_cast<uint8_t*>(scratch_) - b_.data();
  b_.set_front_limit(front + 4 * static_cast<size_t>(num_scratch_));
  ++num_blocks_;
  block_name_ = nullptr;
  block_events_ = 0;
}

void EventTracer::begin_block(const char* name) {
  if (finished_ || scratch_ == nullptr) {
    return;
  }
  // Room for this block's end besides the open one's (which end_block uses now).
  if (b_.free_bytes() < finish_reserve(0, 1) + length(name)) {
    end_block();
    refused_block_ = true;  // its events are dropped
    return;
  }
  end_block();
  refused_block_ = false;
  block_name_ = name;
}

void EventTracer::record(const char* name, const char* suffix, int32_t chain, int32_t instruction,
                         uint64_t start_ns, uint64_t end_ns) {
  if (finished_) {
    return;
  }
  if (block_name_ == nullptr && !refused_block_) {
    begin_block("Default");  // events before any block: upstream's first block name
  }
  const size_t name_bytes = length(name) + length(suffix) + 8;
  const size_t need = kEventBytes + name_bytes;
  // Once one is dropped, so is every later one: the ETDump keeps a prefix of the run.
  if (dropped_ > 0 || block_name_ == nullptr || b_.free_bytes() < need + finish_reserve(1, 0)) {
    ++dropped_;
    dropped_bytes_ += need + 4;
    return;
  }
  const FlatBuilder::Ref n = name_ref(name, suffix);
  b_.start_table();
  b_.add_u64(kProfileStartTime, start_ns);
  b_.add_u64(kProfileEndTime, end_ns);
  b_.add_ref(kProfileName, n);
  b_.add_i32(kProfileChainIndex, chain);
  b_.add_i32(kProfileInstructionId, instruction, -1);
  const FlatBuilder::Ref profile = b_.end_table();
  b_.start_table();
  b_.add_ref(kEventProfileEvent, profile);
  const FlatBuilder::Ref event = b_.end_table();
  if (b_.failed() || !push_scratch(event)) {
    ++dropped_;  // cannot happen (room was checked); counted rather than lost silently
    return;
  }
  ++block_events_;
  ++num_events_;
}

Error EventTracer::finish(Span<const uint8_t>* out) {
  *out = Span<const uint8_t>();
  if (scratch_ == nullptr) {
    return ST_FAIL(Error::OutOfMemory, "ETDump buffer is empty: give the event tracer a buffer");
  }
  if (!finished_) {
    end_block();
    const FlatBuilder::Ref runs = b_.vector_of_refs(scratch_, num_blocks_);
    b_.start_table();
    b_.add_ref(kEtdumpRunData, runs);
    b_.add_u32(kEtdumpVersion, kVersion);
    const FlatBuilder::Ref root = b_.end_table();
    result_ = b_.finish(root, "ED00", true);
    finished_ = true;
  }
  if (b_.failed()) {
    // Only a buffer too small for an empty ETDump gets here: room to finish is kept otherwise.
    return ST_FAIL(Error::OutOfMemory,
                   "ETDump buffer too small even for an empty ETDump: it needs about {} bytes (give the tracer a larger "
                   "buffer: pte_runner --etdump-bytes N, firmware -DSLIMTORCH_ETDUMP_BYTES=N)",
                   bytes_needed());
  }
  *out = result_;
  if (dropped_ > 0) {
    return ST_FAIL(Error::OutOfMemory,
                   "ETDump buffer full: {} of {} events dropped; it needs about {} bytes (give the tracer a larger "
                   "buffer: pte_runner --etdump-bytes N, firmware -DSLIMTORCH_ETDUMP_BYTES=N); the ETDump holds the "
                   "first {} events",
                   dropped_, dropped_ + num_events_, bytes_needed(), num_events_);
  }
  return Error::Ok;
}

}  // namespace slimtorch
