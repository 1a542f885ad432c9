"""slimtorch-exported programs run on upstream ExecuTorch's runtime and match PyTorch eager."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from slimtorch import exporter, pte, schema
from slimtorch.emitter import EmitError
from slimtorch.model_file import LoadedModel
from slimtorch.tests import models
from slimtorch.tests.conftest import eager, needs_executorch, run_upstream


@torch.library.custom_op("slimtorch_test::no_out", mutates_args=())
def no_out(x: torch.Tensor) -> torch.Tensor:
    """A custom op with only a functional overload (no .out)."""
    return x * 2


@no_out.register_fake
def _(x: torch.Tensor) -> torch.Tensor:
    return torch.empty_like(x)


def _export(module: torch.nn.Module, inputs: tuple, path: str = "inline.py") -> bytes:  # type: ignore[type-arg]
    return exporter.export_model(LoadedModel(path, module.eval(), inputs, None)).to_bytes()


@needs_executorch
def test_mlp_runs_on_upstream_runtime(slim_mlp: bytes, mlp_model: LoadedModel) -> None:
    got = run_upstream(slim_mlp, list(mlp_model.example_inputs))
    want = eager(mlp_model.module, mlp_model.example_inputs)
    assert len(got) == len(want) == 1
    torch.testing.assert_close(got[0], want[0], rtol=1e-5, atol=1e-5)


@needs_executorch
@pytest.mark.parametrize("make", [models.two_outputs, models.conv_net, models.misc],
                         ids=["two_outputs", "conv_net", "misc"])
def test_models_run_on_upstream_runtime(make) -> None:  # type: ignore[no-untyped-def]
    module, inputs = make()
    program = _export(module, inputs)
    got = run_upstream(program, list(inputs))
    want = eager(module, inputs)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape
        torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-5)


def test_constant_folding_drops_weight_transposes(slim_mlp: bytes, mlp_model: LoadedModel) -> None:
    """By default each Linear's weight transpose is evaluated at export: no permute_copy runs,
    the transposed weights are constants (the originals are not stored), and the planned
    memory holds activations only. (That the folded program still matches PyTorch on
    upstream's runtime is test_mlp_runs_on_upstream_runtime.)"""
    folded = pte.read_pte(slim_mlp).program
    unfolded_bytes = exporter.export_model(mlp_model, fold_constants=False).to_bytes()
    unfolded = pte.read_pte(unfolded_bytes).program
    names = [f"{o.name}.{o.overload}" for o in folded.execution_plan[0].operators]
    assert "aten::permute_copy.out" not in names
    assert len(folded.execution_plan[0].chains[0].instructions) == 4  # addmm relu addmm softmax
    assert (sum(folded.execution_plan[0].non_const_buffer_sizes)
            < sum(unfolded.execution_plan[0].non_const_buffer_sizes))
    assert len(slim_mlp) <= len(unfolded_bytes)  # the untransposed weights are not kept


def test_mlp_program_shape(mlp_model: LoadedModel) -> None:
    """Structure upstream would also emit (without constant folding): out variants, addmm args,
    constants, meta type."""
    parsed = pte.read_pte(exporter.export_model(mlp_model, fold_constants=False).to_bytes())
    plan = parsed.program.execution_plan[0]
    names = [f"{o.name}.{o.overload}" for o in plan.operators]
    assert names[:3] == ["aten::permute_copy.out", "aten::addmm.out", "aten::relu.out"]
    addmm = next(i.instr_args for i in plan.chains[0].instructions
                 if isinstance(i.instr_args, schema.KernelCall)
                 and names[i.instr_args.op_index] == "aten::addmm.out")
    assert len(addmm.args) == 7 and addmm.args[5] == addmm.args[6]  # [.., out, out]
    beta = plan.values[addmm.args[3]].val
    assert isinstance(beta, schema.Int) and beta.int_val == 1
    perm = next(i.instr_args for i in plan.chains[0].instructions
                if isinstance(i.instr_args, schema.KernelCall)
                and names[i.instr_args.op_index] == "aten::permute_copy.out")
    dims = plan.values[perm.args[1]].val
    assert isinstance(dims, schema.IntList)  # items are indices of Int values
    assert [plan.values[k].val.int_val for k in dims.items] == [1, 0]  # type: ignore[union-attr]
    n_params = sum(1 for _ in mlp_model.module.parameters())
    assert len(parsed.program.constant_segment.offsets) == n_params + 1  # type: ignore[union-attr]
    assert parsed.program.constant_segment.offsets[0] == 0  # type: ignore[union-attr]
    assert all(o % 16 == 0 for o in parsed.program.constant_segment.offsets)  # type: ignore[union-attr]
    assert plan.container_meta_type.encoded_inp_str.startswith('[1, {"type": "builtins.tuple"')  # type: ignore[union-attr]


def test_export_is_deterministic(mlp_model: LoadedModel, slim_mlp: bytes) -> None:
    assert exporter.export_model(mlp_model).to_bytes() == slim_mlp


def test_op_without_out_variant_names_model_op_and_line(tmp_path: Path) -> None:
    model_file = tmp_path / "custom_model.py"
    model_file.write_text(
        "import torch\n\n\nclass M(torch.nn.Module):\n    def forward(self, x):\n"
        "        return torch.ops.slimtorch_test.no_out(x) + 1\n\n\n"
        "def model():\n    return M()\n\n\ndef example_inputs():\n    return (torch.ones(2),)\n")
    loaded = exporter.load_model_file(model_file)
    with pytest.raises(EmitError) as e:
        exporter.export_model(loaded)
    msg = str(e.value)
    assert str(model_file) in msg
    assert "slimtorch_test::no_out" in msg and "no out variant" in msg
    assert "custom_model.py:6" in msg and "torch.ops.slimtorch_test.no_out(x)" in msg


def test_io_dir(mlp_model: LoadedModel, tmp_path: Path) -> None:
    import numpy as np

    exporter.write_io_dir(mlp_model, str(tmp_path))
    x = np.load(tmp_path / "input0.npy")
    np.testing.assert_array_equal(x, mlp_model.example_inputs[0].numpy())
    np.testing.assert_array_equal(np.load(tmp_path / "expected0.npy"),
                                  eager(mlp_model.module, mlp_model.example_inputs)[0].numpy())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["expected0.npy", "input0.npy"]


class _Dynamic(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        y = self.fc(x).relu()
        return y.reshape(-1), y.sum(0), y.reshape(y.shape[0] * 3, 1)


@needs_executorch
def test_dynamic_batch_runs_on_upstream_runtime() -> None:
    torch.manual_seed(6)
    module = _Dynamic().eval()
    batch = torch.export.Dim("batch", max=8)
    program = exporter.export_model(LoadedModel(
        "dyn.py", module, (torch.randn(2, 4),), ({0: batch},))).to_bytes()
    plan = pte.read_pte(program).program.execution_plan[0]
    x = plan.values[plan.inputs[0]].val
    assert isinstance(x, schema.Tensor)
    assert x.sizes == [8, 4] and x.shape_dynamism == schema.TensorShapeDynamism.DYNAMIC_BOUND
    for n in (1, 5, 8):
        inputs = (torch.randn(n, 4),)
        got = run_upstream(program, list(inputs))
        for g, w in zip(got, eager(module, inputs), strict=True):
            assert g.shape == w.shape
            torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-5)


def test_unbounded_dynamic_dim_is_a_clear_error() -> None:
    module = _Dynamic().eval()
    with pytest.raises(EmitError, match="no upper bound.*max"):
        exporter.export_model(LoadedModel(
            "dyn.py", module, (torch.randn(2, 4),), ({0: torch.export.Dim("batch")},)))


@needs_executorch
def test_container_meta_type_matches_upstream(upstream) -> None:  # type: ignore[no-untyped-def]
    module, inputs = models.two_outputs()
    ours = pte.read_pte(_export(module, inputs)).program.execution_plan[0]
    theirs = pte.read_pte(upstream.get("two_outputs", models.two_outputs)).program
    assert ours.container_meta_type == theirs.execution_plan[0].container_meta_type
    assert [f"{o.name}.{o.overload}" for o in ours.operators] == [
        f"{o.name}.{o.overload}" for o in theirs.execution_plan[0].operators]


def test_model_file_imports_a_module_beside_it(tmp_path: Path) -> None:
    """A model file's own directory is importable while it loads (a custom op's torch.library
    definitions or shared layers live in a module beside it), and sys.path is restored."""
    from slimtorch.model_file import load_model_file

    (tmp_path / "shared_layers_for_test.py").write_text(
        "import torch\n\ndef block():\n    return torch.nn.Sequential(torch.nn.Linear(4, 3), "
        "torch.nn.ReLU())\n")
    (tmp_path / "m.py").write_text(
        "import torch\nimport shared_layers_for_test\n\n"
        "def model():\n    torch.manual_seed(0)\n    return shared_layers_for_test.block()\n\n"
        "def example_inputs():\n    return (torch.ones(2, 4),)\n")
    before = list(sys.path)
    loaded = load_model_file(tmp_path / "m.py")
    assert sys.path == before
    program = exporter.export_model(loaded).program
    ops = {o.name for o in program.execution_plan[0].operators}
    assert {"aten::addmm", "aten::relu"} <= ops
