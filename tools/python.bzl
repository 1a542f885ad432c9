"""Repository rule that finds the Python interpreter slimtorch's build actions run.

Bazel actions inherit the client's PATH, but the `python3` found there is not
the interpreter that has torch. This rule resolves the interpreter once, when
the repository is fetched, trying in order:

  1. $SLIMTORCH_PYTHON, when set (a python executable; the person building
     chooses, so it beats what a WORKSPACE says);
  2. the `python` attribute (`slimtorch_dependencies(python = "...")` in a
     consumer's WORKSPACE: an absolute path, or one relative to that
     workspace's root);
  3. the main workspace's `.venv/bin/python` (a consumer's own environment,
     or slimtorch's when slimtorch is built on its own);
  4. slimtorch's own `.venv/bin/python` (made by `make test` or
     `scripts/setup.sh` in the slimtorch checkout), when slimtorch is a
     dependency.

The first that exists is checked: it must import torch, yaml, numpy and flatbuffers, else
the build fails naming the paths tried, the missing module and the fix. It
generates `@slimtorch_python//:python`, a shell wrapper that execs the
interpreter (so it works from genrules and test scripts, sandboxed or not).

The wrapper is an input of every Python action, so its text is part of their
cache keys (README "Shared build cache and remote execution"). It names what the
outputs depend on (the versions of Python, torch, torchao, numpy, flatbuffers,
yaml) and not where the interpreter is: the absolute path, which differs between
checkouts and machines, is in the file `interpreter` next to it, which the
wrapper reads at run time and which is no declared input. Two clones with their
own .venv of the same versions then share cache entries; a different torch
changes the keys. On a remote-execution worker (no `interpreter` file: inputs
are copied, not linked) it runs $SLIMTORCH_PYTHON of the worker, else python3.

The repository is re-fetched when SLIMTORCH_PYTHON changes.
"""

_REQUIRED_MODULES = ["torch", "yaml", "numpy", "flatbuffers"]

# Distributions whose versions the wrapper records (torchao: the int8 flow; absent is "-").
_VERSIONED_PACKAGES = ["torch", "torchao", "numpy", "flatbuffers", "PyYAML"]

_VERSIONS_SCRIPT = """
import importlib.metadata as md, platform, sys
def version(name):
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return "-"
print(" ".join(["python " + platform.python_version()] + [n + " " + version(n) for n in sys.argv[1:]]))
""".strip()

# What a new environment needs (README: "Use slimtorch from your own repository").
_PIP_HINT = "python3 -m venv .venv && .venv/bin/pip install torch==2.13.0 pyyaml numpy flatbuffers"

def _venv_python(root):
    return root.get_child(".venv").get_child("bin").get_child("python")

def _candidates(rctx):
    """[(path, origin)] in the order tried; a missing SLIMTORCH_PYTHON/python is an error."""
    from_env = rctx.os.environ.get("SLIMTORCH_PYTHON", "")
    if from_env:
        path = rctx.path(from_env)
        if not path.exists:
            fail("slimtorch: SLIMTORCH_PYTHON={} does not exist; point it at a python executable, or unset it to use the workspace's .venv/bin/python".format(from_env))
        return [(path, "$SLIMTORCH_PYTHON")]

    # A file of the main repository (the consumer's, or slimtorch's when it is
    # the main repository) gives the main workspace's root; a file of this
    # repository gives slimtorch's root (under external/ when it is a dependency).
    main_root = rctx.path(Label("@//:WORKSPACE")).dirname
    if rctx.attr.python:
        path = rctx.path(rctx.attr.python) if rctx.attr.python.startswith("/") else main_root.get_child(rctx.attr.python)
        if not path.exists:
            fail("slimtorch: slimtorch_dependencies(python = \"{}\"): {} does not exist".format(rctx.attr.python, path))
        return [(path, "slimtorch_dependencies(python = ...)")]
    slimtorch_root = rctx.path(Label("//:WORKSPACE")).dirname
    found = [(_venv_python(main_root), "the workspace's .venv")]
    if str(slimtorch_root) != str(main_root):
        found.append((_venv_python(slimtorch_root), "slimtorch's .venv"))
    return found

