"""The edge models: host latency (slimtorch vs upstream ExecuTorch 1.5.1 vs PyTorch eager), and
instructions per inference on the emulated Cortex-M55, float and int8, against MLPerf Tiny targets.

    PYTHONPATH=python .venv/bin/python tools/bench/models.py [--iterations 50] [--runner PATH]
        [--models NAME ...] [--no-m55] [--no-host] [--zoo [NAME ...]]
        [--platforms P ...] [--breakdown]

For each model in models/ (on the host MobileNetV2 at width 1.0, 224x224, 1000 classes, as
SLIMTORCH_MOBILENET_V2=1.0 selects), in one run:
  - slimtorch: `slimtorch export`, then `pte_runner PROGRAM --input ... --iterations N`
    (built with `bazel build -c opt //app:pte_runner` unless --runner names one), its
    `latency_us median` line; without --runner, on a CPU with AVX2 and FMA, a second column
    for the runner built with --config=host_avx2 (the ratios are against that one);
  - upstream: the program upstream ExecuTorch exports from the same model file and
    weights, run by upstream's runtime (`executorch.runtime`, its portable kernels),
    median of N executions;
  - eager: PyTorch eager on one thread, median of N calls.
Then the Cortex-M55 table (unless --no-m55), and the same table for each platform of
--platforms (any platform of platforms/defs.bzl whose emulator counts instructions: arm_m4,
arm_m7, arm_m33, riscv32; `--platforms all` for every one), per model of models/:
  - float instr: instructions of one inference: the firmware `//models:<model>_count` (built
    with --config=arm_m55, -Os, the model's pruned kernels; MobileNetV2 there is the tests'
    width 0.35 at 96x96) runs under `qemu-system-arm -M mps3-an547 -icount shift=5`, where one
    instruction is 2^5 ns of emulated time, and prints `execute_ns` of one Method::execute()
    (python/slimtorch/qemu.py converts);
  - int8 instr: the same for `//models:<model>_int8_count` (the model exported with
    `--quantize int8`), or "no int8 image" where that target does not exist;
  - MACs: computed from the program (python/slimtorch/macs.py: convolution, linear and matrix
    product shapes, aten and cortex_m operators), and MACs per instruction of each;
  - repeat: whether a second run of each image gave the same count;
  - one line per model with its targets: int8 MACs per instruction, float MACs per
    instruction (DS-CNN, ResNet-8, MobileNetV1-0.25) or float instructions against the plain
    kernels' count (MobileNetV2, transformer block): met or missed;
  - with --breakdown, per model, the instructions of each operator of one inference (the
    image `//models:<model>_profile` under -icount: ETDump times / 2^shift).
With --zoo, rows follow for the model zoo of tests/zoo (torchvision, timm and transformers
models at the tests' small sizes; all of them, or the NAMEs given), the same three columns (no
m55 column: they are host models). A zoo model that one side cannot export or run gets `-` in
that cell and the reason below the table (so does a model of models/); `--models` with no
name leaves out models/. --no-host prints only the Cortex-M55 table.
Prints one table row per model with the ratios upstream/slimtorch and eager/slimtorch
(> 1: slimtorch is faster). A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import torch

from slimtorch import macs, platforms, pte, qemu

REPO = Path(__file__).resolve().parents[2]
MODELS = [
    "ds_cnn",
    "resnet8",
    "mobilenet_v1_025",
    "autoencoder",
    "mobilenet_v2",
    "transformer_block",
]
BENCH_ENV = {"SLIMTORCH_MOBILENET_V2": "1.0"}
ZOO = REPO / "tests" / "zoo"
ZOO_MODELS = sorted(p.stem for p in ZOO.glob("*.py") if not p.stem.startswith(("test_", "zoo_")))


def load_model_file(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"error: cannot load {path} as a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_runner(config: str | None = None) -> Path:
    """`bazel build -c opt //app:pte_runner` (for the platform of `--config=<config>`)."""
    flags = ["-c", "opt"] + ([f"--config={config}"] if config else [])
    subprocess.run(
        ["bazel", "build", *flags, "--nosandbox_debug", "//app:pte_runner"], cwd=REPO, check=True
    )
    out = subprocess.run(
        ["bazel", "info", *flags, "bazel-bin"], cwd=REPO, check=True, capture_output=True, text=True
    )
    return Path(out.stdout.strip()) / "app/pte_runner"


# MACs per instruction of int8 on the M55: the best published MLPerf Tiny figures on a Helium
# core (TFLM + CMSIS-NN, Cortex-M85, per cycle), the targets of issue 13.
TARGETS = {"ds_cnn": 1.6, "resnet8": 3.0, "mobilenet_v1_025": 1.2, "autoencoder": 1.0}
# Float on the M55 (issue 18): MACs per instruction, or instructions at most 1/3 of those
# before its Helium paths (the counts of the plain kernels, measured with this benchmark).
FLOAT_TARGETS = {"ds_cnn": 0.6, "resnet8": 0.6, "mobilenet_v1_025": 0.6}
FLOAT_BEFORE = {"mobilenet_v2": 111_490_284, "transformer_block": 14_521_132}
# Host (issue 18): at least half of PyTorch eager's speed on one thread.
HOST_TARGETS = {"resnet8", "mobilenet_v2", "transformer_block"}
HOST_TARGET = 0.5


def count_instructions(elf: Path, label: str, platform: str = "arm_m55") -> tuple[int, bool]:
    """(instructions of one Method::execute() of a `_count` image, same count on a second run)."""
    counts = []
    for _ in range(2):
        run = qemu.run_firmware(elf, icount_shift=qemu.shift(platform), platform=platform)
        ns = qemu.execute_ns(run.output)
        if run.status != 0 or ns is None:
            raise SystemExit(
                f"error: {label} under QEMU printed no `execute_ns` line (status {run.status}): "
                f"{(run.output + run.qemu_messages)[-400:]}; it is built with "
                "SLIMTORCH_PRINT_EXECUTE_TIME (models/model_test.bzl, app/firmware_main.cc)"
            )
        counts.append(qemu.instructions(ns, qemu.shift(platform)))
    return counts[0], counts[0] == counts[1]


def emulator_table(names: list[str], platform: str = "arm_m55", per_operator: bool = False) -> None:
    """Prints a platform's table (the Cortex-M55's by default): float and int8 instructions,
    MACs, MACs per instruction; the issue-13 targets are the M55's."""
    env = {k: v for k, v in os.environ.items() if k not in BENCH_ENV}  # tests' model sizes
    query = subprocess.run(
        ["bazel", "query", 'attr(name, "_int8_count$", //models:*)'],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
    )
    int8 = {ln.rsplit(":", 1)[1][: -len("_int8_count")] for ln in query.stdout.split()}
    bazel = ["bazel", "build", f"--config={platform}", "--nosandbox_debug"]
    subprocess.run(bazel + [f"//models:{n}_count" for n in names], cwd=REPO, check=True, env=env)
    why_not: dict[str, str] = {}  # int8 images that exist but do not build (e.g. no kernels)
    for n in sorted(int8 & set(names)):
        built = subprocess.run(
            bazel + ["--noshow_progress", f"//models:{n}_int8_count"],
            cwd=REPO,
            capture_output=True,
            text=True,
            env=env,
        )
        if built.returncode != 0:
            errors = [ln for ln in built.stderr.splitlines() if "ERROR" in ln or "error" in ln]
            why_not[n] = (errors[-1] if errors else built.stderr.strip()[-200:])[:200]
            int8.discard(n)
    info = ["bazel", "info", f"--config={platform}", "bazel-bin"]
    out = subprocess.run(info, cwd=REPO, check=True, capture_output=True, text=True, env=env)
    bin_dir = Path(out.stdout.strip()) / "models"
    board = platforms.get(platform).board
    print(
        f"\n{platform} ({board}, -icount shift={qemu.shift(platform)}): instructions of one "
        "inference"
    )
    print(
        f"{'model':<20}{'MACs':>12}{'float instr':>14}{'MACs/instr':>11}{'int8 instr':>14}"
        f"{'MACs/instr':>11}{'repeat':>8}{'target':>8}"
    )
    verdicts = []
    for name in names:
        n_macs = macs.total_macs(pte.read_pte_file(str(bin_dir / f"{name}.pte")))
        f_count, f_same = count_instructions(
            bin_dir / f"{name}_count", f"//models:{name}_count", platform
        )
        row = f"{name:<20}{n_macs:>12,}{f_count:>14,}{n_macs / f_count:>11.2f}"
        same = f_same
        if platform == "arm_m55" and name in FLOAT_TARGETS:
            goal = FLOAT_TARGETS[name]
            verdicts.append(
                f"  {name}: float {n_macs / f_count:.2f} MACs/instruction, target "
                f"{goal}: " + ("met" if n_macs / f_count >= goal else "missed")
            )
        if platform == "arm_m55" and name in FLOAT_BEFORE:
            fewer = FLOAT_BEFORE[name] / f_count
            verdicts.append(
                f"  {name}: float {fewer:.1f}x fewer instructions than the plain "
                f"kernels' {FLOAT_BEFORE[name]:,}, target 3x: "
                + ("met" if fewer >= 3 else "missed")
            )
        target = TARGETS.get(name) if platform == "arm_m55" else None
        if name in int8:
            label = f"//models:{name}_int8_count"
            q_count, q_same = count_instructions(bin_dir / f"{name}_int8_count", label, platform)
            q_macs = macs.total_macs(pte.read_pte_file(str(bin_dir / f"{name}_int8.pte")))
            if q_macs != n_macs:
                verdicts.append(
                    f"  {name}: the int8 program has {q_macs:,} MACs, the float "
                    f"one {n_macs:,} (different layers?)"
                )
            ratio = q_macs / q_count
            row += f"{q_count:>14,}{ratio:>11.2f}"
            same = same and q_same
            if target is not None:
                verdicts.append(
                    f"  {name}: int8 {ratio:.2f} MACs/instruction, target {target}: "
                    + (
                        "met"
                        if ratio >= target
                        else f"missed ({target * q_count / q_macs:.1f}x fewer instructions needed)"
                    )
                )
        else:
            row += f"{'no int8 image':>25}"
            why = f"does not build: {why_not[name]}" if name in why_not else "does not exist"
            verdicts.append(
                f"  {name}: no int8 image (//models:{name}_int8_count {why})"
                + (f", target {target} MACs/instruction" if target else "")
            )
        row += f"{'yes' if same else 'NO':>8}{target if target is not None else '-':>8}"
        print(row, flush=True)
    for line in verdicts:
        print(line)
    if per_operator:
        breakdown(names, platform, bin_dir, env)


