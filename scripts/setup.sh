#!/usr/bin/env bash
# Installs what slimtorch needs on a Debian/Ubuntu machine, and nothing when it is all there.
#
#   scripts/setup.sh          system packages + .venv with torch and slimtorch (enough for `make demo`)
#   scripts/setup.sh --test   the same, plus the test tools (pytest, ruff, upstream executorch 1.5.1)
#                             and the model zoo's libraries (tests/zoo/requirements.txt)
#
# System packages come from apt (as root, or through sudo). The Python environment lives in .venv
# inside the repository (ignored by git); a stamp file records what was installed from which
# pyproject.toml, so a second run costs well under a second.
set -euo pipefail

cd "$(dirname "$0")/.."
want_test=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "setup: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

say() { echo "setup: $*" >&2; }

# --- system packages -------------------------------------------------------
apt_packages=(
  bazel-bootstrap            # Bazel 4.2.3, the newest Debian ships; builds offline in WORKSPACE mode
  bazel-platforms            # @platforms data for Bazel
  gcc-arm-none-eabi          # Cortex-M55/M4/M7/M33 compiler
  libnewlib-arm-none-eabi    # C library for bare-metal Arm
  libstdc++-arm-none-eabi-newlib  # C++ headers (<cstdint>, ...) for bare-metal Arm
  qemu-system-arm            # runs the firmware on the mps3-an547 (M55) and mps2 (M4/M7/M33) boards
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf  # 32-bit RISC-V compiler and C library
  qemu-system-misc           # qemu-system-riscv32: runs the RISC-V firmware on the virt board
  g++-aarch64-linux-gnu      # aarch64 Linux cross compiler (glibc, static programs)
  qemu-user                  # qemu-aarch64: runs the aarch64 Linux programs (user mode)
  g++ python3-venv
  libxnnpack-dev libpthreadpool-dev libcpuinfo-dev  # the XNNPACK delegate backend (host, backends/xnnpack)
  clang libclang-rt-14-dev   # libFuzzer + ASan/UBSan for tools/fuzz (the fuzzer and the bit-flip sweep)
)
missing=()
for p in "${apt_packages[@]}"; do
  [[ "$p" == \#* ]] && continue
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { say "need root or sudo to install: ${missing[*]}"; exit 1; }
    sudo="sudo"
  fi
  say "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Python environment ----------------------------------------------------
python=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  say "creating .venv with $($python --version 2>&1)"
  $python -m venv .venv
fi
extra=""
((want_test)) && extra="[test]"
stamp=".venv/.slimtorch-installed${extra}"
fingerprinted=(pyproject.toml scripts/setup.sh)
# --no-deps requirement files: torchvision, timm, transformers for tests/zoo; tosa-tools for
# upstream's Cortex-M flow (tests/upstream_requirements.txt).
nodeps_requirements=(tests/zoo/requirements.txt tests/upstream_requirements.txt)
((want_test)) && fingerprinted+=("${nodeps_requirements[@]}")
fingerprint=$(cat "${fingerprinted[@]}" | sha256sum | cut -d' ' -f1)
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$fingerprint" ]]; then
  say "installing Python packages into .venv (torch==2.13.0 CPU${extra:+, test tools})"
  # torch is pinned: that release's CPU wheel is what the project is tested with; a looser
  # requirement would pull a multi-GB CUDA build.
  # (pip.conf on some machines names local indexes that may be absent: drop those warnings.)
  .venv/bin/python -m pip install -q --disable-pip-version-check "torch==2.13.0" -e ".${extra}" \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  if ((want_test)); then
    # --no-deps: exact pins, and nothing of these may move torch, numpy or executorch.
    for r in "${nodeps_requirements[@]}"; do
      say "installing $r (--no-deps)"
      .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps \
        -r "$r" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
    done
  fi
  echo "$fingerprint" > "$stamp"
fi
