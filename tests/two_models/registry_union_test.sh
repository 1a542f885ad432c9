#!/bin/bash
# registry_union_test: PYTHON check_registry.py ARGS... (BUILD.bazel).
python="$1"
shift
exec "$python" "$@"
