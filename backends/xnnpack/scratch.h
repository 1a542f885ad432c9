// Scratch: where the XNNPACK backend's per-delegate memory comes from.
//
// First from the method's arena (BackendInitContext::arena) while a piece fits
// there, else from malloc: this backend is host only, and XNNPACK itself
// allocates with malloc anyway. Arena pieces live as long as the arena (the
// Method's lifetime); malloc'd pieces are chained and released by release(),
// which the backend's destroy() calls. Never used on a hot path: init only.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace slimtorch {

class BumpAllocator;

namespace xnnpack {

class Scratch {
 public:
  explicit Scratch(BumpAllocator* arena) : arena_(arena) {}
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  // `n` zeroed bytes aligned to 64 (XNNPACK's preferred alignment), or nullptr when
  // malloc fails too.
  void* allocate(size_t n);
  template <typename T>
  T* array(size_t count) {
    if (count > SIZE_MAX / sizeof(T) / 2) return nullptr;
    return static_cast<T*>(allocate(sizeof(T) * (count == 0 ? 1 : count)));
  }

  // Frees every malloc'd piece (arena pieces stay until the arena goes).
  void release();
  size_t malloc_bytes() const { return malloc_bytes_; }

 private:
  struct Block {
    Block* next;
  };
  BumpAllocator* arena_;
  Block* blocks_ = nullptr;
  size_t malloc_bytes_ = 0;
};

}  // namespace xnnpack
}  // namespace slimtorch