def breakdown(
    names: list[str], platform: str, bin_dir: Path, env: dict[str, str], top: int = 8
) -> None:
    """Per model, where one inference's instructions go: `//models:<model>_profile` (the image
    with the event tracer) runs under -icount, and its ETDump's operator times, divided by
    2^shift, are instructions (the tracer's own work is outside the operators' events)."""
    from slimtorch.profiling import etdump, report

    bazel = ["bazel", "build", f"--config={platform}", "--nosandbox_debug", "--noshow_progress"]
    subprocess.run(bazel + [f"//models:{n}_profile" for n in names], cwd=REPO, check=True, env=env)
    step = 2 ** qemu.shift(platform)
    for name in names:
        program = pte.read_pte_file(str(bin_dir / f"{name}.pte"))
        op_macs = macs.program_macs(program)
        with tempfile.TemporaryDirectory() as tmp:
            run = qemu.run_firmware(
                (bin_dir / f"{name}_profile").resolve(),
                icount_shift=qemu.shift(platform),
                platform=platform,
                cwd=Path(tmp),
            )
            dump_file = Path(tmp) / f"{name}_profile.etdump"
            if run.status != 0 or not dump_file.is_file():
                print(
                    f"  {name}: the profile image wrote no ETDump (status {run.status}): "
                    f"{(run.output + run.qemu_messages)[-300:]}"
                )
                continue
            prof = report.analyse(program, etdump.read_etdump_file(str(dump_file)))
        total = prof.total
        print(
            f"\n{name} on {platform}: instructions per operator of one inference "
            f"({total // step:,} in operators)"
        )
        print(
            f"  {'operator':<36}{'calls':>6}{'instr':>13}{'share':>8}{'MACs':>12}{'MACs/instr':>11}"
        )
        for row in prof.rows[:top]:
            n_instr = row.total // step
            n_macs = op_macs.get(row.name.split(".")[0], 0)
            per = f"{n_macs / n_instr:>11.2f}" if n_macs and n_instr else f"{'-':>11}"
            print(
                f"  {row.name[:35]:<36}{len(row.durations):>6}{n_instr:>13,}"
                f"{row.total / total:>8.1%}{n_macs:>12,}{per}"
            )
        rest = prof.rows[top:]
        if rest:
            n_rest = sum(r.total for r in rest)
            print(
                f"  {f'({len(rest)} more operators)':<36}{'':>6}{n_rest // step:>13,}"
                f"{n_rest / total:>8.1%}"
            )


