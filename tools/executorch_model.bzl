"""executorch_model(): a PyTorch model file -> program, manifest, kernels, image data.

    load("//tools:executorch_model.bzl", "executorch_model")

    executorch_model(
        name = "mlp",
        src = "//models:mlp.py",
    )

makes, in the calling package:

| target | what |
|---|---|
| `:mlp.pte` | the program (`slimtorch export`) |
| `:mlp.ops.yaml` | its operator manifest |
| `:mlp_io` | directory: `input<i>.npy` (example inputs), `expected<i>.npy` (PyTorch eager outputs; with `quantize = "int8"` the quantized reference's, and `tolerance<i>.txt`) |
| `:mlp_registry.cc` | kernel registry for exactly the manifest's operators (`codegen/gen_registry.py`) |
| `:mlp_kernels` | cc_library: that registry + the kernel libraries (the linker keeps only the selected kernels) |
| `:mlp_embedded.cc` | `slimtorch embed` output: program bytes, inputs, planned buffers (`app/embedded_model.h`) |
| `:mlp_embedded` | cc_library of it |
| `:mlp_sizes` | cc_library of `model_sizes.h`: bytes to reserve (planned buffers, bookkeeping arena) on the target platform |
| `:mlp_fit_check` | on the Cortex-M55, `slimtorch fit-check` against the board's linker script: a model that does not fit fails the build here, naming bytes needed and available per region (again with the bookkeeping arena in `:mlp_sizes`) |
| `:mlp_parts` | SlimtorchModelInfo: program, manifest, inputs, memories (what model_library() reads) |

A binary links `:mlp_kernels`, `:mlp_embedded` (optional) and `//runtime` (model_image()).
Several models in one image: model_library(name, models = [":kws", "//x:anomaly"]) (one
registry for all their manifests, each model's data under its own C++ name; see its doc).

Delegation (README "Delegate backends"): `backends = ["xnnpack"]` (names of
tools/backends.bzl) exports with `slimtorch export --backend xnnpack`, gives codegen the
backend's catalog and links its library; the registry selects a backend only when the
manifest lists it (`build_features: ["backend:XnnpackBackend"]`). Host-only for now.

Custom operators (README "Custom operators", tests/custom_op/): `custom_ops = ["custom_ops.yaml"]`
(the user's catalogs, upstream's format) and `custom_kernels = [":my_op_kernels"]` (cc_library
targets defining their typed kernels) add to the built-in catalogs and kernel libraries; the
registry calls each selected custom op through an adapter generated from its schema.

`pte_model(name, program, inputs = [...])` makes the same targets (but the export's) for a
program that exists already, any `.pte`, upstream's too; executorch_model() is the export
followed by pte_model().
Every Python step runs `PYTHONPATH=python <interpreter> -m slimtorch ...`
from the source tree with @slimtorch_python//:python (tools/python.bzl).
"""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_library")
load("//platforms:defs.bzl", "PLATFORMS", "TARGET_PLATFORM", "emulator_command", "select_by_platform")
load(":backends.bzl", "backend_catalogs", "backend_libraries", "check_backends")
load(":profiling.bzl", "profiled_binary")
load("//kernels/portable:copts.bzl", "PORTABLE_COPTS")

# Labels, not strings: every label here resolves to slimtorch, also when a macro
# is called from another repository (a consumer's WORKSPACE names slimtorch
# `@slimtorch`; Label() written here means "in slimtorch's repository").
_PYTHON = Label("@slimtorch_python//:python")
_SLIMTORCH_SRCS = Label("//python/slimtorch:srcs")
# select() keys must be label strings on Bazel 4.2.3.
# Firmware (semihosting, board start-up code) on every bare-metal platform.
_IS_BARE_METAL = str(Label("//platforms:is_bare_metal"))

SlimtorchModelInfo = provider(
    doc = "A pte_model()'s (so executorch_model()'s) program and what goes with it: `<name>_parts`, what model_library() reads.",
    fields = {
        "program": "the .pte File",
        "manifest": "its operator manifest File (.ops.yaml)",
        "io_dir": "directory File holding input<i>.npy, or None",
        "inputs": "the input .npy Files in method input order (when io_dir is None)",
        "memories": "the NAME:BYTES memories the program was planned for, in order",
    },
)

def _slimtorch_pythonpath(files):
    # The directory that holds the slimtorch package, relative to the execroot.
    for f in files:
        if f.basename == "__init__.py" and f.dirname.endswith("/slimtorch"):
            return f.dirname[:-len("/slimtorch")]
    fail("//python/slimtorch:srcs has no slimtorch/__init__.py")

# Torch and friends want a writable home and cache; actions get a private one.
_ENV_SETUP = """set -eu
export HOME="$(mktemp -d)"
trap 'rm -rf "$HOME"' EXIT
export XDG_CACHE_HOME="$HOME/.cache"
export PYTHONDONTWRITEBYTECODE=1
"""

def _export_impl(ctx):
    io_dir = ctx.actions.declare_directory(ctx.attr.io_dir_name)
    pythonpath = _slimtorch_pythonpath(ctx.files._slimtorch_srcs)
    command = _ENV_SETUP + " ".join([
        "PYTHONPATH={}".format(pythonpath),
        ctx.executable._python.path,
        "-m slimtorch export",
        ctx.file.src.path,
        "-o",
        ctx.outputs.program.path,
        "--manifest",
        ctx.outputs.manifest.path,
        "--io-dir",
        io_dir.path,
    ] + ["--memory " + m for m in ctx.attr.memories] + ["--runtime", ctx.attr.runtime] + [
        "--passes " + f.path
        for f in ctx.files.passes
    ] + [
        "--quantize",
        ctx.attr.quantize,
    ] + ["--backend " + b for b in ctx.attr.backends] + [
        "--kernel-catalog " + f.path
        for f in ctx.files.kernel_catalogs
    ] + (
        # A kernel the catalogs lack is an export error naming the operator and dtype,
        # not a codegen or load failure later.
        ["--strict"] if ctx.files.kernel_catalogs else []
    ) + [
        # Quiet on success; the whole log on failure.
        '>"$HOME/log" 2>&1 || { cat "$HOME/log" >&2; exit 1; }',
    ])
    ctx.actions.run_shell(
        command = command,
        inputs = [ctx.file.src] + ctx.files._slimtorch_srcs + ctx.files.data + ctx.files.passes +
                 ctx.files.kernel_catalogs + ctx.files._codegen_srcs,
        outputs = [ctx.outputs.program, ctx.outputs.manifest, io_dir],
        tools = [ctx.attr._python[DefaultInfo].files_to_run],
        mnemonic = "SlimtorchExport",
        progress_message = "Exporting {} to {}".format(ctx.file.src.short_path, ctx.outputs.program.short_path),
        use_default_shell_env = True,
    )
    return [
        DefaultInfo(files = depset([ctx.outputs.program, ctx.outputs.manifest, io_dir])),
        OutputGroupInfo(
            io = depset([io_dir]),
            manifest = depset([ctx.outputs.manifest]),
            program = depset([ctx.outputs.program]),
        ),
    ]

