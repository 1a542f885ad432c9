#include "backends/xnnpack/scratch.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/executor/bump_allocator.h"

namespace slimtorch {
namespace xnnpack {

namespace {
constexpr size_t kAlign = 64;
}  // namespace

void* Scratch::allocate(size_t n) {
  if (n > SIZE_MAX / 2) return nullptr;
  // A failed BumpAllocator::allocate still advances used(): ask only when the
  // piece surely fits (worst-case padding), so the arena stays usable after.
  if (arena_ != nullptr && arena_->size() >= arena_->used() &&
      arena_->size() - arena_->used() >= n + kAlign + 16) {
    // BumpAllocator aligns to at most 16: take 16 and pad by hand to 64.
    void* p = arena_->allocate(n + kAlign, 16);
    if (p != nullptr) {
      uintptr_t a = (reinterpret_cast<uintptr_t>(p) + kAlign - 1) & ~(uintptr_t{kAlign} - 1);
      memset(reinterpret_cast<void*>(a), 0, n);
      return reinterpret_cast<void*>(a);
    }
  }
  // malloc'd: [Block header][pad to 64][n bytes]
  const size_t total = kAlign + n;
  void* raw = nullptr;
  if (posix_memalign(&raw, kAlign, total) != 0 || raw == nullptr) return nullptr;
  memset(raw, 0, total);
  Block* b = static_cast<Block*>(raw);
  b->next = blocks_;
  blocks_ = b;
  malloc_bytes_ += total;
  return static_cast<uint8_t*>(raw) + kAlign;
}

void Scratch::release() {
  while (blocks_ != nullptr) {
    Block* next = blocks_->next;
    free(blocks_);
    blocks_ = next;
  }
  malloc_bytes_ = 0;
}

}  // namespace xnnpack
}  // namespace slimtorch
