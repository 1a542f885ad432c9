"""Module extensions for Bzlmod (Bazel 7+, untested here; see MODULE.bazel)."""

load("//tools:python.bzl", "slimtorch_python")

_interpreter = tag_class(attrs = {
    "python": attr.string(doc = "as slimtorch_dependencies(python = ...): absolute, or relative to the main workspace"),
})

def _slimtorch_python_ext_impl(module_ctx):
    # The root module's choice wins; slimtorch's own default is the .venv lookup.
    python = ""
    for mod in module_ctx.modules:
        for tag in mod.tags.interpreter:
            if mod.is_root or not python:
                python = tag.python
    slimtorch_python(name = "slimtorch_python", python = python)

slimtorch_python_ext = module_extension(
    implementation = _slimtorch_python_ext_impl,
    tag_classes = {"interpreter": _interpreter},
)