_export = rule(
    implementation = _export_impl,
    attrs = {
        "backends": attr.string_list(doc = "slimtorch export --backend NAME, each (tools/backends.bzl)"),
        "data": attr.label_list(allow_files = True, doc = "files the model file reads or imports"),
        "io_dir_name": attr.string(mandatory = True),
        "kernel_catalogs": attr.label_list(
            allow_files = [".yaml"],
            doc = "catalogs the program's kernels come from; export fails naming each operator/dtype they lack",
        ),
        "manifest": attr.output(mandatory = True),
        "memories": attr.string_list(doc = "NAME:BYTES, fastest first (slimtorch export --memory)"),
        "passes": attr.label_list(
            allow_files = [".py"],
            doc = "passes files, in order (slimtorch export --passes): each defines passes() and optionally memory_planner()",
        ),
        "program": attr.output(mandatory = True),
        "quantize": attr.string(default = "none", values = ["none", "int8"], doc = "slimtorch export --quantize"),
        "runtime": attr.string(default = "any", values = ["any", "slimtorch"], doc = "slimtorch export --runtime"),
        "src": attr.label(mandatory = True, allow_single_file = [".py"]),
        "_codegen_srcs": attr.label(default = Label("//codegen:gen_registry_srcs")),
        "_python": attr.label(default = _PYTHON, executable = True, cfg = "exec"),
        "_slimtorch_srcs": attr.label(default = _SLIMTORCH_SRCS),
    },
    doc = "Runs `slimtorch export` on a model file.",
)

def _embed_action(ctx, program, io_dir, input_files, memories, model_name = None, bundle = None):
    """Runs `slimtorch embed` writing ctx.outputs.out (rule attrs _python, _slimtorch_srcs).

    program: the .pte File (None: `--none`); io_dir / input_files: its inputs (a directory
    of input<i>.npy, or the files in input order; neither: no inputs); memories: NAME:BYTES
    strings; model_name: `--model-name` (one EmbeddedModel of a model_library()); bundle:
    a .bpte of `program` to embed instead of it (`--bundle`: a self-test image's data).
    """
    extra = " ".join(
        ["--memory " + m for m in memories] +
        (["--model-name " + model_name] if model_name else []) +
        (["--bundle " + bundle.path] if bundle else []),
    )
    pythonpath = _slimtorch_pythonpath(ctx.files._slimtorch_srcs)
    inputs = ctx.files._slimtorch_srcs + ([bundle] if bundle else [])
    if io_dir and input_files:
        fail("{}: give io_dir or inputs, not both".format(ctx.label))
    if bundle and (io_dir or input_files):
        fail("{}: a bundle carries its inputs: give no io_dir or inputs".format(ctx.label))
    if program and not io_dir and not input_files:
        # A program whose method takes no inputs (//app:size_test's), or a bundle's.
        inputs = inputs + [program]
        command = _ENV_SETUP + "PYTHONPATH={} {} -m slimtorch embed {} {} -o {} >\"$HOME/log\" 2>&1 || {{ cat \"$HOME/log\" >&2; exit 1; }}".format(
            pythonpath,
            ctx.executable._python.path,
            program.path,
            extra,
            ctx.outputs.out.path,
        )
    elif program and input_files:
        inputs = inputs + [program] + input_files
        command = _ENV_SETUP + "PYTHONPATH={} {} -m slimtorch embed {} {} {} -o {} >\"$HOME/log\" 2>&1 || {{ cat \"$HOME/log\" >&2; exit 1; }}".format(
            pythonpath,
            ctx.executable._python.path,
            program.path,
            " ".join(["--input " + f.path for f in input_files]),
            extra,
            ctx.outputs.out.path,
        )
    elif program:
        inputs = inputs + [program, io_dir]

        # The number of inputs is known only once the model is exported:
        # pass every input<i>.npy of the io dir, in index order.
        command = _ENV_SETUP + """
args=()
for i in $(seq 0 1023); do
  f="{io_dir}/input$i.npy"
  [ -e "$f" ] || break
  args+=(--input "$f")
done
PYTHONPATH={pythonpath} {python} -m slimtorch embed {program} "${{args[@]}}" {memories} -o {out} \
  >"$HOME/log" 2>&1 || {{ cat "$HOME/log" >&2; exit 1; }}
""".format(
            io_dir = io_dir.path,
            pythonpath = pythonpath,
            python = ctx.executable._python.path,
            program = program.path,
            memories = extra,
            out = ctx.outputs.out.path,
        )
    else:
        command = _ENV_SETUP + "PYTHONPATH={} {} -m slimtorch embed --none -o {} >\"$HOME/log\" 2>&1 || {{ cat \"$HOME/log\" >&2; exit 1; }}".format(
            pythonpath,
            ctx.executable._python.path,
            ctx.outputs.out.path,
        )
    ctx.actions.run_shell(
        command = command,
        inputs = inputs,
        outputs = [ctx.outputs.out],
        tools = [ctx.attr._python[DefaultInfo].files_to_run],
        mnemonic = "SlimtorchEmbed",
        progress_message = "Embedding {}".format(program.short_path if program else "no program"),
        use_default_shell_env = True,
    )

def _embed_impl(ctx):
    _embed_action(ctx, ctx.file.program, ctx.file.io_dir, ctx.files.inputs, ctx.attr.memories, bundle = ctx.file.bundle)

slimtorch_embed = rule(
    implementation = _embed_impl,
    attrs = {
        "bundle": attr.label(
            allow_single_file = [".bpte"],
            doc = "a bundled program of `program` to embed instead of it (no inputs): a self-test image's data",
        ),
        "inputs": attr.label_list(allow_files = [".npy"], doc = "the inputs, in method input order (or io_dir)"),
        "io_dir": attr.label(allow_single_file = True, doc = "directory with input<i>.npy (or inputs; neither: no inputs)"),
        "memories": attr.string_list(doc = "NAME:BYTES the program was planned for, in order"),
        "out": attr.output(mandatory = True),
        "program": attr.label(allow_single_file = [".pte"], doc = "unset: `slimtorch embed --none`"),
        "_python": attr.label(default = _PYTHON, executable = True, cfg = "exec"),
        "_slimtorch_srcs": attr.label(default = _SLIMTORCH_SRCS),
    },
    doc = "Runs `slimtorch embed`: a C++ source defining app/embedded_model.h's symbols.",
)

def _bundle_impl(ctx):
    pythonpath = _slimtorch_pythonpath(ctx.files._slimtorch_srcs)
    command = _ENV_SETUP + " ".join([
        "PYTHONPATH={}".format(pythonpath),
        ctx.executable._python.path,
        "-m slimtorch bundle",
        "--program",
        ctx.file.program.path,
        "--model",
        ctx.file.src.path,
        "--random-cases",
        str(ctx.attr.random_cases),
        "-o",
        ctx.outputs.out.path,
        '>"$HOME/log" 2>&1 || { cat "$HOME/log" >&2; exit 1; }',
    ])
    ctx.actions.run_shell(
        command = command,
        inputs = [ctx.file.src, ctx.file.program] + ctx.files._slimtorch_srcs + ctx.files.data,
        outputs = [ctx.outputs.out],
        tools = [ctx.attr._python[DefaultInfo].files_to_run],
        mnemonic = "SlimtorchBundle",
        progress_message = "Bundling {} with test cases from {}".format(ctx.file.program.short_path, ctx.file.src.short_path),
        use_default_shell_env = True,
    )

