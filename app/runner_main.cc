// Host runner (//app:model_runtime on the host, //app:pte_runner):
//   model_runtime                       run the embedded program on its embedded inputs
//   pte_runner PROGRAM.pte [--input X.npy ...] [--output-dir DIR] [--threads N]
//   pte_runner MODEL.bpte [--rtol R] [--atol A]   every test case of a bundled program
// Profiled builds (SLIMTORCH_PROFILING: //app:pte_runner always, model_image(profile = True))
// take --etdump FILE [--etdump-bytes N]: the run's events as upstream's ETDump.
// pte_runner is built with SLIMTORCH_RUNNER_XNNPACK (app/BUILD.bazel): it links the
// XNNPACK delegate backend, and --threads sets its thread count (the other images have
// no --threads: they link no backend code).
// Prints `output <i> shape ... : ...` lines (app/run_model.h); on failure one
// `error: ...` line on stdout and exit status 1 (2 for bad usage).
// Relative paths are taken from the directory `bazel run` was started in
// ($BUILD_WORKING_DIRECTORY) when it is set, else from the current directory.
// --output-dir is created (with its parents) when it does not exist.
//
// Host-only code: uses the C/C++ standard library (files, heap) freely; the
// runtime it calls does not.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "app/embedded_model.h"
#include "app/run_model.h"
#ifdef SLIMTORCH_RUNNER_BUNDLED
#include "app/bundled_run.h"
#include "runtime/bundled/bundled_program.h"
#endif
#ifdef SLIMTORCH_RUNNER_XNNPACK
#include "backends/xnnpack/xnnpack_backend.h"
#endif
#include "runtime/core/scalar_type.h"
#include "runtime/platform/log.h"
#if SLIMTORCH_PROFILING
#include "runtime/profiling/event_tracer.h"
#endif

namespace {

using slimtorch::Error;
using slimtorch::ScalarType;

void write_stdout(const char* text) { fputs(text, stdout); }

int usage_error(const char* msg) {
  printf("error: %s (see --help)\n", msg);
  return 2;
}

// The usage text; the program name (argv[0]'s basename) is printed before it.
const char kHelp[] =
    " [PROGRAM.pte [--input X.npy ...] [--output-dir DIR]] [--iterations N]"
#ifdef SLIMTORCH_RUNNER_XNNPACK
    " [--threads N]"
#endif
#ifdef SLIMTORCH_RUNNER_BUNDLED
    "\n       MODEL.bpte [--rtol R] [--atol A]"
#endif
#if SLIMTORCH_PROFILING
    " [--etdump FILE [--etdump-bytes N]]"
#endif
    "\n"
    "\n"
    "Runs method 0 of an ExecuTorch program and prints one line per output:\n"
    "  output <i> shape <d0>x<d1>... : <v0> <v1> ...\n"
    "With no PROGRAM, runs the program embedded in this binary on its embedded inputs.\n"
#ifdef SLIMTORCH_RUNNER_BUNDLED
    "A bundled program (.bpte, upstream's BundledProgram: `slimtorch bundle`) runs every test case\n"
    "of every method it tests, printing per output `test <method>[<case>] output <i>: pass|FAIL\n"
    "max_abs_diff <d> at <element>` and a `selftest: PASS|FAIL ...` summary; the exit status is 1\n"
    "when any output differs. Floating outputs pass when |actual - expected| <= atol + rtol *\n"
    "|expected| for every element; integer and bool outputs must be equal.\n"
    "  --rtol R          relative tolerance (default 1e-4)\n"
    "  --atol A          absolute tolerance (default 1e-5)\n"
#endif
    "  --input X.npy     one per method input, in order (.npy v1.0, little-endian, C order, in the\n"
    "                    logical NCHW order PyTorch prints; laid out in the dim order the program\n"
    "                    declares, e.g. channels last)\n"
    "  --output-dir DIR  also write output<i>.npy files into DIR (created, with its parents,\n"
    "                    if missing)\n"
    "  --iterations N    execute the method N times on the same inputs (state carries over),\n"
    "                    print the last run's outputs, then the medians over N repetitions of:\n"
    "                      load_us <x>            Program::load (verification) from bytes in memory\n"
    "                      init_us <y>            Method::init\n"
    "                      latency_us median <z>  set the inputs + Method::execute\n"
    "                    and bookkeeping_bytes <n> (the method's arena need)\n"
#ifdef SLIMTORCH_RUNNER_XNNPACK
    "  --threads N       threads of the XNNPACK delegate backend (default 1)\n"
#endif
#if SLIMTORCH_PROFILING
    "  --etdump FILE     write the run's profile to FILE as an ExecuTorch ETDump (upstream's\n"
    "                    Inspector and `slimtorch profile` read it): Method::init, then each\n"
    "                    execution's instructions with start/end times (ns, monotonic clock)\n"
    "  --etdump-bytes N  the ETDump buffer (default 1048576, about 20000 events); a run that\n"
    "                    needs more writes the events that fit and fails, giving the size needed\n"
#endif
    "Relative paths are read from the directory `bazel run` was started in\n"
    "($BUILD_WORKING_DIRECTORY) when set, else from the current directory.\n";

// argv[0] without its directories: "pte_runner", "model_runtime", ...
const char* program_name(const char* argv0) {
  if (argv0 == nullptr || argv0[0] == '\0') return "pte_runner";
  const char* slash = strrchr(argv0, '/');
  return slash != nullptr ? slash + 1 : argv0;
}

// `path` as the user meant it: under `bazel run` the process runs in the
// runfiles tree, so a relative path is resolved against the directory the
// command was typed in ($BUILD_WORKING_DIRECTORY, set by `bazel run`).
std::string user_path(const char* path) {
  const char* base = getenv("BUILD_WORKING_DIRECTORY");
  if (path[0] == '/' || base == nullptr || base[0] == '\0') return path;
  return std::string(base) + "/" + path;
}

// mkdir -p: creates `dir` and its missing parents; returns an empty string or why it failed.
std::string make_dirs(const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos < dir.size() && dir[pos] != '/') continue;
    const std::string prefix = dir.substr(0, pos);
    if (mkdir(prefix.c_str(), 0777) != 0 && errno != EEXIST) {
      return "cannot create directory " + prefix + ": " + strerror(errno);
    }
  }
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return dir + " exists and is not a directory";
  return "";
}

