"""`slimtorch run`: any `.pte` on the host runner or on any emulated platform, in one command.

- host: builds `//app:pte_runner` (every kernel slimtorch has, and the delegate backends:
  XNNPACK) with Bazel and runs it on the program and the inputs; `threads` is its
  `--threads` (XNNPACK's thread count).
- every other platform of platforms/defs.bzl (arm_m55, arm_m4, arm_m7, arm_m33, riscv32,
  aarch64_linux): writes a Bazel package `build/run/<key>/` in the workspace (git-ignored),
  where <key> is the content hash of the program and the inputs: the program, the inputs,
  and a BUILD file calling pte_model() (tools/executorch_model.bzl: the program's manifest,
  the registry of only the kernels it names, the embedded program and inputs, the sizes the
  image reserves) and model_image() (the firmware, or a Linux program that embeds the
  same). `bazel build --config=<P>` builds it (the same program and inputs
  again: nothing to rebuild), and the platform's emulator runs it (slimtorch/qemu.py: QEMU's
  board, or qemu-aarch64).

Both print the runners' lines (`output <i> shape ... : ...`); `--count-instructions` adds
`instructions <N>`: the guest instructions of one Method::execute() under QEMU -icount
(system-emulated platforms).

Everything that can be checked before building is checked first (program readable, inputs'
number, dtype and shape, size against the board's memory regions), so a bad call fails in a
second with one line naming the cause and the fix, and leaves no package behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from slimtorch import board_fit, embed, manifest, platforms, pte, qemu

REPO = Path(__file__).resolve().parents[2]
RUN_PACKAGES = "build/run"  # generated packages, relative to the workspace (git-ignored)
# Where a firmware puts what: each board's linker script (platforms/defs.bzl's linker_script)
# places the program bytes (`.rodata.*kProgramData*`), the planned buffers (`.bss.*kPlanned*`)
# and the inputs (`.rodata`) in its regions; region_kind says which regions are what the image
# loads (the board's flash) and which are RAM.
_INT8 = "int8 (slimtorch export --quantize int8) takes a quarter of float32's bytes"
_FIX = {
    "program": f"fewer or smaller weights: a smaller model, or {_INT8}",
    "planned": f"smaller activations: narrower layers or smaller inputs, or {_INT8}",
    "inputs": "smaller inputs",
    "code": "smaller inputs, or fewer operators (code) in the program",
    "bookkeeping": "fewer values and instructions in the program (the runtime's bookkeeping)",
}


class RunError(Exception):
    """A `slimtorch run` failure; the message names the cause and the fix."""


@dataclass(frozen=True)
class Request:
    platform: str  # a name of platforms/defs.bzl: "host", "arm_m55", "riscv32", ...
    program: Path
    inputs: list[Path]
    count_instructions: bool = False
    threads: int | None = None  # host: pte_runner --threads (the XNNPACK backend's threads)


def _log(stream: TextIO, text: str) -> None:
    print(f"slimtorch run: {text}", file=stream, flush=True)


def _read_program(path: Path) -> pte.PteFile:
    if not path.is_file():
        raise RunError(f"{path}: no such program file; give the path of a .pte "
                       "(slimtorch export MODEL.py -o PROGRAM.pte writes one)")
    try:
        program = pte.read_pte_file(str(path))
    except pte.PteError as e:
        raise RunError(f"{path} is not a valid ExecuTorch program ({e}); re-export it, or "
                       "check that the file was copied whole") from None
    if not program.program.execution_plan:
        raise RunError(f"{path} has no method to run; export a model into it")
    return program


def _input_bytes(program: pte.PteFile, paths: list[Path]) -> int:
    """Checks the inputs against the program (number, dtype, shape); their total bytes."""
    try:
        return sum(len(data) for _, data in embed.load_inputs(program, [str(p) for p in paths]))
    except embed.EmbedError as e:
        raise RunError(str(e)) from None


# ---- the board's memory ---------------------------------------------------------------

def _board(platform: platforms.Platform) -> board_fit.Board:
    return board_fit.read_board(str(REPO / platform.linker_script))


def board_regions(platform: str = "arm_m55") -> dict[str, int]:
    """Region name -> bytes, from the MEMORY block of the platform's linker script."""
    return _board(platforms.get(platform)).regions


