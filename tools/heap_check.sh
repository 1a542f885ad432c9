#!/bin/bash
# Fails when a firmware image defines or references a heap function.
#
#   heap_check.sh NM FIRMWARE.elf [FIRMWARE.elf ...]
#
# slimtorch images must link without malloc (every byte comes from buffers the
# application passes in). A heap symbol in the image means some code calls
# malloc/free/new/delete, directly or through a library function (newlib's
# printf family on FILE streams, std containers, ...).
set -u
nm="$1"
shift

# C heap, newlib's reentrant variants, the break pointer, and every form of
# C++ operator new/new[]/delete/delete[] (Itanium mangling, any size_t width:
# _Znw/_Zna + j (32-bit), m (64-bit) or y, and _ZdlPv/_ZdaPv, each with any
# further parameters: nothrow_t, align_val_t, sized delete).
pattern='^(malloc|free|realloc|calloc|memalign|aligned_alloc|posix_memalign|reallocarray|valloc|pvalloc|_malloc_r|_free_r|_realloc_r|_calloc_r|_memalign_r|_sbrk|_sbrk_r|sbrk|_Zn[wa][jmy].*|_Zd[la]Pv.*)$'

status=0
for image in "$@"; do
  if [[ ! -f "$image" ]]; then
    echo "error: $image does not exist" >&2
    exit 1
  fi
  if ! symbols="$("$nm" --format=posix "$image")"; then
    echo "error: $nm could not read $image" >&2
    exit 1
  fi
  # posix format: "<name> <type> [<value> <size>]"; U/w/v are references.
  found="$(awk -v pat="$pattern" '$1 ~ pat { print "  " $1 " (" $2 ")" }' <<<"$symbols")"
  if [[ -n "$found" ]]; then
    echo "FAIL: $image uses the heap; these symbols are defined or referenced:" >&2
    echo "$found" >&2
    echo "Find the caller with: $nm -C $image, or link with -Wl,--trace-symbol=<name>;" \
      "replace the call with a buffer the application passes in." >&2
    status=1
  else
    echo "PASS: $image has no heap symbol ($(wc -l <<<"$symbols") symbols checked)"
  fi
done
exit "$status"