// A 16-byte aligned heap block (program bytes are read in place by the runtime).
struct Block {
  uint8_t* data = nullptr;
  size_t size = 0;
  explicit Block(size_t n) : data(static_cast<uint8_t*>(aligned_alloc(16, (n + 15) / 16 * 16 + 16))), size(n) {
    if (data != nullptr) memset(data, 0, (n + 15) / 16 * 16);
  }
  ~Block() { free(data); }
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;
  Block(Block&& o) noexcept : data(o.data), size(o.size) { o.data = nullptr; }
};

bool read_file(const char* path, std::vector<uint8_t>* out) {
  FILE* f = fopen(path, "rb");
  if (f == nullptr) return false;
  uint8_t chunk[1 << 16];
  size_t n;
  while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) out->insert(out->end(), chunk, chunk + n);
  const bool ok = ferror(f) == 0;
  fclose(f);
  return ok;
}

struct NpyDtype {
  const char* descr;
  ScalarType type;
};
const NpyDtype kNpyDtypes[] = {
    {"<f4", ScalarType::Float}, {"<f8", ScalarType::Double}, {"<f2", ScalarType::Half},
    {"<i8", ScalarType::Long},  {"<i4", ScalarType::Int},    {"<i2", ScalarType::Short},
    {"|i1", ScalarType::Char},  {"|u1", ScalarType::Byte},   {"|b1", ScalarType::Bool},
    {"<u2", ScalarType::UInt16}, {"<u4", ScalarType::UInt32}, {"<u8", ScalarType::UInt64},
};

struct Npy {
  std::string descr;
  std::vector<int32_t> shape;
  std::vector<uint8_t> bytes;  // the whole file; data starts at `offset`
  size_t offset = 0;
};