def _too_big(program: Path, platform: platforms.Platform, region: str, needed: int,
             available: int, what: str, fix: str) -> RunError:
    kind = platform.region_kind.get(region, "memory")
    return RunError(
        f"{program} does not fit {platform.board} ({platform.name}): {what} needs "
        f"{needed:,} bytes of {kind} (region {region}), {available:,} available; fix: {fix}")


def check_fits(program_path: Path, program: pte.PteFile, input_bytes: int,
               platform: str = "arm_m55") -> None:
    """Fails when the program's own sizes exceed the board's regions (before any build)."""
    p = platforms.get(platform)
    if not p.linker_script:
        return  # no fixed memory map (Linux)
    board = _board(p)  # where the firmware puts what
    regions = board.regions
    plan = program.program.execution_plan[0]
    planned = sum(int(s) for s in plan.non_const_buffer_sizes[1:])
    rodata = next(s.region for s in board.sections if s.name == ".rodata")
    checks = [
        (board.section_region("kProgramData", "the program"), len(program.data),
         "the program (weights included)", _FIX["program"]),
        (board.section_region("kPlanned", "planned memory"), planned,
         "its planned memory (activations)", _FIX["planned"]),
        (rodata, input_bytes, "its inputs", _FIX["inputs"]),
    ]
    for region, needed, what, fix in checks:
        available = regions.get(region)
        if available is not None and needed > available:
            raise _too_big(program_path, p, region, needed, available, what, fix)


_OVERFLOW_RE = re.compile(r"region [`'](\w+)' overflowed by (\d+) bytes")


def linker_overflow(program: Path, build_log: str, platform: str = "arm_m55") -> RunError | None:
    """The same error as check_fits for a link that ran out of a region (GNU ld's message)."""
    m = _OVERFLOW_RE.search(build_log)
    if m is None:
        return None
    p = platforms.get(platform)
    if not p.linker_script:
        return None
    board = _board(p)
    region, over = m.group(1), int(m.group(2))
    available = board.regions.get(region, 0)
    # The fix follows what the board's script puts in the region that overflowed.
    holds = {board.section_region("kProgramData", "the program"): "program",
             board.section_region("kPlanned", "planned memory"): "planned",
             next(s.region for s in board.sections if s.name == ".rodata"): "code"}
    return _too_big(program, p, region, available + over, available, "the firmware image",
                    _FIX[holds.get(region, "bookkeeping")])


_MISSING_FIX = ("; fix: export the model without them, or add kernels for them "
                "(kernels/portable/functions.yaml, kernels/cortex_m/)")
_RUNTIME_MISSING_RE = re.compile(r"no kernel in this build's registry, the first '([^']+)' "
                                 r"\(called with ([^;)]*)")
_MISSING_RE = re.compile(r"^\s+(\S+::\S+)\s+\((?:dtypes ([^;]*); )?needed by", re.M)


def missing_kernels(program: Path, build_log: str) -> RunError | None:
    """A one-line error for codegen's missing-kernel failure (codegen/gen_registry.py)."""
    if "have no kernel in" not in build_log:
        return None
    ops = [f"{op} ({dtypes})" if dtypes else op for op, dtypes in _MISSING_RE.findall(build_log)]
    return RunError(f"{program} uses operators slimtorch has no kernel for: "
                    f"{', '.join(ops) or '?'}{_MISSING_FIX}")


# ---- Bazel ----------------------------------------------------------------------------

def _bazel(args: list[str]) -> subprocess.CompletedProcess[str]:
    if shutil.which("bazel") is None:
        raise RunError("bazel is not on PATH; install it (scripts/setup.sh)")
    if not (REPO / "WORKSPACE").is_file():
        raise RunError(f"no Bazel workspace at {REPO}: slimtorch run builds with the "
                       "slimtorch source tree; run it from a checkout")
    return subprocess.run(["bazel", *args], cwd=REPO, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)


