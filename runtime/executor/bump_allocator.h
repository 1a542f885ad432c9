// BumpAllocator: hands out aligned pieces of one caller-owned buffer, front to
// back, and never frees. The buffer belongs to the application and must outlive
// everything allocated from it (the Method's bookkeeping, backend handles).
//
// An allocation that does not fit returns nullptr but still advances `used()`,
// so after a failed sequence used() tells how many bytes the sequence needs.
// A counting allocator (no buffer) computes sizes the same way.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace slimtorch {

class BumpAllocator {
 public:
  BumpAllocator() = default;
  BumpAllocator(uint8_t* base, size_t size) : base_(base), size_(size) {}

  // `n` bytes aligned to `align` (a power of two <= 16), or nullptr.
  void* allocate(size_t n, size_t align = 8) {
    // Counting mode (no buffer) assumes the worst padding, so its total is an
    // upper bound for any base address.
    const uintptr_t start = reinterpret_cast<uintptr_t>(base_) + used_;
    const size_t pad = base_ == nullptr ? align - 1 : static_cast<size_t>((align - (start & (align - 1))) & (align - 1));
    const size_t need = pad + n;
    if (need < n) {  // overflow
      used_ = SIZE_MAX;
      return nullptr;
    }
    used_ = used_ > SIZE_MAX - need ? SIZE_MAX : used_ + need;
    if (base_ == nullptr || used_ > size_) {
      return nullptr;
    }
    return base_ + (used_ - n);
  }

  template <typename T>
  T* allocate_array(size_t count) {
    if (count > SIZE_MAX / sizeof(T)) {
      used_ = SIZE_MAX;
      return nullptr;
    }
    return static_cast<T*>(allocate(sizeof(T) * count, alignof(T) < 8 ? alignof(T) : 8));
  }

  size_t used() const { return used_; }
  size_t size() const { return size_; }
  bool failed() const { return used_ > size_; }

 private:
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  size_t used_ = 0;
};

}  // namespace slimtorch
