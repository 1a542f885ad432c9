// The fake accelerator's "registers" and the backend over them (polled_backend.h).
#include "backends/polled_test/polled_backend.h"

#include "runtime/core/tensor.h"

namespace slimtorch::polled_test {
namespace {

// Device registers, shared with the interrupt handler (volatile: the handler
// changes them behind the main code's back; one core, so no atomics needed).
const float* volatile g_a = nullptr;
const float* volatile g_b = nullptr;
float* volatile g_out = nullptr;
volatile uint32_t g_total = 0;
volatile uint32_t g_done = 0;
volatile bool g_busy = false;
volatile uint32_t g_interrupts = 0;

void barrier() { __asm__ volatile("" ::: "memory"); }

bool available() { return true; }

Error init(BackendInitContext&, Span<const uint8_t>, const CompileSpec*, size_t, void** handle) {
  *handle = nullptr;  // no per-delegate state: the device is the state
  return Error::Ok;
}

bool float_tensor(const EValue* v) { return v->tag == Tag::Tensor && v->v.t->dtype == ScalarType::Float; }

// args: a, b, out (float, same number of elements).
Error start(void*, EValue** args, size_t nargs) {
  if (nargs != 3 || !float_tensor(args[0]) || !float_tensor(args[1]) || !float_tensor(args[2])) {
    return Error::InvalidArgument;
  }
  const Tensor& a = *args[0]->v.t;
  const Tensor& b = *args[1]->v.t;
  Tensor& out = *args[2]->v.t;
  if (a.numel != b.numel || a.numel != out.numel) {
    return Error::InvalidArgument;
  }
  if (g_busy) {
    return Error::NotSupported;  // one device, one job
  }
  g_a = a.data_as<float>();
  g_b = b.data_as<float>();
  g_out = out.data_as<float>();
  g_total = a.numel;
  g_done = 0;
  barrier();
  g_busy = a.numel > 0;  // armed last: the handler looks at nothing else first
  barrier();
  if (g_busy) {
    timer_start();
  }
  return Error::Ok;
}

Error wait(void*) {
  while (g_busy) {
    wait_for_interrupt();
  }
  timer_stop();
  return Error::Ok;
}

}  // namespace

void on_interrupt() {
  if (!g_busy) {
    return;
  }
  const uint32_t begin = g_done;
  const uint32_t end = g_total - begin > kChunk ? begin + kChunk : g_total;
  for (uint32_t i = begin; i < end; ++i) {
    g_out[i] = g_a[i] * g_b[i];
  }
  g_done = end;
  ++g_interrupts;
  barrier();
  if (end == g_total) {
    g_busy = false;
  }
}

DeviceStatus status() { return DeviceStatus{g_busy, g_done, g_total, g_interrupts}; }

extern const Backend kPolledBackend = {"PolledTestBackend", available, init, nullptr, nullptr, start, wait};

}  // namespace slimtorch::polled_test
