"""Framework-tax benchmark (issue 7): slimtorch's runtime next to upstream ExecuTorch's.

    .venv/bin/python tools/bench/framework_tax.py [--iterations N] [--rounds R] [--no-m55]

Run from the workspace root (it calls `bazel`). It prints one table:
- host, per-instruction cost: the slope between chains of 200 and 400 one-element
  float adds ((t400 - t200) / 200, kernel included; fixed costs cancel), for
  programs made by slimtorch's exporter and by upstream's, each run by slimtorch's
  //app:pte_runner (built with -c opt) and by upstream's runtime
  (executorch.runtime, its Python binding), in this same run;
- host, load and init of the MLP (models/mlp.py) and a convolution model
  (models/ds_cnn.py): slimtorch's `load_us` + `init_us` (medians) and upstream's
  Runtime.load_program + Program.load_method (median), and each one's execute;
- the bookkeeping bytes slimtorch's method needs (Method::bookkeeping_bytes_needed);
- each host figure is the median over N repetitions, and of R such runs
  (interleaved) the smallest: the machine is shared, and another process can
  only make a run slower.
- Cortex-M55 under QEMU (-icount, so the counts repeat exactly): instructions per
  dispatched kernel call outside the kernel body (//tools/bench:dispatch_firmware).

This is a benchmark, not a test: it prints figures and checks nothing but that
every run produced them. Upstream ExecuTorch is only a reference here.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from add_chain import AddChain, inputs  # noqa: E402

from slimtorch import upstream  # noqa: E402
from slimtorch.exporter import export_model  # noqa: E402
from slimtorch.model_file import LoadedModel, load_model_file  # noqa: E402
from slimtorch.qemu import QEMU_SHIFT, run_counted  # noqa: E402

TARGETS = {"ns_per_instr": 10.0, "mlp_load_init_us": 4.0, "m55_dispatch_instr": 40.0}
MODELS = {"MLP": "models/mlp.py", "DS-CNN (conv)": "models/ds_cnn.py"}  # load + init rows


def bazel(*args: str) -> str:
    out = subprocess.run(["bazel", *args], cwd=ROOT, check=True, capture_output=True, text=True)
    return out.stdout.strip()


def export_slimtorch(module: torch.nn.Module, example: tuple, path: Path) -> None:
    loaded = LoadedModel(
        path=str(path.with_suffix(".py")),
        module=module,
        example_inputs=example,
        dynamic_shapes=None,
    )
    path.write_bytes(export_model(loaded).to_bytes())


def export_upstream(module: torch.nn.Module, example: tuple, path: Path) -> None:
    from executorch.exir import to_edge  # reference exporter, benchmark only

    path.write_bytes(to_edge(torch.export.export(module, example)).to_executorch().buffer)


def run_slimtorch(
    runner: Path, program: Path, example: tuple, workdir: Path, iterations: int
) -> dict[str, float]:
    """pte_runner's figures for `program` (medians over `iterations`)."""
    args = [str(runner), str(program), "--iterations", str(iterations)]
    for i, t in enumerate(example):
        npy = workdir / f"{program.stem}_in{i}.npy"
        np.save(npy, t.numpy())
        args += ["--input", str(npy)]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    figures = {}
    for key in ("load_us", "init_us", "latency_us median", "bookkeeping_bytes"):
        m = re.search(rf"^{key} ([0-9.]+)$", out, re.M)
        if m is None:
            raise SystemExit(f"error: {runner.name} printed no '{key}' for {program}:\n{out}")
        figures[key] = float(m.group(1))
    return figures


def fastest(runs: list[dict[str, float]]) -> dict[str, float]:
    """Per figure, the smallest of several runs' figures."""
    return {key: min(run[key] for run in runs) for key in runs[0]}


def median_ns(fn, reps: int) -> float:
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - t0)
    return statistics.median(samples)


def run_upstream(program: Path, example: tuple, iterations: int) -> dict[str, float]:
    """Upstream's runtime through its Python binding: execute and load+init medians (us)."""
    from executorch.runtime import Runtime  # reference runtime, benchmark only

    runtime = Runtime.get()
    data = program.read_bytes()

    def load_init() -> None:
        runtime.load_program(data).load_method("forward")

    method = runtime.load_program(data).load_method("forward")
    args = list(example)
    method.execute(args)
    return {
        "load_init_us": median_ns(load_init, iterations) / 1e3,
        "latency_us median": median_ns(lambda: method.execute(args), iterations) / 1e3,
    }


