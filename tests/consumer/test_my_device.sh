#!/usr/bin/env bash
# Builds and tests examples/my_device as a consumer would: from a copy OUTSIDE the
# slimtorch tree (so no label can resolve to slimtorch by accident), with its own
# Bazel output base, `bazel test //...` there: the host runner and the Cortex-M55
# firmware on QEMU, both against PyTorch eager.
#
#   tests/consumer/test_my_device.sh          (run by `make test`: scripts/test.sh)
#
# The copy's WORKSPACE and .bazelrc point back at this checkout by absolute path;
# everything else is the example as committed. The copy and the output base stay
# at a fixed place per checkout ($SLIMTORCH_CONSUMER_DIR, default under
# ${TMPDIR:-/tmp}), so a second run is warm; the disk cache of ~/.bazelrc (when it
# sets one) is shared with slimtorch's own builds. The interpreter is slimtorch's
# .venv through the fallback of tools/python.bzl (the copy has no .venv), unless
# SLIMTORCH_PYTHON says otherwise. The Bazel server is shut down at the end.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
example="$root/examples/my_device"
key="$(printf '%s' "$root" | cksum | cut -d' ' -f1)"
base="${SLIMTORCH_CONSUMER_DIR:-${TMPDIR:-/tmp}/slimtorch-consumer-$(id -u)-$key}"
work="$base/my_device"
output_base="$base/output_base"

case "$base/" in
  "$root"/*) echo "error: $base is inside the slimtorch tree $root; the test needs a copy outside it" >&2; exit 1 ;;
esac

step() { printf '== consumer test: %s\n' "$*" >&2; }

step "copying $example to $work"
mkdir -p "$work"
# A fresh copy of the example each run (generated bazel-* links excluded).
find "$work" -mindepth 1 -maxdepth 1 ! -name 'bazel-*' -exec rm -rf {} +
(cd "$example" && tar --exclude='./bazel-*' -cf - .) | (cd "$work" && tar -xf -)

step "pointing its WORKSPACE and .bazelrc at $root"
sed -i "s|path = \"../..\"|path = \"$root\"|" "$work/WORKSPACE"
sed -i "s|%workspace%/../../tools/slimtorch.bazelrc|$root/tools/slimtorch.bazelrc|" "$work/.bazelrc"
grep -qF "path = \"$root\"" "$work/WORKSPACE" || { echo "error: could not rewrite the local_repository path in $work/WORKSPACE" >&2; exit 1; }
grep -qF "import $root/tools/slimtorch.bazelrc" "$work/.bazelrc" || { echo "error: could not rewrite the import in $work/.bazelrc" >&2; exit 1; }
if grep -rn '\.\./\.\.' "$work" --include=WORKSPACE --include=.bazelrc --include='*.bazel' --include='*.bzl'; then
  echo "error: the copy still names a path relative to the slimtorch tree (above)" >&2
  exit 1
fi

cd "$work"
status=0
step "bazel test //... in $work (output base $output_base)"
bazel --output_base="$output_base" test //... || status=$?
if [ "$status" -eq 0 ]; then
  # The interpreter lookup's failure message, as a consumer meets it: an interpreter
  # without torch, in the environment (repository rules see the client environment).
  step "SLIMTORCH_PYTHON=/usr/bin/python3 (no torch): the build must stop and say what to do"
  msg="$(SLIMTORCH_PYTHON=/usr/bin/python3 bazel --output_base="$output_base" build --nobuild //... 2>&1)" && {
    echo "FAIL: the build went on with an interpreter that has no torch" >&2; status=1; }
  for want in "cannot import: torch" "Fix:" "pip install" "SLIMTORCH_PYTHON"; do
    grep -qF "$want" <<<"$msg" || {
      printf 'FAIL: the message does not say "%s":\n%s\n' "$want" "$msg" >&2; status=1; }
  done
  [ "$status" -eq 0 ] && echo "PASS: $(grep -m1 -F 'Error in fail' <<<"$msg")"
fi
if [ "$status" -eq 0 ]; then
  # The consumer's own .venv comes before slimtorch's: one without torch must be the
  # one named. (@slimtorch_python is refetched on a new server: shut down first.)
  step "a .venv of the consumer's own (no torch): it must be the interpreter tried first"
  bazel --output_base="$output_base" shutdown || true
  mkdir -p "$work/.venv/bin"
  ln -sf /usr/bin/python3 "$work/.venv/bin/python"
  msg="$(bazel --output_base="$output_base" build --nobuild //... 2>&1)" && {
    echo "FAIL: the build went on with a .venv that has no torch" >&2; status=1; }
  rm -rf "$work/.venv"
  grep -qF "$work/.venv/bin/python (from the workspace's .venv) cannot import: torch" <<<"$msg" || {
    printf 'FAIL: the message does not name the workspace .venv first:\n%s\n' "$msg" >&2; status=1; }
  [ "$status" -eq 0 ] && echo "PASS: $(grep -m1 -F 'Error in fail' <<<"$msg")"
fi
bazel --output_base="$output_base" shutdown || true
if [ "$status" -ne 0 ]; then
  echo "FAIL: the consumer example's tests failed (bazel exit status $status); logs under $output_base" >&2
  exit "$status"
fi
step "PASS: examples/my_device builds and runs on the host and the Cortex-M55 from $work"
