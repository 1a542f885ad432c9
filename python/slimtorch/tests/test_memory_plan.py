"""Memory planning: tensors that are live at the same time never share bytes; others do."""

from __future__ import annotations

import itertools

import pytest

from slimtorch import exporter, pte, schema
from slimtorch.dtypes import ELEMENT_SIZE
from slimtorch.memory_planning import Lifetime, plan_memory
from slimtorch.model_file import LoadedModel
from slimtorch.tests import models


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
    ts = [Lifetime(0, 100, 0, 2), Lifetime(1, 40, 1, 3), Lifetime(2, 100, 3, 5),
          Lifetime(3, 8, 4, 4), Lifetime(4, 0, 0, 9)]
    offsets, total = plan_memory(ts)
    assert all(o % 16 == 0 for o in offsets.values())
    for a, b in itertools.combinations(ts, 2):
        if a.overlaps(b) and a.nbytes and b.nbytes:
            assert (offsets[a.key] + a.nbytes <= offsets[b.key]
                    or offsets[b.key] + b.nbytes <= offsets[a.key])
    assert offsets[0] == offsets[2]  # dead 100-byte tensor's bytes are reused
    assert total == 160  # 100 (aligned to 112) + 40 (aligned to 48)
