// FlatBuilder (flatbuffer_builder.h): back-to-front writing into a fixed buffer.
#include "runtime/program/flatbuffer_builder.h"

namespace slimtorch {

namespace {

void put_u32(uint8_t* at, uint32_t v) { __builtin_memcpy(at, &v, 4); }

}  // namespace

void FlatBuilder::reset(uint8_t* data, size_t size) {
  *this = FlatBuilder();
  if (data == nullptr) {
    return;
  }
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + size) & ~static_cast<uintptr_t>(7);
  data_ = data;
  cap_ = end > reinterpret_cast<uintptr_t>(data) ? end - reinterpret_cast<uintptr_t>(data) : 0;
}

bool FlatBuilder::set_front_limit(size_t bytes) {
  if (bytes > cap_ - used_) {
    return false;
  }
  front_ = bytes;
  return true;
}

uint8_t* FlatBuilder::reserve(size_t n, size_t align) {
  // needed_ equals used_ until the first failure; after it, it keeps counting.
  const size_t pad = (align - (needed_ + n) % align) % align;
  needed_ += pad + n;
  if (failed_ || pad + n > free_bytes()) {
    failed_ = true;
    return nullptr;
  }
  used_ = needed_;
  uint8_t* const at = data_ + cap_ - used_;
  for (size_t i = 0; i < pad; ++i) {
    at[n + i] = 0;
  }
  if (align > max_align_) {
    max_align_ = align;
  }
  return at;
}

void FlatBuilder::put_ref(uint8_t* at, Ref target) {
  // uoffset: from the field forward to the target (written earlier: higher address).
  put_u32(at, ref_of(at) - target);
}

FlatBuilder::Ref FlatBuilder::string2(const char* a, size_t alen, const char* b, size_t blen) {
  const size_t len = alen + blen;
  uint8_t* const bytes = reserve(len + 1, 4);
  if (bytes != nullptr) {
    __builtin_memcpy(bytes, a, alen);
    __builtin_memcpy(bytes + alen, b, blen);
    bytes[len] = 0;
  }
  uint8_t* const head = reserve(4, 4);
  if (head == nullptr) {
    return 0;
  }
  put_u32(head, static_cast<uint32_t>(len));
  return ref_of(head);
}

FlatBuilder::Ref FlatBuilder::string(const char* s, size_t len) { return string2(s, len, "", 0); }

FlatBuilder::Ref FlatBuilder::vector(const void* elems, uint32_t n, uint32_t elem_size, uint32_t align) {
  const size_t bytes = static_cast<size_t>(n) * elem_size;
  uint8_t* const body = reserve(bytes, align > 4 ? align : 4);
  if (body != nullptr && bytes > 0) {
    __builtin_memcpy(body, elems, bytes);
  }
  uint8_t* const head = reserve(4, 4);
  if (head == nullptr) {
    return 0;
  }
  put_u32(head, n);
  return ref_of(head);
}

FlatBuilder::Ref FlatBuilder::vector_of_refs(const Ref* refs, uint32_t n) {
  uint8_t* const body = reserve(static_cast<size_t>(n) * 4, 4);
  if (body != nullptr) {
    for (uint32_t i = 0; i < n; ++i) {
      put_ref(body + 4 * i, refs[i]);
    }
  }
  uint8_t* const head = reserve(4, 4);
  if (head == nullptr) {
    return 0;
  }
  put_u32(head, n);
  return ref_of(head);
}

void FlatBuilder::start_table() {
  for (int i = 0; i < kMaxFields; ++i) {
    fields_[i] = 0;
  }
  num_fields_ = 0;
  table_start_ = used_;
  in_table_ = true;
}

void FlatBuilder::add_scalar(int field, const void* v, uint32_t size, bool is_default) {
  if (field < 0 || field >= kMaxFields || !in_table_) {
    failed_ = true;  // a caller bug: refuse rather than write a wrong table
    return;
  }
  if (is_default) {
    return;
  }
  num_fields_ = field + 1 > num_fields_ ? field + 1 : num_fields_;
  uint8_t* const at = reserve(size, size);
  if (at == nullptr) {
    return;
  }
  __builtin_memcpy(at, v, size);
  fields_[field] = ref_of(at);
}

void FlatBuilder::add_ref(int field, Ref target) {
  if (field < 0 || field >= kMaxFields || !in_table_) {
    failed_ = true;
    return;
  }
  if (target == 0 && !failed_) {
    return;  // absent (after a failure the target is 0 too, and its field is still counted)
  }
  num_fields_ = field + 1 > num_fields_ ? field + 1 : num_fields_;
  uint8_t* const at = reserve(4, 4);
  if (at == nullptr) {
    return;
  }
  put_ref(at, target);
  fields_[field] = ref_of(at);
}

FlatBuilder::Ref FlatBuilder::end_table() {
  if (!in_table_) {
    failed_ = true;
    return 0;
  }
  in_table_ = false;
  uint8_t* const soffset = reserve(4, 4);
  if (soffset == nullptr) {
    reserve(4 + 2 * static_cast<size_t>(num_fields_), 2);  // counted in needed(): a vtable, unshared
    return 0;
  }
  const Ref table = ref_of(soffset);
  // The vtable: its size, the table's size, then each field's offset in the table.
  uint16_t vt[2 + kMaxFields];
  const uint16_t vt_bytes = static_cast<uint16_t>(4 + 2 * num_fields_);
  vt[0] = vt_bytes;
  vt[1] = static_cast<uint16_t>(table - table_start_);
  for (int f = 0; f < num_fields_; ++f) {
    vt[2 + f] = static_cast<uint16_t>(fields_[f] != 0 ? table - fields_[f] : 0);
  }
  // An identical vtable written recently (the same kind of table) is shared.
  for (int i = 0; i < kVtableCache; ++i) {
    const Ref v = vtables_[i];
    if (v != 0 && v <= used_ && __builtin_memcmp(data_ + cap_ - v, vt, vt_bytes) == 0) {
      // soffset = table - vtable (addresses): negative, the vtable lies after the table.
      const int32_t so = static_cast<int32_t>(v) - static_cast<int32_t>(table);
      __builtin_memcpy(soffset, &so, 4);
      return table;
    }
  }
  uint8_t* const at = reserve(vt_bytes, 2);
  if (at == nullptr) {
    return 0;
  }
  __builtin_memcpy(at, vt, vt_bytes);
  const Ref vtable = ref_of(at);
  const int32_t so = static_cast<int32_t>(vtable) - static_cast<int32_t>(table);
  __builtin_memcpy(soffset, &so, 4);
  vtables_[next_vtable_] = vtable;
  next_vtable_ = (next_vtable_ + 1) % kVtableCache;
  return table;
}

Span<const uint8_t> FlatBuilder::finish(Ref root, const char* ident, bool size_prefixed) {
  const size_t header = (size_prefixed ? 4 : 0) + 4 + (ident != nullptr ? 4 : 0);
  uint8_t* const at = reserve(header, 8);  // the buffer starts 8-byte aligned
  if (at == nullptr || root == 0) {
    failed_ = true;
    return Span<const uint8_t>();
  }
  uint8_t* p = at;
  if (size_prefixed) {
    put_u32(p, static_cast<uint32_t>(used_ - 4));  // the bytes after the prefix
    p += 4;
  }
  put_ref(p, root);
  p += 4;
  if (ident != nullptr) {
    __builtin_memcpy(p, ident, 4);
  }
  return Span<const uint8_t>(at, used_);
}

}  // namespace slimtorch
