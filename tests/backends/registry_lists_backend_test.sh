#!/bin/bash
# Usage: registry_lists_backend_test.sh REGISTRY.cc
# A generated registry whose manifests list XnnpackBackend selects it exactly once.
set -u
registry="$1"
grep -q '^extern const size_t kNumSelectedBackends = 1;$' "$registry" &&
  [ "$(grep -c '&::slimtorch::xnnpack::kXnnpackBackend,' "$registry")" = 1 ] || {
  echo "FAIL: $registry does not select XnnpackBackend exactly once:" >&2
  grep -n 'Backend' "$registry" >&2
  exit 1
}
echo "ok: $registry selects XnnpackBackend once"
