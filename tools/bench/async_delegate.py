"""Asynchronous delegates on the host: a model with two independent branches, one that the
XNNPACK delegate runs (on its worker thread) and one that the portable kernels run (on the main
thread), should take about max(branch times), not their sum (issue 15: wall <= 1.15x the slower
branch).

    PYTHONPATH=python .venv/bin/python tools/bench/async_delegate.py [--iterations 50]
        [--runner PATH]

The model is tools/bench/two_branch.py (its docstring says what each branch computes). Each
program is `slimtorch export tools/bench/two_branch.py --backend xnnpack` (the branch alone
with SLIMTORCH_TWO_BRANCH=image / =sequence), run by `pte_runner --threads 1 --iterations N`
(built with `bazel build -c opt //app:pte_runner` unless --runner names one): the median of
its `latency_us median` line. XNNPACK gets one thread, so the delegate's worker thread and the
main thread are the machine's two cores. Printed:
  - delegated branch alone, portable branch alone;
  - the whole model with asynchronous delegates (the runner's default);
  - the whole model forced synchronous, when the runner has a switch for it (SYNC_FLAGS, found
    in its --help); otherwise the sum of the two branches stands in for it;
  - wall / max(branches) against the 1.15 target, and wall / sum(branches).
The number of XNNPACK delegates of each program is printed too: the premise is that the image
branch is one delegate and the sequence branch none. A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import models as bench  # noqa: E402  (tools/bench/models.py: the shared measuring helpers)

MODEL = Path(__file__).resolve().parent / "two_branch.py"
TARGET = 1.15
EXPORT = ("--backend", "xnnpack")
RUN = ("--threads", "1")
# A runner switch that makes every delegate synchronous (start + wait at once), if it has one.
SYNC_FLAGS = ("--sync-delegates", "--synchronous", "--sync")


def delegates(program: Path) -> int:
    from slimtorch.pte import read_pte_file

    pf = read_pte_file(str(program))
    return sum(len(plan.delegates) for plan in pf.program.execution_plan)


def sync_flag(runner: Path) -> str | None:
    proc = subprocess.run([str(runner), "--help"], capture_output=True, text=True)
    usage = proc.stdout + proc.stderr
    return next((f for f in SYNC_FLAGS if f in usage.split()), None)


def measure(
    runner: Path, part: str, iterations: int, work: Path, runner_args: tuple[str, ...] = RUN
) -> tuple[float, int]:
    """(median microseconds, XNNPACK delegates) of the two_branch program `part`."""
    os.environ["SLIMTORCH_TWO_BRANCH"] = part
    sub = work / part
    sub.mkdir(exist_ok=True)
    us = bench.slimtorch_us(runner, MODEL, sub, iterations, EXPORT, runner_args)
    return us, delegates(bench.slimtorch_program_path(sub, EXPORT))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument(
        "--runner", type=Path, help="a pte_runner built with -c opt (default: build it)"
    )
    args = parser.parse_args(argv)
    runner = args.runner or bench.build_runner()
    saved = os.environ.get("SLIMTORCH_TWO_BRANCH")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        image, n_image = measure(runner, "image", args.iterations, work)
        seq, n_seq = measure(runner, "sequence", args.iterations, work)
        wall, n_both = measure(runner, "both", args.iterations, work)
        flag = sync_flag(runner)
        if flag is not None:
            sync, _ = measure(runner, "both", args.iterations, work, RUN + (flag,))
            sync_what = f"whole model, synchronous ({flag})"
        else:
            sync = image + seq
            sync_what = "sum of the branches (the runner has no synchronous switch)"
    if saved is None:
        os.environ.pop("SLIMTORCH_TWO_BRANCH", None)
    else:
        os.environ["SLIMTORCH_TWO_BRANCH"] = saved
    slower = max(image, seq)
    print(
        f"tools/bench/two_branch.py on the host, pte_runner -c opt, XNNPACK 1 thread, median of "
        f"{args.iterations} runs"
    )
    print(f"{'what':<62}{'us':>10}{'delegates':>11}")
    print(
        f"{'delegated branch alone (image: convolutions, XNNPACK)':<62}{image:>10.1f}{n_image:>11}"
    )
    print(f"{'portable branch alone (sequence: bmm, tanh, layer norm)':<62}{seq:>10.1f}{n_seq:>11}")
    print(f"{'whole model, asynchronous delegates':<62}{wall:>10.1f}{n_both:>11}")
    print(f"{sync_what:<62}{sync:>10.1f}")
    ratio = wall / slower
    print(
        f"wall / max(branches) = {ratio:.3f} (target <= {TARGET}: "
        f"{'met' if ratio <= TARGET else 'missed'}); wall / sum(branches) = "
        f"{wall / (image + seq):.3f}; synchronous / asynchronous = {sync / wall:.3f}"
    )
    if n_image < 1 or n_seq != 0:
        print(
            f"note: the premise does not hold: the image branch has {n_image} delegates "
            f"(expected 1), the sequence branch {n_seq} (expected 0)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