// The header dictionary of a .npy file, parsed strictly: a header that lies (a
// dimension that is not a non-negative integer or does not fit int32, a shape whose
// bytes differ from the data that follows) is an error naming the field, never a
// guess (atoi read 4294967298 as 2 and "2.0" as 2). Mirrors python/slimtorch/npy.py.
class NpyHeader {
 public:
  explicit NpyHeader(const std::string& h) : h_(h) {}

  // Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 16), }` in any key
  // order; returns "" or the reason.
  std::string parse(Npy* npy) {
    bool seen_descr = false, seen_fortran = false, seen_shape = false;
    skip();
    if (!eat('{')) return "the header is not a dictionary";
    for (;;) {
      skip();
      if (eat('}')) break;
      std::string key;
      if (!quoted(&key)) return "a header key is not a quoted string";
      skip();
      if (!eat(':')) return "header key '" + key + "' has no ':'";
      skip();
      if (key == "descr") {
        if (!quoted(&npy->descr)) return "header 'descr' is not a quoted string";
        seen_descr = true;
      } else if (key == "fortran_order") {
        if (word("True")) return "Fortran-order arrays are not supported (save with np.ascontiguousarray)";
        if (!word("False")) return "header 'fortran_order' is not True or False";
        seen_fortran = true;
      } else if (key == "shape") {
        const std::string err = shape(&npy->shape);
        if (!err.empty()) return err;
        seen_shape = true;
      } else {
        return "unknown header key '" + key + "'";
      }
      skip();
      if (eat(',')) continue;
      skip();
      if (eat('}')) break;
      return "header entry '" + key + "' is not followed by ',' or '}'";
    }
    skip();
    if (pos_ != h_.size()) return "text after the header dictionary";
    if (!seen_descr) return "the header has no 'descr'";
    if (!seen_fortran) return "the header has no 'fortran_order'";
    if (!seen_shape) return "the header has no 'shape'";
    return "";
  }

