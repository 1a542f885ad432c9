// FlatBuilder: writes a flatbuffer back to front into a caller's fixed buffer
// (no heap), the writing half of flatbuffer.h's reader. Used by the ETDump
// writer (runtime/profiling/); general: tables, vectors (scalars, structs,
// offsets), strings, unions (a u8 type field plus an offset field), and a
// finished buffer with or without a size prefix and a file identifier.
//
// Ownership: the buffer belongs to the caller and must outlive the builder and
// the finished bytes (which lie at its end, see finish()).
//
// As in every flatbuffer builder, children are written before their parents
// (offsets point to higher addresses): strings, vectors and sub-tables first,
// then the table that refers to them. A Ref names something written, as its
// distance from the buffer's end; 0 is "none". A table is built between
// start_table() and end_table(), one at a time, its fields added in any order.
//
// Running out of room never writes outside [data + front_limit, data + size):
// the write is not made, the builder becomes failed() (sticky), every later call
// returns 0, and needed() keeps counting the bytes the whole buffer would have
// taken (at least; vtables are not shared once it failed). set_front_limit() keeps the first bytes of the buffer for the caller
// (the ETDump writer keeps its list of event Refs there).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "runtime/core/span.h"

namespace slimtorch {

class FlatBuilder {
 public:
  using Ref = uint32_t;
  static constexpr int kMaxFields = 16;  // fields of one table (ids 0..15)

  FlatBuilder() = default;
  // `data` is used from its end (rounded down to 8 bytes) backwards.
  FlatBuilder(uint8_t* data, size_t size) { reset(data, size); }
  void reset(uint8_t* data, size_t size);

  bool failed() const { return failed_; }
  size_t used() const { return used_; }                     // bytes written so far
  size_t free_bytes() const { return cap_ - front_ - used_; }  // room left before the front limit
  size_t needed() const { return needed_; }                 // bytes wanted, room or not
  // Keeps [data, data + bytes) out of the builder's reach (false when used already).
  bool set_front_limit(size_t bytes);
  uint8_t* data() const { return data_; }

  // A string: length, bytes, NUL.
  Ref string(const char* s, size_t len);
  // Two pieces as one string (a prefix and a name) without a copy elsewhere.
  Ref string2(const char* a, size_t alen, const char* b, size_t blen);
  // A vector of n elements of elem_size bytes each, aligned to `align` (<= 8).
  Ref vector(const void* elems, uint32_t n, uint32_t elem_size, uint32_t align);
  // A vector of n offsets to already written objects.
  Ref vector_of_refs(const Ref* refs, uint32_t n);

  void start_table();
  // Scalar fields; a value equal to the schema default `def` is left out, as
  // flatbuffers does (readers give the default back).
  void add_u8(int field, uint8_t v, uint8_t def = 0) { add_scalar(field, &v, 1, v == def); }
  void add_i32(int field, int32_t v, int32_t def = 0) { add_scalar(field, &v, 4, v == def); }
  void add_u32(int field, uint32_t v, uint32_t def = 0) { add_scalar(field, &v, 4, v == def); }
  void add_u64(int field, uint64_t v, uint64_t def = 0) { add_scalar(field, &v, 8, v == def); }
  void add_i64(int field, int64_t v, int64_t def = 0) { add_scalar(field, &v, 8, v == def); }
  void add_f64(int field, double v) { add_scalar(field, &v, 8, false); }
  // An offset field (a string, vector, table, or a union's value); 0 is left out.
  void add_ref(int field, Ref target);
  // Writes the table's vtable (shared with an identical recent one) and returns the table.
  Ref end_table();

  // Finishes the buffer with `root` as its root table and the 4-character file
  // identifier `ident` (or none), preceded by a 4-byte size when size_prefixed
  // (what flatc's --size-prefixed reads). Returns the bytes (at the end of the
  // caller's buffer, 8-byte aligned), or an empty span when the builder failed.
  Span<const uint8_t> finish(Ref root, const char* ident, bool size_prefixed);

 private:
  // Makes room for `n` bytes preceded by padding so that after them the
  // written size is a multiple of `align`; returns where they go (or null).
  uint8_t* reserve(size_t n, size_t align);
  void add_scalar(int field, const void* v, uint32_t size, bool is_default);
  void put_ref(uint8_t* at, Ref target);
  Ref ref_of(const uint8_t* p) const { return static_cast<Ref>(data_ + cap_ - p); }

  uint8_t* data_ = nullptr;
  size_t cap_ = 0;     // usable bytes: data_ .. data_ + cap_ (end 8-byte aligned)
  size_t front_ = 0;   // bytes kept for the caller at the front
  size_t used_ = 0;    // written bytes, at the end
  size_t needed_ = 0;  // used_ had nothing failed
  size_t max_align_ = 1;
  bool failed_ = false;
  // The table being built: its fields' Refs (0: not set) and the size before it.
  Ref fields_[kMaxFields] = {};
  int num_fields_ = 0;  // highest field id set + 1
  size_t table_start_ = 0;
  bool in_table_ = false;
  // Recent vtables (Refs), for sharing.
  static constexpr int kVtableCache = 4;
  Ref vtables_[kVtableCache] = {};
  int next_vtable_ = 0;
};

}  // namespace slimtorch
