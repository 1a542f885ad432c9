// The device application: both models of this project in one image (model_library()
// `device_models` in BUILD.bazel), one kernel registry for both. It runs the keyword
// spotter, then the anomaly detector, and prints each model's outputs after a
// `model <name>` line (what the tests compare with each model's PyTorch outputs).
//
// Memory: every byte is static. Programs and inputs are flash; each model's planned
// buffers are its own (generated); each model's bookkeeping arena below is what the build
// measured for it on this platform (device_models.h). Both methods stay loaded side by
// side, so a real application could run them in any order, again and again.
#include <stdint.h>

#include "app/run_model.h"
#include "device_models.h"

#include "app/console.h"

static void write(const char* text) { slimtorch_app::write_text(text); }

namespace {

namespace models = slimtorch_app::models;

alignas(16) uint8_t g_kws_arena[slimtorch_model::kws::kBookkeepingBytes];
alignas(16) uint8_t g_anomaly_arena[slimtorch_model::anomaly::kBookkeepingBytes];

}  // namespace

int main() {
  slimtorch_app::EmbeddedRun kws;  // live until main returns, side by side
  slimtorch_app::EmbeddedRun anomaly;
  const bool ok = slimtorch_app::run_and_print_model(models::kws, {g_kws_arena, sizeof(g_kws_arena)}, &kws, write) &&
                  slimtorch_app::run_and_print_model(models::anomaly, {g_anomaly_arena, sizeof(g_anomaly_arena)},
                                                     &anomaly, write);
  return ok ? 0 : 1;
}
