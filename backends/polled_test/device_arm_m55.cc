// The fake accelerator's interrupt on the Cortex-M55 (QEMU mps3-an547): SysTick.
//
// The board's vector table (platforms/arm_m/startup.cc) is in flash and
// sends SysTick to its "unexpected exception" handler; this file copies the
// 16 system entries into RAM, puts its own SysTick handler in, and points VTOR
// at the copy (on the first timer_start()). SysTick counts the processor clock.
#include "backends/polled_test/polled_backend.h"

namespace slimtorch::polled_test {
namespace {

using Vector = void (*)();

volatile uint32_t& reg(uintptr_t address) { return *reinterpret_cast<volatile uint32_t*>(address); }
constexpr uintptr_t kVtor = 0xE000ED08;
constexpr uintptr_t kSystCsr = 0xE000E010;  // ENABLE | TICKINT | CLKSOURCE
constexpr uintptr_t kSystRvr = 0xE000E014;
constexpr uintptr_t kSystCvr = 0xE000E018;
constexpr uint32_t kSysTickIndex = 15;
// Processor cycles between interrupts: a chunk of 4 elements takes far less,
// so the job's length is set by the timer, as with a slow device.
constexpr uint32_t kReload = 20000;

alignas(128) Vector g_vectors[16];  // VTOR needs 128-byte alignment for this size
bool g_installed = false;

void systick_handler() { on_interrupt(); }

void install() {
  const Vector* current = reinterpret_cast<const Vector*>(reg(kVtor));
  for (uint32_t i = 0; i < 16; ++i) {
    g_vectors[i] = current[i];
  }
  g_vectors[kSysTickIndex] = systick_handler;
  __asm__ volatile("dsb" ::: "memory");
  reg(kVtor) = reinterpret_cast<uintptr_t>(g_vectors);
  __asm__ volatile("dsb\n isb" ::: "memory");
  g_installed = true;
}

}  // namespace

void timer_start() {
  if (!g_installed) {
    install();
  }
  reg(kSystRvr) = kReload - 1;
  reg(kSystCvr) = 0;
  reg(kSystCsr) = 7;
}

void timer_stop() { reg(kSystCsr) = 0; }

// Sleeps until the next interrupt. The timer runs until wait() has seen the
// job finish, so a tick always comes after a check that found it busy.
void wait_for_interrupt() { __asm__ volatile("wfi" ::: "memory"); }

}  // namespace slimtorch::polled_test
