"""slimtorch.export(): user passes and user memory planners, checked by the program's
instructions and allocation_info and by running the programs against PyTorch eager on
slimtorch's host runner and on upstream's runtime."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.fx import GraphModule
from torch.fx.passes.infra.pass_base import PassBase, PassResult

import slimtorch
from slimtorch import cli, pte, schema
from slimtorch.tests.conftest import (
    REPO,
    eager,
    needs_executorch,
    run_on_pte_runner,
    run_upstream,
)

# The model file and passes file that tests/api/BUILD.bazel exports with
# executorch_model(passes = ...): x @ w + b (core ATen: mm, then add), relu, * 2; a pass
# fusing mm + add into addmm, and a planner that gives every tensor bytes of its own.
MODEL_FILE = REPO / "tests" / "api" / "linear_relu.py"
PASSES_FILE = REPO / "tests" / "api" / "fuse_mm_add.py"
_PASSES = slimtorch.load_passes_file(PASSES_FILE)
fuse_mm_add = _PASSES.passes[0]
no_reuse = _PASSES.memory_planner


def _model() -> tuple[torch.nn.Module, tuple[torch.Tensor, ...]]:
    loaded = slimtorch.load_model_file(MODEL_FILE)
    return loaded.module, loaded.example_inputs


def _check_runs(
    program: slimtorch.Program,
    module: torch.nn.Module,
    inputs: tuple[torch.Tensor, ...],
    pte_runner: Path,
    tmp_path: Path,
) -> None:
    want = eager(module, inputs)
    got = run_on_pte_runner(pte_runner, program.buffer, inputs, tmp_path)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w.numpy(), rtol=1e-5, atol=1e-5)


def test_fusion_pass_makes_addmm_and_runs_like_eager(pte_runner: Path, tmp_path: Path) -> None:
    module, inputs = _model()
    plain = slimtorch.export(module, inputs)
    assert plain.instructions() == [
        "aten::mm.out",
        "aten::add.out",
        "aten::relu.out",
        "aten::mul.out",
    ]
    fused = slimtorch.export(module, inputs, passes=[fuse_mm_add])
    assert fused.instructions() == ["aten::addmm.out", "aten::relu.out", "aten::mul.out"]
    assert "aten::addmm" in fused.manifest() and "aten::mm" not in fused.manifest()
    assert "aten::addmm.out" in fused.inspect()
    _check_runs(fused, module, inputs, pte_runner, tmp_path)


@needs_executorch
def test_fused_program_runs_on_upstream_runtime() -> None:
    module, inputs = _model()
    program = slimtorch.export(module, inputs, passes=[fuse_mm_add])
    got = run_upstream(program.buffer, list(inputs))
    torch.testing.assert_close(got[0], eager(module, inputs)[0], rtol=1e-5, atol=1e-5)


def test_passes_run_in_order_and_may_return_none() -> None:
    module, inputs = _model()
    seen: list[str] = []

    def first(gm: GraphModule) -> None:
        seen.append(
            "first:" + ",".join(str(n.target) for n in gm.graph.nodes if n.op == "call_function")
        )

    def second(gm: GraphModule) -> GraphModule:
        seen.append("second")
        return fuse_mm_add(gm)

    def third(gm: GraphModule) -> None:
        seen.append(
            "third:" + ",".join(str(n.target) for n in gm.graph.nodes if n.op == "call_function")
        )

    slimtorch.export(module, inputs, passes=[first, second, third])
    assert seen == [
        "first:aten.mm.default,aten.add.Tensor,aten.relu.default,aten.mul.Tensor",
        "second",
        "third:aten.addmm.default,aten.relu.default,aten.mul.Tensor",
    ]


class _FusePass(PassBase):
    """torch's pass infrastructure works too: a PassBase returns a PassResult."""

    def call(self, graph_module: GraphModule) -> PassResult:
        return PassResult(fuse_mm_add(graph_module), True)


def _rebuilt(gm: GraphModule) -> GraphModule:
    """A pass that returns a new GraphModule (the same graph, a new module object)."""
    return GraphModule(gm, gm.graph)


def test_pass_result_and_new_graph_modules_are_taken() -> None:
    module, inputs = _model()
    program = slimtorch.export(module, inputs, passes=[_rebuilt, _FusePass()])
    assert program.instructions() == ["aten::addmm.out", "aten::relu.out", "aten::mul.out"]


