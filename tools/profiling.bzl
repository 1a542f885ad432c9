"""profiled_binary: an executable built with the event tracer compiled in.

    profiled_binary(name = "pte_runner", binary = ":pte_runner_bin")

builds `binary` with --//runtime/profiling:enabled (tools/transitions.bzl
`profiling_transition`) and makes `bazel-bin/<pkg>/<name>` a link to it, with
its runfiles, so `bazel build` / `bazel run` / a test's `binary` or `firmware`
attribute (whose own transition, e.g. to the Cortex-M55, composes with this
one) use it like the cc_binary itself. The binary is built in its own
configuration: what it links is compiled a second time, with the tracer hooks.
"""

load("//tools:transitions.bzl", "ALLOWLIST_ATTRS", "profiling_transition")

def _profiled_binary_impl(ctx):
    info = ctx.attr.binary[0][DefaultInfo]
    binary = info.files_to_run.executable
    if binary == None:
        fail("{}: binary must be an executable (a cc_binary)".format(ctx.label))
    out = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.symlink(output = out, target_file = binary, is_executable = True)
    runfiles = ctx.runfiles(files = [out, binary]).merge(info.default_runfiles)
    return [DefaultInfo(executable = out, files = depset([out]), runfiles = runfiles)]

profiled_binary = rule(
    implementation = _profiled_binary_impl,
    executable = True,
    attrs = dict(
        ALLOWLIST_ATTRS,
        binary = attr.label(
            mandatory = True,
            executable = True,
            cfg = profiling_transition,
            doc = "the cc_binary to build with the event tracer",
        ),
    ),
)
