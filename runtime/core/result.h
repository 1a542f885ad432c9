// Result<T>: a value or an Error, without exceptions or heap.
#pragma once

#include "runtime/core/error.h"

namespace slimtorch {

template <typename T>
class Result {
 public:
  Result(const T& value) : value_(value), error_(Error::Ok) {}  // NOLINT: implicit by design
  Result(Error error) : value_(), error_(error) {}              // NOLINT: implicit by design

  bool ok() const { return error_ == Error::Ok; }
  Error error() const { return error_; }
  // Only valid when ok().
  const T& get() const { return value_; }
  T& get() { return value_; }

 private:
  T value_;
  Error error_;
};

}  // namespace slimtorch

// Propagates a non-Ok Error from an expression returning Error.
#define ST_TRY(expr)                                  \
  do {                                                \
    ::slimtorch::Error st_try_err_ = (expr);          \
    if (st_try_err_ != ::slimtorch::Error::Ok) {      \
      return st_try_err_;                             \
    }                                                 \
  } while (0)