def slimtorch_program_path(work: Path, export_args: tuple[str, ...] = ()) -> Path:
    """Where slimtorch_us writes the program it exports with `export_args`."""
    tag = "".join(c if c.isalnum() else "_" for c in "".join(export_args))
    return work / f"slim{tag}.pte"


def slimtorch_us(
    runner: Path,
    model_file: Path,
    work: Path,
    iterations: int,
    export_args: tuple[str, ...] = (),
    runner_args: tuple[str, ...] = (),
) -> float:
    """pte_runner's `latency_us median` over `iterations` runs of the program `slimtorch export
    MODEL export_args...` writes (runner_args go to the runner, e.g. --threads N)."""
    pte = slimtorch_program_path(work, export_args)
    io = pte.with_suffix(".io")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "slimtorch",
            "export",
            str(model_file),
            "-o",
            str(pte),
            "--io-dir",
            str(io),
            *export_args,
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "python")},
    )
    inputs = sorted(io.glob("input*.npy"))
    cmd = [str(runner), str(pte)]
    for f in inputs:
        cmd += ["--input", str(f)]
    proc = subprocess.run(
        cmd + [*runner_args, "--iterations", str(iterations)], capture_output=True, text=True
    )
    m = re.search(r"latency_us median ([0-9.eE+-]+)", proc.stdout)
    if proc.returncode != 0 or m is None:
        raise SystemExit(
            f"error: {runner} gave no `latency_us median` line for {model_file.name} "
            f"(status {proc.returncode}): {proc.stdout[-300:]}{proc.stderr[-300:]}; "
            "the runner needs "
            "--iterations N (app/runner_main.cc)"
        )
    return float(m.group(1))


