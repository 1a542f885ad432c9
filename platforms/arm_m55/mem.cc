// memcpy and memset for the Cortex-M55 images, replacing newlib's.
//
// newlib's Armv8-M versions are tuned for speed (236 + 168 flash bytes); the
// runtime copies and clears little (program header fields, input tensors, the
// arena's bookkeeping), so a word loop with a byte tail is enough at a fraction
// of the size. The linker takes these from startup's alwayslink library before
// it searches libc_nano.a, so newlib's copies are never pulled in.
//
// Built without LTO (BUILD.bazel): calls to memcpy/memset that the compiler
// creates during link-time code generation must resolve to an ordinary object,
// and -fno-tree-loop-distribute-patterns stops the loops below from being
// turned back into calls to themselves.
#include <stddef.h>
#include <stdint.h>

extern "C" {

// Copies n bytes from src to dst (regions must not overlap, as for memcpy).
// Neither buffer is retained.
void* memcpy(void* dst, const void* src, size_t n) {
  uint8_t* d = static_cast<uint8_t*>(dst);
  const uint8_t* s = static_cast<const uint8_t*>(src);
  if (((reinterpret_cast<uintptr_t>(d) | reinterpret_cast<uintptr_t>(s)) & 3u) == 0) {
    for (; n >= 4; n -= 4, d += 4, s += 4) {
      *reinterpret_cast<uint32_t*>(d) = *reinterpret_cast<const uint32_t*>(s);
    }
  }
  while (n-- > 0) *d++ = *s++;
  return dst;
}

// Fills n bytes at dst with the low byte of c. dst is not retained.
void* memset(void* dst, int c, size_t n) {
  uint8_t* d = static_cast<uint8_t*>(dst);
  if ((reinterpret_cast<uintptr_t>(d) & 3u) == 0) {
    const uint32_t w = 0x01010101u * static_cast<uint8_t>(c);
    for (; n >= 4; n -= 4, d += 4) *reinterpret_cast<uint32_t*>(d) = w;
  }
  while (n-- > 0) *d++ = static_cast<uint8_t>(c);
  return dst;
}

}  // extern "C"
