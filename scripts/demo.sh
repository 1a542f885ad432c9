#!/usr/bin/env bash
# `make demo`: models/mlp.py -> program -> host binary and Cortex-M55 firmware -> outputs beside PyTorch's.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

out=build/demo
rm -rf "$out" && mkdir -p "$out"
step() { printf '\n== %s\n' "$*" >&2; }
# Where //app:model_runtime lands for the given flags (the output tree of that configuration;
# cquery would also list the copies other targets build through transitions).
built_model_runtime() {
  echo "$(bazel info "$@" bazel-bin 2>/dev/null)/app/model_runtime"
}

step "export models/mlp.py (torch.export -> core ATen -> out variants -> memory plan -> .pte)"
.venv/bin/slimtorch export models/mlp.py -o "$out/mlp.pte" --manifest "$out/mlp.ops.yaml" --io-dir "$out/io"
.venv/bin/slimtorch inspect "$out/mlp.pte" | tee "$out/inspect.txt"

step "bazel build //app:model_runtime (host)"
bazel build --noshow_progress //app:model_runtime
cp -f "$(built_model_runtime)" "$out/model_runtime.host"

# A release build (-c opt): error messages are codes only on the Cortex-M55 then
# (README, "Error messages on small devices"); development builds carry tokens.
step "bazel build -c opt //app:model_runtime --platforms=//platforms:arm_m55"
bazel build --noshow_progress -c opt --config=arm_m55 //app:model_runtime
cp -f "$(built_model_runtime -c opt --config=arm_m55)" "$out/model_runtime.arm_m55.elf"

step "run on the host"
"$out/model_runtime.host" | tee "$out/host.txt"

step "run the firmware on qemu-system-arm -M mps3-an547 (Cortex-M55)"
# QEMU writes the firmware's semihosting output (SYS_WRITE0) to its stderr.
timeout 60 qemu-system-arm -M mps3-an547 -nographic -semihosting-config enable=on,target=native \
  -kernel "$out/model_runtime.arm_m55.elf" 2>&1 | tee "$out/arm_m55.txt"

step "PyTorch vs host vs Cortex-M55, and sizes"
.venv/bin/python scripts/demo_report.py --io-dir "$out/io" \
  --run "host=$out/host.txt" --run "arm_m55=$out/arm_m55.txt" \
  --binary "host=$out/model_runtime.host" --binary "arm_m55=$out/model_runtime.arm_m55.elf" \
  --program "$out/mlp.pte"
