// FlatBuilder: what it writes reads back through the project's reader (Fb,
// flatbuffer.h), which checks every offset; a full buffer fails without writing
// outside it, and says how many bytes it needed.
#include "runtime/program/flatbuffer_builder.h"

#include <stdio.h>
#include <string.h>

#include "runtime/program/flatbuffer.h"
#include "runtime/testing/check.h"

namespace {

using slimtorch::Fb;
using slimtorch::FlatBuilder;
using slimtorch::Span;

// Root { 0: name string, 1: u8 (union type), 2: union value (Leaf), 3: [i64],
//        4: [Leaf], 5: f64, 6: i32 default -1, 7: u64 }; Leaf { 0: u32, 1: string }.
Span<const uint8_t> build(FlatBuilder& b, bool size_prefixed) {
  const FlatBuilder::Ref s = b.string("root", 4);
  const int64_t longs[3] = {-1, 2, 1LL << 40};
  const FlatBuilder::Ref v = b.vector(longs, 3, 8, 8);
  FlatBuilder::Ref leaves[2];
  for (uint32_t i = 0; i < 2; ++i) {
    const FlatBuilder::Ref ls = b.string2("leaf", 4, i == 0 ? "0" : "1", 1);
    b.start_table();
    b.add_u32(0, 10 + i);
    b.add_ref(1, ls);
    leaves[i] = b.end_table();  // the second shares the first's vtable
  }
  const FlatBuilder::Ref lv = b.vector_of_refs(leaves, 2);
  b.start_table();
  b.add_u32(0, 99);
  const FlatBuilder::Ref u = b.end_table();
  b.start_table();
  b.add_ref(0, s);
  b.add_u8(1, 3);
  b.add_ref(2, u);
  b.add_ref(3, v);
  b.add_ref(4, lv);
  b.add_f64(5, 2.5);
  b.add_i32(6, -1, -1);  // the default: left out
  b.add_u64(7, 0x1122334455667788ull);
  const FlatBuilder::Ref root = b.end_table();
  return b.finish(root, "TST0", size_prefixed);
}

void check_read(Span<const uint8_t> bytes, bool size_prefixed) {
  CHECK(bytes.size > 0);
  CHECK((reinterpret_cast<uintptr_t>(bytes.data) & 7u) == 0);
  uint32_t off = 0;
  if (size_prefixed) {
    uint32_t n;
    memcpy(&n, bytes.data, 4);
    CHECK_EQ(n, bytes.size - 4);
    off = 4;
  }
  CHECK(memcmp(bytes.data + off + 4, "TST0", 4) == 0);
  const Fb fb(bytes.data + off, static_cast<uint32_t>(bytes.size - off));
  const Fb::Table r = fb.root();
  const Fb::Str s = fb.str(r, 0);
  CHECK(s.len == 4 && memcmp(s.data, "root", 5) == 0);
  CHECK_EQ(fb.u8(r, 1), 3);
  CHECK_EQ(fb.u32(fb.table(r, 2), 0), 99u);
  const Fb::Vec v = fb.vec(r, 3, 8);
  CHECK_EQ(v.len, 3u);
  CHECK_EQ(fb.vec_i64(v, 0), -1);
  CHECK_EQ(fb.vec_i64(v, 2), 1LL << 40);
  CHECK(((reinterpret_cast<uintptr_t>(fb.data()) + v.pos) & 7u) == 0);  // 8-byte elements aligned
  const Fb::Vec lv = fb.vec(r, 4, 4);
  CHECK_EQ(lv.len, 2u);
  for (uint32_t i = 0; i < 2; ++i) {
    const Fb::Table leaf = fb.vec_table(lv, i);
    CHECK_EQ(fb.u32(leaf, 0), 10 + i);
    const Fb::Str ls = fb.str(leaf, 1);
    CHECK(ls.len == 5 && ls.data[4] == static_cast<char>('0' + i) && ls.data[5] == '\0');
  }
  CHECK_EQ(fb.f64(r, 5), 2.5);
  CHECK(!fb.has(r, 6));
  CHECK_EQ(fb.i32(r, 6, -1), -1);
  CHECK_EQ(fb.u64(r, 7), 0x1122334455667788ull);
  CHECK(!fb.bad());
}

}  // namespace

int main() {
  alignas(8) static uint8_t buf[1024];
  // Unaligned buffer start and end: the builder uses the 8-byte aligned part.
  for (int k = 0; k < 2; ++k) {
    const bool prefixed = k == 1;
    FlatBuilder b(buf + 3, 700);
    const Span<const uint8_t> out = build(b, prefixed);
    CHECK(!b.failed());
    CHECK_EQ(out.size, b.used());
    CHECK(out.data + out.size <= buf + 3 + 700);
    check_read(out, prefixed);
  }
  size_t full = 0;
  {
    FlatBuilder b(buf, sizeof(buf));
    full = build(b, true).size;
  }
  // Every smaller buffer: fails, writes nothing outside it, and needed() tells the size.
  for (size_t cap = 0; cap < full; cap += 8) {
    memset(buf, 0xA5, sizeof(buf));
    FlatBuilder b(buf + 16, cap);
    const Span<const uint8_t> out = build(b, true);
    CHECK(b.failed());
    CHECK_EQ(out.size, 0u);
    CHECK(b.needed() >= full && b.needed() <= full + 64);
    if (b.needed() < full || b.needed() > full + 64) printf("cap %zu needed %zu full %zu\n", cap, b.needed(), full);
    bool untouched = true;
    for (size_t i = 0; i < 16; ++i) untouched = untouched && buf[i] == 0xA5;
    for (size_t i = 16 + cap; i < sizeof(buf); ++i) untouched = untouched && buf[i] == 0xA5;
    CHECK(untouched);
  }
  // The front limit is respected.
  {
    memset(buf, 0xA5, sizeof(buf));
    FlatBuilder b(buf, 256);
    CHECK(b.set_front_limit(200));
    CHECK(build(b, true).size == 0 && b.failed());
    bool untouched = true;
    for (size_t i = 0; i < 200; ++i) untouched = untouched && buf[i] == 0xA5;
    CHECK(untouched);
  }
  return slimtorch_test::check_summary();
}
