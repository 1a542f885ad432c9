// Segment checksum: `slimtorch export --checksum` adds a segment holding the
// CRC-32 (IEEE, as zlib.crc32) of every other segment's bytes in index order,
// and a named data entry Program::kChecksumKey pointing at it. Upstream
// ExecuTorch reads the program as usual (it only looks named data up by key on
// request); slimtorch verifies it at load, so corrupt constant or mutable-buffer
// data is an error instead of a run with wrong weights. A program without the
// entry loads as before (nothing to check).
#include "runtime/platform/log.h"
#include "runtime/program/program.h"
#include "runtime/program/schema.h"

namespace slimtorch {

namespace {

// CRC-32 (reflected polynomial 0xEDB88320), four bits at a time: a 64-byte table
// instead of 1 KB, two lookups per byte.
uint32_t crc32_update(uint32_t crc, const uint8_t* p, uint64_t n) {
  static const uint32_t kNibble[16] = {
      0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
      0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu, 0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu};
  for (uint64_t i = 0; i < n; ++i) {
    crc ^= p[i];
    crc = (crc >> 4) ^ kNibble[crc & 15];
    crc = (crc >> 4) ^ kNibble[crc & 15];
  }
  return crc;
}

bool key_is(const Fb::Str& s, const char* key) {
  uint32_t i = 0;
  for (; i < s.len; ++i) {
    if (key[i] == '\0' || key[i] != s.data[i]) return false;
  }
  return key[i] == '\0';
}

}  // namespace

Error Program::verify_checksum() const {
  using namespace schema;  // NOLINT: field numbers
  const Fb::Vec named = fb_.vec(root_, kProgramNamedData, 4);
  if (fb_.bad()) {
    return ST_FAIL(Error::InvalidProgram, "malformed program: named data list out of bounds");
  }
  for (uint32_t i = 0; i < named.len; ++i) {
    const Fb::Table entry = fb_.vec_table(named, i);
    const Fb::Str key = fb_.str(entry, 0);  // NamedData { key: string; segment_index: uint }
    const uint32_t seg = fb_.u32(entry, 1);
    if (fb_.bad()) {
      return ST_FAIL(Error::InvalidProgram, "malformed program: named data entry {} out of bounds", i);
    }
    if (!key_is(key, kChecksumKey)) continue;
    uint64_t begin = 0, size = 0;
    if (!segment_range(seg, &begin, &size) || size < 4) {
      return ST_FAIL(Error::InvalidProgram, "checksum segment {} is missing or shorter than 4 bytes", seg);
    }
    const uint8_t* c = file_ + begin;
    const uint32_t want = c[0] | (c[1] << 8) | (c[2] << 16) | (static_cast<uint32_t>(c[3]) << 24);
    uint32_t crc = 0xFFFFFFFFu;
    for (uint32_t s = 0; s < segments_.len; ++s) {
      uint64_t b = 0, n = 0;
      if (s == seg || !segment_range(s, &b, &n)) continue;  // every listed segment was checked in range
      crc = crc32_update(crc, file_ + b, n);
    }
    if ((crc ^ 0xFFFFFFFFu) != want) {
      return ST_FAIL(Error::InvalidProgram,
                     "segment checksum mismatch: the program's constant or buffer data is corrupt (re-flash or "
                     "re-download it)");
    }
    return Error::Ok;
  }
  return Error::Ok;
}

}  // namespace slimtorch
