"""XNNPACK delegation on the host: slimtorch portable, slimtorch + XNNPACK, upstream ExecuTorch
1.5.1 + XNNPACK and PyTorch eager, all with the same number of threads (issue 15's targets).

    PYTHONPATH=python .venv/bin/python tools/bench/xnnpack.py [--iterations 50] [--threads 1]
        [--runner PATH] [--models NAME ...] [--zoo NAME ...]

Per model of models/ (MobileNetV2 at width 1.0, 224x224, as in tools/bench/models.py) and the
two zoo architectures of the compatibility tests (tests/zoo: resnet18, mobilenet_v3_small), in
one run, each the median of --iterations executions after one warm-up:
  - portable: `slimtorch export MODEL`, run by `pte_runner --iterations N` (built with
    `bazel build -c opt //app:pte_runner` unless --runner names one): its `latency_us median`;
  - slim+xnn: `slimtorch export MODEL --backend xnnpack`, the same runner with `--threads T`
    (the threads of XNNPACK's pthreadpool);
  - up+xnn: the program upstream's XnnpackPartitioner flow makes from the same model and weights
    (to_edge_transform_and_lower), run by upstream's runtime (its Python binding) after
    `_unsafe_reset_threadpool(T)` (the 1.5.1 wheel's only way to size the threadpool its XNNPACK
    delegate runs on: executorch.extension.pybindings.portable_lib; by default it has one
    thread per core), timed around Method.execute;
  - eager: PyTorch eager after torch.set_num_threads(T).
Then the ratios up+xnn / slim+xnn and eager / slim+xnn (> 1: slimtorch + XNNPACK is faster),
portable / slim+xnn (the delegate's gain), and per row the issue's target (slim+xnn at most
up+xnn and at most eager): met or missed. A cell whose side cannot export or run the model is
`-` and the reason follows the table. A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import models as bench  # noqa: E402  (tools/bench/models.py: the shared measuring helpers)

REPO = bench.REPO
ZOO_DEFAULT = ["resnet18", "mobilenet_v3_small"]
SIDES = ("portable", "slim+xnn", "up+xnn", "eager")


def measure_row(
    label: str, model_file: Path, runner: Path, iterations: int, threads: int
) -> tuple[dict[str, float | None], list[str]]:
    module = bench.load_model_file(model_file)
    model = module.model().eval()
    inputs = tuple(module.example_inputs())
    cells: dict[str, float | None] = {}
    reasons: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        measures: dict[str, Callable[[], float]] = {
            "portable": lambda: bench.slimtorch_us(runner, model_file, work, iterations),
            "slim+xnn": lambda: bench.slimtorch_us(
                runner,
                model_file,
                work,
                iterations,
                ("--backend", "xnnpack"),
                ("--threads", str(threads)),
            ),
            "up+xnn": lambda: bench.upstream_us(
                model, inputs, work, iterations, xnnpack=True, threads=threads
            ),
            "eager": lambda: bench.eager_us(model, inputs, iterations, threads),
        }
        bench.measure_sides(label, measures, cells, reasons)
    return cells, reasons


def print_row(label: str, cells: dict[str, float | None]) -> None:
    def us(v: float | None) -> str:
        return f"{v:>11.1f}" if v is not None else f"{'-':>11}"

    xnn = cells["slim+xnn"]

    def ratio(side: str) -> str:
        v = cells[side]
        return f"{v / xnn:>10.2f}" if v is not None and xnn else f"{'-':>10}"

    up, eager = cells["up+xnn"], cells["eager"]
    if xnn is None or up is None or eager is None:
        verdict = "-"
    else:
        missed = [name for name, v in (("upstream", up), ("eager", eager)) if xnn > v]
        verdict = "met" if not missed else "missed (" + ", ".join(missed) + ")"
    print(
        f"{label:<24}"
        + "".join(us(cells[s]) for s in SIDES)
        + ratio("up+xnn")
        + ratio("eager")
        + ratio("portable")
        + f"  {verdict}",
        flush=True,
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads for every side: XNNPACK's pool, upstream's, eager's",
    )
    parser.add_argument(
        "--runner", type=Path, help="a pte_runner built with -c opt (default: build it)"
    )
    parser.add_argument("--models", nargs="*", default=bench.MODELS + ["mlp"])
    parser.add_argument(
        "--zoo",
        nargs="*",
        default=ZOO_DEFAULT,
        metavar="NAME",
        help="zoo models of tests/zoo (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    from slimtorch import upstream

    upstream.require("tools/bench/xnnpack.py", tools=() if args.runner else ("bazel",))
    os.environ.update(bench.BENCH_ENV)
    runner = args.runner or bench.build_runner()
    print(
        f"host, {os.cpu_count()} cores, {args.threads} thread(s) for every side, median of "
        f"{args.iterations} runs, microseconds"
    )
    print(
        f"{'model':<24}"
        + "".join(f"{s:>11}" for s in SIDES)
        + f"{'up/slimx':>10}{'eager/sx':>10}{'port/sx':>10}  target"
    )
    rows = [(name, REPO / "models" / f"{name}.py") for name in args.models]
    rows += [(f"zoo/{name}", bench.ZOO / f"{name}.py") for name in args.zoo]
    reasons: list[str] = []
    for label, model_file in rows:
        cells, why = measure_row(label, model_file, runner, args.iterations, args.threads)
        print_row(label, cells)
        reasons += why
    for line in reasons:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