def test_failing_pass_is_named() -> None:
    module, inputs = _model()

    def broken_pass(gm: GraphModule) -> GraphModule:
        raise RuntimeError("no pattern")

    with pytest.raises(
        slimtorch.PassError,
        match=r"pass .*broken_pass failed: RuntimeError: "
        "no pattern",
    ):
        slimtorch.export(module, inputs, passes=[broken_pass])

    def returns_a_number(gm: GraphModule) -> int:
        return 3

    with pytest.raises(slimtorch.PassError, match="returns_a_number returned int"):
        slimtorch.export(module, inputs, passes=[returns_a_number])  # type: ignore[list-item]


def _allocations(program: slimtorch.Program) -> list[tuple[int, int, int, int]]:
    """(value index, memory id, offset, nbytes) of every planned tensor."""
    plan = pte.read_pte(program.buffer).program.execution_plan[0]
    found = []
    for i, v in enumerate(plan.values):
        t = v.val
        if isinstance(t, schema.Tensor) and t.allocation_info is not None:
            n = 4 * int(np.prod(t.sizes))
            found.append((i, t.allocation_info.memory_id, t.allocation_info.offset, n))
    return found


def test_user_planner_no_reuse(pte_runner: Path, tmp_path: Path) -> None:
    module, inputs = _model()
    shared = _allocations(slimtorch.export(module, inputs))
    program = slimtorch.export(module, inputs, memory_planner=no_reuse)
    placed = _allocations(program)
    assert len(placed) == len(shared) == 5  # x, mm, add, relu, mul
    assert all(mem == 1 for _, mem, _, _ in placed)
    for (_, _, a, na), (_, _, b, nb) in itertools.combinations(placed, 2):
        assert a + na <= b or b + nb <= a  # no two tensors share a byte
    offsets = sorted(off for _, _, off, _ in placed)
    assert offsets == [0, 128, 224, 320, 416]  # 4x8 floats, then four 4x6 (96 bytes each)
    plan = pte.read_pte(program.buffer).program.execution_plan[0]
    assert list(plan.non_const_buffer_sizes) == [0, 512]
    # slimtorch's own planner reuses bytes for this chain
    assert max(o + n for _, _, o, n in shared) < 512
    _check_runs(program, module, inputs, pte_runner, tmp_path)


def _planner_returning(offsets: Mapping[str, int], memory: int = 0) -> slimtorch.Planner:
    def planner(
        tensors: Sequence[slimtorch.TensorLifetime], memories: Sequence[slimtorch.Memory]
    ) -> dict[int, slimtorch.Placement]:
        base = no_reuse(tensors, memories)
        return {
            t.key: slimtorch.Placement(memory, offsets.get(t.name, base[t.key].offset))
            for t in tensors
            if offsets.get(t.name, 0) >= 0
        }

    return planner


def test_overlapping_plan_is_refused_naming_the_tensors() -> None:
    module, inputs = _model()
    # mm (instruction 0) and add (instruction 1) are live together at instruction 1.
    bad = _planner_returning({"mm": 0, "add": 32})
    with pytest.raises(
        slimtorch.MemoryPlanError,
        match=r"planner .*planner returned a wrong plan: .*x \(128 bytes, live "
        r"\[-1, 0\]\) at planned\+0 and mm \(96 bytes, live \[0, 1\]\) at "
        r"planned\+0 are live at the same time.*mm .* at planned\+0 and add "
        r"\(96 bytes, live \[1, 2\]\) at planned\+32 are live",
    ):
        slimtorch.export(module, inputs, memory_planner=bad)


def test_out_of_bounds_misaligned_and_missing_are_refused() -> None:
    module, inputs = _model()
    memories = [slimtorch.Memory("dtcm", 1024)]
    with pytest.raises(
        slimtorch.MemoryPlanError,
        match=r"relu \(96 bytes, live \[2, 3\]\) at dtcm\+992: ends at byte "
        "1088, past dtcm's capacity of 1024 bytes",
    ):
        slimtorch.export(
            module, inputs, memories=memories, memory_planner=_planner_returning({"relu": 992})
        )
    with pytest.raises(
        slimtorch.MemoryPlanError,
        match=r"add \(96 bytes, live \[1, 2\]\) at dtcm\+8: the offset must be "
        "a non-negative multiple of 16",
    ):
        slimtorch.export(
            module, inputs, memories=memories, memory_planner=_planner_returning({"add": 8})
        )
    with pytest.raises(slimtorch.MemoryPlanError, match=r"no placement for mul \(96 bytes"):
        slimtorch.export(module, inputs, memory_planner=_planner_returning({"mul": -1}))
    with pytest.raises(slimtorch.MemoryPlanError, match=r"memory 1 does not exist"):
        slimtorch.export(
            module, inputs, memories=memories, memory_planner=_planner_returning({}, memory=1)
        )


