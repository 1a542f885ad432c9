"""A string command-line build setting with a fixed set of values (Bazel 4.2.3 has
no string_flag of its own without bazel-skylib):
`--//runtime/core:error_messages=auto|text|token|off`."""

def _string_flag_impl(ctx):
    value = ctx.build_setting_value
    if value not in ctx.attr.values:
        fail("--{}={}: expected one of {}".format(ctx.label, value, ", ".join(ctx.attr.values)))
    return []

string_flag = rule(
    implementation = _string_flag_impl,
    build_setting = config.string(flag = True),
    attrs = {"values": attr.string_list(mandatory = True)},
)