_bundle = rule(
    implementation = _bundle_impl,
    attrs = {
        "data": attr.label_list(allow_files = True, doc = "files the model file reads or imports"),
        "out": attr.output(mandatory = True),
        "program": attr.label(mandatory = True, allow_single_file = [".pte"]),
        "random_cases": attr.int(default = 2, doc = "test cases of seeded random inputs besides example_inputs()"),
        "src": attr.label(mandatory = True, allow_single_file = [".py"]),
        "_python": attr.label(default = _PYTHON, executable = True, cfg = "exec"),
        "_slimtorch_srcs": attr.label(default = _SLIMTORCH_SRCS),
    },
    doc = "Runs `slimtorch bundle`: the program plus test cases (inputs, PyTorch's outputs) as a .bpte.",
)

def _model_parts_impl(ctx):
    program = ctx.file.program
    manifest = ctx.file.manifest
    return [
        SlimtorchModelInfo(
            program = program,
            manifest = manifest,
            io_dir = ctx.file.io_dir,
            inputs = ctx.files.inputs,
            memories = ctx.attr.memories,
        ),
        DefaultInfo(files = depset([program, manifest])),
        OutputGroupInfo(manifest = depset([manifest]), program = depset([program])),
    ]

_model_parts = rule(
    implementation = _model_parts_impl,
    attrs = {
        "inputs": attr.label_list(allow_files = [".npy"]),
        "io_dir": attr.label(allow_single_file = True),
        "manifest": attr.label(mandatory = True, allow_single_file = True),
        "memories": attr.string_list(),
        "program": attr.label(mandatory = True, allow_single_file = [".pte"]),
    },
    doc = "A pte_model()'s program, manifest, inputs and memories as a SlimtorchModelInfo (model_library()).",
)

def _library_embed_impl(ctx):
    info = ctx.attr.model[SlimtorchModelInfo]
    _embed_action(ctx, info.program, info.io_dir, info.inputs, info.memories, ctx.attr.model_name)

_library_embed = rule(
    implementation = _library_embed_impl,
    attrs = {
        "model": attr.label(mandatory = True, providers = [SlimtorchModelInfo]),
        "model_name": attr.string(mandatory = True),
        "out": attr.output(mandatory = True),
        "_python": attr.label(default = _PYTHON, executable = True, cfg = "exec"),
        "_slimtorch_srcs": attr.label(default = _SLIMTORCH_SRCS),
    },
    doc = "`slimtorch embed --model-name`: one model of a model_library() as an EmbeddedModel.",
)

def _library_header_impl(ctx):
    lines = [
        "// Generated by model_library(name = \"{}\") (tools/executorch_model.bzl). Do not edit.".format(ctx.attr.library),
        "// The models of this image: slimtorch_app::models::<name> (program, inputs,",
        "// planned buffers; app/embedded_model.h) and slimtorch_model::<name> (the bytes",
        "// to reserve on this platform: kBookkeepingBytes, kPlannedBytes<i>, ...).",
        "#pragma once",
        "",
        "#include \"app/embedded_model.h\"",
    ]
    lines += ["#include \"{}\"".format(h.basename) for h in ctx.files.sizes_headers]
    lines += ["", "namespace slimtorch_app {", "namespace models {", ""]
    for name, label in zip(ctx.attr.model_names, ctx.attr.model_labels):
        lines.append("extern const EmbeddedModel {};  // {}".format(name, label))
    lines += [
        "",
        "// Every model of the image, in model_library() order.",
        "constexpr const EmbeddedModel* kAll[] = {{{}}};".format(", ".join(["&" + n for n in ctx.attr.model_names])),
        "constexpr size_t kCount = {};".format(len(ctx.attr.model_names)),
        "",
        "}  // namespace models",
        "}  // namespace slimtorch_app",
        "",
    ]
    ctx.actions.write(ctx.outputs.out, "\n".join(lines))

_library_header = rule(
    implementation = _library_header_impl,
    attrs = {
        "library": attr.string(mandatory = True, doc = "the model_library()'s name"),
        "model_labels": attr.string_list(mandatory = True),
        "model_names": attr.string_list(mandatory = True),
        "out": attr.output(mandatory = True),
        "sizes_headers": attr.label_list(allow_files = [".h"], doc = "in the same directory as out"),
    },
    doc = "The header declaring a model_library()'s EmbeddedModels and including their sizes.",
)

_PRIM_OPS_CATALOG = Label("//runtime/executor:prim_ops.yaml")
_GEN_REGISTRY = Label("//codegen:gen_registry.py")
_EMBEDDED_MODEL_HDR = Label("//app:embedded_model")
_CONSOLE = Label("//app:console")
_RUNTIME = Label("//runtime")
_RUNTIME_EXECUTOR = Label("//runtime/executor")
_RUNTIME_KERNEL = Label("//runtime/kernel")
_RUNTIME_BACKEND = Label("//runtime/backend")
_RUNTIME_BUNDLED = Label("//runtime/bundled")
_SEMIHOSTING = Label("//platforms/bare_metal:semihosting")
_BOARD_STARTUP = Label("//platforms/bare_metal:startup")

# Every kernel catalog of the project and the libraries defining their kernels: a
# manifest selects from all of them (a float model's registry names no cortex_m::
# kernel, so its image links none).
_KERNEL_CATALOGS = [
    Label("//kernels/portable:functions.yaml"),
    Label("//kernels/cortex_m:functions.yaml"),
]
_KERNEL_LIBS = [
    Label("//kernels/portable"),
    Label("//kernels/cortex_m"),
]

# Kernel sources written for dtype selection (runtime/kernel/dtype_selection.h).
_DTYPE_SELECTIVE_KERNELS = [
    Label("//kernels/portable:op_binary.cpp"),
    Label("//kernels/portable:op_permute_copy.cpp"),
    Label("//kernels/portable:op_reduction.cpp"),
    Label("//kernels/portable:op_relu.cpp"),
]

