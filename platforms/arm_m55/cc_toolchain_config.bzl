"""C++ toolchain configuration for the Cortex-M55 with arm-none-eabi-gcc 12.2.

Debian's gcc-arm-none-eabi, libnewlib-arm-none-eabi and
libstdc++-arm-none-eabi-newlib, called by absolute path. Every compile is
Thumb, hard-float, -Os, link-time optimised, one section per function and
datum; every link uses
newlib-nano without start files (the board's reset handler is the start-up
code) and drops unreferenced sections.
"""

load("@bazel_tools//tools/build_defs/cc:action_names.bzl", "ACTION_NAMES")
load(
    "@bazel_tools//tools/cpp:cc_toolchain_config_lib.bzl",
    "feature",
    "flag_group",
    "flag_set",
    "tool_path",
)

_GCC_VERSION = "12.2.1"

_CPU_FLAGS = [
    "-mcpu=cortex-m55",
    "-mthumb",
    "-mfloat-abi=hard",
]

# Code-generation choices for size, given to every compile and to the link (LTO
# generates the code there). Each was measured on the no-messages images
# (--//runtime/core:error_messages=off).
_SIZE_FLAGS = [
    "-Os",
    "-ffunction-sections",
    "-fdata-sections",
    # Keep byte loops as loops: GCC 12 otherwise turns them into calls to
    # strlen/memcpy/memset, which pulled newlib's strlen (92 B) into the MLP
    # image (-56 B there). memcpy/memset are the board's own (mem.cc).
    "-fno-tree-loop-distribute-patterns",
    # No instruction scheduling after register allocation: -52 B MLP, -32 B
    # size_test; M55 dispatch stays 24.25 instructions per kernel call
    # (tools/bench/framework_tax.py). -fno-inline-small-functions, -finline-limit,
    # -fno-partial-inlining, -fno-ipa-cp-clone, -fipa-pta, -flto-partition=one,
    # -fno-jump-tables, -fno-ivopts all grew or kept the images (measured).
    "-fno-schedule-insns2",
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

def _impl(ctx):
    tool_paths = [
        tool_path(name = "ar", path = "/usr/bin/arm-none-eabi-ar"),
        tool_path(name = "cpp", path = "/usr/bin/arm-none-eabi-cpp"),
        tool_path(name = "gcc", path = "/usr/bin/arm-none-eabi-gcc"),
        tool_path(name = "gcov", path = "/usr/bin/arm-none-eabi-gcov"),
        tool_path(name = "ld", path = "/usr/bin/arm-none-eabi-ld"),
        tool_path(name = "nm", path = "/usr/bin/arm-none-eabi-nm"),
        tool_path(name = "objcopy", path = "/usr/bin/arm-none-eabi-objcopy"),
        tool_path(name = "objdump", path = "/usr/bin/arm-none-eabi-objdump"),
        tool_path(name = "strip", path = "/usr/bin/arm-none-eabi-strip"),
    ]

    default_compile_flags = feature(
        name = "default_compile_flags",
        enabled = True,
        flag_sets = [
            flag_set(
                actions = _ALL_COMPILE_ACTIONS,
                flag_groups = [flag_group(flags = _CPU_FLAGS + [
                    # Size first: this is a microcontroller image.
                ] + _SIZE_FLAGS + [
                    # Link-time optimisation: the runtime is many small
                    # functions across files (flatbuffer accessors, loader,
                    # method); inlining and dropping them across files saved
                    # 1,964 of size_test's 16,472 flash bytes.
                    "-flto",
                    # Debug info costs no flash (it is not loaded) and makes
                    # QEMU/gdb sessions readable.
                    "-g",
                    "-Wall",
                    # Reproducible outputs: no absolute paths or dates.
                    "-no-canonical-prefixes",
                    "-fno-canonical-system-headers",
                    "-Wno-builtin-macro-redefined",
                    "-D__DATE__=\"redacted\"",
                    "-D__TIMESTAMP__=\"redacted\"",
                    "-D__TIME__=\"redacted\"",
                ])],
            ),
            flag_set(
                actions = _CXX_COMPILE_ACTIONS,
                flag_groups = [flag_group(flags = [
                    "-std=c++17",
                    "-fno-exceptions",
                    "-fno-rtti",
                    # One thread, no OS: function-local statics need no guard
                    # (and so no __cxa_guard_* from libstdc++).
                    "-fno-threadsafe-statics",
                    "-fno-use-cxa-atexit",
                ])],
            ),
        ],
    )

    default_link_flags = feature(
        name = "default_link_flags",
        enabled = True,
        flag_sets = [
            flag_set(
                actions = _ALL_LINK_ACTIONS,
                flag_groups = [flag_group(flags = _CPU_FLAGS + [
                    "-no-canonical-prefixes",
                    # newlib-nano; system calls are stubs (libnosys); the
                    # board's reset handler replaces crt0.
                    "--specs=nano.specs",
                    "--specs=nosys.specs",
                    "-nostartfiles",
                    "-Wl,--gc-sections",
                    # Sections sorted by alignment: less padding between them
                    # (-22 B MLP, -6 B size_test).
                    "-Wl,--sort-section=alignment",
                    # LTO code generation happens at link time: same size
                    # flags and a section per function and datum there too
                    # (the linker script places the embedded program by
                    # section name).
                    "-flto",
                ] + _SIZE_FLAGS)],
            ),
        ],
    )

    # Libraries come last on the link line (after the objects that use them).
    default_link_libs = feature(
        name = "default_link_libs",
        enabled = True,
        flag_sets = [
            flag_set(
                actions = _ALL_LINK_ACTIONS,
                flag_groups = [flag_group(flags = [
                    "-Wl,--start-group",
                    "-lstdc++",
                    "-lm",
                    "-lc",
                    "-lgcc",
                    "-Wl,--end-group",
                ])],
            ),
        ],
    )

    # Bare metal has neither shared libraries nor position-independent code.
    supports_pic = feature(name = "supports_pic", enabled = False)
    opt = feature(name = "opt")
    dbg = feature(name = "dbg")
    fastbuild = feature(name = "fastbuild")

    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        toolchain_identifier = "arm_m55_gcc",
        host_system_name = "x86_64-unknown-linux-gnu",
        target_system_name = "arm-none-eabi",
        target_cpu = "armv8.1-m",
        target_libc = "newlib",
        compiler = "gcc",
        abi_version = "eabi",
        abi_libc_version = "newlib",
        tool_paths = tool_paths,
        features = [
            default_compile_flags,
            default_link_flags,
            default_link_libs,
            supports_pic,
            opt,
            dbg,
            fastbuild,
        ],
        cxx_builtin_include_directories = [
            "/usr/lib/gcc/arm-none-eabi/{}/include".format(_GCC_VERSION),
            "/usr/lib/gcc/arm-none-eabi/{}/include-fixed".format(_GCC_VERSION),
            "/usr/lib/arm-none-eabi/include",
        ],
    )

arm_m55_cc_toolchain_config = rule(
    implementation = _impl,
    attrs = {},
    provides = [CcToolchainConfigInfo],
)
