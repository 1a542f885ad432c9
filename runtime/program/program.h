// Program: a verified view of an ExecuTorch .pte file held in memory.
//
// Ownership: the application owns the program bytes (flash, a static array, or
// a buffer it read a file into) and must keep them alive and unchanged for as
// long as the Program and every Method made from it are used; constant tensors
// point straight into them. Program itself is a small value (a few pointers)
// and allocates nothing.
//
// Program::load() verifies, once, everything the executor will later rely on:
// the file identifier, the extended header and segment bounds, every table,
// vector and string it will read, every value/operator/delegate/instruction
// index, tensor shapes, dtypes and dim orders, constant data inside its segment,
// planned tensors inside their planned buffers, against the caller's
// LoadLimits. A program that passes cannot make the executor read or write out
// of bounds; a failure returns an error and leaves a message in
// last_error_message() (runtime/platform/log.h).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "runtime/core/result.h"
#include "runtime/core/scalar_type.h"
#include "runtime/core/span.h"
#include "runtime/program/flatbuffer.h"

namespace slimtorch {

// Caller-set ceilings. A program above any of them is Error::LimitExceeded, so a
// corrupt count can never turn into a huge allocation or a long loop.
struct LoadLimits {
  uint32_t max_file_bytes = 0x7FFFFFFFu;     // program bytes accepted at all
  uint32_t max_plans = 64;                   // methods per program
  uint32_t max_values = 1u << 20;            // EValues per method
  uint32_t max_instructions = 1u << 20;      // instructions per method
  uint32_t max_operators = 1u << 16;         // operators per method
  uint32_t max_args = 1u << 12;              // arguments of one instruction
  uint32_t max_list_items = 1u << 20;        // items of one list value
  uint32_t max_memory_ids = 64;              // planned buffers per method
  uint64_t max_planned_bytes = 1ull << 32;   // sum of planned buffer sizes per method
  uint64_t max_steps = 1ull << 32;           // instructions executed by one Method::execute()
};

// Where a tensor's bytes live, as decoded (and bounds-checked) from the program.
struct TensorInfo {
  ScalarType dtype = ScalarType::Float;
  uint8_t dim = 0;
  uint8_t dynamism = 0;
  Fb::Vec sizes;      // [int32] in the program
  Fb::Vec dim_order;  // [uint8] in the program; empty means contiguous
  uint32_t numel = 0;
  uint32_t nbytes = 0;
  enum Storage : uint8_t { kRuntime, kConstant, kPlanned } storage = kRuntime;
  uint32_t memory_id = 0;    // kPlanned: planned buffer id (>= 1)
  uint64_t offset = 0;       // kPlanned: byte offset in that buffer
  const uint8_t* initial = nullptr;  // kConstant: the data; kPlanned: initial value or null
};

class Program {
 public:
  // Named data key of the segment checksum `slimtorch export --checksum` writes.
  static constexpr const char* kChecksumKey = "slimtorch.segments_crc32";

  Program() = default;

  // Verifies `bytes` as a program. The bytes must stay valid (see above) and
  // should be 16-byte aligned (constant tensors are read in place).
  static Result<Program> load(Span<const uint8_t> bytes, const LoadLimits& limits = LoadLimits());

  size_t num_methods() const { return plans_.len; }
  // Method name (NUL-terminated, in the program bytes).
  const char* method_name(size_t index) const;
  // Index of the method called `name`; Error::InvalidArgument when absent.
  Result<size_t> method_index(const char* name) const;

  // Number of planned buffers of a method (memory ids 1..N) and each one's size.
  size_t num_memory_ids(size_t plan) const;
  uint64_t planned_buffer_size(size_t plan, size_t memory_id) const;

  const LoadLimits& limits() const { return limits_; }

  // ---- For the executor (valid only on a loaded, hence verified, program) ----
  const Fb& fb() const { return fb_; }
  Fb::Table plan(size_t index) const { return fb_.vec_table(plans_, static_cast<uint32_t>(index)); }
  // Decodes the Tensor table `t` of a plan whose non_const_buffer_sizes vector
  // is `buffer_sizes` (read once per plan by the caller), checking its storage bounds.
  // `out` must be a fresh TensorInfo() (fields the tensor does not have are not
  // written); on an error it is left partly written.
  Error tensor_info(const Fb::Vec& buffer_sizes, const Fb::Table& t, TensorInfo* out) const;
  // Bytes of a delegate's processed blob (location INLINE or SEGMENT).
  Span<const uint8_t> delegate_blob(uint8_t location, uint32_t index) const;
  // Bytes of the named data entry whose key is key[0..len) (upstream's
  // NamedDataStore: the segment Program.named_data[k].segment_index names);
  // an empty span (data null) when no entry has that key or its segment is
  // out of range. Backends read constants stored by key through this.
  Span<const uint8_t> named_data(const char* key, size_t len) const;

 private:
  Error verify_header(Span<const uint8_t> bytes);
  Error verify_segments();
  // With a named data entry kChecksumKey (slimtorch export --checksum): the CRC-32
  // its segment holds must match every other segment's bytes. Checked only in
  // images that link //runtime/program:checksum (runtime/program/checksum.cc).
  Error verify_checksum() const;
  Error verify_plan(uint32_t index) const;
  Error verify_value(const Fb::Vec& buffer_sizes, const Fb::Vec& values, uint32_t i) const;
  Error verify_instruction(const Fb::Vec& values, uint32_t n_ops, uint32_t n_delegates, uint32_t n_instr, uint32_t pc,
                           const Fb::Table& ins) const;
  // Kind of value `i` (schema::ValueKind), read without failing; 0xFF if unreadable.
  uint8_t value_kind(const Fb::Vec& values, int64_t i) const;
  // Segment `index` as [begin, begin+size) in the file; false if out of range.
  bool segment_range(uint32_t index, uint64_t* begin, uint64_t* size) const;

  Fb fb_;                      // the flatbuffer part (program_size bytes)
  const uint8_t* file_ = nullptr;
  uint64_t file_size_ = 0;
  uint64_t segment_base_ = 0;  // absolute offset of segment data; 0 without extended header
  bool has_header_ = false;
  Fb::Table root_;
  Fb::Vec plans_;
  Fb::Vec segments_;
  Fb::Vec constant_offsets_;   // constant_segment.offsets
  const uint8_t* constants_ = nullptr;  // constant segment in the file; null if absent or out of bounds
  uint64_t constants_size_ = 0;
  bool constants_inline_ = false;  // legacy: constants in Program.constant_buffer
  Fb::Vec constant_buffers_;
  Fb::Vec mutable_segments_;
  Fb::Vec delegate_data_;
  LoadLimits limits_;
};

}  // namespace slimtorch