def _sizes_header_impl(ctx):
    pythonpath = _slimtorch_pythonpath(ctx.files._slimtorch_srcs)
    probe = ctx.executable.probe
    info = ctx.attr.model[SlimtorchModelInfo] if ctx.attr.model else None
    program = info.program if info else ctx.file.program
    memories = info.memories if info else ctx.attr.memories
    if not program:
        fail("{}: give program or model".format(ctx.label))
    platform = PLATFORMS[ctx.attr.platform]
    if platform["kind"] == "host":
        run = "{probe} >\"$HOME/probe.txt\"".format(probe = probe.path)
    else:
        # Run the probe on the platform it was built for (its emulator); a bare-metal
        # probe is heap-checked first, like every image the build makes.
        run = "timeout 60 " + emulator_command(ctx.attr.platform, probe.path, "\"$HOME/probe.txt\"") + " </dev/null"
        if platform["kind"] == "bare_metal":
            run = "{checker} /usr/bin/{tools}-nm {probe} >/dev/null && {run}".format(
                checker = ctx.executable._heap_checker.path,
                tools = platform["tools"],
                probe = probe.path,
                run = run,
            )
    command = _ENV_SETUP + """
{run} || {{ echo "bookkeeping probe {probe} failed:" >&2; cat "$HOME/probe.txt" >&2; exit 1; }}
n="$(sed -n 's/^bookkeeping_bytes \\([0-9][0-9]*\\)$/\\1/p' "$HOME/probe.txt")"
[ -n "$n" ] || {{ echo "bookkeeping probe {probe} printed no figure:" >&2; cat "$HOME/probe.txt" >&2; exit 1; }}
PYTHONPATH={pythonpath} {python} -m slimtorch sizes-header {program} --bookkeeping-bytes "$n" \
  {memories} {fit} -o {out} >"$HOME/log" 2>&1 || {{ cat "$HOME/log" >&2; exit 1; }}
""".format(
        # With the bookkeeping figure known, the whole model (arena included) must fit the board.
        fit = "--linker-script {} --model {}".format(ctx.files.linker_script[0].path, ctx.attr.model_label) if ctx.files.linker_script else "",
        run = run,
        probe = probe.short_path,
        pythonpath = pythonpath,
        python = ctx.executable._python.path,
        program = program.path,
        memories = " ".join(["--memory " + m for m in memories] +
                            (["--model-name " + ctx.attr.model_name] if ctx.attr.model_name else [])),
        out = ctx.outputs.out.path,
    )
    ctx.actions.run_shell(
        command = command,
        inputs = ctx.files._slimtorch_srcs + [program, probe] + ctx.files.linker_script,
        outputs = [ctx.outputs.out],
        tools = [ctx.attr._python[DefaultInfo].files_to_run, ctx.executable._heap_checker],
        mnemonic = "SlimtorchSizes",
        progress_message = "Measuring memory sizes of {}".format(program.short_path),
        use_default_shell_env = True,
    )

_sizes_header = rule(
    implementation = _sizes_header_impl,
    attrs = {
        "linker_script": attr.label(allow_files = [".ld"], doc = "the board's script and what it INCLUDEs (a `<board>_script` filegroup, the script first; fit check); unset: none"),
        "memories": attr.string_list(),
        "model": attr.label(providers = [SlimtorchModelInfo], doc = "instead of program and memories: a `<model>_parts`"),
        "model_name": attr.string(doc = "one model of a model_library(): namespace slimtorch_model::<model_name>"),
        "model_label": attr.string(doc = "the model's label, for errors (fit check)"),
        "out": attr.output(mandatory = True),
        "probe": attr.label(mandatory = True, executable = True, cfg = "target"),
        "program": attr.label(allow_single_file = [".pte"]),
        "platform": attr.string(default = "host", doc = "the target platform (platforms/defs.bzl): where the probe runs"),
        "_heap_checker": attr.label(
            default = Label("//tools:heap_check.sh"),
            allow_single_file = True,
            executable = True,
            cfg = "exec",
        ),
        "_python": attr.label(default = _PYTHON, executable = True, cfg = "exec"),
        "_slimtorch_srcs": attr.label(default = _SLIMTORCH_SRCS),
    },
    doc = "Runs the bookkeeping probe for the target platform, then `slimtorch sizes-header`.",
)

# The memory map of each board a pte_model() checks its model against
# (`slimtorch fit-check`: region sizes and placements read from the script itself).
# (Bazel 4.2.3's select() takes label strings as keys: str() of a Label.)
# Each is the `<board>_script` filegroup beside the board's script: the script first, then
# the files it INCLUDEs (the fit check follows them).
_BOARD_LINKER_SCRIPT = select_by_platform({
    name: str(Label("//{}:{}_script".format(
        p["linker_script"].rsplit("/", 1)[0],
        p["linker_script"].rsplit("/", 1)[1][:-len(".ld")],
    )))
    for name, p in PLATFORMS.items()
    if p["linker_script"]
}, None)

def _fit_check_impl(ctx):
    if not ctx.files.linker_script:
        # A host build: no fixed memory map to check against.
        ctx.actions.write(ctx.outputs.out, "// {}: no board memory map on this platform.\n#pragma once\n".format(ctx.attr.model))
        return
    pythonpath = _slimtorch_pythonpath(ctx.files._slimtorch_srcs)
    command = _ENV_SETUP + "PYTHONPATH={} {} -m slimtorch fit-check {} --linker-script {} --model {} {} -o {} >\"$HOME/log\" 2>&1 || {{ cat \"$HOME/log\" >&2; exit 1; }}".format(
        pythonpath,
        ctx.executable._python.path,
        ctx.file.program.path,
        ctx.files.linker_script[0].path,
        ctx.attr.model,
        " ".join(["--memory " + m for m in ctx.attr.memories]),
        ctx.outputs.out.path,
    )
    ctx.actions.run_shell(
        command = command,
        inputs = ctx.files._slimtorch_srcs + [ctx.file.program] + ctx.files.linker_script,
        outputs = [ctx.outputs.out],
        tools = [ctx.attr._python[DefaultInfo].files_to_run],
        mnemonic = "SlimtorchFitCheck",
        progress_message = "Checking that {} fits the board".format(ctx.file.program.short_path),
        use_default_shell_env = True,
    )

_fit_check = rule(
    implementation = _fit_check_impl,
    attrs = {
        "linker_script": attr.label(allow_files = [".ld"], doc = "the board's script and what it INCLUDEs (a `<board>_script` filegroup, the script first); unset: no check (host)"),
        "memories": attr.string_list(doc = "NAME:BYTES the program was planned for, in order"),
        "model": attr.string(mandatory = True, doc = "the model's label, for the error"),
        "out": attr.output(mandatory = True),
        "program": attr.label(mandatory = True, allow_single_file = [".pte"]),
        "_python": attr.label(default = _PYTHON, executable = True, cfg = "exec"),
        "_slimtorch_srcs": attr.label(default = _SLIMTORCH_SRCS),
    },
    doc = "Runs `slimtorch fit-check`: fails the build, naming bytes per region, when the program does not fit the board.",
)