def upstream_us(
    model: torch.nn.Module,
    inputs: tuple,
    work: Path,
    iterations: int,
    xnnpack: bool = False,
    threads: int | None = None,
) -> float:
    """Median microseconds of upstream's runtime executing its own program of `model`: the
    portable flow, or with `xnnpack` its XnnpackPartitioner flow; `threads` sets the size of
    its threadpool (which XNNPACK runs on) first."""
    from slimtorch import upstream  # the reference; slimtorch itself never imports it

    pte = work / ("upstream_xnnpack.pte" if xnnpack else "upstream.pte")
    pte.write_bytes(upstream.export_program(model, inputs, xnnpack=xnnpack))
    if threads is not None:
        upstream.set_threads(threads)
    method = upstream.load_method(pte)
    method.execute(list(inputs))
    times = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        method.execute(list(inputs))
        times.append((time.perf_counter() - t0) * 1e6)
    return statistics.median(times)


def eager_us(model: torch.nn.Module, inputs: tuple, iterations: int, threads: int = 1) -> float:
    torch.set_num_threads(threads)
    with torch.no_grad():
        model(*inputs)
        times = []
        for _ in range(iterations):
            t0 = time.perf_counter()
            model(*inputs)
            times.append((time.perf_counter() - t0) * 1e6)
    return statistics.median(times)


def measure_sides(
    label: str,
    measures: dict[str, Callable[[], float]],
    cells: dict[str, float | None],
    reasons: list[str],
) -> None:
    """Runs each side's measurement into cells[side]; a side that fails gets None and a line in
    `reasons` (its last stderr line for a failed command), and leaves the others' figures."""
    for side, measure in measures.items():
        try:
            cells[side] = measure()
        except (Exception, SystemExit) as e:
            cells[side] = None
            stderr = getattr(e, "stderr", None)
            if isinstance(stderr, bytes):
                stderr = stderr.decode(errors="replace")
            lines = (stderr or str(e)).strip().splitlines() or [""]
            first = (lines[-1] if stderr else lines[0])[:300]
            reasons.append(f"  {label}, {side}: {type(e).__name__}: {first}")


