// The C++ half of every bare-metal board's reset: copy .data from its load address,
// zero .bss, run the static constructors, call main() and exit through semihosting
// with main's value as the emulator's exit code. Each board's start-up file
// (platforms/arm_m/startup.cc, platforms/riscv32/startup.cc) sets up what C++ needs
// first (stack, FPU; gp and tp on RISC-V) and branches here; the linker scripts
// define the symbols below with the same names on every board.
#include <stdint.h>

#include "platforms/bare_metal/semihosting.h"

extern "C" {

// Linker-script symbols (addresses only; never read as values).
extern uint32_t __data_load__;
extern uint32_t __data_start__;
extern uint32_t __data_end__;
extern uint32_t __bss_start__;
extern uint32_t __bss_end__;
extern void (*__init_array_start__[])();
extern void (*__init_array_end__[])();

int main();

// `used`: only the boards' naked reset code branches here (asm), which LTO cannot see.
__attribute__((noreturn, used)) void st_start_c() {
  // Through memcpy/memset (the Helium ones of platforms/arm_m/mem.cc on the M55, the C
  // library's elsewhere), which the runtime links anyway: smaller than two word loops.
  __builtin_memcpy(&__data_start__, &__data_load__,
                   reinterpret_cast<uintptr_t>(&__data_end__) - reinterpret_cast<uintptr_t>(&__data_start__));
  __builtin_memset(&__bss_start__, 0,
                   reinterpret_cast<uintptr_t>(&__bss_end__) - reinterpret_cast<uintptr_t>(&__bss_start__));
  for (void (**ctor)() = __init_array_start__; ctor < __init_array_end__; ++ctor) {
    (*ctor)();
  }
  st_semihost_exit(main());
}

}  // extern "C"
