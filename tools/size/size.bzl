"""Size checks and the size report (issue 8).

- `size_budget_test`: builds one image for one platform (through a transition,
  so it runs inside a host `bazel test //...`), relinks it with a linker map,
  and fails when its flash bytes (text + data) exceed the budget in
  tools/size/budgets.yaml, naming the components that grew.
- `size_report`: `bazel run //tools/size:report` prints text/data/bss, flash,
  stripped size and bytes by component for every image it lists, and writes an
  SVG of the same (tools/size/size_report.py).

The linker map: Bazel 4.2.3's cc_binary declares no map output, so an aspect
re-runs the image's own link action (same command line, same inputs) with
`-Wl,-Map=` and declares both outputs. The relinked ELF is what gets measured;
it is byte-for-byte the same link.
"""

load("//platforms:defs.bzl", "PLATFORMS")

_PYTHON = Label("@slimtorch_python//:python")

LinkMapInfo = provider(fields = {"elf": "relinked image", "map": "its GNU ld map"})

def _link_map_aspect_impl(target, ctx):
    link = [a for a in target.actions if a.mnemonic == "CppLink"]
    if not link:
        fail("{}: no link action (size checks need a cc_binary)".format(target.label))
    action = link[0]
    elf = ctx.actions.declare_file(ctx.rule.attr.name + ".sized")
    map_file = ctx.actions.declare_file(ctx.rule.attr.name + ".sized.map")
    # Starlark sees the command line with its params file already expanded
    # (and the @file reference kept): drop the reference.
    # Debug information is kept (no -Wl,-S): it loads nothing, and the report
    # attributes link-time optimised code to source files through it.
    argv = [a for a in action.argv if not a.startswith("@") and a != "-Wl,-S"]
    out = argv.index("-o")
    argv[out + 1] = elf.path
    ctx.actions.run(
        executable = argv[0],
        arguments = argv[1:] + ["-Wl,-Map=" + map_file.path],
        inputs = action.inputs,
        outputs = [elf, map_file],
        mnemonic = "SizeRelink",
        progress_message = "Relinking {} with a linker map".format(target.label),
    )
    return [LinkMapInfo(elf = elf, map = map_file)]

link_map_aspect = aspect(implementation = _link_map_aspect_impl)

_MESSAGES_FLAG = str(Label("//runtime/core:error_messages"))

# Report keys are <image>/<platform>[/<error-message mode>].
_MESSAGE_MODES = ["text", "token", "off"]

# Host images are measured as a size-optimised release build: -c opt
# (NDEBUG, no assertions) with the flags the firmware toolchain always uses
# (-Os, link-time optimisation, a section per function and datum,
# --gc-sections), no PLT stubs, no unwind tables (the
# runtime has no exceptions; .eh_frame is dead weight) and no PLT/GOT-heavy PIE.
# That is how one would ship the runtime on a size-constrained Linux device,
# and it measures the runtime's code rather than the default fastbuild's
# unoptimised code and debug-oriented sections. Firmware is always -Os (its
# toolchain bakes the flags in).
_HOST_SIZE_COPTS = [
    "-Os",
    "-g",  # not loaded; lets the report attribute LTO code to source files
    "-ffunction-sections",
    "-fdata-sections",
    "-fno-asynchronous-unwind-tables",
    "-fno-unwind-tables",
    "-flto",
    # Calls into libc through the GOT, not PLT stubs: -160 B size_test
    # (no messages), -688 B MLP (measured with this report).
    "-fno-plt",
]
_HOST_SIZE_LINKOPTS = [
    "-Wl,--gc-sections",
    "-no-pie",
    "-Wl,--build-id=none",
    # LTO code generation happens at link time: the same options there.
    "-flto",
    "-Os",
    "-ffunction-sections",
    "-fdata-sections",
    "-fno-asynchronous-unwind-tables",
    "-fno-unwind-tables",
    "-fno-plt",
]

def _image_transition_impl(settings, attr):
    if attr.platform not in PLATFORMS:
        fail("unknown platform '{}': one of {}".format(attr.platform, ", ".join(sorted(PLATFORMS))))

    # Firmware toolchains bake the size flags in; hosted programs (the host, Linux
    # boards) get them here.
    hosted = PLATFORMS[attr.platform]["kind"] != "bare_metal"
    return {
        "//command_line_option:platforms": str(Label("//platforms:" + attr.platform)),
        # Release builds: -c opt, where error messages `auto` means off on bare
        # metal (runtime/core/BUILD.bazel); the flags are the toolchain's -Os.
        "//command_line_option:compilation_mode": "opt",
        "//command_line_option:copt": settings["//command_line_option:copt"] + (_HOST_SIZE_COPTS if hosted else []),
        "//command_line_option:linkopt": settings["//command_line_option:linkopt"] + (_HOST_SIZE_LINKOPTS if hosted else []),
        _MESSAGES_FLAG: attr.error_messages,
    }

_image_transition = transition(
    implementation = _image_transition_impl,
    inputs = ["//command_line_option:copt", "//command_line_option:linkopt"],
    outputs = [
        "//command_line_option:platforms",
        "//command_line_option:compilation_mode",
        "//command_line_option:copt",
        "//command_line_option:linkopt",
        _MESSAGES_FLAG,
    ],
)

