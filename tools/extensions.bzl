"""Module extensions for Bzlmod (Bazel 7+, untested here; see MODULE.bazel)."""

load("//tools:python.bzl", "slimtorch_python")

def _slimtorch_python_ext_impl(
        module_ctx):  # @unused
    slimtorch_python(name = "slimtorch_python")

slimtorch_python_ext = module_extension(
    implementation = _slimtorch_python_ext_impl,
)
