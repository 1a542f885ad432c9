// PolledTestBackend: a fake accelerator for testing asynchronous delegates on
// bare metal, with no threads (issue 15 part 4).
//
// The "device" computes out = a * b elementwise (float32, same shapes) in
// chunks of kChunk elements, one chunk per "interrupt": SysTick on the
// Cortex-M55 (device_arm_m55.cc: a copy of the vector table with our SysTick
// handler, VTOR pointed at it), a SIGVTALRM interval timer on the host
// (device_host.cc: it counts the process's user CPU time, so the job advances
// while this thread computes or polls, not while the machine is busy with
// others). start() arms the job (the device "registers" are the statics in
// polled_backend.cc) and starts the interrupt source; wait() polls the
// completion flag, sleeping between interrupts (WFI on the M55), then stops
// it. So the work really progresses while the executor runs other
// instructions.
//
// One job at a time (one device): the executor never starts a delegate that
// is in flight, and this backend refuses a second delegate's start() while a
// job runs (NotSupported), so a program uses it for one delegate at a time.
// Test-only; no heap; the handle is the delegate's index, no allocation.
#pragma once

#include <stdint.h>

#include "runtime/backend/backend.h"

namespace slimtorch::polled_test {

extern const Backend kPolledBackend;  // name "PolledTestBackend"

constexpr uint32_t kChunk = 4;  // elements per interrupt

struct DeviceStatus {
  bool busy;                 // a job is armed and not finished
  uint32_t done;             // elements finished of the current (or last) job
  uint32_t total;            // elements of the current (or last) job
  uint32_t interrupts;       // interrupts that did a chunk, since start-up
};
DeviceStatus status();

// The interrupt's work: one chunk of the armed job (device_*.cc call it).
void on_interrupt();

// The platform part (device_arm_m55.cc / device_host.cc).
void timer_start();
void timer_stop();
void wait_for_interrupt();

}  // namespace slimtorch::polled_test
