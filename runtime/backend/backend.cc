// The backend registry: the build's selection (kSelectedBackends, generated) and a
// fixed-size static table filled at run time by register_backend().
#include "runtime/backend/backend.h"

namespace slimtorch {
namespace {

const Backend* g_backends[kMaxBackends];  // static storage; entries never removed
size_t g_num_backends = 0;

bool same_name(const char* a, const char* b, size_t len) {
  size_t k = 0;
  while (k < len && a[k] != '\0' && a[k] == b[k]) {
    ++k;
  }
  return k == len && a[k] == '\0';
}

}  // namespace

Error register_backend(const Backend* backend) {
  if (backend == nullptr || backend->name == nullptr) {
    return Error::InvalidArgument;
  }
  size_t len = 0;
  while (backend->name[len] != '\0') {
    ++len;
  }
  if (find_backend(backend->name, len) != nullptr) {
    return Error::InvalidArgument;
  }
  if (g_num_backends == kMaxBackends) {
    return Error::LimitExceeded;
  }
  g_backends[g_num_backends++] = backend;
  return Error::Ok;
}

const Backend* find_backend(const char* name, size_t len) {
  for (size_t i = 0; i < kNumSelectedBackends; ++i) {
    if (kSelectedBackends[i] != nullptr && kSelectedBackends[i]->name != nullptr &&
        same_name(kSelectedBackends[i]->name, name, len)) {
      return kSelectedBackends[i];
    }
  }
  for (size_t i = 0; i < g_num_backends; ++i) {
    if (same_name(g_backends[i]->name, name, len)) {
      return g_backends[i];
    }
  }
  return nullptr;
}

}  // namespace slimtorch