def _build(target: str, config: list[str], program: Path, platform: str = "host") -> Path:
    """Builds `target`; its output file. Build failures become RunErrors."""
    proc = _bazel(["build", "--noshow_progress", *config, target])
    if proc.returncode != 0:
        log = proc.stdout + proc.stderr
        error = missing_kernels(program, log) or (
            linker_overflow(program, log, platform) if platform != "host" else None)
        if error is not None:
            raise error
        lines = [ln for ln in log.splitlines() if ln.strip()]
        tail = "\n".join(lines[-25:])
        raise RunError(f"building {target} failed (bazel's last lines below); fix what they "
                       f"name, or report it with the program\n{tail}")
    info = _bazel(["info", *config, "bazel-bin"])
    if info.returncode != 0:
        raise RunError(f"bazel info bazel-bin failed: {info.stderr.strip()[-400:]}")
    package, name = target.lstrip("/").split(":")
    return Path(info.stdout.strip()) / package / name


# ---- host -----------------------------------------------------------------------------

def _error_line(text: str) -> str | None:
    for line in text.splitlines():
        if line.startswith("error: "):
            return line[len("error: "):]
    return None


def run_host(req: Request, out: TextIO, log: TextIO) -> None:
    _log(log, "building //app:pte_runner ...")
    runner = _build("//app:pte_runner", [], req.program)
    _log(log, f"running {req.program.name} on the host ...")
    cmd = [str(runner), str(req.program)]
    for p in req.inputs:
        cmd += ["--input", str(p)]
    if req.threads is not None:
        cmd += ["--threads", str(req.threads)]
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    _emit(req.program, proc.stdout, proc.returncode, "the host runner", out)


def _emit(program: Path, text: str, status: int, who: str, out: TextIO,
          execute_ns: bool = False, shift: int = qemu.QEMU_SHIFT) -> None:
    error = _error_line(text)
    if error is not None:
        m = _RUNTIME_MISSING_RE.search(error)
        if m is not None:  # the runtime names the first missing operator
            raise RunError(f"{program} uses operators slimtorch has no kernel for: {m.group(1)} "
                           f"({m.group(2)}){_MISSING_FIX}")
        raise RunError(f"{program}: {who} failed: {error}")
    if status != 0:
        raise RunError(f"{program}: {who} exited with status {status} and no error line:\n"
                       f"{text[-400:]}")
    lines = [ln for ln in text.splitlines() if ln.startswith("output ")]
    count = None
    if execute_ns:
        ns = qemu.execute_ns(text)
        if ns is None:
            raise RunError(f"{program}: {who} printed no execute_ns line (the count image is "
                           "built with SLIMTORCH_PRINT_EXECUTE_TIME, app/firmware_main.cc)")
        count = qemu.instructions(ns, shift)
    for line in lines:
        print(line, file=out)
    if count is not None:
        print(f"instructions {count}", file=out)
    out.flush()


# ---- emulated platforms ---------------------------------------------------------------

def package_key(program: Path, inputs: list[Path]) -> str:
    """Content hash of the program and its inputs: the generated package's name."""
    h = hashlib.sha256()
    for path in [program, *inputs]:
        data = path.read_bytes()
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()[:20]


def build_file(program_name: str, n_inputs: int) -> str:
    inputs = "".join(f'"input{i}.npy", ' for i in range(n_inputs))
    return f'''# Generated by `slimtorch run --platform P` for {program_name}. Do not edit;
# delete {RUN_PACKAGES}/ to clear these packages (python/slimtorch/run.py). Every target is
# manual: `bazel test //...` leaves them alone.
load("//tools:executorch_model.bzl", "model_image", "pte_model")

pte_model(
    name = "program",
    program = "program.pte",
    inputs = [{inputs}],
    tags = ["manual"],
)

model_image(
    name = "firmware",
    model = "program",
    tags = ["manual"],
)

model_image(
    name = "firmware_count",
    model = "program",
    local_defines = ["SLIMTORCH_PRINT_EXECUTE_TIME"],
    tags = ["manual"],
)
'''


