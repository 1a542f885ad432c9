// Definitions of Fb's hot accessors; included by flatbuffer.h (inline, when
// optimising for speed) or by flatbuffer.cc (out of line, under -Os), with
// ST_FB_DEF set accordingly. Not a header to include directly.
// NOLINT(build/header_guard): included once per translation unit by design.

namespace slimtorch {

ST_FB_DEF uint32_t Fb::load32(uint32_t pos) const {
  if (!fits(pos, 4)) {
    bad_ = true;
    return 0;
  }
  const uint8_t* p = data_ + pos;
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

ST_FB_DEF uint64_t Fb::load64(uint32_t pos) const {
  if (!fits(pos, 8)) {
    bad_ = true;
    return 0;
  }
  return static_cast<uint64_t>(load32(pos)) | (static_cast<uint64_t>(load32(pos + 4)) << 32);
}

ST_FB_DEF Fb::Table Fb::open_table(uint32_t pos) const {
  Table t;
  if (pos == 0 || !fits(pos, 4)) {
    bad_ = true;
    return t;
  }
  // The table starts with a signed offset: vtable = pos - soffset.
  const int64_t vt = static_cast<int64_t>(pos) - static_cast<int32_t>(load32(pos));
  if (vt < 0 || !fits(static_cast<uint64_t>(vt), 4)) {
    bad_ = true;
    return t;
  }
  const uint32_t head = load32(static_cast<uint32_t>(vt));
  const uint16_t vt_size = static_cast<uint16_t>(head & 0xFFFF);
  const uint16_t size = static_cast<uint16_t>(head >> 16);
  if (vt_size < 4 || (vt_size & 1) != 0 || !fits(static_cast<uint64_t>(vt), vt_size) || size < 4 ||
      !fits(pos, size)) {
    bad_ = true;
    return t;
  }
  t.pos = pos;
  t.vtable = static_cast<uint32_t>(vt);
  t.vt_size = vt_size;
  t.size = size;
  return t;
}

ST_FB_DEF uint32_t Fb::field_offset(const Table& t, int field, uint32_t width) const {
  if (!t.present()) {
    return 0;
  }
  const uint32_t slot = 4u + 2u * static_cast<uint32_t>(field);
  if (slot + 2u > t.vt_size) {
    return 0;  // field newer than the writer: absent
  }
  const uint8_t* p = data_ + t.vtable + slot;  // inside the vtable (checked at open)
  const uint32_t off = static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8);
  if (off == 0) {
    return 0;
  }
  if (off < 4 || off + width > t.size) {
    bad_ = true;
    return 0;
  }
  return t.pos + off;
}

ST_FB_DEF uint8_t Fb::u8(const Table& t, int field, uint8_t def) const {
  const uint32_t p = field_offset(t, field, 1);
  return p == 0 ? def : data_[p];
}

ST_FB_DEF uint32_t Fb::u32(const Table& t, int field, uint32_t def) const {
  const uint32_t p = field_offset(t, field, 4);
  return p == 0 ? def : load32(p);
}

ST_FB_DEF uint64_t Fb::u64(const Table& t, int field, uint64_t def) const {
  const uint32_t p = field_offset(t, field, 8);
  return p == 0 ? def : load64(p);
}

ST_FB_DEF uint32_t Fb::follow(uint32_t pos) const {
  const uint64_t target = static_cast<uint64_t>(pos) + load32(pos);
  if (target == pos || target >= size_) {
    bad_ = true;
    return 0;
  }
  return static_cast<uint32_t>(target);
}

ST_FB_DEF Fb::Table Fb::table(const Table& t, int field) const {
  const uint32_t p = field_offset(t, field, 4);
  if (p == 0) {
    return Table();
  }
  const uint32_t target = follow(p);
  return target == 0 ? Table() : open_table(target);
}

ST_FB_DEF Fb::Vec Fb::vec(const Table& t, int field, uint32_t elem_size) const {
  Vec v;
  const uint32_t p = field_offset(t, field, 4);
  if (p == 0) {
    return v;
  }
  const uint32_t target = follow(p);
  if (target == 0) {
    return v;
  }
  const uint32_t len = load32(target);
  if (!fits(static_cast<uint64_t>(target) + 4, static_cast<uint64_t>(len) * elem_size)) {
    bad_ = true;
    return v;
  }
  v.pos = target + 4;
  v.len = len;
  return v;
}

ST_FB_DEF uint32_t Fb::elem(const Vec& v, uint32_t i, uint32_t width) const {
  if (i >= v.len) {
    bad_ = true;
    return v.pos;  // any position: readers re-check width against size_
  }
  return v.pos + i * width;
}

ST_FB_DEF Fb::Table Fb::vec_table(const Vec& v, uint32_t i) const {
  if (i >= v.len) {
    bad_ = true;
    return Table();
  }
  const uint32_t target = follow(v.pos + 4u * i);
  return target == 0 ? Table() : open_table(target);
}

}  // namespace slimtorch
