#!/bin/bash
# Usage: selective_link_test.sh IMAGE_WITH_OP IMAGE_WITHOUT_OP [NM]
# The image whose model calls my_ops::my_op.out links the user's kernel my_device::my_op_out
# or its generated adapter (both, unless link-time optimisation inlined the kernel); the image
# of a model that does not call it links neither, although both were given the same custom_ops
# and custom_kernels (tests/custom_op/BUILD.bazel). NM: /usr/bin/nm (host images, the
# default) or /usr/bin/arm-none-eabi-nm (Cortex-M55 firmware).
set -u
with="$1"
without="$2"
nm="${3:-/usr/bin/nm}"
status=0
for image in "$with" "$without"; do
  # An image nm cannot read would pass the "links neither" check: refuse it first.
  "$nm" "$image" >/dev/null || { echo "FAIL: $nm cannot read $image" >&2; exit 1; }
done
symbols() { "$nm" -C "$1" | grep -E 'my_device::my_op_out|my_ops_my_op_out_adapter'; }
if ! symbols "$with" >/dev/null; then
  echo "FAIL: $with links neither my_device::my_op_out nor its adapter" >&2
  status=1
else
  echo "ok: $with links:"
  symbols "$with"
fi
if symbols "$without" >/dev/null; then
  echo "FAIL: $without links the custom op although its model does not call it:" >&2
  symbols "$without" >&2
  status=1
else
  echo "ok: $without links neither my_device::my_op_out nor its adapter"
fi
exit "$status"