 private:
  void skip() {
    while (pos_ < h_.size() && (h_[pos_] == ' ' || h_[pos_] == '\n' || h_[pos_] == '\t')) ++pos_;
  }
  bool eat(char c) {
    if (pos_ < h_.size() && h_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool word(const char* w) {
    const size_t n = strlen(w);
    if (h_.compare(pos_, n, w) != 0) return false;
    pos_ += n;
    return true;
  }
  bool quoted(std::string* out) {
    if (pos_ >= h_.size() || (h_[pos_] != '\'' && h_[pos_] != '"')) return false;
    const char q = h_[pos_++];
    const size_t end = h_.find(q, pos_);
    if (end == std::string::npos) return false;
    *out = h_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return true;
  }
  std::string shape(std::vector<int32_t>* dims) {
    if (!eat('(')) return "header 'shape' is not a tuple";
    for (;;) {
      skip();
      if (eat(')')) return "";
      const size_t begin = pos_;
      uint64_t v = 0;
      while (pos_ < h_.size() && h_[pos_] >= '0' && h_[pos_] <= '9') {
        v = v * 10 + static_cast<uint64_t>(h_[pos_] - '0');
        if (v > 0x7FFFFFFFull) {
          size_t end = pos_;
          while (end < h_.size() && h_[end] >= '0' && h_[end] <= '9') ++end;
          return "header 'shape' dimension " + std::to_string(dims->size()) + " is " + h_.substr(begin, end - begin) +
                 ", above the runtime's limit 2147483647";
        }
        ++pos_;
      }
      skip();
      if (pos_ == begin || (pos_ < h_.size() && h_[pos_] != ',' && h_[pos_] != ')')) {
        size_t end = h_.find_first_of(",)", begin);
        if (end == std::string::npos) end = h_.size();
        return "header 'shape' dimension " + std::to_string(dims->size()) + " is '" + h_.substr(begin, end - begin) +
               "', not a non-negative integer";
      }
      if (dims->size() == 16) return "header 'shape' has more than 16 dimensions";
      dims->push_back(static_cast<int32_t>(v));
      skip();
      if (eat(')')) return "";
      if (!eat(',')) return "header 'shape' is not a tuple";
    }
  }

  const std::string& h_;
  size_t pos_ = 0;
};

// Parses a .npy v1.0/2.0 file; returns an empty string or the reason it failed.
std::string read_npy(const char* path, Npy* npy) {
  if (!read_file(path, &npy->bytes)) return std::string("cannot read ") + path;
  const std::vector<uint8_t>& b = npy->bytes;
  if (b.size() < 10 || memcmp(b.data(), "\x93NUMPY", 6) != 0) return std::string(path) + " is not a .npy file";
  size_t hlen, hstart;
  if (b[6] == 1) {
    hlen = b[8] | (b[9] << 8);
    hstart = 10;
  } else if (b[6] == 2 || b[6] == 3) {
    if (b.size() < 12) return std::string(path) + ": truncated header";
    hlen = b[8] | (b[9] << 8) | (b[10] << 16) | (static_cast<size_t>(b[11]) << 24);
    hstart = 12;
  } else {
    return std::string(path) + ": .npy format version " + std::to_string(b[6]) + " is not supported";
  }
  if (hstart + hlen > b.size()) return std::string(path) + ": truncated header";
  const std::string h(reinterpret_cast<const char*>(b.data() + hstart), hlen);
  std::string err = NpyHeader(h).parse(npy);
  if (!err.empty()) return std::string(path) + ": " + err;
  npy->offset = hstart + hlen;
  size_t esize = 0;
  for (const NpyDtype& d : kNpyDtypes) {
    if (npy->descr == d.descr) esize = slimtorch::element_size(d.type);
  }
  if (esize == 0) {
    return std::string(path) + ": header 'descr' '" + npy->descr +
           "' is not a dtype the runtime takes (little-endian bool, integer or float)";
  }
  uint64_t need = esize;
  for (int32_t d : npy->shape) {
    need *= static_cast<uint64_t>(d);
    if (need > 0xFFFFFFFFull) return std::string(path) + ": header 'shape' needs more than 4 GiB of data";
  }
  const size_t have = b.size() - npy->offset;
  if (need != have) {
    return std::string(path) + ": header 'shape' of 'descr' '" + npy->descr + "' needs " + std::to_string(need) +
           " data bytes, the file holds " + std::to_string(have) + " (truncated or edited file?)";
  }
  return "";
}

bool write_npy(const std::string& path, const slimtorch::Tensor& t) {
  const char* descr = nullptr;
  for (const NpyDtype& d : kNpyDtypes) {
    if (d.type == t.dtype) descr = d.descr;
  }
  if (descr == nullptr) return false;
  std::string shape = "(";
  for (uint8_t d = 0; d < t.dim; ++d) shape += std::to_string(t.sizes[d]) + (t.dim == 1 ? "," : d + 1 < t.dim ? ", " : "");
  shape += ")";
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  FILE* f = fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const uint8_t pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<uint8_t>(header.size() & 0xFF),
                           static_cast<uint8_t>(header.size() >> 8)};
  // Elements in logical (row-major) order, whatever the tensor's dim order.
  const size_t es = slimtorch::element_size(t.dtype);
  std::vector<uint8_t> data(t.nbytes());
  for (uint32_t k = 0; k < t.numel; ++k) {
    memcpy(data.data() + k * es, static_cast<const uint8_t*>(t.data) + slimtorch_app::memory_index(t, k) * es, es);
  }
  bool ok = fwrite(pre, 1, 10, f) == 10 && fwrite(header.data(), 1, header.size(), f) == header.size() &&
            fwrite(data.data(), 1, data.size(), f) == data.size();
  ok = fclose(f) == 0 && ok;
  return ok;
}

// Median of `samples` in microseconds (sorts them).
double median_us(std::vector<double>* samples) {
  std::sort(samples->begin(), samples->end());
  const size_t n = samples->size();
  return n % 2 == 1 ? (*samples)[n / 2] : 0.5 * ((*samples)[n / 2 - 1] + (*samples)[n / 2]);
}

double now_us() {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void print_figure(const char* name, double us) { printf("%s %.3f\n", name, us); }

int fail(Error e) {
  slimtorch_app::print_error(e, write_stdout);
  return 1;
}

#ifdef SLIMTORCH_RUNNER_BUNDLED
// pte_runner MODEL.bpte: every test case of every suite, each suite's method with
// planned buffers sized from the program. `bytes` is the 16-byte aligned bundle.
// Returns the exit status: 0 all passed, 1 a mismatch or an error.
int run_bundle_file(const uint8_t* bytes, size_t size, const slimtorch::BundledTolerance& tolerance) {
  slimtorch::Result<slimtorch::BundledProgram> bundle =
      slimtorch::BundledProgram::load(slimtorch::Span<const uint8_t>(bytes, size));
  if (!bundle.ok()) return fail(bundle.error());
  const slimtorch::BundledProgram& bp = bundle.get();
  slimtorch::Result<slimtorch::Program> loaded = slimtorch::Program::load(bp.program());
  if (!loaded.ok()) return fail(loaded.error());
  const slimtorch::Program& program = loaded.get();
  slimtorch_app::BundledTally tally;
  for (size_t s = 0; s < bp.num_suites(); ++s) {
    slimtorch::Result<size_t> plan = program.method_index(bp.method_name(s));
    if (!plan.ok()) {
      printf("error: the bundle tests method '%s', which its program does not have\n", bp.method_name(s));
      return 1;
    }
    std::vector<Block> blocks;
    std::vector<slimtorch::Span<uint8_t>> planned;
    for (size_t id = 1; id <= program.num_memory_ids(plan.get()); ++id) {
      blocks.emplace_back(static_cast<size_t>(program.planned_buffer_size(plan.get(), id)));
    }
    for (Block& b : blocks) planned.emplace_back(b.data, b.size);
    slimtorch::Result<size_t> need = slimtorch::Method::bookkeeping_bytes_needed(program, plan.get());
    if (!need.ok()) return fail(need.error());
    Block arena(need.get() + (64 << 10));  // + room for delegate backends
    const slimtorch::MemoryConfig memory{slimtorch::Span<slimtorch::Span<uint8_t>>(planned.data(), planned.size()),
                                         slimtorch::Span<uint8_t>(arena.data, arena.size)};
    const Error e =
        slimtorch_app::run_bundled_suite(bp, s, program, plan.get(), memory, tolerance, write_stdout, &tally);
    if (e != Error::Ok) return fail(e);
  }
  return slimtorch_app::print_bundled_summary(tally, tolerance, write_stdout) ? 0 : 1;
}

// A tolerance flag's value: a finite number >= 0.
bool parse_tolerance(const char* text, double* out) {
  char* end = nullptr;
  const double v = strtod(text, &end);
  if (end == text || *end != '\0' || !(v >= 0) || v > 1e300) return false;
  *out = v;
  return true;
}
#endif

#if SLIMTORCH_PROFILING
// --etdump: the tracer and its buffer, live from before Method::init to the end.
struct Etdump {
  std::string path;  // empty: not asked for
  size_t bytes = 1 << 20;
  std::vector<uint8_t> buffer;
  std::unique_ptr<slimtorch::EventTracer> tracer;
};

// Parses --etdump / --etdump-bytes at argv[*i]; "" when handled, else the usage error
// (nullptr when argv[*i] is not one of them).
const char* parse_etdump_arg(int argc, char** argv, int* i, Etdump* etdump) {
  const std::string a = argv[*i];
  if (a != "--etdump" && a != "--etdump-bytes") return nullptr;
  if (*i + 1 >= argc) return a == "--etdump" ? "--etdump needs a file" : "--etdump-bytes needs a value";
  const char* v = argv[++*i];
  if (a == "--etdump") {
    etdump->path = user_path(v);
    return "";
  }
  char* end = nullptr;
  const long long n = strtoll(v, &end, 10);
  if (end == v || *end != '\0' || n < 256 || n > (1LL << 32)) return "--etdump-bytes needs a whole number from 256 to 4294967296";
  etdump->bytes = static_cast<size_t>(n);
  return "";
}

// Finishes the ETDump and writes it; prints `etdump FILE: N events, B bytes`.
// Returns 0, or 1 after printing the error (a full buffer: the file holds the events
// that fitted).
int write_etdump(Etdump* etdump) {
  slimtorch::Span<const uint8_t> bytes;
  const Error e = etdump->tracer->finish(&bytes);
  if (bytes.size > 0) {
    FILE* f = fopen(etdump->path.c_str(), "wb");
    bool ok = f != nullptr && fwrite(bytes.data, 1, bytes.size, f) == bytes.size;
    ok = f != nullptr && fclose(f) == 0 && ok;
    if (!ok) {
      printf("error: --etdump: cannot write %s: %s\n", etdump->path.c_str(), strerror(errno));
      return 1;
    }
    printf("etdump %s: %u events, %zu bytes\n", etdump->path.c_str(), etdump->tracer->num_events(), bytes.size);
  }
  return e == Error::Ok ? 0 : fail(e);
}
#endif

}  // namespace

int main(int argc, char** argv) {
  std::string program_file;  // empty: the embedded program
  const char* program_path = nullptr;
  std::string output_dir;  // empty: no output files
  std::vector<std::string> input_files;
  std::vector<const char*> input_paths;
#ifndef SLIMTORCH_ITERATIONS
#define SLIMTORCH_ITERATIONS 1  // an image built for a stateful test case runs several times
#endif
  long iterations = SLIMTORCH_ITERATIONS;
  bool timing = false;  // --iterations given: print the phase medians too
#ifdef SLIMTORCH_RUNNER_BUNDLED
  slimtorch::BundledTolerance tolerance;
  bool tolerance_given = false;
#endif
#if SLIMTORCH_PROFILING
  Etdump etdump;
#endif
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
#if SLIMTORCH_PROFILING
    if (const char* err = parse_etdump_arg(argc, argv, &i, &etdump)) {
      if (err[0] != '\0') return usage_error(err);
      continue;
    }
#endif
    if (a == "--help" || a == "-h") {
      printf("usage: %s%s", program_name(argv[0]), kHelp);
      return 0;
    } else if (a == "--iterations") {
      if (i + 1 >= argc) return usage_error("--iterations needs a value");
      char* end = nullptr;
      iterations = strtol(argv[++i], &end, 10);
      timing = true;
      if (end == argv[i] || *end != '\0' || iterations < 1 || iterations > 100000000) {
        return usage_error("--iterations needs a whole number from 1 to 100000000");
      }
#ifdef SLIMTORCH_RUNNER_XNNPACK
    } else if (a == "--threads") {
      if (i + 1 >= argc) return usage_error("--threads needs a value");
      char* end = nullptr;
      const long threads = strtol(argv[++i], &end, 10);
      if (end == argv[i] || *end != '\0' || threads < 1 || threads > 1024) {
        return usage_error("--threads needs a whole number from 1 to 1024");
      }
      slimtorch::xnnpack::set_num_threads(static_cast<size_t>(threads));  // before Method::init
#endif
#ifdef SLIMTORCH_RUNNER_BUNDLED
    } else if (a == "--rtol" || a == "--atol") {
      if (i + 1 >= argc) return usage_error((a + " needs a value").c_str());
      if (!parse_tolerance(argv[++i], a == "--rtol" ? &tolerance.rtol : &tolerance.atol)) {
        return usage_error((a + " needs a number >= 0, e.g. 1e-4").c_str());
      }
      tolerance_given = true;
#endif
    } else if (a == "--input" || a == "--output-dir") {
      if (i + 1 >= argc) return usage_error((a + " needs a value").c_str());
      ++i;
      (a == "--input" ? input_files.push_back(user_path(argv[i])) : void(output_dir = user_path(argv[i])));
    } else if (a.size() > 1 && a[0] == '-') {
      return usage_error(("unknown option " + a).c_str());
    } else if (program_file.empty()) {
      program_file = user_path(argv[i]);
    } else {
      return usage_error("more than one program given");
    }
  }
  if (!program_file.empty()) program_path = program_file.c_str();
  for (const std::string& f : input_files) input_paths.push_back(f.c_str());
  if (program_path == nullptr && !input_paths.empty()) return usage_error("--input needs a PROGRAM.pte");
  if (!output_dir.empty()) {
    // Before the run, so that a bad directory costs no execution.
    const std::string err = make_dirs(output_dir);
    if (!err.empty()) {
      printf("error: --output-dir: %s\n", err.c_str());
      return 1;
    }
  }

