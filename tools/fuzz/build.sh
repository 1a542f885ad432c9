#!/usr/bin/env bash
# Builds the fuzz targets (clang 14, ASan + UBSan + libFuzzer) into build/fuzz/:
#   build/fuzz/fuzz_program   libFuzzer target (tools/fuzz/fuzz_program.cc)
#   build/fuzz/bitflip        bit-flip sweep driver (tools/fuzz/bitflip_main.cc)
# Needs Debian's clang and libclang-rt-14-dev (scripts/setup.sh installs them).
# Incremental: a second run with nothing changed does nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v clang++-14 >/dev/null || { echo "build.sh: clang++-14 not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
exec make -s -f tools/fuzz/Makefile -j"${JOBS:-2}" "$@"
