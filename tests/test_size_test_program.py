"""//app:size_test's embedded program (app/size_test_program.py) stays a valid ET12 program:
upstream ExecuTorch 1.5.1 loads its one method and executes it. (slimtorch's runtime loads
it with verification on in //app:size_test_host_test and //app:size_test_qemu_test.)"""

from __future__ import annotations

import pytest
from conftest import bazel_build

from slimtorch.pte import read_pte
from slimtorch.upstream import load_method

pytest.importorskip("executorch.runtime", reason="needs upstream executorch==1.5.1")


def test_minimal_program_loads_and_runs_on_upstream() -> None:
    (path,) = bazel_build("//app:size_test_program.pte")
    data = path.read_bytes()
    plan = read_pte(data).program.execution_plan[0]
    assert (plan.name, plan.values, plan.inputs, plan.outputs) == ("forward", [], [], [])
    assert [len(c.instructions) for c in plan.chains] == [0]

    method = load_method(data)
    assert list(method.execute([])) == []
