"""C++ toolchains from Debian's cross compilers (GCC 12), one rule for every platform.

Each toolchain calls its compiler by absolute path (/usr/bin/<prefix>-gcc), so Bazel
needs none of its files in the sandbox. Two kinds:

- bare metal (`bare_metal = True`: Cortex-M, RISC-V): every compile is for size (-Os, one
  section per function and datum, link-time optimised); every link has no start files
  (the board's reset handler is the start-up code: platforms/arm_m, platforms/riscv32),
  drops unreferenced sections and links the C library given by `link_flags`/`link_libs`
  (newlib-nano for Arm, picolibc for RISC-V);
- Linux (`bare_metal = False`: aarch64): a hosted C++17 program like the host's, linked
  statically so that it runs under qemu-aarch64 (user mode) without a sysroot, and on any
  aarch64 Linux board whatever its libstdc++.

`gcc_toolchain()` declares the configuration, the cc_toolchain and the toolchain that
Bazel picks when the target platform has `target_compatible_with`'s constraints
(registered in tools/deps.bzl).
"""

load("@bazel_tools//tools/build_defs/cc:action_names.bzl", "ACTION_NAMES")
load(
    "@bazel_tools//tools/cpp:cc_toolchain_config_lib.bzl",
    "feature",
    "flag_group",
    "flag_set",
    "tool_path",
)
load("@rules_cc//cc:defs.bzl", "cc_toolchain")

# Code-generation choices for size, given to every bare-metal compile and to the link
# (LTO generates the code there). Each was measured on the Cortex-M55's no-messages
# images (--//runtime/core:error_messages=off).
_SIZE_FLAGS = [
    "-Os",
    "-ffunction-sections",
    "-fdata-sections",
    # Keep byte loops as loops: GCC 12 otherwise turns them into calls to
    # strlen/memcpy/memset, which pulled newlib's strlen (92 B) into the MLP
    # image (-56 B there). memcpy/memset are the board's own (platforms/arm_m/mem.cc).
    "-fno-tree-loop-distribute-patterns",
    # No instruction scheduling after register allocation: -52 B MLP, -32 B
    # size_test; M55 dispatch stays 24.25 instructions per kernel call
    # (tools/bench/framework_tax.py). -fno-inline-small-functions, -finline-limit,
    # -fno-partial-inlining, -fno-ipa-cp-clone, -fipa-pta, -flto-partition=one,
    # -fno-jump-tables, -fno-ivopts all grew or kept the images (measured).
    "-fno-schedule-insns2",
]

# Reproducible outputs: no absolute paths or dates.
_REPRODUCIBLE_FLAGS = [
    "-no-canonical-prefixes",
    "-fno-canonical-system-headers",
    "-Wno-builtin-macro-redefined",
    "-D__DATE__=\"redacted\"",
    "-D__TIMESTAMP__=\"redacted\"",
    "-D__TIME__=\"redacted\"",
]

_ALL_COMPILE_ACTIONS = [
    ACTION_NAMES.assemble,
    ACTION_NAMES.preprocess_assemble,
    ACTION_NAMES.c_compile,
    ACTION_NAMES.cpp_compile,
    ACTION_NAMES.cpp_header_parsing,
    ACTION_NAMES.cpp_module_compile,
    ACTION_NAMES.cpp_module_codegen,
    ACTION_NAMES.linkstamp_compile,
]

_CXX_COMPILE_ACTIONS = [
    ACTION_NAMES.cpp_compile,
    ACTION_NAMES.cpp_header_parsing,
    ACTION_NAMES.cpp_module_compile,
    ACTION_NAMES.cpp_module_codegen,
    ACTION_NAMES.linkstamp_compile,
]

_ALL_LINK_ACTIONS = [
    ACTION_NAMES.cpp_link_executable,
    ACTION_NAMES.cpp_link_dynamic_library,
    ACTION_NAMES.cpp_link_nodeps_dynamic_library,
]

_TOOLS = ["ar", "cpp", "gcc", "gcov", "ld", "nm", "objcopy", "objdump", "strip"]

def _flags_feature(name, actions, flags):
    return feature(
        name = name,
        enabled = True,
        flag_sets = [flag_set(actions = actions, flag_groups = [flag_group(flags = flags)])] if flags else [],
    )