  // Program bytes: the file, or the image's embedded program.
  std::vector<uint8_t> file;
  const uint8_t* program_bytes = slimtorch_app::kProgram;
  size_t program_size = slimtorch_app::kProgramSize;
  if (program_path != nullptr) {
    if (!read_file(program_path, &file)) {
      printf("error: cannot read program file %s\n", program_path);
      return 1;
    }
    program_size = file.size();
  } else if (program_size == 0) {
    return usage_error("this binary embeds no program: pass PROGRAM.pte");
  }
  Block program_block(program_size);  // 16-byte aligned copy: constants are read in place
  memcpy(program_block.data, program_path != nullptr ? file.data() : program_bytes, program_size);
#ifdef SLIMTORCH_RUNNER_BUNDLED
  if (slimtorch::BundledProgram::is_bundled(slimtorch::Span<const uint8_t>(program_block.data, program_size))) {
    if (!input_paths.empty() || !output_dir.empty() || timing) {
      return usage_error("a bundled program (.bpte) carries its inputs: drop --input, --output-dir and --iterations");
    }
#if SLIMTORCH_PROFILING
    if (!etdump.path.empty()) {  // the test cases run on methods of their own: not traced yet
      return usage_error("--etdump is not supported with a bundled program (.bpte): profile its .pte");
    }
#endif
    return run_bundle_file(program_block.data, program_size, tolerance);
  }
  if (tolerance_given) return usage_error("--rtol and --atol apply to bundled programs (.bpte) only");
#endif
  slimtorch::Result<slimtorch::Program> loaded =
      slimtorch::Program::load(slimtorch::Span<const uint8_t>(program_block.data, program_size));
  if (!loaded.ok()) return fail(loaded.error());
  const slimtorch::Program& program = loaded.get();

