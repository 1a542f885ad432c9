"""Every target platform: how to run its programs, and its tools.

One table for Bazel (tools/transitions.bzl, tools/qemu_test.bzl, tools/size) and for
Python (python/slimtorch/platforms.py reads this file: PLATFORMS is written with
literals only, so it is also a Python expression). Keys are the names of
//platforms:<name>.

Fields:
- kind: "host", "bare_metal" (semihosting firmware under qemu-system-*) or "linux"
  (a Linux program under QEMU user mode);
- emulator: the QEMU binary (absolute) and its arguments before the program;
- tools: the binutils prefix (/usr/bin/<tools>-nm, -size, -objcopy);
- linker_script: the board's memory map (workspace-relative; bare metal only), read by
  the build's fit check (python/slimtorch/board_fit.py);
- region_kind: each MEMORY region of the linker script, "flash" (what the image loads)
  or "RAM";
- icount_shift: N for QEMU's `-icount shift=N` (one instruction = 2^N ns of emulated
  time) when counting instructions, 0 where the emulator cannot count them (user mode).
  A count is a difference of two clock readings divided by 2^N and rounded, so it is
  exact when the clock's tick is under half an instruction's time: the MPS2 CMSDK timer
  (40 ns) at N = 7, the virt board's CLINT mtime (100 ns) at 8. The SSE-300 counter
  (31.25 ns) at 5, the M55's since the first benchmarks, repeats exactly (its readings
  start in step with the instructions);
- size_budget: flash bytes size_test may take (release build; tools/size).
"""

PLATFORMS = {
    "host": {
        "kind": "host",
        "emulator": [],
        "tools": "",
        "linker_script": "",
        "region_kind": {},
        "icount_shift": 0,
        "size_budget": 0,
    },
    "arm_m55": {
        "kind": "bare_metal",
        "emulator": ["/usr/bin/qemu-system-arm", "-M", "mps3-an547"],
        "tools": "arm-none-eabi",
        "linker_script": "platforms/arm_m/mps3_an547.ld",
        "region_kind": {"ITCM": "flash", "DDR": "flash", "DTCM": "RAM", "SRAM": "RAM"},
        "icount_shift": 5,
        "size_budget": 8192,
    },
    "arm_m4": {
        "kind": "bare_metal",
        "emulator": ["/usr/bin/qemu-system-arm", "-M", "mps2-an386"],
        "tools": "arm-none-eabi",
        "linker_script": "platforms/arm_m/mps2_an386.ld",
        "region_kind": {"SSRAM1": "flash", "PSRAM": "flash", "SSRAM23": "RAM"},
        "icount_shift": 7,
        "size_budget": 8192,
    },
    "arm_m7": {
        "kind": "bare_metal",
        "emulator": ["/usr/bin/qemu-system-arm", "-M", "mps2-an500"],
        "tools": "arm-none-eabi",
        "linker_script": "platforms/arm_m/mps2_an500.ld",
        "region_kind": {"SSRAM1": "flash", "PSRAM": "flash", "SSRAM23": "RAM"},
        "icount_shift": 7,
        "size_budget": 8192,
    },
    "arm_m33": {
        "kind": "bare_metal",
        "emulator": ["/usr/bin/qemu-system-arm", "-M", "mps2-an505"],
        "tools": "arm-none-eabi",
        "linker_script": "platforms/arm_m/mps2_an505.ld",
        "region_kind": {"SSRAM1": "flash", "PSRAM": "flash", "SSRAM23": "RAM"},
        "icount_shift": 7,
        "size_budget": 8192,
    },
    "riscv32": {
        "kind": "bare_metal",
        "emulator": ["/usr/bin/qemu-system-riscv32", "-M", "virt", "-bios", "none"],
        "tools": "riscv64-unknown-elf",
        "linker_script": "platforms/riscv32/qemu_virt.ld",
        "region_kind": {"FLASH": "flash", "WEIGHTS": "flash", "DTCM": "RAM", "SRAM": "RAM"},
        "icount_shift": 8,
        "size_budget": 8192,
    },
    "aarch64_linux": {
        "kind": "linux",
        "emulator": ["/usr/bin/qemu-aarch64"],
        "tools": "aarch64-linux-gnu",
        "linker_script": "",
        "region_kind": {},
        "icount_shift": 0,
        "size_budget": 0,
    },
}

# The platforms that run under an emulator (every one but the host).
EMULATED_PLATFORMS = [name for name, p in PLATFORMS.items() if p["kind"] != "host"]

# The bare-metal ones (firmware: semihosting, board memory map, heap check).
BARE_METAL_PLATFORMS = [name for name, p in PLATFORMS.items() if p["kind"] == "bare_metal"]

def emulator_command(platform, program, out):
    """A shell command that runs `program` on `platform`'s emulator, its output in `out`.

    Bare metal: QEMU system emulation with semihosting, whose output goes to its own
    chardev (the file `out`), so QEMU's own messages (stderr) never mix with the
    program's lines; the exit status is the program's (semihosting exit). Linux: QEMU
    user mode, the program's stdout to `out`. The caller adds `timeout` and quoting.

    Args:
      platform: a key of PLATFORMS other than "host".
      program: the program's path (shell-quoted if needed).
      out: the output file's path (shell-quoted if needed).
    """
    p = PLATFORMS[platform]
    emulator = " ".join(p["emulator"])
    if p["kind"] == "linux":
        return "{} {} >{}".format(emulator, program, out)
    if p["kind"] != "bare_metal":
        fail("emulator_command: {} runs on the build machine, not an emulator".format(platform))
    return ("{} -nographic -monitor none -serial none " +
            "-chardev file,id=semihost,path={} " +
            "-semihosting-config enable=on,target=native,chardev=semihost " +
            "-kernel {}").format(emulator, out, program)

# The config setting (platforms/BUILD.bazel) of each platform but the host.
_CONFIG_SETTING = {
    "aarch64_linux": "//platforms:is_aarch64_linux",
    "arm_m33": "//platforms:is_arm_m33",
    "arm_m4": "//platforms:is_arm_m4",
    "arm_m55": "//platforms:is_arm_m55",
    "arm_m7": "//platforms:is_arm_m7",
    "riscv32": "//platforms:is_riscv32",
}

def select_by_platform(values, default):
    """select() over the target platform: `values` {platform name: value}, else `default`.

    Keys are the names of PLATFORMS; works from any repository (labels are Label()s).
    """
    branches = {str(Label(_CONFIG_SETTING[name])): value for name, value in values.items()}
    branches["//conditions:default"] = default
    return select(branches)

# The target platform's name ("host" for the build machine), as a select() for
# attributes of rules that run its programs or read its table entry.
TARGET_PLATFORM = select_by_platform({name: name for name in _CONFIG_SETTING}, "host")