_COMMON_ATTRS = {
    "_allowlist_function_transition": attr.label(
        default = Label("@bazel_tools//tools/allowlists/function_transition_allowlist"),
    ),
    "_python": attr.label(default = _PYTHON, executable = True, cfg = "exec"),
    "_report": attr.label(default = Label("//tools/size:size_report.py"), allow_single_file = True),
    "_budgets": attr.label(default = Label("//tools/size:budgets.yaml"), allow_single_file = True),
}

def _image_args(key, info, platform):
    tools = PLATFORMS[platform]["tools"]
    tool = tools + "-" if tools else ""
    return "--image '{}={}:{}:{}'".format(key, info.elf.short_path, info.map.short_path, tool)

def _own_copy(ctx, info):
    """The relinked image and map under this rule's name: images of different
    configurations share a short path, which must not collide in runfiles."""
    elf = ctx.actions.declare_file(ctx.label.name + ".elf")
    map_file = ctx.actions.declare_file(ctx.label.name + ".map")
    ctx.actions.symlink(output = elf, target_file = info.elf)
    ctx.actions.symlink(output = map_file, target_file = info.map)
    return LinkMapInfo(elf = elf, map = map_file)

def _size_budget_test_impl(ctx):
    info = _own_copy(ctx, ctx.attr.image[0][LinkMapInfo])
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(script, """#!/bin/bash
exec {python} {report} --budgets {budgets} --check {limit}{args}
""".format(
        limit = "--limit {} ".format(ctx.attr.limit) if ctx.attr.limit else "",
        python = ctx.executable._python.short_path,
        report = ctx.file._report.short_path,
        budgets = ctx.file._budgets.short_path,
        args = _image_args(ctx.attr.key, info, ctx.attr.platform),
    ), is_executable = True)
    runfiles = ctx.runfiles(files = [info.elf, info.map, ctx.file._report, ctx.file._budgets])
    runfiles = runfiles.merge(ctx.attr._python[DefaultInfo].default_runfiles)
    return [DefaultInfo(executable = script, runfiles = runfiles)]

_size_budget_test = rule(
    implementation = _size_budget_test_impl,
    test = True,
    attrs = dict(
        image = attr.label(mandatory = True, cfg = _image_transition, aspects = [link_map_aspect]),
        platform = attr.string(mandatory = True, doc = "a platform name of platforms/defs.bzl"),
        error_messages = attr.string(default = "auto", doc = "--//runtime/core:error_messages for this image"),
        key = attr.string(mandatory = True, doc = "the image's entry in budgets.yaml"),
        limit = attr.int(default = 0, doc = "a flash target the image must meet too (0: none)"),
        **_COMMON_ATTRS
    ),
)

def size_budget_test(name, image, platform, key, error_messages = "auto", limit = 0, size = "small", **kwargs):
    """Fails when `image` built for `platform` has more flash bytes than budgets.yaml allows for `key` (or than `limit`)."""
    _size_budget_test(
        name = name,
        image = image,
        platform = platform,
        key = key,
        limit = limit,
        error_messages = error_messages,
        size = size,
        **kwargs
    )

def _sized_image_impl(ctx):
    info = _own_copy(ctx, ctx.attr.image[0][LinkMapInfo])
    return [info, DefaultInfo(files = depset([info.elf, info.map]))]

# One image of the report: a cc_binary for a platform and an error-message mode.
sized_image = rule(
    implementation = _sized_image_impl,
    attrs = dict(
        image = attr.label(mandatory = True, cfg = _image_transition, aspects = [link_map_aspect]),
        platform = attr.string(mandatory = True, doc = "a platform name of platforms/defs.bzl"),
        error_messages = attr.string(default = "auto", doc = "--//runtime/core:error_messages for this image"),
        **_COMMON_ATTRS
    ),
)

def _size_report_impl(ctx):
    args = []
    files = []
    for target, key in ctx.attr.images.items():
        info = target[LinkMapInfo]
        platform = key.split("/")[-2] if key.split("/")[-1] in _MESSAGE_MODES else key.split("/")[-1]
        args.append(_image_args(key, info, platform))
        files += [info.elf, info.map]
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(script, """#!/bin/bash
# `bazel run` starts here in the runfiles tree; --svg defaults into the workspace.
exec {python} {report} --budgets {budgets} {args} "$@"
""".format(
        python = ctx.executable._python.short_path,
        report = ctx.file._report.short_path,
        budgets = ctx.file._budgets.short_path,
        args = " ".join(args),
    ), is_executable = True)
    runfiles = ctx.runfiles(files = files + [ctx.file._report, ctx.file._budgets])
    runfiles = runfiles.merge(ctx.attr._python[DefaultInfo].default_runfiles)
    return [DefaultInfo(executable = script, runfiles = runfiles)]

size_report = rule(
    implementation = _size_report_impl,
    executable = True,
    attrs = dict(
        images = attr.label_keyed_string_dict(providers = [LinkMapInfo], doc = "sized_image -> name"),
        _python = attr.label(default = _PYTHON, executable = True, cfg = "exec"),
        _report = attr.label(default = Label("//tools/size:size_report.py"), allow_single_file = True),
        _budgets = attr.label(default = Label("//tools/size:budgets.yaml"), allow_single_file = True),
    ),
)
