"""A boolean command-line build setting (Bazel 4.2.3 has no bool_flag without
bazel-skylib): `--//runtime/profiling:enabled`."""

def _bool_flag_impl(
        ctx):  # @unused
    return []

bool_flag = rule(
    implementation = _bool_flag_impl,
    build_setting = config.bool(flag = True),
)