def m55_dispatch() -> dict[str, float] | None:
    """Instructions per dispatch outside the kernel on the emulated Cortex-M55."""
    bazel("build", "--config=arm_m55", "//tools/bench:dispatch_firmware")
    elf = Path(bazel("info", "--config=arm_m55", "bazel-bin")) / "tools/bench/dispatch_firmware"
    status, out = run_counted(elf, timeout=120)
    if status != 0:
        raise SystemExit(f"error: dispatch_firmware exited with {status}:\n{out}")
    figures = dict((k, float(v)) for k, v in re.findall(r"^(\w+) (-?[0-9]+)$", out, re.M))
    if "execute_ticks" not in figures:
        raise SystemExit(f"error: dispatch_firmware printed no figures:\n{out}")
    per_tick = 1e9 / (32e6 * 2**QEMU_SHIFT)  # instructions per SSE-300 counter tick
    n = figures["instructions"]
    total = figures["execute_ticks"] * per_tick / n
    body = figures["direct_ticks"] * per_tick / n
    return {"per_add": total, "kernel_call": body, "dispatch": total - body}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--iterations", type=int, default=2000, help="repetitions per timed figure (medians)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="runs per host figure, interleaved; fastest counts"
    )
    parser.add_argument("--no-m55", action="store_true", help="skip the Cortex-M55 (QEMU) figure")
    args = parser.parse_args(argv)
    upstream.require("tools/bench/framework_tax.py",
                     tools=("bazel",) + (() if args.no_m55 else ("qemu-system-arm",)))
    os.environ.setdefault("PYTHONPATH", str(ROOT / "python"))

    print("building //app:pte_runner (-c opt) ...", file=sys.stderr)
    bazel("build", "-c", "opt", "//app:pte_runner")
    runner = Path(bazel("info", "-c", "opt", "bazel-bin")) / "app/pte_runner"

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        example = inputs()
        rows: dict[str, dict[str, dict[str, float]]] = {}
        # The runs of every figure interleave (round 1 of each, then round 2, ...),
        # so a burst of load elsewhere slows one round of several figures, not
        # every round of one.
        Figures = dict[str, float]
        jobs: list[tuple[dict[str, Figures], str, Callable[[], Figures]]] = []
        for exporter, export in (("slimtorch", export_slimtorch), ("upstream", export_upstream)):
            for n in (200, 400):
                pte = work / f"add{n}_{exporter}.pte"
                export(AddChain(n).eval(), example, pte)
                r = rows.setdefault(exporter, {})
                jobs.append((r, f"slim{n}", lambda p=pte: run_slimtorch(
                    runner, p, example, work, args.iterations
                )))
                jobs.append((r, f"up{n}", lambda p=pte: run_upstream(p, example, args.iterations)))
        # name -> exporter -> {"slim": slimtorch runner figures, "up": upstream figures}
        model_rows: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
        for name, path in MODELS.items():
            loaded = load_model_file(str(ROOT / path))
            for exporter, export in (
                ("slimtorch", export_slimtorch),
                ("upstream", export_upstream),
            ):
                pte = work / f"{name}_{exporter}.pte"
                export(loaded.module, loaded.example_inputs, pte)
                r = model_rows.setdefault(name, {}).setdefault(exporter, {})
                ex = loaded.example_inputs
                jobs.append((r, "slim", lambda p=pte, ex=ex: run_slimtorch(
                    runner, p, ex, work, args.iterations
                )))
                jobs.append((r, "up", lambda p=pte, ex=ex: run_upstream(p, ex, args.iterations)))
        runs: dict[tuple[int, str], list[dict[str, float]]] = {}
        for _ in range(max(1, args.rounds)):
            for target, key, run in jobs:
                runs.setdefault((id(target), key), []).append(run())
        for target, key, _ in jobs:
            target[key] = fastest(runs[(id(target), key)])
    m55 = None if args.no_m55 else m55_dispatch()

    def slope(r: dict[str, dict[str, float]], side: str) -> float:
        return (
            (r[f"{side}400"]["latency_us median"] - r[f"{side}200"]["latency_us median"])
            / 200
            * 1e3
        )

    print()
    print(
        "| figure | program from | slimtorch runtime | upstream runtime (Python binding) | target |"
    )
    print("|---|---|---|---|---|")

    def row(*cells: str) -> None:
        print("| " + " | ".join(cells) + " |")

    for exporter in ("slimtorch", "upstream"):
        r = rows[exporter]
        row(
            "per-instruction cost, host (slope 200->400 adds, kernel incl.)",
            f"{exporter} exporter",
            f"{slope(r, 'slim'):.1f} ns",
            f"{slope(r, 'up'):.1f} ns",
            f"<= {TARGETS['ns_per_instr']:.0f} ns",
        )
    for name in MODELS:
        for exporter in ("slimtorch", "upstream"):
            s, u = model_rows[name][exporter]["slim"], model_rows[name][exporter]["up"]
            row(
                f"{name} load + init, host",
                f"{exporter} exporter",
                f"{s['load_us'] + s['init_us']:.2f} us "
                f"(load {s['load_us']:.2f} + init {s['init_us']:.2f})",
                f"{u['load_init_us']:.2f} us",
                f"<= {TARGETS['mlp_load_init_us']:.0f} us" if name == "MLP" else "-",
            )
    for name in MODELS:
        for exporter in ("slimtorch", "upstream"):
            s, u = model_rows[name][exporter]["slim"], model_rows[name][exporter]["up"]
            row(
                f"{name} execute, host (median)",
                f"{exporter} exporter",
                f"{s['latency_us median']:.2f} us",
                f"{u['latency_us median']:.2f} us",
                "-",
            )
    a = rows["slimtorch"]
    books = ", ".join(
        f"{name} {model_rows[name]['slimtorch']['slim']['bookkeeping_bytes']:.0f} B"
        for name in MODELS
    )
    row(
        "bookkeeping bytes per method (arena need)",
        "slimtorch exporter",
        f"{books}, add x200 {a['slim200']['bookkeeping_bytes']:.0f} B, "
        f"add x400 {a['slim400']['bookkeeping_bytes']:.0f} B",
        "not measured",
        "-",
    )
    if m55 is not None:
        row(
            "instructions per dispatch outside the kernel, Cortex-M55 "
            f"(QEMU -icount shift={QEMU_SHIFT})",
            "slimtorch exporter",
            f"{m55['dispatch']:.1f} (per add {m55['per_add']:.1f}, "
            f"direct call {m55['kernel_call']:.1f})",
            "not measured",
            f"<= {TARGETS['m55_dispatch_instr']:.0f}",
        )
    print(
        f"\n(host figures: medians over {args.iterations} repetitions, the fastest of "
        f"{max(1, args.rounds)} interleaved runs; host {os.uname().machine})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
