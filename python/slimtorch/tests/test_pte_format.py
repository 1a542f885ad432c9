"""The schema, flatbuffer writer/reader and .pte file layout, against upstream's files."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
import torch

from slimtorch import flatbuf, pte, schema
from slimtorch.tests import models
from slimtorch.tests.conftest import REPO, eager, needs_executorch, run_upstream

UPSTREAM_FBS = (REPO / ".venv/lib/python3.11/site-packages/executorch/exir/_serialize")


def every_kind_program() -> schema.Program:
    """A program using every EValue and instruction type and optional table."""
    t = schema.Tensor(
        scalar_type=schema.ScalarType.FLOAT, sizes=[2, 3], dim_order=[0, 1],
        allocation_info=schema.AllocationDetails(1, 5, 1), shape_dynamism=1,
        extra_tensor_info=schema.ExtraTensorInfo(7, "w.fqn", 1),
    )
    values = [schema.EValue(v) for v in [
        schema.Null(), schema.Int(-(2**40)), schema.Bool(True), schema.Double(0.25), t,
        schema.String("hi"), schema.IntList([1, 1]), schema.DoubleList([1.5, -2.0]),
        schema.BoolList([True, False]), schema.TensorList([4]),
        schema.OptionalTensorList([4, -1]),
    ]]
    instructions = [schema.Instruction(x) for x in [
        schema.KernelCall(0, [4, 1, 4, 4]), schema.DelegateCall(0, [4]), schema.MoveCall(4, 4),
        schema.JumpFalseCall(2, 0), schema.FreeCall(4),
    ]]
    plan = schema.ExecutionPlan(
        name="forward", container_meta_type=schema.ContainerMetadata("in", "out"),
        values=values, inputs=[4], outputs=[4],
        chains=[schema.Chain([4], [4], instructions, [schema.FrameList(
            [schema.Frame("m.py", 3, "forward", "x + 1")])])],
        operators=[schema.Operator("aten::add", "out"), schema.Operator("aten::copy_", "")],
        delegates=[schema.BackendDelegate(
            "XnnpackBackend", schema.BackendDelegateDataReference(1, 0),
            [schema.CompileSpec("k", b"\x01\x02")])],
        non_const_buffer_sizes=[0, 96],
        non_const_buffer_device=[schema.NonConstBufferDevice(1, 0, 0)],
    )
    return schema.Program(
        version=0, execution_plan=[plan], constant_buffer=[schema.Buffer(b"\x00" * 5)],
        backend_delegate_data=[schema.BackendDelegateInlineData(b"blob")],
        segments=[], constant_segment=schema.SubsegmentOffsets(0, [0, 16]),
        mutable_data_segments=[schema.SubsegmentOffsets(1, [0, 0])],
        named_data=[schema.NamedData("key", 1)],
    )


def test_schema_round_trip_every_kind() -> None:
    program = every_kind_program()
    data = flatbuf.encode(program)
    assert data[4:8] == b"ET12"
    assert flatbuf.decode(schema.Program, data) == program


def test_field_ids_follow_upstream_schema() -> None:
    """Unions take two ids; spot-check ids against program.fbs's declaration order."""
    ids = {s.name: s.slot for s in schema.field_specs(schema.EValue)}
    assert ids == {"val": 0}
    assert schema.num_slots(schema.EValue) == 2
    plan_ids = {s.name: s.slot for s in schema.field_specs(schema.ExecutionPlan)}
    assert plan_ids["non_const_buffer_sizes"] == 8
    assert [s.slot for s in schema.field_specs(schema.Program)] == list(range(8))


@pytest.mark.skipif(shutil.which("flatc") is None or not (UPSTREAM_FBS / "program.fbs").is_file(),
                    reason="needs flatc and upstream's program.fbs (installed executorch)")
def test_flatc_reads_our_bytes_with_upstream_schema(tmp_path: Path) -> None:
    """Independent check: flatc + upstream's .fbs decode what our writer produced."""
    program = every_kind_program()
    (tmp_path / "p.bin").write_bytes(flatbuf.encode(program))
    for f in ("program.fbs", "scalar_type.fbs"):
        shutil.copy(UPSTREAM_FBS / f, tmp_path / f)
    subprocess.run(["flatc", "--json", "--strict-json", "--raw-binary", "-o", str(tmp_path),
                    str(tmp_path / "program.fbs"), "--", str(tmp_path / "p.bin")], check=True)
    j = json.loads((tmp_path / "p.json").read_text())
    plan = j["execution_plan"][0]
    assert [v["val_type"] for v in plan["values"]] == [
        "Null", "Int", "Bool", "Double", "Tensor", "String", "IntList", "DoubleList",
        "BoolList", "TensorList", "OptionalTensorList"]
    assert plan["values"][1]["val"]["int_val"] == -(2**40)
    tensor = plan["values"][4]["val"]
    assert tensor["sizes"] == [2, 3] and tensor["scalar_type"] == "FLOAT"
    assert tensor["allocation_info"] == {"memory_id": 1, "memory_offset_low": 5,
                                         "memory_offset_high": 1}
    assert tensor["extra_tensor_info"]["fully_qualified_name"] == "w.fqn"
    assert [i["instr_args_type"] for i in plan["chains"][0]["instructions"]] == [
        "KernelCall", "DelegateCall", "MoveCall", "JumpFalseCall", "FreeCall"]
    assert plan["operators"][1] == {"name": "aten::copy_", "overload": ""}
    assert plan["non_const_buffer_sizes"] == [0, 96]
    assert j["named_data"] == [{"key": "key", "segment_index": 1}]


