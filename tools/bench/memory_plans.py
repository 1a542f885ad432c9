"""Planned memory of every model in models/: slimtorch's plan, its lower bound, upstream's plan.

    PYTHONPATH=python .venv/bin/python tools/bench/memory_plans.py

The lower bound is the most bytes (16-byte aligned) live at any one instruction; upstream's
figure is the planned buffer of the program upstream ExecuTorch 1.5.1 exports from the same
model file (n/a where it cannot export the model). A report, not a test: the test
python/slimtorch/tests/test_memory_plan.py asserts the same relations.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

from slimtorch import exporter, pte, upstream
from slimtorch.memory_planning import method_memory_stats
from slimtorch.model_file import load_model_file

REPO = Path(__file__).resolve().parents[2]


def main() -> int:
    upstream.require("tools/bench/memory_plans.py")  # else every upstream figure would be n/a
    warnings.filterwarnings("ignore")
    print(f"{'model':<20} {'planned':>9} {'bound':>9} {'ratio':>6} {'upstream':>9}")
    for path in sorted((REPO / "models").glob("*.py")):
        loaded = load_model_file(path)
        ours = pte.read_pte(exporter.export_model(loaded).to_bytes()).program.execution_plan[0]
        planned = sum(s.planned_bytes for s in method_memory_stats(ours))
        bound = sum(s.lower_bound for s in method_memory_stats(ours))
        try:
            theirs = pte.read_pte(upstream.export_program(
                loaded.module.eval(), loaded.example_inputs, loaded.dynamic_shapes))
            up = str(sum(theirs.program.execution_plan[0].non_const_buffer_sizes))
        except Exception:  # upstream cannot export every model slimtorch can
            up = "n/a"
        ratio = planned / bound if bound else 1.0
        print(f"{path.stem:<20} {planned:>9} {bound:>9} {ratio:>6.3f} {up:>9}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
