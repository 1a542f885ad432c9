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
| `:mlp_parts` | SlimtorchModelInfo: program, manifest, inputs, memories (what model_library() reads) |

A binary links `:mlp_kernels`, `:mlp_embedded` (optional) and `//runtime` (model_image()).
Several models in one image: model_library(name, models = [":kws", "//x:anomaly"]) (one
registry for all their manifests, each model's data under its own C++ name; see its doc).

`pte_model(name, program, inputs = [...])` makes the same targets (but the export's) for a
program that exists already, any `.pte`, upstream's too; executorch_model() is the export
followed by pte_model().
Every Python step runs `PYTHONPATH=python <interpreter> -m slimtorch ...`
from the source tree with @slimtorch_python//:python (tools/python.bzl).
"""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_library")

_PYTHON = "@slimtorch_python//:python"

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
_SLIMTORCH_SRCS = "//python/slimtorch:srcs"

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
        "--quantize",
        ctx.attr.quantize,
    ] + [
        # Quiet on success; the whole log on failure.
        '>"$HOME/log" 2>&1 || { cat "$HOME/log" >&2; exit 1; }',
    ])
    ctx.actions.run_shell(
        command = command,
        inputs = [ctx.file.src] + ctx.files._slimtorch_srcs + ctx.files.data,
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
        "data": attr.label_list(allow_files = True, doc = "files the model file reads or imports"),
        "io_dir_name": attr.string(mandatory = True),
        "manifest": attr.output(mandatory = True),
        "memories": attr.string_list(doc = "NAME:BYTES, fastest first (slimtorch export --memory)"),
        "program": attr.output(mandatory = True),
        "quantize": attr.string(default = "none", values = ["none", "int8"], doc = "slimtorch export --quantize"),
        "runtime": attr.string(default = "any", values = ["any", "slimtorch"], doc = "slimtorch export --runtime"),
        "src": attr.label(mandatory = True, allow_single_file = [".py"]),
        "_python": attr.label(default = _PYTHON, executable = True, cfg = "exec"),
        "_slimtorch_srcs": attr.label(default = _SLIMTORCH_SRCS),
    },
    doc = "Runs `slimtorch export` on a model file.",
)

def _embed_action(ctx, program, io_dir, input_files, memories, model_name = None):
    """Runs `slimtorch embed` writing ctx.outputs.out (rule attrs _python, _slimtorch_srcs).

    program: the .pte File (None: `--none`); io_dir / input_files: its inputs (a directory
    of input<i>.npy, or the files in input order; neither: no inputs); memories: NAME:BYTES
    strings; model_name: `--model-name` (one EmbeddedModel of a model_library()).
    """
    extra = " ".join(["--memory " + m for m in memories] + (["--model-name " + model_name] if model_name else []))
    pythonpath = _slimtorch_pythonpath(ctx.files._slimtorch_srcs)
    inputs = ctx.files._slimtorch_srcs
    if io_dir and input_files:
        fail("{}: give io_dir or inputs, not both".format(ctx.label))
    if program and not io_dir and not input_files:
        # A program whose method takes no inputs (//app:size_test's).
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
    _embed_action(ctx, ctx.file.program, ctx.file.io_dir, ctx.files.inputs, ctx.attr.memories)

slimtorch_embed = rule(
    implementation = _embed_impl,
    attrs = {
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

_PRIM_OPS_CATALOG = "//runtime/executor:prim_ops.yaml"

# Every kernel catalog of the project and the libraries defining their kernels: a
# manifest selects from all of them (a float model's registry names no cortex_m::
# kernel, so its image links none).
_KERNEL_CATALOGS = [
    "//kernels/portable:functions.yaml",
    "//kernels/cortex_m:functions.yaml",
]
_KERNEL_LIBS = [
    "//kernels/portable",
    "//kernels/cortex_m",
]

# Kernel sources written for dtype selection (runtime/kernel/dtype_selection.h).
_DTYPE_SELECTIVE_KERNELS = [
    "//kernels/portable:op_binary.cpp",
    "//kernels/portable:op_permute_copy.cpp",
    "//kernels/portable:op_reduction.cpp",
    "//kernels/portable:op_relu.cpp",
]

_QEMU = "/usr/bin/qemu-system-arm"

def _sizes_header_impl(ctx):
    pythonpath = _slimtorch_pythonpath(ctx.files._slimtorch_srcs)
    probe = ctx.executable.probe
    info = ctx.attr.model[SlimtorchModelInfo] if ctx.attr.model else None
    program = info.program if info else ctx.file.program
    memories = info.memories if info else ctx.attr.memories
    if not program:
        fail("{}: give program or model".format(ctx.label))
    if ctx.attr.run_under_qemu:
        # The probe is a Cortex-M55 image: heap-check it like every image the
        # build makes, then run it on the board it was built for.
        run = ("{checker} /usr/bin/arm-none-eabi-nm {probe} >/dev/null && " +
               "timeout 60 {qemu} -M mps3-an547 -nographic -monitor none -serial none " +
               "-chardev file,id=semihost,path=\"$HOME/probe.txt\" " +
               "-semihosting-config enable=on,target=native,chardev=semihost " +
               "-kernel {probe} </dev/null").format(
            checker = ctx.executable._heap_checker.path,
            qemu = _QEMU,
            probe = probe.path,
        )
    else:
        run = "{probe} >\"$HOME/probe.txt\"".format(probe = probe.path)
    command = _ENV_SETUP + """
{run} || {{ echo "bookkeeping probe {probe} failed:" >&2; cat "$HOME/probe.txt" >&2; exit 1; }}
n="$(sed -n 's/^bookkeeping_bytes \\([0-9][0-9]*\\)$/\\1/p' "$HOME/probe.txt")"
[ -n "$n" ] || {{ echo "bookkeeping probe {probe} printed no figure:" >&2; cat "$HOME/probe.txt" >&2; exit 1; }}
PYTHONPATH={pythonpath} {python} -m slimtorch sizes-header {program} --bookkeeping-bytes "$n" \
  {memories} -o {out} >"$HOME/log" 2>&1 || {{ cat "$HOME/log" >&2; exit 1; }}
""".format(
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
        inputs = ctx.files._slimtorch_srcs + [program, probe],
        outputs = [ctx.outputs.out],
        tools = [ctx.attr._python[DefaultInfo].files_to_run, ctx.executable._heap_checker],
        mnemonic = "SlimtorchSizes",
        progress_message = "Measuring memory sizes of {}".format(program.short_path),
        use_default_shell_env = True,
    )

_sizes_header = rule(
    implementation = _sizes_header_impl,
    attrs = {
        "memories": attr.string_list(),
        "model": attr.label(providers = [SlimtorchModelInfo], doc = "instead of program and memories: a `<model>_parts`"),
        "model_name": attr.string(doc = "one model of a model_library(): namespace slimtorch_model::<model_name>"),
        "out": attr.output(mandatory = True),
        "probe": attr.label(mandatory = True, executable = True, cfg = "target"),
        "program": attr.label(allow_single_file = [".pte"]),
        "run_under_qemu": attr.bool(default = False),
        "_heap_checker": attr.label(
            default = "//tools:heap_check.sh",
            allow_single_file = True,
            executable = True,
            cfg = "exec",
        ),
        "_python": attr.label(default = _PYTHON, executable = True, cfg = "exec"),
        "_slimtorch_srcs": attr.label(default = _SLIMTORCH_SRCS),
    },
    doc = "Runs the bookkeeping probe for the target platform, then `slimtorch sizes-header`.",
)

def kernel_registry(
        name,
        out,
        manifests = [],
        all_kernels = False,
        kernel_catalogs = _KERNEL_CATALOGS,
        dtype_header = None,
        **kwargs):
    """Generates a kernel registry source with codegen/gen_registry.py.

    Args:
      name: the genrule's name.
      out: the generated .cc file.
      manifests: operator manifests (.ops.yaml) whose operators to register.
      all_kernels: register every kernel of the catalogs instead (manifests unused).
      kernel_catalogs: functions.yaml / custom_ops.yaml files.
      dtype_header: also generate this dtype selection header (runtime/kernel/dtype_selection.h).
      **kwargs: passed to the genrule (visibility, tags, ...).
    """
    if all_kernels == bool(manifests):
        fail("kernel_registry({}): give manifests, or all_kernels = True, not both".format(name))
    # The runtime's primitive ops are selected like kernels (runtime/executor/prim_ops.yaml).
    kernel_catalogs = kernel_catalogs + [_PRIM_OPS_CATALOG]
    catalog_args = " ".join(["--catalog $(location {})".format(c) for c in kernel_catalogs])
    if all_kernels:
        selection = "--all"
    else:
        selection = " ".join(["--manifest $(location {})".format(m) for m in manifests])
    native.genrule(
        name = name,
        srcs = kernel_catalogs + manifests,
        outs = [out] + ([dtype_header] if dtype_header else []),
        cmd = "$(location {python}) $(location //codegen:gen_registry.py) {catalogs} {selection} --output $(location {out}){header}".format(
            python = _PYTHON,
            catalogs = catalog_args,
            selection = selection,
            out = out,
            header = " --dtype-header $(location {})".format(dtype_header) if dtype_header else "",
        ),
        tools = [
            _PYTHON,
            "//codegen:gen_registry.py",
            "//codegen:gen_registry_srcs",
        ],
        message = "Generating kernel registry {}".format(out),
        **kwargs
    )

def _kernel_library(name, registry, dtype_header, dtype_selective, kernel_libs, visibility, tags):
    """A model's (or a model_library()'s) kernel library: cc_library `name`.

    registry: the generated registry .cc; dtype_header: the dtype selection header
    kernel_registry() generated with it (a file name in this package).
    """

    # The registry, plus the dtype-selective
    # kernel sources compiled again for the manifests' dtypes only
    # (runtime/kernel/dtype_selection.h). Those objects are linked whole
    # (alwayslink), so the generic copies in kernel_libs are never pulled for
    # them; --gc-sections drops the ones the registry does not name. The other
    # kernels come from the kernel_libs archives, only those the registry names.
    header_path = (native.package_name() + "/" + dtype_header) if native.package_name() else dtype_header
    cc_library(
        name = name,
        srcs = [registry] + (_DTYPE_SELECTIVE_KERNELS if dtype_selective else []),
        hdrs = [":" + dtype_header],
        copts = ["-DSLIMTORCH_SELECTED_DTYPES_H=\\\"{}\\\"".format(header_path)] if dtype_selective else [],
        alwayslink = True,
        deps = kernel_libs + ["//runtime/executor", "//runtime/kernel"],  # executor: primitive ops
        visibility = visibility,
        tags = tags,
    )

def executorch_model(
        name,
        src,
        data = [],
        kernel_catalogs = _KERNEL_CATALOGS,
        kernel_libs = _KERNEL_LIBS,
        embedded_model_hdr = "//app:embedded_model",
        dtype_selective = True,
        memories = [],
        runtime = "any",
        quantize = "none",
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
      visibility: of every target made.
      tags: of every target made.
    """
    memory_specs = ["{}:{}".format(m[0], m[1]) for m in memories]
    _export(
        name = name + "_export",
        src = src,
        memories = memory_specs,
        runtime = runtime,
        quantize = quantize,
        data = data,
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
        embedded_model_hdr = embedded_model_hdr,
        dtype_selective = dtype_selective,
        memories = memories,
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
        embedded_model_hdr = "//app:embedded_model",
        dtype_selective = True,
        memories = [],
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
      embedded_model_hdr: cc_library providing app/embedded_model.h.
      dtype_selective: compile the dtype-selective kernels for the manifest's dtypes only.
      memories: [(name, bytes), ...] the program was planned for (executorch_model).
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

    kernel_registry(
        name = name + "_registry",
        out = name + "_registry.cc",
        manifests = [manifest],
        kernel_catalogs = kernel_catalogs,
        dtype_header = name + "_selected_dtypes.h",
        visibility = visibility,
        tags = tags,
    )

    _kernel_library(
        name = name + "_kernels",
        registry = ":" + name + "_registry.cc",
        dtype_header = name + "_selected_dtypes.h",
        dtype_selective = dtype_selective,
        kernel_libs = kernel_libs,
        visibility = visibility,
        tags = tags,
    )

    # The same registry over the shared kernels, every dtype (the size
    # report's "only its ops" image).
    cc_library(
        name = name + "_kernels_all_dtypes",
        srcs = [":" + name + "_registry.cc"],
        alwayslink = True,
        deps = kernel_libs + ["//runtime/executor", "//runtime/kernel"],
        visibility = visibility,
        tags = tags,
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
        srcs = [":" + name + "_embedded.cc"],
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
        srcs = ["//tools/memory:bookkeeping_probe.cc"],
        deps = [
            "//app:embedded_model",
            "//runtime",
            ":" + name + "_embedded",
            ":" + name + "_kernels",
        ] + select({
            "//platforms:is_arm_m55": [
                "//platforms/arm_m55:semihosting",
                "//platforms/arm_m55:startup",
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
        run_under_qemu = select({
            "//platforms:is_arm_m55": True,
            "//conditions:default": False,
        }),
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

def model_image(name, model, embedded = None, kernels = None, local_defines = [], visibility = None, tags = []):
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
      visibility: of the binary.
      tags: of the binary.
    """
    cc_binary(
        name = name,
        # run_model.cc is compiled into each image rather than into a library: it
        # refers to the embedded model's symbols, and objects on the link line come
        # before every library, whatever the dependency order.
        srcs = [
            "//app:run_model.cc",
            "//app:run_model.h",
        ] + select({
            "//platforms:is_arm_m55": ["//app:firmware_main.cc"],
            "//conditions:default": ["//app:runner_main.cc"],
        }),
        local_defines = local_defines,
        deps = [
            embedded or ":{}_embedded".format(model),
            kernels or ":{}_kernels".format(model),
            "//app:embedded_model",
            "//runtime",
        ] + select({
            "//platforms:is_arm_m55": [
                ":{}_sizes".format(model),  # model_sizes.h: the arena firmware_main.cc declares
                "//platforms/arm_m55:semihosting",
                "//platforms/arm_m55:startup",
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

    kernel_registry(
        name = name + "_registry",
        out = name + "_registry.cc",
        manifests = manifests,
        kernel_catalogs = kernel_catalogs + custom_ops,
        dtype_header = name + "_selected_dtypes.h",
        visibility = visibility,
        tags = tags,
    )
    _kernel_library(
        name = name + "_kernels",
        registry = ":" + name + "_registry.cc",
        dtype_header = name + "_selected_dtypes.h",
        dtype_selective = dtype_selective,
        kernel_libs = kernel_libs + custom_kernels,
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
                Label("//app:embedded_model"),
                Label("//runtime"),
                ":" + name + "_embedded",
                ":" + name + "_kernels",
            ] + select({
                "//platforms:is_arm_m55": [
                    Label("//platforms/arm_m55:semihosting"),
                    Label("//platforms/arm_m55:startup"),
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
            run_under_qemu = select({
                "//platforms:is_arm_m55": True,
                "//conditions:default": False,
            }),
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