def kernel_registry(
        name,
        out,
        manifests = [],
        all_kernels = False,
        kernel_catalogs = _KERNEL_CATALOGS,
        custom_ops = [],
        dtype_header = None,
        backends = [],
        **kwargs):
    """Generates a kernel registry source with codegen/gen_registry.py.

    Args:
      name: the genrule's name.
      out: the generated .cc file.
      manifests: operator manifests (.ops.yaml) whose operators to register.
      all_kernels: register every kernel of the catalogs instead (manifests unused).
      kernel_catalogs: functions.yaml / custom_ops.yaml files of boxed kernels.
      custom_ops: the user's custom_ops.yaml files (typed kernels, runtime/kernel/custom_op.h):
        added to kernel_catalogs; codegen writes an adapter for each selected op.
      dtype_header: also generate this dtype selection header (runtime/kernel/dtype_selection.h).
      backends: delegate backends the manifests may list (names of tools/backends.bzl, e.g.
        ["xnnpack"]): codegen gets their catalogs (`--backends`) and fills kSelectedBackends
        with those the manifests name (with all_kernels: every one). The library linking the
        registry must depend on backend_libraries(backends) (tools/backends.bzl).
      **kwargs: passed to the genrule (visibility, tags, ...).
    """
    if all_kernels == bool(manifests):
        fail("kernel_registry({}): give manifests, or all_kernels = True, not both".format(name))
    # The runtime's primitive ops are selected like kernels (runtime/executor/prim_ops.yaml).
    kernel_catalogs = kernel_catalogs + [_PRIM_OPS_CATALOG]
    backend_catalog_labels = backend_catalogs(backends, "kernel_registry({})".format(name))
    catalog_args = " ".join(["--catalog $(location {})".format(c) for c in kernel_catalogs] +
                            ["--custom-ops $(location {})".format(c) for c in custom_ops] +
                            ["--backends $(location {})".format(c) for c in backend_catalog_labels])
    if all_kernels:
        selection = "--all"
    else:
        selection = " ".join(["--manifest $(location {})".format(m) for m in manifests])
    native.genrule(
        name = name,
        srcs = kernel_catalogs + custom_ops + backend_catalog_labels + manifests,
        outs = [out] + ([dtype_header] if dtype_header else []),
        cmd = "$(location {python}) $(location {gen_registry}) {catalogs} {selection} --output $(location {out}){header}".format(
            python = str(_PYTHON),
            gen_registry = str(_GEN_REGISTRY),
            catalogs = catalog_args,
            selection = selection,
            out = out,
            header = " --dtype-header $(location {})".format(dtype_header) if dtype_header else "",
        ),
        tools = [
            str(_PYTHON),
            str(_GEN_REGISTRY),
            str(Label("//codegen:gen_registry_srcs")),
        ],
        message = "Generating kernel registry {}".format(out),
        **kwargs
    )

def _kernel_library(name, manifests, kernel_catalogs, custom_ops, dtype_selective, kernel_libs, visibility, tags, backends = []):
    """A model's (or a model_library()'s) kernels: `name`_registry.cc for `manifests`, and
    cc_library `name`_kernels over it.

    Also makes `name`_selected_dtypes.h, the dtype selection header generated with the
    registry. kernel_libs: every library defining a selectable kernel (custom ones too).
    """
    registry = ":" + name + "_registry.cc"
    dtype_header = name + "_selected_dtypes.h"
    kernel_registry(
        name = name + "_registry",
        out = name + "_registry.cc",
        manifests = manifests,
        kernel_catalogs = kernel_catalogs,
        custom_ops = custom_ops,
        dtype_header = dtype_header,
        backends = backends,
        visibility = visibility,
        tags = tags,
    )

    # The registry, plus the dtype-selective
    # kernel sources compiled again for the manifests' dtypes only
    # (runtime/kernel/dtype_selection.h). Those objects are linked whole
    # (alwayslink), so the generic copies in kernel_libs are never pulled for
    # them; --gc-sections drops the ones the registry does not name. The other
    # kernels come from the kernel_libs archives, only those the registry names.
    header_path = (native.package_name() + "/" + dtype_header) if native.package_name() else dtype_header
    cc_library(
        name = name + "_kernels",
        srcs = [registry] + (_DTYPE_SELECTIVE_KERNELS if dtype_selective else []),
        hdrs = [":" + dtype_header],
        copts = (["-DSLIMTORCH_SELECTED_DTYPES_H=\\\"{}\\\"".format(header_path)] if dtype_selective else []) +
                PORTABLE_COPTS,
        alwayslink = True,
        # executor: primitive ops; backend: kSelectedBackends' type. The backends' libraries
        # are linked only for what the registry names (a model without delegates: nothing).
        deps = kernel_libs + [_RUNTIME_EXECUTOR, _RUNTIME_KERNEL, _RUNTIME_BACKEND] +
               backend_libraries(backends, "//{}:{}_kernels".format(native.package_name(), name)),
        visibility = visibility,
        tags = tags,
    )

def executorch_model(
        name,
        src,
        data = [],
        kernel_catalogs = _KERNEL_CATALOGS,
        kernel_libs = _KERNEL_LIBS,
        custom_ops = [],
        custom_kernels = [],
        embedded_model_hdr = _EMBEDDED_MODEL_HDR,
        dtype_selective = True,
        memories = [],
        runtime = "any",
        quantize = "none",
        passes = [],
        backends = [],
        bundle = False,
        visibility = None,
        tags = []):
    """Exports a PyTorch model and makes its kernel library and image data.

    `slimtorch export`, then pte_model() on the program it wrote (with the export's
    manifest and example inputs).

    Args:
      name: prefix of every target made (see the module docstring).
      src: the model file: defines model() and example_inputs(), optionally dynamic_shapes().
      data: other files the model file needs (weights, modules it imports).
      kernel_catalogs: kernel catalogs (functions.yaml, custom_ops.yaml) to select from.
      kernel_libs: cc_library targets defining the catalogs' kernels.
      custom_ops: the user's custom_ops.yaml files (README "Custom operators"), added to
        kernel_catalogs: their ops' typed kernels are called through generated adapters.
      custom_kernels: cc_library targets defining those kernels, added to kernel_libs (a
        model that calls none of their ops links none of them).
      embedded_model_hdr: cc_library providing app/embedded_model.h.
      dtype_selective: compile the dtype-selective kernels for the manifest's dtypes only.
      memories: [(name, bytes), ...], fastest first, e.g. [("dtcm", 64 * 1024),
        ("sram", 2 * 1024 * 1024)]: memory i is memory id i + 1, its buffer goes to the
        board region `name` (linker section `.name.slimtorch`). Empty: one memory.
      runtime: "any" (a program upstream ExecuTorch's runtime runs too) or "slimtorch" (also
        keeps whole the ops only slimtorch has kernels for; `slimtorch export --runtime`).
      quantize: "none" (float) or "int8" (`slimtorch export --quantize int8`: PT2E int8,
        upstream's cortex_m:: operators; the io dir's expected outputs are the quantized
        reference's, with tolerance<i>.txt = one quantization step for `slimtorch compare`).
      passes: labels of passes files (.py), in order (`slimtorch export --passes`): each
        defines passes() -> list of functions over the core-ATen torch.fx.GraphModule, run
        after decomposition and before the out-variant conversion, and optionally
        memory_planner() -> a planner that replaces slimtorch's (README, "Python API: passes
        and memory planners"). Files they import go in `data`.
      backends: delegate backends, e.g. ["xnnpack"] (tools/backends.bzl): `slimtorch export
        --backend NAME` for each, and pte_model(backends = ...) (host-only for now).
      bundle: also make `:<name>.bpte` (`slimtorch bundle --random-cases 2`: the program with
        test cases, example_inputs() and two seeded random inputs with PyTorch's outputs) and `:<name>_selftest`, an image
        (host binary, or Cortex-M55 firmware under --platforms / a qemu_test) that runs
        every test case of the embedded bundle and exits non-zero on a mismatch, printing
        each output's largest difference (app/selftest_main.cc; README "Bundled programs").
      visibility: of every target made.
      tags: of every target made.
    """
    check_backends(backends, "executorch_model({})".format(name))
    memory_specs = ["{}:{}".format(m[0], m[1]) for m in memories]
    _export(
        name = name + "_export",
        src = src,
        memories = memory_specs,
        runtime = runtime,
        quantize = quantize,
        passes = passes,
        backends = backends,
        data = data,
        kernel_catalogs = kernel_catalogs + custom_ops + [_PRIM_OPS_CATALOG],
        program = name + ".pte",
        manifest = name + ".ops.yaml",
        io_dir_name = name + "_io",
        visibility = visibility,
        tags = tags,
    )
    native.filegroup(
        name = name + "_io",
        srcs = [":" + name + "_export"],
        output_group = "io",
        visibility = visibility,
        tags = tags,
    )
    pte_model(
        name = name,
        program = ":" + name + ".pte",
        manifest = ":" + name + ".ops.yaml",
        io_dir = ":" + name + "_io",
        kernel_catalogs = kernel_catalogs,
        kernel_libs = kernel_libs,
        custom_ops = custom_ops,
        custom_kernels = custom_kernels,
        embedded_model_hdr = embedded_model_hdr,
        dtype_selective = dtype_selective,
        memories = memories,
        backends = backends,
        visibility = visibility,
        tags = tags,
    )
    if bundle:
        _bundle(
            name = name + "_bundle",
            src = src,
            data = data,
            program = ":" + name + ".pte",
            out = name + ".bpte",
            visibility = visibility,
            tags = tags,
        )
        selftest_image(
            name = name + "_selftest",
            model = name,
            bundle = ":" + name + ".bpte",
            memories = memories,
            visibility = visibility,
            tags = tags,
        )