  // Planned buffers: the embedded ones, or sized from the program.
  std::vector<Block> planned_blocks;
  std::vector<slimtorch::Span<uint8_t>> planned;
  if (program_path == nullptr) {
    for (size_t i = 0; i < slimtorch_app::kNumPlannedBuffers; ++i) {
      planned.emplace_back(slimtorch_app::kPlannedBuffers[i].data, slimtorch_app::kPlannedBuffers[i].size);
    }
  } else {
    for (size_t id = 1; id <= program.num_memory_ids(0); ++id) {
      planned_blocks.emplace_back(static_cast<size_t>(program.planned_buffer_size(0, id)));
    }
    for (Block& b : planned_blocks) planned.emplace_back(b.data, b.size);
  }
  if (program.num_methods() == 0) {
    printf("error: the program has no methods\n");
    return 1;
  }
  slimtorch::Result<size_t> need = slimtorch::Method::bookkeeping_bytes_needed(program, 0);
  if (!need.ok()) return fail(need.error());
  Block arena(need.get() + (64 << 10));  // + room for delegate backends

  // Inputs.
  std::vector<Npy> npys(input_paths.size());
  std::vector<slimtorch_app::RunInput> inputs;
  if (program_path == nullptr) {
    for (size_t i = 0; i < slimtorch_app::kNumInputs; ++i) {
      inputs.push_back({slimtorch_app::kInputs[i].data, slimtorch_app::kInputs[i].nbytes, slimtorch_app::kInputs[i].shape,
                        slimtorch_app::kInputs[i].ndim});
    }
  }
  for (size_t i = 0; i < input_paths.size(); ++i) {
    const std::string err = read_npy(input_paths[i], &npys[i]);
    if (!err.empty()) {
      printf("error: input %zu: %s\n", i, err.c_str());
      return 1;
    }
    const Npy& n = npys[i];
    inputs.push_back({n.bytes.data() + n.offset, n.bytes.size() - n.offset, n.shape.data(), n.shape.size()});
  }

