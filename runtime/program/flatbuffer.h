// A small bounds-checked flatbuffer reader (no flatc output, no libflatbuffers).
//
// Fb views bytes it does not own (the program buffer, owned by the
// application, must outlive every Fb and Program made from it). Every accessor
// checks that what it reads lies inside the buffer; when something does not
// (a corrupt offset, a vector running past the end), the accessor returns an
// empty/default value and sets a sticky `bad()` flag instead of reading out of
// bounds. The program verifier (program.cc) reads everything it will use once
// and rejects the file if the flag was set; after that the executor reads the
// same data again through the same accessors, which can then no longer fail.
//
// Positions are byte offsets from the start of the buffer; 0 means "absent"
// (offset 0 holds the root offset, so no table or vector can start there).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace slimtorch {

class Fb {
 public:
  struct Table {
    uint32_t pos = 0;      // table start (its soffset to the vtable)
    uint32_t vtable = 0;   // vtable start
    uint16_t vt_size = 0;  // vtable bytes
    uint16_t size = 0;     // table inline bytes
    bool present() const { return pos != 0; }
  };
  struct Vec {
    uint32_t pos = 0;  // first element
    uint32_t len = 0;  // element count
  };
  struct Str {
    const char* data = nullptr;  // NUL-terminated (checked), never null when ok
    uint32_t len = 0;
  };

  Fb() = default;
  Fb(const uint8_t* data, uint32_t size) : data_(data), size_(size) {}

  bool bad() const { return bad_; }
  void set_bad() const { bad_ = true; }
  const uint8_t* data() const { return data_; }
  uint32_t size() const { return size_; }

  // The root table (offset stored in the first 4 bytes).
  Table root() const;

  // Scalar fields; an absent field reads as `def`.
  uint8_t u8(const Table& t, int field, uint8_t def = 0) const;
  uint32_t u32(const Table& t, int field, uint32_t def = 0) const;
  int32_t i32(const Table& t, int field, int32_t def = 0) const;
  uint64_t u64(const Table& t, int field, uint64_t def = 0) const;
  int64_t i64(const Table& t, int field, int64_t def = 0) const { return static_cast<int64_t>(u64(t, field, static_cast<uint64_t>(def))); }
  double f64(const Table& t, int field, double def = 0.0) const;
  bool has(const Table& t, int field) const { return field_offset(t, field, 1) != 0; }

  // Offset fields: a sub-table, a vector of `elem_size`-byte elements, a string.
  // Absent fields give an empty result without setting bad().
  Table table(const Table& t, int field) const;
  Vec vec(const Table& t, int field, uint32_t elem_size) const;
  Str str(const Table& t, int field) const;

  // Vector elements; `i` must be < v.len (checked: out of range sets bad()).
  Table vec_table(const Vec& v, uint32_t i) const;
  int32_t vec_i32(const Vec& v, uint32_t i) const { return static_cast<int32_t>(load32(elem(v, i, 4))); }
  int64_t vec_i64(const Vec& v, uint32_t i) const { return static_cast<int64_t>(load64(elem(v, i, 8))); }
  uint64_t vec_u64(const Vec& v, uint32_t i) const { return load64(elem(v, i, 8)); }
  uint8_t vec_u8(const Vec& v, uint32_t i) const {
    const uint32_t p = elem(v, i, 1);
    if (!fits(p, 1)) {
      bad_ = true;
      return 0;
    }
    return data_[p];
  }
  const uint8_t* vec_bytes(const Vec& v) const { return data_ + v.pos; }

  uint32_t load32(uint32_t pos) const;
  uint64_t load64(uint32_t pos) const;

 private:
  // Position of `field`'s bytes (width `width`) inside table t, or 0 if absent/bad.
  uint32_t field_offset(const Table& t, int field, uint32_t width) const;
  Table open_table(uint32_t pos) const;
  uint32_t follow(uint32_t pos) const;  // uoffset at pos -> target position
  uint32_t elem(const Vec& v, uint32_t i, uint32_t width) const;
  bool fits(uint64_t pos, uint64_t n) const { return pos + n <= size_; }

  const uint8_t* data_ = nullptr;
  uint32_t size_ = 0;
  mutable bool bad_ = false;
};

}  // namespace slimtorch

// The hot accessors (they run once per table/field the loader and init walk).
// Optimising for speed (host -O2) they are forced inline here, so those walks
// compile to plain loads and compares (left to itself gcc -O2 called most of
// them, returning each Table through memory: load and init took twice as
// long); optimising for size (-Os, firmware) they stay out of line in
// flatbuffer.cc, one copy each.
#if !defined(__OPTIMIZE_SIZE__)
#define ST_FB_DEF inline __attribute__((always_inline))
#include "runtime/program/flatbuffer_inl.h"  // IWYU pragma: export
#undef ST_FB_DEF
#endif