def selftest_image(name, model, bundle, memories = [], local_defines = [], visibility = None, tags = []):
    """A self-test image: runs every test case of `bundle` on `model`'s kernels.

    Host binary or Cortex-M55 firmware (app/selftest_main.cc): exits 0 when every output
    of every test case matches (rtol 1e-4, atol 1e-5 by default; local_defines
    SLIMTORCH_SELFTEST_RTOL=... / SLIMTORCH_SELFTEST_ATOL=...), 1 otherwise, printing
    each output's verdict and largest difference. executorch_model(bundle = True) makes
    `<model>_selftest` with this; a bundle written another way (upstream's) works too.

    Args:
      name: the cc_binary.
      model: name of the pte_model/executorch_model (in this package) whose program the
        bundle holds: its kernels and model_sizes.h (bookkeeping arena) are used.
      bundle: the .bpte (its program must be the model's program).
      memories: [(name, bytes), ...] the program was planned for (as executorch_model).
      local_defines: e.g. ["SLIMTORCH_SELFTEST_ATOL=1e-4"].
      visibility: of the binary.
      tags: of every target made.
    """
    slimtorch_embed(
        name = name + "_embed",
        program = ":{}.pte".format(model),
        bundle = bundle,
        memories = ["{}:{}".format(m[0], m[1]) for m in memories],
        out = name + "_embedded.cc",
        visibility = ["//visibility:private"],
        tags = tags,
    )
    cc_library(
        name = name + "_embedded",
        srcs = [":" + name + "_embedded.cc"],
        deps = [_EMBEDDED_MODEL_HDR],
        visibility = ["//visibility:private"],
        tags = tags,
    )
    cc_binary(
        name = name,
        # As model_image(): the runner sources are compiled into the image (they refer
        # to the embedded symbols).
        srcs = [
            Label("//app:bundled_run.cc"),
            Label("//app:bundled_run.h"),
            Label("//app:run_model.cc"),
            Label("//app:run_model.h"),
            Label("//app:selftest_main.cc"),
        ],
        local_defines = local_defines,
        deps = [
            ":" + name + "_embedded",
            ":{}_kernels".format(model),
            ":{}_sizes".format(model),  # model_sizes.h: the bookkeeping arena
            _CONSOLE,
            _EMBEDDED_MODEL_HDR,
            _RUNTIME,
            _RUNTIME_BUNDLED,
        ] + select({
            _IS_BARE_METAL: [
                _SEMIHOSTING,
                _BOARD_STARTUP,
            ],
            "//conditions:default": [],
        }),
        visibility = visibility,
        tags = tags,
    )

def _manifest_impl(ctx):
    pythonpath = _slimtorch_pythonpath(ctx.files._slimtorch_srcs)
    command = _ENV_SETUP + "PYTHONPATH={} {} -m slimtorch ops {} -o {} >\"$HOME/log\" 2>&1 || {{ cat \"$HOME/log\" >&2; exit 1; }}".format(
        pythonpath,
        ctx.executable._python.path,
        ctx.file.program.path,
        ctx.outputs.out.path,
    )
    ctx.actions.run_shell(
        command = command,
        inputs = ctx.files._slimtorch_srcs + [ctx.file.program],
        outputs = [ctx.outputs.out],
        tools = [ctx.attr._python[DefaultInfo].files_to_run],
        mnemonic = "SlimtorchOps",
        progress_message = "Writing the operator manifest of {}".format(ctx.file.program.short_path),
        use_default_shell_env = True,
    )

_manifest = rule(
    implementation = _manifest_impl,
    attrs = {
        "out": attr.output(mandatory = True),
        "program": attr.label(mandatory = True, allow_single_file = [".pte"]),
        "_python": attr.label(default = _PYTHON, executable = True, cfg = "exec"),
        "_slimtorch_srcs": attr.label(default = _SLIMTORCH_SRCS),
    },
    doc = "Runs `slimtorch ops`: the operator manifest of a program.",
)