  slimtorch_app::RunRequest request;
  request.inputs = inputs.data();
  request.num_inputs = inputs.size();
  request.planned = slimtorch::Span<slimtorch::Span<uint8_t>>(planned.data(), planned.size());
  request.arena = slimtorch::Span<uint8_t>(arena.data, arena.size);
  request.iterations = static_cast<uint32_t>(iterations);
  slimtorch::Method method;
  // Check .npy dtypes against the method's inputs before running (after init).
  slimtorch::MemoryConfig probe_memory{request.planned, request.arena};
  Error e = method.init(program, 0, probe_memory);
  if (e != Error::Ok) return fail(e);
  for (size_t i = 0; i < npys.size() && i < method.num_inputs(); ++i) {
    if (!method.input(i).is_tensor()) continue;
    const ScalarType want = method.input(i).to_tensor().dtype;
    const char* want_descr = "?";
    for (const NpyDtype& d : kNpyDtypes) {
      if (d.type == want) want_descr = d.descr;
    }
    if (npys[i].descr != want_descr) {
      printf("error: input %zu: .npy dtype %s, but the program expects %s (%s)\n", i, npys[i].descr.c_str(),
             slimtorch::scalar_type_name(want), want_descr);
      return 1;
    }
  }
  std::vector<double> load_t, init_t;
  if (timing) {
    // Load and init, each repeated on its own and timed one repetition at a
    // time; they redo what the probe above did (same bytes, same buffers). The
    // executions are timed by run_method below, on the method it initialises.
    const slimtorch::Span<const uint8_t> bytes(program_block.data, program_size);
    for (long k = 0; k < iterations; ++k) {
      const double t0 = now_us();
      slimtorch::Result<slimtorch::Program> again = slimtorch::Program::load(bytes);
      const double t1 = now_us();
      if (!again.ok()) return fail(again.error());
      load_t.push_back(t1 - t0);
    }
    for (long k = 0; k < iterations; ++k) {
      slimtorch::Method m;  // shares the arena with `method`, re-initialised below
      const double t0 = now_us();
      e = m.init(program, 0, probe_memory);
      const double t1 = now_us();
      if (e != Error::Ok) return fail(e);
      init_t.push_back(t1 - t0);
    }
  }
  std::vector<uint64_t> exec_ns(timing ? static_cast<size_t>(iterations) : 0);
  request.exec_ns = timing ? exec_ns.data() : nullptr;
#if SLIMTORCH_PROFILING
  if (!etdump.path.empty()) {  // only the run below is recorded (its init and executions)
    etdump.buffer.resize(etdump.bytes);
    etdump.tracer.reset(new slimtorch::EventTracer(slimtorch::Span<uint8_t>(etdump.buffer.data(), etdump.buffer.size())));
    method.set_event_tracer(etdump.tracer.get());
  }
#endif
  e = slimtorch_app::run_method(program, request, &method);  // fresh init, N executions
#if SLIMTORCH_PROFILING
  if (!etdump.path.empty()) {
    method.set_event_tracer(nullptr);
    const int status = write_etdump(&etdump);  // a failed run's events too
    if (e == Error::Ok && status != 0) return status;
  }
#endif
  if (e != Error::Ok) return fail(e);
  slimtorch_app::print_outputs(method, write_stdout);
  if (timing) {
    std::vector<double> run_t;
    for (uint64_t ns : exec_ns) run_t.push_back(static_cast<double>(ns) / 1000.0);
    print_figure("load_us", median_us(&load_t));
    print_figure("init_us", median_us(&init_t));
    print_figure("latency_us median", median_us(&run_t));
    printf("bookkeeping_bytes %zu\n", need.get());
  }
  if (!output_dir.empty()) {
    for (size_t i = 0; i < method.num_outputs(); ++i) {
      const std::string path = output_dir + "/output" + std::to_string(i) + ".npy";
      if (!method.output(i).is_tensor() || !write_npy(path, method.output(i).to_tensor())) {
        printf("error: cannot write %s (non-tensor output, unsupported dtype, or unwritable directory)\n", path.c_str());
        return 1;
      }
    }
  }
  return 0;
}