def bench_row(label: str, model_file: Path, runners: dict[str, Path], iterations: int) -> str:
    """Measures and prints one table row (one slimtorch cell per runner, the ratios against the
    last runner's); returns why a cell is `-` ("" when none is)."""
    module = load_model_file(model_file)
    model = module.model().eval()
    inputs = tuple(module.example_inputs())
    cells: dict[str, float | None] = {}
    reasons: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        measures: dict[str, Callable[[], float]] = {
            side: (lambda r=runner: slimtorch_us(r, model_file, work, iterations))
            for side, runner in runners.items()
        }
        measures["upstream"] = lambda: upstream_us(model, inputs, work, iterations)
        measures["eager"] = lambda: eager_us(model, inputs, iterations)
        measure_sides(label, measures, cells, reasons)
    slim = cells[list(runners)[-1]]
    up, eager = cells["upstream"], cells["eager"]

    def us(v: float | None, width: int) -> str:
        return f"{v:>{width}.1f}" if v is not None else f"{'-':>{width}}"

    def ratio(v: float | None, width: int) -> str:
        return f"{v / slim:>{width}.2f}" if v is not None and slim else f"{'-':>{width}}"

    mark = ""
    if eager is not None and slim and label.split("/")[-1] in HOST_TARGETS:
        mark = "  met" if eager / slim >= HOST_TARGET else "  MISSED"
    print(
        f"{label:<20}"
        + "".join(us(cells[side], 16) for side in runners)
        + f"{us(up, 14)}{us(eager, 12)}{ratio(up, 15)}{ratio(eager, 12)}{mark}",
        flush=True,
    )
    return "\n".join(reasons)


def host_table(args: argparse.Namespace) -> None:
    saved = dict(os.environ)
    os.environ.update(BENCH_ENV)
    runners = {"slimtorch us": args.runner or build_runner()}
    if args.runner is None and platforms.cpu_runs_host_avx2():
        runners["host_avx2 us"] = build_runner("host_avx2")
    last = list(runners)[-1].split()[0]
    print(
        f"host, one thread; the ratios and the issue-18 target (eager/slim >= {HOST_TARGET} on "
        f"{', '.join(sorted(HOST_TARGETS))}) are against {last}"
    )
    print(
        f"{'model':<20}"
        + "".join(f"{side:>16}" for side in runners)
        + f"{'upstream us':>14}{'eager us':>12}{'upstream/slim':>15}{'eager/slim':>12}"
    )
    rows = [(name, REPO / "models" / f"{name}.py") for name in args.models]
    zoo = ZOO_MODELS if args.zoo == [] else (args.zoo or [])
    rows += [(f"zoo/{name}", ZOO / f"{name}.py") for name in zoo]
    failures = [
        bench_row(label, model_file, runners, args.iterations) for label, model_file in rows
    ]
    for reason in filter(None, failures):
        print(reason)
    os.environ.clear()
    os.environ.update(saved)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument(
        "--runner", type=Path, help="a pte_runner built with -c opt (default: build it)"
    )
    parser.add_argument("--models", nargs="*", default=MODELS)
    parser.add_argument("--no-m55", action="store_true", help="skip the Cortex-M55 table")
    parser.add_argument("--no-host", action="store_true", help="skip the host latency table")
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="after each instruction table, instructions per operator of each "
        "float model (its _profile image under -icount)",
    )
    parser.add_argument(
        "--zoo",
        nargs="*",
        metavar="NAME",
        help="rows for the zoo models of tests/zoo too (all without a NAME)",
    )
    counting = [
        p.name
        for p in platforms.all_platforms().values()
        if p.count_instructions and p.name != "arm_m55"
    ]
    parser.add_argument(
        "--platforms",
        nargs="*",
        default=[],
        metavar="P",
        choices=counting + ["all"],
        help="the instruction table on these platforms too ("
        + ", ".join(counting)
        + "; all: every one)",
    )
    args = parser.parse_args(argv)
    others = counting if "all" in args.platforms else args.platforms
    from slimtorch import upstream

    emulated = ([] if args.no_m55 else ["arm_m55"]) + others
    upstream.require(
        "tools/bench/models.py",
        modules=not args.no_host,
        tools=("bazel",) + tuple(sorted({platforms.get(p).emulator[0] for p in emulated})),
    )
    if not args.no_host:
        host_table(args)
    local = [n for n in args.models if (REPO / "models" / f"{n}.py").is_file()]
    for p in emulated:
        emulator_table(local, p, args.breakdown)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
