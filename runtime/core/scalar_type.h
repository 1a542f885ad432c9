// Tensor element types, numbered exactly as ExecuTorch's scalar_type.fbs does,
// so the numbers read from a .pte and written to a kernel key are the same.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace slimtorch {

enum class ScalarType : int8_t {
  Byte = 0,     // uint8
  Char = 1,     // int8
  Short = 2,    // int16
  Int = 3,      // int32
  Long = 4,     // int64
  Half = 5,
  Float = 6,
  Double = 7,
  Bool = 11,
  QInt8 = 12,
  QUInt8 = 13,
  QInt32 = 14,
  BFloat16 = 15,
  UInt16 = 27,
  UInt32 = 28,
  UInt64 = 29,
};

// Bytes per element; 0 for a type number this runtime does not know
// (callers treat 0 as "unsupported dtype").
size_t element_size(ScalarType t);

// "Float", "Long", ...; "Unknown" for anything else. Never null.
const char* scalar_type_name(ScalarType t);

}  // namespace slimtorch
