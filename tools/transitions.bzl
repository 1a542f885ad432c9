"""Configuration transitions that build firmware inside a host build.

`bazel test //...` runs on the host platform; a test that needs a Cortex-M55
image takes it through `arm_m55_transition`, and one for any other platform
through `platform_transition` (the rule's `platform` attribute names it: a key of
platforms/defs.bzl's PLATFORMS), so one invocation builds host tools and every
platform's images side by side.
"""

load("//platforms:defs.bzl", "PLATFORMS")

# A label string that names slimtorch's platform from any repository
# ("@slimtorch//platforms:arm_m55" when slimtorch is a dependency).
ARM_M55_PLATFORM = str(Label("//platforms:arm_m55"))

def _arm_m55_transition_impl(
        settings,  # @unused
        attr):  # @unused
    return {"//command_line_option:platforms": ARM_M55_PLATFORM}

arm_m55_transition = transition(
    implementation = _arm_m55_transition_impl,
    inputs = [],
    outputs = ["//command_line_option:platforms"],
)

def _platform_transition_impl(
        settings,  # @unused
        attr):
    if attr.platform not in PLATFORMS:
        fail("unknown platform '{}': one of {}".format(attr.platform, ", ".join(sorted(PLATFORMS))))
    return {"//command_line_option:platforms": str(Label("//platforms:" + attr.platform))}

# Builds the attribute for the platform named by the rule's `platform` attribute.
platform_transition = transition(
    implementation = _platform_transition_impl,
    inputs = [],
    outputs = ["//command_line_option:platforms"],
)

# Every rule that uses a Starlark transition needs this attribute.
ALLOWLIST_ATTRS = {
    "_allowlist_function_transition": attr.label(
        default = Label("@bazel_tools//tools/allowlists/function_transition_allowlist"),
    ),
}

# The label of the profiling build setting, from any repository.
PROFILING_FLAG = str(Label("//runtime/profiling:enabled"))

def _profiling_transition_impl(
        settings,  # @unused
        attr):  # @unused
    return {PROFILING_FLAG: True}

# Turns on the event tracer (runtime/profiling/BUILD.bazel) for what it builds.
profiling_transition = transition(
    implementation = _profiling_transition_impl,
    inputs = [],
    outputs = [PROFILING_FLAG],
)
