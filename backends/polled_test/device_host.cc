// The fake accelerator's interrupt on the host: SIGVTALRM from an interval
// timer of the process's user CPU time (ITIMER_VIRTUAL), so the job advances
// while this process computes or polls, and not while it is descheduled (a
// loaded machine does not make the device look fast). One process, one device.
#include <signal.h>
#include <sys/time.h>

#include "backends/polled_test/polled_backend.h"

namespace slimtorch::polled_test {
namespace {

constexpr long kPeriodUs = 1000;

void on_signal(int) { on_interrupt(); }

void set_timer(long us) {
  itimerval t{};
  t.it_interval.tv_usec = us;
  t.it_value.tv_usec = us;
  setitimer(ITIMER_VIRTUAL, &t, nullptr);
}

}  // namespace

void timer_start() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGVTALRM, &sa, nullptr);
  set_timer(kPeriodUs);
}

void timer_stop() { set_timer(0); }

// Polling burns user CPU time, which is what makes the virtual timer fire.
void wait_for_interrupt() { __asm__ volatile("" ::: "memory"); }

}  // namespace slimtorch::polled_test
