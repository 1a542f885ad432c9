// FbBuilder: writes flatbuffers front to back, for hand-made test programs.
//
// Parents come first and children after them (flatbuffer offsets point
// forward), so a test writes a table, then the vectors/strings/tables its
// offset fields refer to, and links them with ref(). Every table gets
// `nfields` 8-byte slots; a field stays absent until it is set. Storage is the
// builder's own fixed array (no heap).
#pragma once

#include <stdint.h>
#include <string.h>

namespace slimtorch_test {

class FbBuilder {
 public:
  static constexpr uint32_t kCapacity = 1u << 16;

  // Reserves the root offset and "ET12" (and room for an extended header).
  explicit FbBuilder(bool extended_header = false) { reset(extended_header); }

  // Starts again, in place (a static builder: `b = FbBuilder()` would put a
  // 64 KiB temporary on the stack, more than a Cortex-M55 test has).
  void reset(bool extended_header = false) {
    memset(buf_, 0, sizeof(buf_));
    memcpy(buf_ + 4, "ET12", 4);
    len_ = extended_header ? 40 : 8;
  }

  uint32_t table(int nfields) {
    align(4);
    const uint32_t vt = len_;
    const uint32_t vt_size = 4 + 2 * nfields;
    put16(vt, static_cast<uint16_t>(vt_size));
    put16(vt + 2, static_cast<uint16_t>(4 + 8 * nfields));
    len_ += (vt_size + 3) & ~3u;
    const uint32_t t = len_;
    put32(t, t - vt);
    len_ += 4 + 8 * nfields;
    return t;
  }

  void u8(uint32_t t, int f, uint8_t v) { memcpy(slot(t, f), &v, 1); }
  void u32(uint32_t t, int f, uint32_t v) { memcpy(slot(t, f), &v, 4); }
  void i32(uint32_t t, int f, int32_t v) { memcpy(slot(t, f), &v, 4); }
  void i64(uint32_t t, int f, int64_t v) { memcpy(slot(t, f), &v, 8); }
  void u64(uint32_t t, int f, uint64_t v) { memcpy(slot(t, f), &v, 8); }
  void f64(uint32_t t, int f, double v) { memcpy(slot(t, f), &v, 8); }
  // Points offset field f of table t at `target` (written after t).
  void ref(uint32_t t, int f, uint32_t target) {
    uint8_t* s = slot(t, f);
    const uint32_t pos = static_cast<uint32_t>(s - buf_);
    put32(pos, target - pos);
  }

  template <typename T>
  uint32_t vec(const T* items, uint32_t n) {
    align(sizeof(T) >= 8 ? 8 : 4, sizeof(T) >= 8 ? 4 : 0);
    const uint32_t v = len_;
    put32(v, n);
    memcpy(buf_ + v + 4, items, sizeof(T) * n);
    len_ += 4 + sizeof(T) * n;
    return v;
  }
  // A vector of n offsets, filled with vec_ref().
  uint32_t vec_refs(uint32_t n) {
    align(4);
    const uint32_t v = len_;
    put32(v, n);
    len_ += 4 + 4 * n;
    return v;
  }
  void vec_ref(uint32_t v, uint32_t i, uint32_t target) {
    const uint32_t pos = v + 4 + 4 * i;
    put32(pos, target - pos);
  }
  uint32_t str(const char* s) {
    const uint32_t n = static_cast<uint32_t>(strlen(s));
    align(4);
    const uint32_t v = len_;
    put32(v, n);
    memcpy(buf_ + v + 4, s, n + 1);
    len_ += 4 + n + 1;
    return v;
  }
  // Appends raw bytes at `alignment`; returns their position.
  uint32_t raw(const void* data, uint32_t n, uint32_t alignment) {
    align(alignment);
    const uint32_t p = len_;
    memcpy(buf_ + p, data, n);
    len_ += n;
    return p;
  }

  void finish(uint32_t root) { put32(0, root); }
  void align(uint32_t a, uint32_t extra = 0) {
    while ((len_ + extra) % a != 0) {
      buf_[len_++] = 0;
    }
  }
  uint8_t* data() { return buf_; }
  uint32_t size() const { return len_; }
  void put32(uint32_t pos, uint32_t v) { memcpy(buf_ + pos, &v, 4); }
  void put64(uint32_t pos, uint64_t v) { memcpy(buf_ + pos, &v, 8); }

 private:
  void put16(uint32_t pos, uint16_t v) { memcpy(buf_ + pos, &v, 2); }
  uint8_t* slot(uint32_t t, int f) {
    const uint32_t vt = t - get32(t);
    put16(vt + 4 + 2 * f, static_cast<uint16_t>(4 + 8 * f));
    return buf_ + t + 4 + 8 * f;
  }
  uint32_t get32(uint32_t pos) const {
    uint32_t v;
    memcpy(&v, buf_ + pos, 4);
    return v;
  }

  alignas(16) uint8_t buf_[kCapacity];
  uint32_t len_ = 0;
};

}  // namespace slimtorch_test