def pte_model(
        name,
        program,
        manifest = None,
        io_dir = None,
        inputs = [],
        kernel_catalogs = _KERNEL_CATALOGS,
        kernel_libs = _KERNEL_LIBS,
        custom_ops = [],
        custom_kernels = [],
        embedded_model_hdr = _EMBEDDED_MODEL_HDR,
        dtype_selective = True,
        memories = [],
        backends = [],
        visibility = None,
        tags = []):
    """The kernel library and image data of a program that exists already (any `.pte`).

    Makes `:<name>.ops.yaml` (unless `manifest` is given), `:<name>_registry.cc`,
    `:<name>_kernels`, `:<name>_kernels_all_dtypes`, `:<name>_embedded.cc`,
    `:<name>_embedded` and `:<name>_sizes` as executorch_model() does (module docstring);
    model_image() turns them into a host runner or Cortex-M55 firmware. `slimtorch run
    --platform arm_m55` builds every program this way (python/slimtorch/run.py).

    Args:
      name: prefix of every target made.
      program: the `.pte` (a file or a rule's output).
      manifest: its operator manifest; default: written with `slimtorch ops`.
      io_dir: directory with input<i>.npy to embed (executorch_model's `<name>_io`).
      inputs: or the input .npy files, in method input order.
      kernel_catalogs: kernel catalogs (functions.yaml, custom_ops.yaml) to select from.
      kernel_libs: cc_library targets defining the catalogs' kernels.
      custom_ops: the user's custom_ops.yaml files, added to kernel_catalogs (executorch_model).
      custom_kernels: cc_library targets defining their kernels, added to kernel_libs.
      embedded_model_hdr: cc_library providing app/embedded_model.h.
      dtype_selective: compile the dtype-selective kernels for the manifest's dtypes only.
      memories: [(name, bytes), ...] the program was planned for (executorch_model).
      backends: delegate backends the program may use, e.g. ["xnnpack"] for a program
        upstream's XnnpackPartitioner lowered (tools/backends.bzl; host-only for now).
      visibility: of every target made.
      tags: of every target made.
    """
    memory_specs = ["{}:{}".format(m[0], m[1]) for m in memories]
    if manifest == None:
        manifest = ":" + name + ".ops.yaml"
        _manifest(
            name = name + "_manifest",
            program = program,
            out = name + ".ops.yaml",
            visibility = visibility,
            tags = tags,
        )


    _kernel_library(
        name = name,
        manifests = [manifest],
        kernel_catalogs = kernel_catalogs,
        custom_ops = custom_ops,
        dtype_selective = dtype_selective,
        kernel_libs = kernel_libs + custom_kernels,
        backends = backends,
        visibility = visibility,
        tags = tags,
    )

    # The same registry over the shared kernels, every dtype (the size
    # report's "only its ops" image).
    cc_library(
        name = name + "_kernels_all_dtypes",
        srcs = [":" + name + "_registry.cc"],
        alwayslink = True,
        deps = kernel_libs + custom_kernels + [_RUNTIME_EXECUTOR, _RUNTIME_KERNEL, _RUNTIME_BACKEND] +
               backend_libraries(backends, "//{}:{}_kernels_all_dtypes".format(native.package_name(), name)),
        visibility = visibility,
        tags = tags,
    )

    # A model too big for the board fails here, before anything links, with the
    # bytes needed and available per region (python/slimtorch/board_fit.py); the
    # link would otherwise fail on the bookkeeping probe with `region overflowed`.
    # Its output is a source of :<name>_embedded, so every image and the probe
    # wait for it.
    model_label = "//{}:{}".format(native.package_name(), name)
    _fit_check(
        name = name + "_fit_check",
        program = program,
        memories = memory_specs,
        linker_script = _BOARD_LINKER_SCRIPT,
        model = model_label,
        out = name + "_fits.h",
        visibility = ["//visibility:private"],
    )

    # What model_library() reads of this model (SlimtorchModelInfo).
    _model_parts(
        name = name + "_parts",
        program = program,
        manifest = manifest,
        io_dir = io_dir,
        inputs = inputs,
        memories = memory_specs,
        visibility = visibility,
        tags = tags,
    )

    slimtorch_embed(
        name = name + "_embed",
        program = program,
        io_dir = io_dir,
        inputs = inputs,
        memories = memory_specs,
        out = name + "_embedded.cc",
        visibility = visibility,
        tags = tags,
    )
    cc_library(
        name = name + "_embedded",
        srcs = [":" + name + "_embedded.cc", ":" + name + "_fits.h"],
        deps = [embedded_model_hdr],
        visibility = visibility,
        tags = tags,
    )

    # Sizes known at build time: `<name>_sizes/model_sizes.h` (include it as
    # "model_sizes.h" through :<name>_sizes) holds every byte count the
    # application reserves: planned buffers per memory id and the runtime's
    # bookkeeping arena. The bookkeeping figure is measured, not re-derived: the
    # probe is the runtime's own Method::bookkeeping_bytes_needed, built for the
    # target platform (so with the target's pointer and struct sizes: 32-bit on
    # the Cortex-M55) and run by the build, natively on the host, under QEMU for
    # arm_m55.
    # main() is a source of the binary, not an archive member: with link-time
    # optimisation (arm_m55), GNU ld rescans the libraries for calls that code
    # generation adds (memcpy, __aeabi_uldivmod) only when the link has a
    # plain object file.
    cc_binary(
        name = name + "_bookkeeping_probe",
        srcs = [Label("//tools/memory:bookkeeping_probe.cc")],
        deps = [
            _CONSOLE,
            _EMBEDDED_MODEL_HDR,
            _RUNTIME,
            ":" + name + "_embedded",
            ":" + name + "_kernels",
        ] + select({
            _IS_BARE_METAL: [
                _SEMIHOSTING,
                _BOARD_STARTUP,
            ],
            "//conditions:default": [],
        }),
        visibility = ["//visibility:private"],
        tags = tags,
    )
    _sizes_header(
        name = name + "_sizes_header",
        program = program,
        probe = ":" + name + "_bookkeeping_probe",
        memories = memory_specs,
        linker_script = _BOARD_LINKER_SCRIPT,
        model_label = model_label,
        platform = TARGET_PLATFORM,
        out = name + "_sizes/model_sizes.h",
        visibility = visibility,
        tags = tags,
    )
    cc_library(
        name = name + "_sizes",
        hdrs = [":" + name + "_sizes/model_sizes.h"],
        strip_include_prefix = name + "_sizes",
        visibility = visibility,
        tags = tags,
    )

def model_image(name, model, embedded = None, kernels = None, local_defines = [], profile = False, visibility = None,
                tags = []):
    """The application image of an executorch_model: host runner or Cortex-M55 firmware.

    On the host it runs the embedded program (or a .pte given on its command line,
    app/runner_main.cc); on arm_m55 it is semihosting firmware (app/firmware_main.cc)
    whose bookkeeping arena is sized by the model's generated model_sizes.h.

    Args:
      name: the cc_binary.
      model: name of the executorch_model (in this package) whose kernels and sizes to use.
      embedded: cc_library of the embedded program and inputs; default `:<model>_embedded`
        (another input set: a slimtorch_embed of the same program with other inputs).
      kernels: kernel library; default `:<model>_kernels` (the model's pruned selection).
      local_defines: e.g. ["SLIMTORCH_ITERATIONS=3"] (firmware: executions per run).
      profile: build it with the event tracer (--//runtime/profiling:enabled, through
        tools/profiling.bzl's profiled_binary; the cc_binary is `<name>_unprofiled`, manual).
        On the host `--etdump FILE` writes the run's ETDump; the firmware writes
        `<name>.etdump` over semihosting into the emulator's working directory (its
        buffer: SLIMTORCH_ETDUMP_BYTES, default 32 KiB, in local_defines).
      visibility: of the binary.
      tags: of the binary.
    """
    if profile:
        profiled_binary(
            name = name,
            binary = ":{}_unprofiled".format(name),
            visibility = visibility,
            tags = tags,
        )
        local_defines = local_defines + ["SLIMTORCH_ETDUMP_NAME=" + name]
        tags = tags + ["manual"]  # built through `name` only (in its configuration)
        name = name + "_unprofiled"
    cc_binary(
        name = name,
        # run_model.cc is compiled into each image rather than into a library: it
        # refers to the embedded model's symbols, and objects on the link line come
        # before every library, whatever the dependency order.
        srcs = [
            Label("//app:run_model.cc"),
            Label("//app:run_model.h"),
        ] + select({
            _IS_BARE_METAL: [Label("//app:firmware_main.cc")],
            "//conditions:default": [Label("//app:runner_main.cc")],
        }),
        local_defines = local_defines,
        deps = [
            embedded or ":{}_embedded".format(model),
            kernels or ":{}_kernels".format(model),
            _CONSOLE,
            _EMBEDDED_MODEL_HDR,
            _RUNTIME,
        ] + select({
            _IS_BARE_METAL: [
                ":{}_sizes".format(model),  # model_sizes.h: the arena firmware_main.cc declares
                _SEMIHOSTING,
                _BOARD_STARTUP,
            ],
            "//conditions:default": [],
        }),
        visibility = visibility,
        tags = tags,
    )