def test_planner_that_raises_or_returns_a_list_is_named() -> None:
    module, inputs = _model()

    def crashing_planner(tensors: object, memories: object) -> dict[int, slimtorch.Placement]:
        raise KeyError("sram")

    with pytest.raises(slimtorch.MemoryPlanError, match="crashing_planner failed: KeyError"):
        slimtorch.export(module, inputs, memory_planner=crashing_planner)
    with pytest.raises(
        slimtorch.MemoryPlanError, match="returned list; a planner returns a mapping"
    ):
        slimtorch.export(module, inputs, memory_planner=lambda t, m: [])  # type: ignore[arg-type,return-value]


def test_builtin_planner_is_a_planner_like_any_other() -> None:
    module, inputs = _model()
    default = slimtorch.export(module, inputs)
    explicit = slimtorch.export(module, inputs, memory_planner=slimtorch.plan_hierarchy)
    assert default.buffer == explicit.buffer


def test_backends_delegate_what_they_take() -> None:
    from slimtorch.tests.standin_backend import STANDIN_ID, standin

    module, inputs = _model()
    with pytest.raises(slimtorch.ExportError, match="unknown backend 'nope'.*known .*xnnpack"):
        slimtorch.export(module, inputs, backends=["nope"])
    backend = standin({torch.ops.aten.relu.default, torch.ops.aten.mul.Tensor})
    program = slimtorch.export(module, inputs, backends=[backend])
    assert "delegate" in program.instructions()
    assert [d.id for d in program.program.execution_plan[0].delegates] == [STANDIN_ID]
    assert [len(p.nodes) for p in backend.partitions] == [2]  # relu, * 2


def test_program_save_and_manifest(tmp_path: Path) -> None:
    module, inputs = _model()
    program = slimtorch.export(module, inputs, name="lin.pte")
    size = program.save(tmp_path / "out" / "lin.pte")
    assert (tmp_path / "out" / "lin.pte").read_bytes() == program.buffer and size > 0
    program.save_manifest(tmp_path / "lin.ops.yaml")
    assert (tmp_path / "lin.ops.yaml").read_text() == program.manifest()
    assert program.inspect().startswith("lin.pte:")


def test_cli_export_with_passes_file(tmp_path: Path) -> None:
    out = tmp_path / "lin.pte"
    assert (
        cli.main(
            [
                "export",
                str(MODEL_FILE),
                "-o",
                str(out),
                "--passes",
                str(PASSES_FILE),
                "--manifest",
                str(tmp_path / "lin.ops.yaml"),
            ]
        )
        == 0
    )
    plan = pte.read_pte(out.read_bytes()).program.execution_plan[0]
    assert [op.name for op in plan.operators] == ["aten::addmm", "aten::relu", "aten::mul"]
    assert list(plan.non_const_buffer_sizes) == [0, 416]  # x, addmm, relu, mul: no reuse


def test_cli_passes_file_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty.py").write_text("X = 1\n")
    assert (
        cli.main(
            [
                "export",
                str(MODEL_FILE),
                "-o",
                str(tmp_path / "x.pte"),
                "--passes",
                str(tmp_path / "empty.py"),
            ]
        )
        == 1
    )
    assert "defines neither passes() nor memory_planner()" in capsys.readouterr().err
    (tmp_path / "raise.py").write_text(
        "def bad(gm):\n    raise ValueError('boom')\n\ndef passes():\n    return [bad]\n"
    )
    assert (
        cli.main(
            [
                "export",
                str(MODEL_FILE),
                "-o",
                str(tmp_path / "x.pte"),
                "--passes",
                str(tmp_path / "raise.py"),
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert (
        "slimtorch export: error:" in err
        and "pass slimtorch_passes_raise.bad failed: ValueError: boom" in err
    )


def test_quantize_int8_runs_the_int8_driver() -> None:
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.ReLU()).eval()
    inputs = (torch.randn(2, 8),)
    program = slimtorch.export(module, inputs, quantize="int8", calibration_inputs=[inputs])
    assert program.quantized is not None
    assert any(op.startswith("cortex_m::") for op in program.instructions())
    with pytest.raises(slimtorch.ExportError, match="quantize='int4'"):
        slimtorch.export(module, inputs, quantize="int4")
