#!/bin/bash
# Usage: selective_link_test.sh IMAGE_WITH_OP IMAGE_WITHOUT_OP (host binaries).
# The image whose model calls my_ops::my_op.out links the user's kernel my_device::my_op_out
# and its generated adapter; the image of a model that does not call it links neither, although
# both were given the same custom_ops and custom_kernels (tests/custom_op/BUILD.bazel).
set -u
with="$1"
without="$2"
nm=/usr/bin/nm
status=0
symbols() { "$nm" -C "$1" | grep -E 'my_device::my_op_out|my_ops_my_op_out_adapter'; }
if ! symbols "$with" >/dev/null; then
  echo "FAIL: $with does not link my_device::my_op_out and its adapter" >&2
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