def test_segments_header_and_alignment() -> None:
    program = every_kind_program()
    blobs = [b"\x11" * 300, b"\x22" * 5]
    data = pte.write_pte(program, blobs)
    magic, length, program_size, base, seg_size = struct.unpack_from("<4sIQQQ", data, 8)
    assert (magic, length) == (b"eh00", 32)
    assert base % 128 == 0 and base >= program_size
    assert seg_size == 384 + 5  # second segment starts at the next 128 boundary
    parsed = pte.read_pte(data, check=False)  # every_kind_program: wire kinds, not a method
    assert [(s.offset, s.size) for s in parsed.program.segments] == [(0, 300), (384, 5)]
    assert parsed.segment(0) == blobs[0] and parsed.segment(1) == blobs[1]
    assert parsed.program.execution_plan == program.execution_plan


def test_no_segment_data_means_no_header() -> None:
    data = pte.write_pte(every_kind_program(), [b""])
    assert data[8:12] != b"eh00"
    parsed = pte.read_pte(data, check=False)
    assert [(s.offset, s.size) for s in parsed.program.segments] == [(0, 0)]


def test_pack_constants_pads_to_16() -> None:
    seg, offsets = pte.pack_constants([b"a" * 4, b"b" * 17, b"c"])
    assert offsets == [0, 0, 16, 48]
    assert seg[16:33] == b"b" * 17 and seg[48:] == b"c"


@pytest.mark.parametrize("data", [b"", b"\x00" * 7, b"\x00\x00\x00\x00ET11" + b"\x00" * 40])
def test_rejects_non_programs(data: bytes) -> None:
    with pytest.raises(pte.PteError, match="not an ExecuTorch program"):
        pte.read_pte(data)


@needs_executorch
def test_truncated_program_is_an_error_not_a_crash(upstream) -> None:  # type: ignore[no-untyped-def]
    data = upstream.get("two_outputs", models.two_outputs)
    for cut in (9, 40, 100, len(data) // 2):
        with pytest.raises(pte.PteError):
            pte.read_pte(data[:cut])


@needs_executorch
@pytest.mark.parametrize("name,make", [("two_outputs", models.two_outputs),
                                       ("conv_net", models.conv_net)])
def test_upstream_program_round_trips(upstream, name, make) -> None:  # type: ignore[no-untyped-def]
    """Read an upstream program, write it back: identical bytes, and upstream still runs it."""
    data = upstream.get(name, make)
    parsed = pte.read_pte(data)
    rewritten = pte.write_pte(
        parsed.program, [parsed.segment(i) for i in range(len(parsed.program.segments))])
    assert rewritten == data
    module, inputs = make()
    for got, want in zip(run_upstream(rewritten, list(inputs)), eager(module.eval(), inputs),
                         strict=True):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)


@needs_executorch
def test_reads_upstream_mlp_structure(upstream, mlp_model) -> None:  # type: ignore[no-untyped-def]
    data = upstream.get("mlp", lambda: (mlp_model.module, mlp_model.example_inputs))
    parsed = pte.read_pte(data)
    plan = parsed.program.execution_plan[0]
    assert plan.name == "forward"
    names = [f"{o.name}.{o.overload}" for o in plan.operators]
    assert "aten::addmm.out" in names and "aten::permute_copy.out" in names
    x = plan.values[plan.inputs[0]].val
    assert isinstance(x, schema.Tensor) and x.sizes == list(mlp_model.example_inputs[0].shape)
    # Constants decode to the model's parameters.
    weights = {p.data.numpy().tobytes() for p in mlp_model.module.parameters()}
    consts = [v.val for v in plan.values
              if isinstance(v.val, schema.Tensor) and v.val.data_buffer_idx > 0]
    got = {parsed.constant_data(t.data_buffer_idx, 4 * _numel(t)) for t in consts}
    assert weights <= got


def _numel(t: schema.Tensor) -> int:
    n = 1
    for s in t.sizes:
        n *= s
    return n
