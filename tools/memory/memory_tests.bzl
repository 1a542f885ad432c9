"""Rules for the memory tests (tests/memory):

- `arena_error_stdout`: the exact stdout a static-memory image prints when its
  bookkeeping arena is `shortfall` bytes smaller than its model_sizes.h says,
  computed from that header as built for the host or (arm = True) for
  //platforms:arm_m55, so the test proves the header's figure is exactly what
  the runtime needs on that platform.
- `symbol_region_test`: checks that symbols of a Cortex-M55 image lie in the
  given address ranges (planned buffers in their board regions).
"""

load("//tools:transitions.bzl", "ALLOWLIST_ATTRS", "arm_m55_transition")

def _arena_error_stdout_impl(ctx):
    header = (ctx.files.sizes_arm if ctx.attr.arm else ctx.files.sizes)
    header = [f for f in header if f.basename == "model_sizes.h"]
    if len(header) != 1:
        fail("{}: sizes must provide one model_sizes.h".format(ctx.label))
    ctx.actions.run_shell(
        command = """set -eu
n="$(sed -n 's/^#define SLIMTORCH_BOOKKEEPING_BYTES \\([0-9]*\\)u$/\\1/p' {h})"
[ -n "$n" ] || {{ echo "no SLIMTORCH_BOOKKEEPING_BYTES in {h}" >&2; exit 1; }}
msg="bookkeeping arena too small: need $n bytes, have $((n - {short}))"
# Printed once, by the application (the runtime stores the message, it does not log it).
echo "error: $msg (OutOfMemory)" > {out}
""".format(h = header[0].path, short = ctx.attr.shortfall, out = ctx.outputs.out.path),
        inputs = header,
        outputs = [ctx.outputs.out],
        mnemonic = "ArenaErrorStdout",
    )

arena_error_stdout = rule(
    implementation = _arena_error_stdout_impl,
    attrs = dict(
        arm = attr.bool(default = False),
        out = attr.output(mandatory = True),
        shortfall = attr.int(mandatory = True),
        sizes = attr.label(allow_files = True, doc = "the <model>_sizes/model_sizes.h file (host)"),
        sizes_arm = attr.label(allow_files = True, cfg = arm_m55_transition, doc = "the same, built for arm_m55"),
        **ALLOWLIST_ATTRS
    ),
)

_NM = "/usr/bin/arm-none-eabi-nm"

def _symbol_region_test_impl(ctx):
    image = ctx.attr.firmware[0][DefaultInfo].files_to_run.executable
    checks = []
    for symbol, region in ctx.attr.regions.items():
        lo, hi = region.split(":")
        checks.append("check '{}' {} {}".format(symbol, lo, hi))
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(script, """#!/bin/bash
set -u
syms="$({nm} -C --format=posix {image})" || {{ echo "error: {nm} cannot read {image}" >&2; exit 1; }}
status=0
check() {{
  local addr
  addr="$(awk -v s="$1" '{{ n = $0; sub(/ [A-Za-z] [0-9a-f]+( [0-9a-f]+)?$/, "", n) }}
    n ~ ("(^|::)" s "$") {{ print $(NF - 1); exit }}' <<<"$syms")"
  if [ -z "$addr" ]; then echo "FAIL: symbol $1 not in {image}" >&2; status=1; return; fi
  if (( 16#$addr < $2 || 16#$addr >= $3 )); then
    echo "FAIL: $1 at 0x$addr, outside its region [$2, $3)" >&2; status=1
  else
    echo "PASS: $1 at 0x$addr in [$2, $3)"
  fi
}}
{checks}
exit $status
""".format(nm = _NM, image = image.short_path, checks = "\n".join(checks)), is_executable = True)
    return [DefaultInfo(executable = script, runfiles = ctx.runfiles(files = [image]))]

symbol_region_test = rule(
    implementation = _symbol_region_test_impl,
    test = True,
    attrs = dict(
        firmware = attr.label(mandatory = True, cfg = arm_m55_transition),
        regions = attr.string_dict(mandatory = True, doc = "symbol -> 'lo:hi' (hex, half-open)"),
        **ALLOWLIST_ATTRS
    ),
)
