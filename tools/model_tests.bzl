"""model_tests(): run an exported model on several input sets, on the host and on QEMU.

    load("//tools:model_tests.bzl", "model_tests")

    executorch_model(name = "cond_branches", src = "//models:cond_branches.py")
    model_tests(
        name = "cond_branches",
        model = "cond_branches",
        src = "//models:cond_branches.py",
        cases = 3,        # case 0: example_inputs(); cases 1..: the model file's test_inputs()
        iterations = 1,   # > 1: run the method that many times (state), compare the last outputs
    )

For each case k it makes `<name>_case<k>_io` (`slimtorch io --case k`: inputs and
PyTorch's outputs), an image embedding the model's program with those inputs
(`<name>_case<k>`, built with the model's pruned kernels; the host runner or the
Cortex-M55 firmware depending on the platform), and two tests comparing its outputs with
PyTorch's: `<name>_case<k>_host_test` and `<name>_case<k>_qemu_test`.
"""

load("@rules_cc//cc:defs.bzl", "cc_library")
load("//tools:executorch_model.bzl", "model_image", "slimtorch_embed")
load("//tools:qemu_test.bzl", "host_run_test", "qemu_test")

_PYTHON = Label("@slimtorch_python//:python")

def _cases_io_impl(ctx):
    # One action for every case: torch's import and the model's construction are paid once.
    outs = [ctx.actions.declare_directory("{}_case{}_io".format(ctx.attr.prefix, k)) for k in range(ctx.attr.cases)]
    pythonpath = None
    for f in ctx.files._slimtorch_srcs:
        if f.basename == "__init__.py" and f.dirname.endswith("/slimtorch"):
            pythonpath = f.dirname[:-len("/slimtorch")]
    command = """set -eu
export HOME="$(mktemp -d)"
trap 'rm -rf "$HOME"' EXIT
export XDG_CACHE_HOME="$HOME/.cache" PYTHONDONTWRITEBYTECODE=1
PYTHONPATH={pythonpath} {python} -m slimtorch io {src} --cases {cases} --iterations {iterations} \
  -o {outs} >"$HOME/log" 2>&1 || {{ cat "$HOME/log" >&2; exit 1; }}
""".format(
        pythonpath = pythonpath,
        python = ctx.executable._python.path,
        src = ctx.file.src.path,
        cases = ctx.attr.cases,
        iterations = ctx.attr.iterations,
        outs = " ".join([o.path for o in outs]),
    )
    ctx.actions.run_shell(
        command = command,
        inputs = [ctx.file.src] + ctx.files._slimtorch_srcs + ctx.files.data,
        outputs = outs,
        tools = [ctx.attr._python[DefaultInfo].files_to_run],
        mnemonic = "SlimtorchCaseIo",
        progress_message = "Computing {} test cases of {}".format(ctx.attr.cases, ctx.file.src.short_path),
        use_default_shell_env = True,
    )
    groups = {"case{}".format(k): depset([o]) for k, o in enumerate(outs)}
    return [DefaultInfo(files = depset(outs)), OutputGroupInfo(**groups)]

_cases_io = rule(
    implementation = _cases_io_impl,
    attrs = {
        "cases": attr.int(mandatory = True),
        "data": attr.label_list(allow_files = True),
        "iterations": attr.int(default = 1),
        "prefix": attr.string(mandatory = True),
        "src": attr.label(mandatory = True, allow_single_file = [".py"]),
        "_python": attr.label(default = _PYTHON, executable = True, cfg = "exec"),
        "_slimtorch_srcs": attr.label(default = Label("//python/slimtorch:srcs")),
    },
    doc = "Runs `slimtorch io`: every test case's input<i>.npy and expected<i>.npy.",
)

def model_tests(name, model, src, cases = 1, iterations = 1, data = [], rtol = "1e-5", atol = "1e-5"):
    """Host and Cortex-M55 (QEMU) tests of an executorch_model on `cases` input sets.

    Args:
      name: prefix of every target made.
      model: the executorch_model's name (in this package).
      src: the model file.
      cases: number of input sets: example_inputs() plus the first cases - 1 of test_inputs().
      iterations: executions per run; the last outputs are compared (mutable state).
      data: files the model file needs.
      rtol: relative tolerance.
      atol: absolute tolerance.
    """
    _cases_io(name = name + "_cases_io", prefix = name, src = src, cases = cases, iterations = iterations, data = data)
    for k in range(cases):
        case = "{}_case{}".format(name, k)
        native.filegroup(name = case + "_io", srcs = [":" + name + "_cases_io"], output_group = "case{}".format(k))
        slimtorch_embed(
            name = case + "_embed",
            program = ":" + model + ".pte",
            io_dir = ":" + case + "_io",
            out = case + "_embedded.cc",
        )
        cc_library(
            name = case + "_embedded",
            srcs = [":" + case + "_embedded.cc"],
            deps = [Label("//app:embedded_model")],
        )
        model_image(
            name = case,
            model = model,
            embedded = ":" + case + "_embedded",
            local_defines = ["SLIMTORCH_ITERATIONS={}".format(iterations)],
        )
        host_run_test(
            name = case + "_host_test",
            binary = ":" + case,
            expected_dir = ":" + case + "_io",
            rtol = rtol,
            atol = atol,
        )
        qemu_test(
            name = case + "_qemu_test",
            firmware = ":" + case,
            expected_dir = ":" + case + "_io",
            rtol = rtol,
            atol = atol,
        )
