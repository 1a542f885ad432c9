"""The operator manifest equals what upstream's own tooling (gen_oplist) derives."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
import yaml

from slimtorch import manifest, pte
from slimtorch.cli import main
from slimtorch.tests import models
from slimtorch.tests.conftest import executorch_available


class _DynamicReshape(torch.nn.Module):
    """Dynamic batch: upstream emits aten::sym_size.int and executorch_prim::mul.Scalar."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.fc(x).relu()
        return y.reshape(y.shape[0] * 3, 1)


def upstream_manifest(program: Path, out: Path) -> dict:  # type: ignore[type-arg]
    try:
        from executorch.codegen.tools.gen_oplist import gen_oplist
    except ImportError as e:  # pragma: no cover - depends on the wheel's contents
        pytest.skip(f"upstream gen_oplist is not importable: {e}")
    gen_oplist(out, model_file_path=str(program))
    return yaml.safe_load(out.read_text())


def _normalise(d: dict) -> dict:  # type: ignore[type-arg]
    d = dict(d)
    d["et_kernel_metadata"] = {k: sorted(v) for k, v in d["et_kernel_metadata"].items()}
    return d


@pytest.mark.skipif(not executorch_available(), reason="needs upstream executorch==1.5.1")
@pytest.mark.parametrize(
    "name,make",
    [("two_outputs", models.two_outputs), ("conv_net", models.conv_net), ("misc", models.misc)],
)
def test_matches_upstream_gen_oplist(upstream, name, make, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = upstream.get(name, make)
    program = tmp_path / f"{name}.pte"
    program.write_bytes(data)
    theirs = upstream_manifest(program, tmp_path / "theirs.yaml")
    # gen_oplist names the program by the path it was given.
    ours = manifest.manifest_dict(pte.read_pte(data), str(program))
    assert _normalise(ours) == _normalise(theirs)


@pytest.mark.skipif(not executorch_available(), reason="needs upstream executorch==1.5.1")
def test_matches_upstream_with_primitive_ops(tmp_path: Path) -> None:
    batch = torch.export.Dim("batch", max=8)
    ep = torch.export.export(_DynamicReshape(), (torch.randn(2, 4),), dynamic_shapes=({0: batch},))
    from executorch.exir import to_edge

    data = bytes(to_edge(ep).to_executorch().buffer)
    program = tmp_path / "dyn.pte"
    program.write_bytes(data)
    theirs = upstream_manifest(program, tmp_path / "theirs.yaml")
    ours = manifest.manifest_dict(pte.read_pte(data), str(program))
    assert ours["et_kernel_metadata"]["executorch_prim::mul.Scalar"] == ["v1"]
    assert _normalise(ours) == _normalise(theirs)


def test_mlp_manifest_by_hand(slim_mlp: bytes) -> None:
    m = manifest.manifest_dict(pte.read_pte(slim_mlp), "mlp.pte")
    # The weights' transposes are folded into constants at export: no permute_copy.
    assert set(m["operators"]) == {"aten::addmm.out", "aten::relu.out", "aten::_softmax.out"}
    assert m["operators"]["aten::addmm.out"] == {
        "debug_info": ["mlp.pte"],
        "include_all_overloads": False,
        "is_root_operator": True,
        "is_used_for_training": True,
    }
    # addmm.out(self [bias, 1-D], mat1, mat2, beta, alpha, out, out): five tensors.
    assert m["et_kernel_metadata"]["aten::addmm.out"] == ["v1/6;0|6;0,1|6;0,1|6;0,1|6;0,1"]
    assert m["et_kernel_metadata"]["aten::relu.out"] == ["v1/6;0,1|6;0,1|6;0,1"]
    assert m["kernel_metadata"] == {} and m["include_all_operators"] is False


def test_export_manifest_equals_ops_command(mlp_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "mlp.pte"
    assert (
        main(["export", str(mlp_path), "-o", str(out), "--manifest", str(tmp_path / "a.ops.yaml")])
        == 0
    )
    assert main(["ops", str(out), "-o", str(tmp_path / "b.ops.yaml")]) == 0
    assert (tmp_path / "a.ops.yaml").read_text() == (tmp_path / "b.ops.yaml").read_text()
    assert "aten::addmm.out" in yaml.safe_load((tmp_path / "a.ops.yaml").read_text())["operators"]


def _xnnpack_lowered(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...]) -> bytes:
    """The program upstream's XnnpackPartitioner lowers from `model` (its default serializer)."""
    pytest.importorskip(
        "executorch.backends.xnnpack.partition.xnnpack_partitioner",
        reason="needs upstream executorch==1.5.1 (its XNNPACK partitioner)",
    )
    from slimtorch import upstream

    return upstream.export_program(model.eval(), inputs, xnnpack=True)


class _HalfDelegated(torch.nn.Module):
    """linear + relu (XNNPACK takes them) then a cumsum (it does not): a mixed program."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cumsum(torch.relu(self.fc(x)), dim=1)


@pytest.mark.skipif(not executorch_available(), reason="needs upstream executorch==1.5.1")
def test_delegates_listed_as_build_features(tmp_path: Path) -> None:
    """A delegated program's manifest lists `backend:XnnpackBackend` once; upstream's
    SelectiveBuilder still accepts the file and codegen's manifest reader finds the backend."""
    from torchgen.selective_build.selector import SelectiveBuilder

    torch.manual_seed(0)
    data = _xnnpack_lowered(_HalfDelegated(), (torch.randn(2, 8),))
    program = pte.read_pte(data)
    ids = [d.id for plan in program.program.execution_plan for d in plan.delegates]
    assert ids and set(ids) == {"XnnpackBackend"}
    m = manifest.manifest_dict(program, "half.pte")
    assert m["build_features"] == ["backend:XnnpackBackend"]
    assert "aten::cumsum.out" in m["operators"]  # the part left to the portable kernels
    builder = SelectiveBuilder.from_yaml_dict(m)
    assert builder.is_operator_selected("aten::cumsum.out")
    assert "backend:XnnpackBackend" in builder.build_features

    path = tmp_path / "half.ops.yaml"
    path.write_text(manifest.manifest_yaml(program, "half.pte"))
    sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "codegen"))
    from op_manifest import load_manifest

    assert load_manifest(str(path)).backends == ("XnnpackBackend",)


def test_program_without_delegates_has_no_build_features(slim_mlp: bytes) -> None:
    assert manifest.manifest_dict(pte.read_pte(slim_mlp), "mlp.pte")["build_features"] == []
