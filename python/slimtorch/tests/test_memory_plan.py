"""Memory planning: tensors that are live at the same time never share bytes; others do."""

from __future__ import annotations

import itertools
from pathlib import Path
from xml.etree import ElementTree

import pytest
import torch

from slimtorch import cli, exporter, pte, schema
from slimtorch.dtypes import ELEMENT_SIZE
from slimtorch.memory_planning import (
    Memory,
    MemoryPlanError,
    TensorLifetime,
    lower_bound,
    method_memory_stats,
    parse_memory,
    plan_hierarchy,
    plan_memory,
    tensor_lifetimes,
    verify_plan,
)
from slimtorch.model_file import LoadedModel, load_model_file
from slimtorch.tests import models
from slimtorch.tests.conftest import REPO, Upstream, upstream_export


def _nbytes(t: schema.Tensor) -> int:
    n = ELEMENT_SIZE[t.scalar_type]
    for s in t.sizes:
        n *= s
    return n


def check_plan(data: bytes) -> int:
    """Recompute lifetimes from the emitted instructions (independently of the emitter) and
    check every pair of planned tensors; returns how many pairs share bytes."""
    plan = pte.read_pte(data).program.execution_plan[0]
    instrs = plan.chains[0].instructions
    live: dict[int, list[int]] = {}

    def use(idx: int, at: int) -> None:
        v = plan.values[idx].val
        if isinstance(v, schema.TensorList | schema.OptionalTensorList):
            for k in v.items:
                if k >= 0:
                    use(k, at)
        elif isinstance(v, schema.Tensor):
            live.setdefault(idx, []).append(at)

    for idx in plan.inputs:
        use(idx, -1)
    for at, ins in enumerate(instrs):
        assert isinstance(ins.instr_args, schema.KernelCall)
        for idx in ins.instr_args.args:
            use(idx, at)
    for idx in plan.outputs:
        use(idx, len(instrs))

    planned = []
    for idx, v in enumerate(plan.values):
        t = v.val
        if isinstance(t, schema.Tensor) and t.data_buffer_idx == 0:
            assert t.allocation_info is not None, f"v{idx} is not planned"
            assert t.allocation_info.memory_id == 1
            off = t.allocation_info.offset
            assert off % 16 == 0
            assert off + _nbytes(t) <= plan.non_const_buffer_sizes[1]
            planned.append((idx, off, off + _nbytes(t), min(live[idx]), max(live[idx])))
        elif isinstance(t, schema.Tensor):
            assert t.allocation_info is None
    shared = 0
    for a, b in itertools.combinations(planned, 2):
        bytes_overlap = a[1] < b[2] and b[1] < a[2]
        time_overlap = a[3] <= b[4] and b[3] <= a[4]
        assert not (bytes_overlap and time_overlap), f"v{a[0]} and v{b[0]} collide"
        shared += bytes_overlap
    assert plan.non_const_buffer_sizes[0] == 0
    return shared


def test_mlp_plan_is_safe_and_shares(slim_mlp: bytes) -> None:
    assert check_plan(slim_mlp) > 0


@pytest.mark.parametrize("make", [models.conv_net, models.misc, models.two_outputs])
def test_plan_is_safe_on_other_models(make) -> None:  # type: ignore[no-untyped-def]
    module, inputs = make()
    data = exporter.export_model(LoadedModel("m.py", module.eval(), inputs, None)).to_bytes()
    check_plan(data)


def test_planner_unit() -> None:
    ts = [TensorLifetime(0, 100, 0, 2), TensorLifetime(1, 40, 1, 3), TensorLifetime(2, 100, 3, 5),
          TensorLifetime(3, 8, 4, 4), TensorLifetime(4, 0, 0, 9)]
    offsets, total = plan_memory(ts)
    assert all(o % 16 == 0 for o in offsets.values())
    for a, b in itertools.combinations(ts, 2):
        if a.overlaps(b) and a.nbytes and b.nbytes:
            assert (offsets[a.key] + a.nbytes <= offsets[b.key]
                    or offsets[b.key] + b.nbytes <= offsets[a.key])
    assert offsets[0] == offsets[2]  # dead 100-byte tensor's bytes are reused
    assert total == 160  # 100 (aligned to 112) + 40 (aligned to 48)


# ---- planner quality: every model in models/ vs the lower bound and vs upstream ------------

MODEL_FILES = sorted(p for p in (REPO / "models").glob("*.py") if not p.name.startswith("_"))


@pytest.mark.parametrize("path", MODEL_FILES, ids=[p.stem for p in MODEL_FILES])
def test_models_plan_near_lower_bound_and_not_above_upstream(
        path: Path, upstream: Upstream) -> None:
    loaded = load_model_file(path)
    ours = pte.read_pte(exporter.export_model(loaded).to_bytes()).program.execution_plan[0]
    stats = method_memory_stats(ours)
    for s in stats:
        assert s.planned_bytes <= 1.05 * s.lower_bound, (
            f"{path.name}: memory id {s.memory_id} planned {s.planned_bytes} bytes, lower "
            f"bound {s.lower_bound}")
    try:
        theirs_bytes = upstream_export(
            loaded.module.eval(), loaded.example_inputs, loaded.dynamic_shapes)
    except Exception as e:  # upstream cannot export every model slimtorch can
        pytest.skip(f"upstream ExecuTorch cannot export {path.name}: {type(e).__name__}")
    theirs = pte.read_pte(theirs_bytes).program.execution_plan[0]
    assert sum(ours.non_const_buffer_sizes) <= sum(theirs.non_const_buffer_sizes), (
        f"{path.name}: slimtorch plans {list(ours.non_const_buffer_sizes)}, upstream "
        f"{list(theirs.non_const_buffer_sizes)}")