def _impl(ctx):
    prefix = "/usr/bin/" + ctx.attr.prefix + "-"
    tool_paths = [tool_path(name = t, path = prefix + t) for t in _TOOLS]
    cpu = ctx.attr.cpu_flags
    if ctx.attr.bare_metal:
        compile_flags = cpu + _SIZE_FLAGS + [
            # Link-time optimisation: the runtime is many small functions across
            # files (flatbuffer accessors, loader, method); inlining and dropping
            # them across files saved 1,964 of size_test's 16,472 flash bytes (M55).
            "-flto",
            # Debug info costs no flash (it is not loaded) and makes QEMU/gdb
            # sessions readable.
            "-g",
        ]
        cxx_flags = [
            # One thread, no OS: function-local statics need no guard (and so no
            # __cxa_guard_* from libstdc++).
            "-fno-threadsafe-statics",
            "-fno-use-cxa-atexit",
        ]
        link_flags = cpu + ["-no-canonical-prefixes"] + ctx.attr.link_flags + [
            # The board's reset handler replaces the C library's crt0.
            "-nostartfiles",
            "-Wl,--gc-sections",
            # Sections sorted by alignment: less padding between them (-22 B MLP,
            # -6 B size_test on the M55).
            "-Wl,--sort-section=alignment",
            # LTO code generation happens at link time: same size flags and a
            # section per function and datum there too (the linker scripts place
            # the embedded program by section name).
            "-flto",
        ] + _SIZE_FLAGS
    else:
        compile_flags = cpu + ["-g"]
        cxx_flags = []
        link_flags = cpu + ["-no-canonical-prefixes", "-static"] + ctx.attr.link_flags
    features = [
        _flags_feature("default_compile_flags", _ALL_COMPILE_ACTIONS, compile_flags + ["-Wall"] + _REPRODUCIBLE_FLAGS),
        _flags_feature("default_cxx_flags", _CXX_COMPILE_ACTIONS, [
            "-std=c++17",
            "-fno-exceptions",
            "-fno-rtti",
        ] + cxx_flags),
        _flags_feature("default_link_flags", _ALL_LINK_ACTIONS, link_flags),
        # Libraries come last on the link line (after the objects that use them).
        _flags_feature("default_link_libs", _ALL_LINK_ACTIONS, ["-Wl,--start-group"] + ctx.attr.link_libs + ["-Wl,--end-group"]),
        # -c opt / dbg / fastbuild: the bare-metal images are built for size whatever the
        # mode; a Linux binary is optimised in -c opt.
        feature(name = "opt", flag_sets = [] if ctx.attr.bare_metal else [
            flag_set(actions = _ALL_COMPILE_ACTIONS, flag_groups = [flag_group(flags = ["-O2", "-DNDEBUG"])]),
        ]),
        feature(name = "dbg"),
        feature(name = "fastbuild"),
        # Bare metal has neither shared libraries nor position-independent code;
        # the Linux programs are static.
        feature(name = "supports_pic", enabled = False),
    ]
    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        toolchain_identifier = ctx.attr.name,
        host_system_name = "x86_64-unknown-linux-gnu",
        target_system_name = ctx.attr.prefix,
        target_cpu = ctx.attr.target_cpu,
        target_libc = ctx.attr.libc,
        compiler = "gcc",
        abi_version = "unknown",
        abi_libc_version = ctx.attr.libc,
        tool_paths = tool_paths,
        features = features,
        cxx_builtin_include_directories = ctx.attr.include_dirs,
    )

gcc_toolchain_config = rule(
    implementation = _impl,
    attrs = {
        "bare_metal": attr.bool(mandatory = True, doc = "size-optimised bare-metal images, or a static Linux program"),
        "cpu_flags": attr.string_list(mandatory = True, doc = "-mcpu/-march/-mfpu/-mabi flags, to every compile and link"),
        "include_dirs": attr.string_list(mandatory = True, doc = "the compiler's built-in include directories"),
        "libc": attr.string(mandatory = True),
        "link_flags": attr.string_list(doc = "C library selection (--specs=...)"),
        "link_libs": attr.string_list(doc = "libraries at the end of the link line"),
        "prefix": attr.string(mandatory = True, doc = "the tools' prefix: /usr/bin/<prefix>-gcc"),
        "target_cpu": attr.string(mandatory = True),
    },
    provides = [CcToolchainConfigInfo],
)

def gcc_toolchain(name, target_compatible_with, **kwargs):
    """A registered C++ toolchain for one target platform.

    Declares `<name>_config` (gcc_toolchain_config with **kwargs), `<name>_cc` (the
    cc_toolchain) and `<name>` (the toolchain, for Linux x86-64 build machines and
    targets with `target_compatible_with`'s constraints).

    Args:
      name: the toolchain's name (register `//platforms/toolchain:all`).
      target_compatible_with: the target platform's constraint values.
      **kwargs: gcc_toolchain_config's attributes.
    """
    gcc_toolchain_config(name = name + "_config", **kwargs)
    empty = Label("//platforms/toolchain:empty")
    cc_toolchain(
        name = name + "_cc",
        all_files = empty,
        ar_files = empty,
        as_files = empty,
        compiler_files = empty,
        dwp_files = empty,
        linker_files = empty,
        objcopy_files = empty,
        strip_files = empty,
        supports_param_files = True,
        toolchain_config = ":" + name + "_config",
        toolchain_identifier = name,
    )
    native.toolchain(
        name = name,
        exec_compatible_with = [
            Label("@platforms//cpu:x86_64"),
            Label("@platforms//os:linux"),
        ],
        target_compatible_with = target_compatible_with,
        toolchain = ":" + name + "_cc",
        toolchain_type = Label("@bazel_tools//tools/cpp:toolchain_type"),
    )
