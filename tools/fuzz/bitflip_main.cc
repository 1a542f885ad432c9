// Bit-flip sweep driver: flips each bit of a program, one at a time, and runs
// each mutated copy in-process through load, init and execute
// (tools/fuzz/run_one.h), built with ASan/UBSan by tools/fuzz/build.sh.
//
//   bitflip PROGRAM.pte [--start BIT] [--end BIT] [--hang-ms N]
//
// Prints one line per outcome count at the end:
//   counts load_error=<n> init_error=<n> exec_error=<n> completed_same=<n> completed_changed=<n>
// A crash, sanitizer report or hang ends the process; before it does, the
// death callback (or the CPU-time alarm: a run over --hang-ms of CPU time, not
// wall time, so a loaded machine does not turn slow runs into hangs) prints
// `fatal bit <i> <kind>` so that
// tools/fuzz/bitflip.py records it and resumes the sweep at bit i + 1.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <vector>

#include "tools/fuzz/run_one.h"

extern "C" void __sanitizer_set_death_callback(void (*callback)(void));

namespace {

volatile long g_bit = -1;  // the bit being tried, for the death callback and the alarm

void write_fatal(const char* kind) {
  char line[64];
  const int n = snprintf(line, sizeof(line), "fatal bit %ld %s\n", static_cast<long>(g_bit), kind);
  if (n > 0) (void)!write(1, line, static_cast<size_t>(n));
}

void on_death() { write_fatal("sanitizer"); }

void on_alarm(int) {
  write_fatal("hang");
  _exit(3);
}

bool read_file(const char* path, std::vector<uint8_t>* out) {
  FILE* f = fopen(path, "rb");
  if (f == nullptr) return false;
  uint8_t buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out->insert(out->end(), buf, buf + n);
  fclose(f);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const char* path = nullptr;
  long start = 0, end = -1, hang_ms = 2000;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--start") == 0 && i + 1 < argc) {
      start = atol(argv[++i]);
    } else if (strcmp(argv[i], "--end") == 0 && i + 1 < argc) {
      end = atol(argv[++i]);
    } else if (strcmp(argv[i], "--hang-ms") == 0 && i + 1 < argc) {
      hang_ms = atol(argv[++i]);
    } else if (path == nullptr) {
      path = argv[i];
    } else {
      fprintf(stderr, "usage: bitflip PROGRAM.pte [--start BIT] [--end BIT] [--hang-ms N]\n");
      return 2;
    }
  }
  std::vector<uint8_t> bytes;
  if (path == nullptr || !read_file(path, &bytes)) {
    fprintf(stderr, "error: cannot read program %s\n", path ? path : "(none given)");
    return 2;
  }
  setenv("SLIMTORCH_QUIET", "1", 1);
  __sanitizer_set_death_callback(on_death);
  signal(SIGPROF, on_alarm);

  uint64_t baseline = 0;
  if (slimtorch_fuzz::run_one(bytes.data(), bytes.size(), &baseline) != slimtorch_fuzz::kCompleted) {
    fprintf(stderr, "error: the unmodified program does not complete: %s\n", path);
    return 2;
  }
  const long nbits = static_cast<long>(bytes.size()) * 8;
  if (end < 0 || end > nbits) end = nbits;
  long counts[slimtorch_fuzz::kNumOutcomes] = {};
  long changed = 0;
  struct itimerval tv = {};
  for (long bit = start; bit < end; ++bit) {
    g_bit = bit;
    bytes[static_cast<size_t>(bit / 8)] ^= static_cast<uint8_t>(1u << (bit % 8));
    tv.it_value.tv_sec = hang_ms / 1000;
    tv.it_value.tv_usec = (hang_ms % 1000) * 1000;
    setitimer(ITIMER_PROF, &tv, nullptr);
    uint64_t digest = 0;
    const slimtorch_fuzz::Outcome o = slimtorch_fuzz::run_one(bytes.data(), bytes.size(), &digest);
    tv.it_value.tv_sec = 0;
    tv.it_value.tv_usec = 0;
    setitimer(ITIMER_PROF, &tv, nullptr);
    bytes[static_cast<size_t>(bit / 8)] ^= static_cast<uint8_t>(1u << (bit % 8));
    ++counts[o];
    if (o == slimtorch_fuzz::kCompleted && digest != baseline) ++changed;
  }
  printf("range %ld %ld\n", start, end);
  printf("counts load_error=%ld init_error=%ld exec_error=%ld completed_same=%ld completed_changed=%ld\n",
         counts[slimtorch_fuzz::kLoadError], counts[slimtorch_fuzz::kInitError], counts[slimtorch_fuzz::kExecError],
         counts[slimtorch_fuzz::kCompleted] - changed, changed);
  return 0;
}
