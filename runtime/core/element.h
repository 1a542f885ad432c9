// Reading one tensor element as a number, and finding a logical element in a
// tensor's memory: shared by the runners that print outputs (app/run_model.cc)
// and the bundled-program checker that compares them (runtime/bundled/).
//
// Header-only with internal linkage (static inline): each user gets its own
// copy, inlined where it is used once, so an image that prints outputs compiles
// exactly as it did when these lived in its own file.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "runtime/core/scalar_type.h"
#include "runtime/core/tensor.h"

namespace slimtorch {
namespace element {

// A Half's value as a float (exact).
static inline float half_to_float(uint16_t h) {
  const uint32_t exp = (h >> 10) & 0x1F;
  const uint32_t man = h & 0x3FF;
  float f;
  if (exp == 0) {
    f = static_cast<float>(man) * (1.0f / 16777216.0f);  // subnormal: man * 2^-24
  } else {
    // Normal, inf or NaN: rebias the exponent (all ones stays all ones).
    const uint32_t bits = ((exp == 31 ? 255 : exp + 112) << 23) | (man << 13);
    __builtin_memcpy(&f, &bits, sizeof(f));
  }
  return (h & 0x8000) != 0 ? -f : f;
}

static inline bool is_floating(ScalarType t) {
  return t == ScalarType::Float || t == ScalarType::Double || t == ScalarType::Half || t == ScalarType::BFloat16;
}

// Element i (in memory order) of integer or bool data of type `type`; 0 for a floating type.
static inline int64_t as_int(const void* d, ScalarType type, size_t i) {
  switch (type) {
    case ScalarType::Byte:
    case ScalarType::QUInt8:
    case ScalarType::Bool: return static_cast<const uint8_t*>(d)[i];
    case ScalarType::Char:
    case ScalarType::QInt8: return static_cast<const int8_t*>(d)[i];
    case ScalarType::Short: return static_cast<const int16_t*>(d)[i];
    case ScalarType::UInt16: return static_cast<const uint16_t*>(d)[i];
    case ScalarType::Int:
    case ScalarType::QInt32: return static_cast<const int32_t*>(d)[i];
    case ScalarType::UInt32: return static_cast<const uint32_t*>(d)[i];
    case ScalarType::Long:
    case ScalarType::UInt64: return static_cast<const int64_t*>(d)[i];
    default: return 0;
  }
}

// Element i (in memory order) of floating data (is_floating(type)) as a double (exact).
static inline double as_double(const void* d, ScalarType type, size_t i) {
  switch (type) {
    case ScalarType::Double: return static_cast<const double*>(d)[i];
    case ScalarType::Half: return half_to_float(static_cast<const uint16_t*>(d)[i]);
    case ScalarType::BFloat16: {  // the top half of a float
      const uint32_t bits = static_cast<uint32_t>(static_cast<const uint16_t*>(d)[i]) << 16;
      float f;
      __builtin_memcpy(&f, &bits, sizeof(f));
      return f;
    }
    default: return static_cast<const float*>(d)[i];
  }
}

// Where logical element `k` (row-major over t's sizes) of `t` is in its memory (in
// elements), following t's dim order: k itself for a contiguous tensor.
static inline size_t memory_index(const Tensor& t, uint32_t k) {
  if (is_contiguous(t)) return k;
  size_t index = 0;
  for (int d = t.dim - 1; d >= 0; --d) {
    const uint32_t size = static_cast<uint32_t>(t.sizes[d]);
    index += static_cast<size_t>(k % size) * dim_order_stride(t, d);
    k /= size;
  }
  return index;
}

}  // namespace element
}  // namespace slimtorch