def write_package(req: Request) -> tuple[Path, str]:
    """The generated package for the request (made once per program and inputs): its directory
    and Bazel package name. Written into a temporary directory and renamed into place, so a
    package is complete or absent."""
    key = package_key(req.program, req.inputs)
    root = REPO / RUN_PACKAGES
    directory = root / key
    if not (directory / "BUILD.bazel").is_file():
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
        try:
            shutil.copyfile(req.program, tmp / "program.pte")
            for i, p in enumerate(req.inputs):
                shutil.copyfile(p, tmp / f"input{i}.npy")
            (tmp / "BUILD.bazel").write_text(build_file(req.program.name, len(req.inputs)))
            if directory.exists():  # an incomplete leftover
                shutil.rmtree(directory)
            os.rename(tmp, directory)
        except FileExistsError:  # another `slimtorch run` made it meanwhile
            pass
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)
    return directory, f"{RUN_PACKAGES}/{key}"


def run_emulated(req: Request, program: pte.PteFile, input_bytes: int, out: TextIO,
                 log: TextIO) -> None:
    """Builds the program's image for req.platform and runs it on the platform's emulator."""
    p = platforms.get(req.platform)
    check_fits(req.program, program, input_bytes, req.platform)
    emulator = p.emulator[0]
    if shutil.which(emulator) is None:
        raise RunError(f"{emulator} is not installed; install it with scripts/setup.sh "
                       "(Debian's QEMU packages)")
    directory, package = write_package(req)
    target = f"//{package}:{'firmware_count' if req.count_instructions else 'firmware'}"
    _log(log, f"building firmware {target} for {req.platform} ... (a new program takes a minute "
         "or two; the same program and inputs again, a second)")
    try:
        # --config=<platform> (tools/slimtorch.bazelrc): the platform and its own output
        # directory, so builds for different platforms never replace each other's files.
        elf = _build(target, [f"--config={req.platform}"], req.program, req.platform)
    except RunError:
        shutil.rmtree(directory, ignore_errors=True)  # nothing half-made stays behind
        raise
    _log(log, f"running on {p.board}{' (-icount)' if req.count_instructions else ''} ...")
    run = qemu.run_firmware(elf, icount_shift=p.icount_shift if req.count_instructions
                            else None, platform=req.platform)
    text = run.output
    if "[msg " in text:  # token-mode error messages: their text is in the image
        from slimtorch import messages

        text = messages.decode_text(text, str(elf))
    if run.status == 124:
        raise RunError(f"{req.program}: the program did not finish on {p.board} "
                       f"({run.qemu_messages}); a hang or fault loop: run the host platform "
                       "to compare")
    if run.status != 0 and not text.strip():
        raise RunError(f"{req.program}: {p.board} exited with status {run.status} and the "
                       f"program printed nothing: {run.qemu_messages.strip()[-400:]}")
    _emit(req.program, text, run.status, f"the {req.platform} image", out,
          execute_ns=req.count_instructions, shift=p.icount_shift)


def run(req: Request, out: TextIO = sys.stdout, log: TextIO = sys.stderr) -> None:
    """Runs the request; raises RunError (the CLI prints it as one error line)."""
    try:
        p = platforms.get(req.platform)
    except platforms.PlatformError as e:
        raise RunError(str(e)) from None
    if req.count_instructions and not p.count_instructions:
        counted = [q.name for q in platforms.all_platforms().values() if q.count_instructions]
        raise RunError(f"--count-instructions needs a platform whose emulator counts "
                       f"instructions (QEMU -icount): one of {', '.join(counted)}; "
                       f"{req.platform} has none")
    if req.threads is not None and req.platform != "host":
        raise RunError("--threads sets the XNNPACK backend's threads, which runs on the host "
                       "only: use --platform host, or drop --threads")
    if req.threads is not None and not 1 <= req.threads <= 1024:
        raise RunError(f"--threads {req.threads}: give a whole number from 1 to 1024")
    program = _read_program(req.program)
    backends = manifest.backend_ids(program)
    if backends and req.platform != "host":
        raise RunError(f"{req.program} delegates to {', '.join(backends)}, and delegate "
                       "backends are host-only for now: run it with --platform host, or "
                       f"export the model without --backend for {req.platform}")
    input_bytes = _input_bytes(program, req.inputs)
    if req.platform == "host":
        run_host(req, out, log)
    else:
        run_emulated(req, program, input_bytes, out, log)
