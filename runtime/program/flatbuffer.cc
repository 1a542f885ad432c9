// Bounds-checked flatbuffer access; see flatbuffer.h.
#include "runtime/program/flatbuffer.h"

// Under -Os the hot accessors are defined here, out of line (see flatbuffer.h).
#if defined(__OPTIMIZE_SIZE__)
#define ST_FB_DEF
#include "runtime/program/flatbuffer_inl.h"
#undef ST_FB_DEF
#endif

namespace slimtorch {

Fb::Table Fb::root() const {
  if (size_ < 8) {
    bad_ = true;
    return Table();
  }
  return open_table(load32(0));
}

int32_t Fb::i32(const Table& t, int field, int32_t def) const {
  return static_cast<int32_t>(u32(t, field, static_cast<uint32_t>(def)));
}

double Fb::f64(const Table& t, int field, double def) const {
  const uint32_t p = field_offset(t, field, 8);
  if (p == 0) {
    return def;
  }
  const uint64_t bits = load64(p);
  double out;
  __builtin_memcpy(&out, &bits, sizeof(out));
  return out;
}

Fb::Str Fb::str(const Table& t, int field) const {
  Str s;
  const Vec v = vec(t, field, 1);
  if (v.pos == 0) {
    return s;
  }
  if (!fits(v.pos, static_cast<uint64_t>(v.len) + 1) || data_[v.pos + v.len] != 0) {
    bad_ = true;  // flatbuffer strings are NUL-terminated
    return s;
  }
  s.data = reinterpret_cast<const char*>(data_ + v.pos);
  s.len = v.len;
  return s;
}

}  // namespace slimtorch
