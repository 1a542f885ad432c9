#!/bin/bash
# Usage: backend_link_test.sh NM --with IMAGE... --without IMAGE...
# Selective build of delegate backends (issue 15 part 3): each --with image links XNNPACK
# backend code (symbols matching xnn_ or xnnpack, case-insensitive: the backend's own and
# Debian's libXNNPACK entry points it calls); each --without image links none of it. NM:
# /usr/bin/nm for host images, /usr/bin/arm-none-eabi-nm for Cortex-M55 firmware.
set -u
nm="$1"
shift
mode=""
status=0
symbols() { "$nm" -C "$1" | grep -iE 'xnn_|xnnpack'; }
for arg in "$@"; do
  case "$arg" in
    --with | --without) mode="$arg"; continue ;;
  esac
  # An image nm cannot read would pass the "links none" check: refuse it first.
  "$nm" "$arg" >/dev/null || { echo "FAIL: $nm cannot read $arg" >&2; exit 1; }
  if [ "$mode" = "--with" ]; then
    if symbols "$arg" >/dev/null; then
      echo "ok: $arg links $(symbols "$arg" | wc -l) XNNPACK symbols, e.g.:"
      symbols "$arg" | head -3
    else
      echo "FAIL: $arg links no XNNPACK backend code" >&2
      status=1
    fi
  elif [ "$mode" = "--without" ]; then
    if symbols "$arg" >/dev/null; then
      echo "FAIL: $arg links XNNPACK code although its program delegates nothing:" >&2
      symbols "$arg" | head -10 >&2
      status=1
    else
      echo "ok: $arg links no XNNPACK code"
    fi
  else
    echo "usage: $0 NM --with IMAGE... --without IMAGE..." >&2
    exit 2
  fi
done
exit "$status"