def _slimtorch_python_impl(rctx):
    tried = _candidates(rctx)
    existing = [(p, origin) for p, origin in tried if p.exists]
    if not existing:
        fail("slimtorch: no Python environment found; tried {}.\nFix: in your workspace run `{}`, or set SLIMTORCH_PYTHON to a python that has {} (e.g. `bazel build --repo_env=SLIMTORCH_PYTHON=/path/to/python ...`).".format(
            ", ".join([str(p) for p, _ in tried]),
            _PIP_HINT,
            ", ".join(_REQUIRED_MODULES),
        ))
    interpreter, origin = existing[0]
    check = rctx.execute(
        [interpreter, "-c", """
import importlib, sys
missing = []
for m in sys.argv[1:]:
    try:
        importlib.import_module(m)
    except ImportError:
        missing.append(m)
if missing:
    sys.exit(" ".join(missing))
""".strip()] + _REQUIRED_MODULES,
        timeout = 120,
    )
    if check.return_code != 0:
        missing = check.stderr.strip()
        fail("slimtorch: the interpreter {} (from {}) cannot import: {}.\nFix: `{} -m pip install {}` (torch as torch==2.13.0), or set SLIMTORCH_PYTHON to a python that has them.\nTried: {}.".format(
            interpreter,
            origin,
            missing,
            interpreter,
            " ".join([{"yaml": "pyyaml"}.get(m, m) for m in missing.split(" ")]),
            ", ".join([str(p) for p, _ in tried]),
        ))

    versions = rctx.execute([interpreter, "-c", _VERSIONS_SCRIPT] + _VERSIONED_PACKAGES, timeout = 120)
    if versions.return_code != 0:
        fail("slimtorch: the interpreter {} (from {}) could not report its package versions: {}".format(interpreter, origin, versions.stderr.strip()))

    # Read at run time, not an input: the checkout's path stays out of the cache keys.
    rctx.file("interpreter", content = str(interpreter) + "\n", executable = False)
    rctx.file(
        "python.sh",
        content = "\n".join([
            "#!/bin/sh",
            "# Generated by @slimtorch//tools:python.bzl: the build's interpreter ({}),".format(origin),
            "# whose absolute path is in ./interpreter (no input: not part of the cache keys).",
            "# What the outputs depend on is (this text is part of every Python action's key):",
            "#   " + versions.stdout.strip(),
            "here=\"$(dirname \"$(readlink -f \"$0\")\")\"",
            "if [ -r \"$here/interpreter\" ]; then",
            "  exec \"$(cat \"$here/interpreter\")\" \"$@\"",
            "fi",
            "# Not in the repository that made it (a remote-execution worker's copy of the inputs).",
            "exec \"${SLIMTORCH_PYTHON:-python3}\" \"$@\"",
            "",
        ]),
        executable = True,
    )
    rctx.file(
        "BUILD.bazel",
        content = "\n".join([
            "# Generated by @slimtorch//tools:python.bzl.",
            "package(default_visibility = [\"//visibility:public\"])",
            "",
            "sh_binary(",
            "    name = \"python\",",
            "    srcs = [\"python.sh\"],",
            ")",
            "",
            "exports_files([\"python.sh\"])",
            "",
        ]),
    )

slimtorch_python = repository_rule(
    implementation = _slimtorch_python_impl,
    attrs = {
        "python": attr.string(doc = "the interpreter: absolute, or relative to the main workspace's root; empty: the .venv lookup"),
    },
    environ = ["SLIMTORCH_PYTHON"],
    local = True,
    doc = "Makes @<name>//:python, a wrapper around the interpreter slimtorch's actions run.",
)