class _Ladder(torch.nn.Module):
    """Layers of three widths, each feeding a running list of reductions: tensors of many
    sizes and lifetimes, where upstream's greedy plan lands above the lower bound."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = torch.nn.ModuleList(
            torch.nn.Linear(64 * (k % 3 + 1), 64 * ((k + 1) % 3 + 1)) for k in range(9))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        sums = []
        for layer in self.layers:
            x = torch.tanh(layer(x))
            sums.append(x.sum(-1, keepdim=True))
        return x, torch.cat(sums, -1)


def test_ladder_reaches_the_bound_where_upstream_does_not(upstream: Upstream) -> None:
    torch.manual_seed(0)
    module, inputs = _Ladder().eval(), (torch.randn(4, 64),)
    ours = pte.read_pte(exporter.export_model(LoadedModel("ladder.py", module, inputs, None))
                        .to_bytes()).program.execution_plan[0]
    theirs = pte.read_pte(upstream.get("ladder", lambda: (module, inputs))
                          ).program.execution_plan[0]
    (mine,) = method_memory_stats(ours)
    (up,) = method_memory_stats(theirs)
    assert mine.planned_bytes == mine.lower_bound
    assert mine.planned_bytes < up.planned_bytes


def test_lower_bound_counts_aligned_live_bytes() -> None:
    ts = [TensorLifetime(0, 10, 0, 1), TensorLifetime(1, 20, 1, 2), TensorLifetime(2, 40, 2, 3)]
    assert lower_bound(ts) == 32 + 48  # at instruction 1 or 2: 16 + 32, 32 + 48


def test_planner_beats_size_order_on_a_chain() -> None:
    # A chain where placing the largest first fragments memory; another order packs it.
    ts = [TensorLifetime(0, 64, 0, 1), TensorLifetime(1, 32, 1, 2), TensorLifetime(2, 64, 2, 3),
          TensorLifetime(3, 32, 3, 4), TensorLifetime(4, 96, 4, 5)]
    offsets, total = plan_memory(ts)
    assert total == lower_bound(ts)


def test_loop_body_tensors_stay_live_over_the_whole_body() -> None:
    t = schema.EValue(schema.Tensor(scalar_type=6, storage_offset=0, sizes=[4], dim_order=[0],
                                    requires_grad=False, data_buffer_idx=0))
    values = [t, t, t]
    call = schema.Instruction(schema.KernelCall(0, [0, 1]))
    jump_back = schema.Instruction(schema.JumpFalseCall(2, 0))
    spans = tensor_lifetimes(values, [call, call, jump_back, schema.Instruction(
        schema.KernelCall(0, [2]))], [], [])
    assert spans[0][:2] == (0, 2) and spans[1][:2] == (0, 2)  # widened to the loop [0, 2]
    assert spans[2][:2] == (0, 3)  # the condition is read by the jump at 2, used again at 3


def test_hierarchy_fills_fastest_first_and_spills() -> None:
    ts = [TensorLifetime(0, 64, 0, 0, accesses=1), TensorLifetime(1, 64, 0, 9, accesses=1),
          TensorLifetime(2, 64, 1, 1, accesses=2)]
    memories = [Memory("dtcm", 100), Memory("sram", 1024)]
    plan = plan_hierarchy(ts, memories)
    # Short-lived, often-used tensors rank first; the long-lived one spills to sram.
    assert {key: p.memory for key, p in plan.items()} == {0: 0, 1: 1, 2: 0}
    assert verify_plan(ts, memories, plan) == [64, 64]


def test_hierarchy_that_cannot_fit_names_needed_and_available_bytes() -> None:
    ts = [TensorLifetime(0, 100, 0, 1), TensorLifetime(1, 100, 1, 2)]
    with pytest.raises(MemoryPlanError, match=r"dtcm: planned \d+ bytes, available 64.*"
                       r"needs at least 224 bytes"):
        plan_hierarchy(ts, [Memory("dtcm", 64), Memory("sram", 100)])


def test_parse_memory() -> None:
    assert parse_memory("dtcm:64K") == Memory("dtcm", 64 * 1024)
    assert parse_memory("sram:2M") == Memory("sram", 2 << 20)
    assert parse_memory("ext") == Memory("ext", None)
    with pytest.raises(MemoryPlanError, match="size must be"):
        parse_memory("dtcm:64Q")


def test_export_across_two_memories_writes_memory_ids(mlp_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "mlp.pte"
    # The MLP plans 512 bytes (activations only: the weight transposes are folded), so a
    # 256-byte DTCM takes part of it and SRAM the rest.
    assert cli.main(["export", str(mlp_path), "-o", str(out), "--memory", "dtcm:256",
                     "--memory", "sram:2M"]) == 0
    plan = pte.read_pte_file(str(out)).program.execution_plan[0]
    ids = {v.val.allocation_info.memory_id for v in plan.values
           if isinstance(v.val, schema.Tensor) and v.val.allocation_info is not None}
    assert ids == {1, 2}
    assert 0 < plan.non_const_buffer_sizes[1] <= 256
    svg = tmp_path / "plan.svg"
    assert cli.main(["inspect", "--brief", "--memory", "--svg", str(svg), str(out)]) == 0
    root = ElementTree.parse(svg).getroot()
    assert len(root.findall(".//{http://www.w3.org/2000/svg}rect")) > 5
    assert cli.main(["export", str(mlp_path), "-o", str(out), "--memory", "dtcm:128",
                     "--memory", "sram:128"]) == 1
