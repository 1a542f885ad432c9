#!/usr/bin/env bash
# `make demo [PLATFORM=P]`: models/mlp.py -> program -> host binary and an image for P (default
# arm_m55, the Cortex-M55; any platform of platforms/defs.bzl) -> outputs beside PyTorch's.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
platform="${PLATFORM:-arm_m55}"
if [ "$platform" = host ] || ! grep -q "^    \"$platform\": {" platforms/defs.bzl; then
  echo "demo: PLATFORM=$platform is not an emulated platform; one of:" \
    "$(sed -n 's/^    "\([a-z0-9_]*\)": {$/\1/p' platforms/defs.bzl | grep -v '^host$' | tr '\n' ' ')" >&2
  exit 2
fi

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

# A release build (-c opt): error messages are codes only on bare metal then
# (README, "Error messages on small devices"); development builds carry tokens.
step "bazel build -c opt //app:model_runtime --platforms=//platforms:$platform"
bazel build --noshow_progress -c opt --config="$platform" //app:model_runtime
cp -f "$(built_model_runtime -c opt --config="$platform")" "$out/model_runtime.$platform.elf"

step "run on the host"
"$out/model_runtime.host" | tee "$out/host.txt"

step "run it on $platform's emulator (platforms/defs.bzl)"
PYTHONPATH=python .venv/bin/python -m slimtorch.qemu --platform "$platform" \
  "$out/model_runtime.$platform.elf" | tee "$out/$platform.txt"

step "PyTorch vs host vs $platform, and sizes"
.venv/bin/python scripts/demo_report.py --io-dir "$out/io" \
  --run "host=$out/host.txt" --run "$platform=$out/$platform.txt" \
  --binary "host=$out/model_runtime.host" --binary "$platform=$out/model_runtime.$platform.elf" \
  --program "$out/mlp.pte"
