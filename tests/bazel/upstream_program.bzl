"""upstream_program: a model file exported by upstream ExecuTorch (test-only).

Makes `<program>` (a .pte written by executorch 1.5.1's exporter) and a
directory `<name>_io` with input<i>.npy / expected<i>.npy, so slimtorch's
runners can be tested on programs slimtorch did not write. `xnnpack = True`:
lowered with upstream's XnnpackPartitioner (delegates to XnnpackBackend).
"""

def _upstream_program_impl(ctx):
    io_dir = ctx.actions.declare_directory(ctx.label.name + "_io")
    ctx.actions.run_shell(
        command = """set -eu
export HOME="$(mktemp -d)"
trap 'rm -rf "$HOME"' EXIT
{python} {script} {model} -o {program} --io-dir {io_dir} {xnnpack} 2>"$HOME/log" || {{ cat "$HOME/log" >&2; exit 1; }}
""".format(
            python = ctx.executable._python.path,
            script = ctx.file._script.path,
            model = ctx.file.src.path,
            program = ctx.outputs.program.path,
            io_dir = io_dir.path,
            xnnpack = "--xnnpack" if ctx.attr.xnnpack else "",
        ),
        inputs = [ctx.file.src, ctx.file._script],
        outputs = [ctx.outputs.program, io_dir],
        tools = [ctx.attr._python[DefaultInfo].files_to_run],
        mnemonic = "UpstreamExport",
        progress_message = "Exporting {} with upstream ExecuTorch".format(ctx.file.src.short_path),
        use_default_shell_env = True,
    )
    return [
        DefaultInfo(files = depset([ctx.outputs.program, io_dir])),
        OutputGroupInfo(io = depset([io_dir])),
    ]

upstream_program = rule(
    implementation = _upstream_program_impl,
    attrs = {
        "program": attr.output(mandatory = True),
        "src": attr.label(mandatory = True, allow_single_file = [".py"]),
        "xnnpack": attr.bool(default = False, doc = "lower with upstream's XnnpackPartitioner"),
        "_python": attr.label(
            default = Label("@slimtorch_python//:python"),
            executable = True,
            cfg = "exec",
        ),
        "_script": attr.label(default = Label("//tests/bazel:upstream_export.py"), allow_single_file = True),
    },
)
