"""slimtorch_dependencies(): everything slimtorch needs, for any WORKSPACE.

A consumer's WORKSPACE (README: "Use slimtorch from your own repository"):

    local_repository(name = "slimtorch", path = "../slimtorch")   # or http_archive
    load("@slimtorch//tools:deps.bzl", "slimtorch_dependencies")
    slimtorch_dependencies()

slimtorch's own WORKSPACE calls it too, so this is the one list. It declares,
without any download (Bazel 4.2.3 offline):

- the stand-ins under third_party/ for the repositories Bazel itself asks for
  (`platforms`, `rules_cc`, `rules_java`, `rules_proto`,
  `remote_coverage_tools`; third_party/README.md says why each);
- `slimtorch_python`, the interpreter the build's Python steps run
  (tools/python.bzl: `python` below, else $SLIMTORCH_PYTHON, the workspace's
  .venv, slimtorch's .venv);
- the Cortex-M55 toolchain (registered).

A repository the WORKSPACE declared before the call is kept (its own
`platforms` or `rules_cc`, say); slimtorch then builds against that one.
"""

load("//tools:python.bzl", "slimtorch_python")

_STAND_INS = ["platforms", "rules_cc", "rules_java", "rules_proto", "remote_coverage_tools"]

def _stand_in_impl(rctx):
    # The stand-in is a directory of slimtorch's repository: find it from a
    # label of this repository, so the same code serves slimtorch as the main
    # repository, as a local_repository and as an http_archive.
    root = rctx.path(Label("//:WORKSPACE")).dirname
    src = root.get_child("third_party").get_child(rctx.attr.directory)
    if not src.exists:
        fail("slimtorch: the stand-in {} is missing (an incomplete slimtorch checkout or archive?)".format(src))
    for child in src.readdir():
        rctx.symlink(child, child.basename)

_stand_in = repository_rule(
    implementation = _stand_in_impl,
    attrs = {"directory": attr.string(mandatory = True, doc = "the directory under third_party/")},
    doc = "A repository made of symlinks to one of slimtorch's third_party/ stand-ins.",
)

def slimtorch_dependencies(python = ""):
    """Declares slimtorch's repositories (unless already declared) and registers its toolchain.

    Args:
      python: the interpreter for the build's Python steps (absolute, or relative to
        the workspace root). Empty: $SLIMTORCH_PYTHON, else <workspace>/.venv/bin/python,
        else slimtorch's own .venv/bin/python. $SLIMTORCH_PYTHON, when set, wins.
    """
    for name in _STAND_INS:
        if not native.existing_rule(name):
            _stand_in(name = name, directory = name)
    if not native.existing_rule("slimtorch_python"):
        slimtorch_python(name = "slimtorch_python", python = python)

    # The cross toolchains (platforms/toolchain: Debian's cross compilers by absolute
    # path); each matches only its --platforms=@slimtorch//platforms:<name>, so the
    # host keeps Bazel's auto-configured gcc.
    native.register_toolchains(str(Label("//platforms/toolchain:all")))
