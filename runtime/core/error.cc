// error_name(): the stable short names of runtime errors.
#include "runtime/core/error.h"

namespace slimtorch {

const char* error_name(Error e) {
  switch (e) {
    case Error::Ok: return "Ok";
    case Error::InvalidArgument: return "InvalidArgument";
    case Error::InvalidProgram: return "InvalidProgram";
    case Error::NotSupported: return "NotSupported";
    case Error::MissingKernel: return "MissingKernel";
    case Error::MissingBackend: return "MissingBackend";
    case Error::OutOfMemory: return "OutOfMemory";
    case Error::LimitExceeded: return "LimitExceeded";
    case Error::KernelFailed: return "KernelFailed";
    case Error::Internal: return "Internal";
  }
  return "Unknown";
}

}  // namespace slimtorch