def _split_model_label(model):
    """(label of the model's `<name>_parts`, the model's name) of a model label."""
    if ":" in model:
        return model + "_parts", model.rsplit(":", 1)[1]
    name = model.rstrip("/").rsplit("/", 1)[-1]  # "//models/kws" is "//models/kws:kws"
    return model + ":" + name + "_parts", name

def model_library(
        name,
        models,
        custom_ops = [],
        custom_kernels = [],
        kernel_catalogs = _KERNEL_CATALOGS,
        kernel_libs = _KERNEL_LIBS,
        dtype_selective = True,
        backends = [],
        visibility = None,
        tags = []):
    """Several models in one image: one kernel registry, each model's data under its own name.

        model_library(
            name = "edge_models",
            models = [":kws", "//models:autoencoder"],   # executorch_model()/pte_model() targets
        )

    makes

    | target | what |
    |---|---|
    | `:<name>` | cc_library: `#include "<name>.h"` declares each model `m` as `slimtorch_app::models::m` (an `EmbeddedModel`, app/embedded_model.h: program, inputs, its own planned buffers), `slimtorch_app::models::kAll` / `kCount`, and includes `slimtorch_model::m::kBookkeepingBytes`, `kPlannedBytes<i>`, ... (the bytes to reserve on the target platform); it links the kernels |
    | `:<name>_registry.cc` | ONE kernel registry for the union of the models' manifests (operators and dtypes) |
    | `:<name>_kernels` | cc_library: that registry + the kernel libraries |
    | `:<name>_embedded` | cc_library: every model's `slimtorch embed --model-name` source |

    A model's name is its target's name (`kws`, `autoencoder`): a C++ identifier, unique in
    the library. Each model keeps its own planned buffers, so the models run alternately or
    interleaved; they do not share activation RAM. An application runs model `m` with
    `slimtorch_app::run_embedded(slimtorch_app::models::m, arena, 1, &run)` (app/run_model.h),
    `arena` a buffer of `slimtorch_model::m::kBookkeepingBytes`; tests/two_models/ is one.

    Args:
      name: prefix of every target made; the header is `<name>.h`.
      models: labels of executorch_model() or pte_model() targets, in any package
        (their `<model>_parts` must be visible here).
      custom_ops: custom_ops.yaml catalogs added to the default ones.
      custom_kernels: cc_library targets defining their kernels, added to the default ones.
      kernel_catalogs: the default catalogs (portable + cortex_m).
      kernel_libs: the default kernel libraries.
      dtype_selective: compile the dtype-selective kernels for the union's dtypes only.
      backends: delegate backends the models may use, e.g. ["xnnpack"] (tools/backends.bzl):
        the one registry links those its models' manifests list (host-only for now).
      visibility: of every target made.
      tags: of every target made.
    """
    if not models:
        fail("model_library({}): give at least one model".format(name))
    parts = []
    names = []
    for m in models:
        p, n = _split_model_label(m)
        if n in names:
            fail("model_library({}): two models are named {}; each model's target name must be unique in the library".format(name, n))
        parts.append(p)
        names.append(n)

    manifests = []
    for p, n in zip(parts, names):
        native.filegroup(
            name = "{}_{}_manifest".format(name, n),
            srcs = [p],
            output_group = "manifest",
            visibility = ["//visibility:private"],
            tags = tags,
        )
        manifests.append(":{}_{}_manifest".format(name, n))
        _library_embed(
            name = "{}_{}_embed".format(name, n),
            model = p,
            model_name = n,
            out = "{}_{}_embedded.cc".format(name, n),
            visibility = ["//visibility:private"],
            tags = tags,
        )

    _kernel_library(
        name = name,
        manifests = manifests,
        kernel_catalogs = kernel_catalogs,
        custom_ops = custom_ops,
        dtype_selective = dtype_selective,
        kernel_libs = kernel_libs + custom_kernels,
        backends = backends,
        visibility = visibility,
        tags = tags,
    )
    cc_library(
        name = name + "_embedded",
        srcs = [":{}_{}_embedded.cc".format(name, n) for n in names],
        deps = [Label("//app:embedded_model")],
        visibility = visibility,
        tags = tags,
    )

    # Each model's bookkeeping bytes, measured by the runtime built for the target
    # platform (as pte_model() does for one model): one probe per model.
    sizes_headers = []
    for p, n in zip(parts, names):
        cc_binary(
            name = "{}_{}_bookkeeping_probe".format(name, n),
            srcs = [Label("//tools/memory:bookkeeping_probe.cc")],
            local_defines = ["SLIMTORCH_PROBE_MODEL=" + n],
            deps = [
                Label("//app:console"),
                Label("//app:embedded_model"),
                Label("//runtime"),
                ":" + name + "_embedded",
                ":" + name + "_kernels",
            ] + select({
                _IS_BARE_METAL: [
                    Label("//platforms/bare_metal:semihosting"),
                    Label("//platforms/bare_metal:startup"),
                ],
                "//conditions:default": [],
            }),
            visibility = ["//visibility:private"],
            tags = tags,
        )
        _sizes_header(
            name = "{}_{}_sizes_header".format(name, n),
            model = p,
            model_name = n,
            probe = ":{}_{}_bookkeeping_probe".format(name, n),
            platform = TARGET_PLATFORM,
            out = "{}_include/{}_{}_sizes.h".format(name, name, n),
            visibility = ["//visibility:private"],
            tags = tags,
        )
        sizes_headers.append(":{}_include/{}_{}_sizes.h".format(name, name, n))

    _library_header(
        name = name + "_header",
        library = name,
        model_names = names,
        model_labels = models,
        sizes_headers = sizes_headers,
        out = "{}_include/{}.h".format(name, name),
        visibility = ["//visibility:private"],
        tags = tags,
    )
    cc_library(
        name = name,
        hdrs = [":{}_include/{}.h".format(name, name)] + sizes_headers,
        strip_include_prefix = name + "_include",
        deps = [
            Label("//app:embedded_model"),
            ":" + name + "_embedded",
            ":" + name + "_kernels",
        ],
        visibility = visibility,
        tags = tags,
    )
