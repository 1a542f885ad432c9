// EValue: one value of a method (the program's ExecutionPlan.values), as a
// tagged union. Kernels receive their arguments as EValue pointers.
//
// Lists point into memory owned by the method (bookkeeping arena) or into the
// program bytes; an EValue never owns anything. IntList holds pointers to the
// Int EValues it names (the .pte stores value indices), so symbolic ints that
// change at run time are seen by every list that refers to them.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "runtime/core/tensor.h"

namespace slimtorch {

enum class Tag : uint8_t {
  None = 0,
  Int,
  Double,
  Bool,
  Tensor,
  String,
  IntList,
  DoubleList,
  BoolList,
  TensorList,
  OptionalTensorList,
};

struct EValue;

struct IntListRef {
  EValue* const* items;  // each an Int EValue
  uint32_t size;
  int64_t at(uint32_t i) const;  // defined below
};
struct DoubleListRef {
  const uint8_t* bytes;  // `size` little-endian doubles, possibly unaligned in the program
  uint32_t size;
  double at(uint32_t i) const;
};
struct BoolListRef {
  const uint8_t* items;  // one byte per bool
  uint32_t size;
  bool at(uint32_t i) const { return items[i] != 0; }
};
struct TensorListRef {
  EValue* const* items;  // each a Tensor EValue (OptionalTensorList: may be None)
  uint32_t size;
};
struct StringRef {
  const char* data;  // not NUL-terminated
  uint32_t size;
};

struct EValue {
  Tag tag = Tag::None;
  union Payload {
    int64_t i;
    double d;
    bool b;
    Tensor* t;
    StringRef s;
    IntListRef il;
    DoubleListRef dl;
    BoolListRef bl;
    TensorListRef tl;
    Payload() : i(0) {}
  } v;

  bool is_none() const { return tag == Tag::None; }
  bool is_int() const { return tag == Tag::Int; }
  bool is_double() const { return tag == Tag::Double; }
  bool is_bool() const { return tag == Tag::Bool; }
  bool is_tensor() const { return tag == Tag::Tensor; }
  bool is_int_list() const { return tag == Tag::IntList; }

  // Accessors assume the tag was checked (kernels check tags they rely on).
  int64_t to_int() const { return v.i; }
  double to_double() const { return v.d; }
  bool to_bool() const { return v.b; }
  Tensor& to_tensor() const { return *v.t; }
  // A Scalar argument: Int, Double or Bool as double.
  double to_scalar_double() const {
    return tag == Tag::Double ? v.d : tag == Tag::Bool ? (v.b ? 1.0 : 0.0) : int64_to_double(v.i);
  }

  // static_cast<double>(i), rounded the same (once, to nearest), from two 32-bit
  // halves: the Cortex-M55's FPU converts 32-bit integers, while a 64-bit one
  // goes through libgcc's soft-float __aeabi_l2d and __aeabi_dadd (830 flash
  // bytes). hi * 2^32 is exact, so the sum is the only rounding.
  static double int64_to_double(int64_t i) {
    return static_cast<double>(static_cast<int32_t>(i >> 32)) * 4294967296.0 +
           static_cast<double>(static_cast<uint32_t>(i));
  }
};

inline int64_t IntListRef::at(uint32_t i) const { return items[i]->v.i; }

inline double DoubleListRef::at(uint32_t i) const {
  double out;
  __builtin_memcpy(&out, bytes + 8u * i, sizeof(out));
  return out;
}

}  // namespace slimtorch
