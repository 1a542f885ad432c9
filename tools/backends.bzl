"""The delegate backends a build can link: `backends = ["xnnpack"]` on the macros of
tools/executorch_model.bzl (executorch_model, pte_model, model_library, kernel_registry).

One table: a name (what `slimtorch export --backend` takes) -> the backend's catalog
(codegen/backend_catalog.py format: the ids, C++ symbols and headers codegen puts into
`kSelectedBackends`) and its cc_library. A registry lists only the backends its manifests
name (`build_features: ["backend:<id>"]`), so a model that delegates nothing links no
backend code even with `backends` set.

Backends are host-only for now (XNNPACK over Debian's libxnnpack): a Cortex-M55 (or any
non-Linux) build of a target with `backends` set fails at analysis with the message below,
not at link time.
"""

BACKENDS = {
    "xnnpack": struct(
        catalog = Label("//backends/xnnpack:backends.yaml"),
        library = Label("//backends/xnnpack:xnnpack"),
    ),
}

_IS_LINUX = str(Label("//tools:is_linux"))

def check_backends(names, where):
    """Fails naming the caller and the known names when one of `names` is not in BACKENDS."""
    for n in names:
        if n not in BACKENDS:
            fail("{}: unknown backend \"{}\" in backends = {}; known: {} (tools/backends.bzl)".format(
                where,
                n,
                names,
                ", ".join(sorted(BACKENDS.keys())),
            ))

def backend_catalogs(names, where):
    """The catalog labels of `names` (each checked; `where` names the caller in errors)."""
    check_backends(names, where)
    return [BACKENDS[n].catalog for n in names]

def backend_libraries(names, where):
    """A select() of the backends' cc_libraries: on Linux hosts only; elsewhere an error."""
    check_backends(names, where)
    if not names:
        return []
    return select(
        {_IS_LINUX: [BACKENDS[n].library for n in names]},
        no_match_error = ("{}: backends = {} are host-only (Linux; XNNPACK is Debian's " +
                          "libxnnpack): build this target for the host, or give the Cortex-M55 " +
                          "image a model without backends").format(where, names),
    )
