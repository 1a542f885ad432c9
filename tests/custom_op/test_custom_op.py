"""The custom operator of tests/custom_op/my_ops.py through the exporter: one instruction
`my_ops::my_op` overload `out` (as upstream's exporter names it), listed in the manifest,
never decomposed; a custom op without an out variant is an error saying what to define; and
upstream's runtime loads the program but reports the operator missing (it has no kernel for
it), which is right. The image that runs it (host and Cortex-M55) is tested by Bazel
(tests/custom_op/BUILD.bazel), against PyTorch eager, which runs the Python reference."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from torch import nn

from slimtorch import exporter, schema
from slimtorch.emitter import EmitError, EmittedProgram
from slimtorch.manifest import manifest_dict
from slimtorch.model_file import LoadedModel, load_model_file
from slimtorch.pte import read_pte
from slimtorch.tests.conftest import needs_executorch

HERE = Path(__file__).resolve().parent
MODEL = HERE / "my_ops.py"


def _calls(emitted: EmittedProgram) -> list[tuple[str, str]]:
    """(operator name, overload) of every KernelCall, in instruction order."""
    plan = emitted.program.execution_plan[0]
    return [
        (plan.operators[i.instr_args.op_index].name, plan.operators[i.instr_args.op_index].overload)
        for i in plan.chains[0].instructions
        if isinstance(i.instr_args, schema.KernelCall)
    ]


@pytest.fixture(scope="module")
def loaded() -> LoadedModel:
    return load_model_file(MODEL)


@pytest.fixture(scope="module")
def program(loaded: LoadedModel) -> EmittedProgram:
    return exporter.export_model(loaded)


def test_custom_op_is_one_out_instruction_between_ordinary_ops(program: EmittedProgram) -> None:
    calls = _calls(program)
    assert calls.count(("my_ops::my_op", "out")) == 1
    # linear -> my_op -> relu -> linear
    assert calls == [
        ("aten::addmm", "out"),
        ("my_ops::my_op", "out"),
        ("aten::relu", "out"),
        ("aten::addmm", "out"),
    ]


def test_manifest_lists_the_custom_op(program: EmittedProgram) -> None:
    manifest = manifest_dict(read_pte(program.to_bytes()), "my_ops.pte")
    assert "my_ops::my_op.out" in manifest["operators"]
    # x, out and the return value: float32, contiguous 2-D.
    assert manifest["et_kernel_metadata"]["my_ops::my_op.out"] == ["v1/6;0,1|6;0,1|6;0,1"]


def test_python_reference_is_what_eager_runs(loaded: LoadedModel) -> None:
    x = torch.linspace(-3, 3, 7)
    want = x / (1 + 1.5 * x.abs())
    torch.testing.assert_close(torch.ops.my_ops.my_op(x, 1.5), want)
    out = torch.empty(7)
    torch.ops.my_ops.my_op.out(x, 1.5, out=out)
    torch.testing.assert_close(out, want)


@needs_executorch
def test_upstream_exporter_names_the_op_the_same(
    loaded: LoadedModel, program: EmittedProgram
) -> None:
    from slimtorch.upstream import export_program

    upstream = read_pte(export_program(loaded.module, loaded.example_inputs))
    names = {(o.name, o.overload) for o in upstream.program.execution_plan[0].operators}
    assert ("my_ops::my_op", "out") in names


@needs_executorch
def test_upstream_runtime_loads_the_program_and_reports_the_op_missing(
    program: EmittedProgram, capfd: pytest.CaptureFixture[str]
) -> None:
    from executorch.runtime import Runtime

    loaded = Runtime.get().load_program(program.to_bytes())
    assert "forward" in loaded.method_names
    with pytest.raises(RuntimeError, match="error: 0x:?14"):  # Error::OperatorMissing
        loaded.load_method("forward")
    assert "Missing operator: [1] my_ops::my_op.out" in capfd.readouterr().err


# A functional custom op with no .out overload, and one whose reference is a
# CompositeImplicitAutograd kernel (which torch's decomposition table would trace through).
if not hasattr(torch.ops.st_test_ops, "no_out"):
    torch.library.define("st_test_ops::no_out", "(Tensor x, float alpha) -> Tensor")
    torch.library.impl("st_test_ops::no_out", "CompositeExplicitAutograd")(
        lambda x, alpha: x * alpha
    )
    torch.library.register_fake("st_test_ops::no_out")(lambda x, alpha: torch.empty_like(x))
    torch.library.define("st_test_ops::implicit", "(Tensor x) -> Tensor")
    torch.library.define("st_test_ops::implicit.out", "(Tensor x, *, Tensor(a!) out) -> Tensor(a!)")
    torch.library.impl("st_test_ops::implicit", "CompositeImplicitAutograd")(lambda x: x * 2 + 1)
    torch.library.impl("st_test_ops::implicit.out", "CompositeExplicitAutograd")(
        lambda x, *, out: out.copy_(x * 2 + 1)
    )


class _Calls(nn.Module):
    def __init__(self, op: str) -> None:
        super().__init__()
        self.op = op

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.op == "no_out":
            return torch.ops.st_test_ops.no_out(x, 2.0) + 1
        return torch.relu(torch.ops.st_test_ops.implicit(x))


def test_custom_op_without_out_variant_says_what_to_define() -> None:
    loaded = LoadedModel("no_out_model.py", _Calls("no_out").eval(), (torch.randn(2, 3),), None)
    with pytest.raises(EmitError) as info:
        exporter.export_model(loaded)
    message = str(info.value)
    assert "custom op st_test_ops::no_out.default has no out variant" in message
    assert re.search(
        r'torch\.library\.define\("st_test_ops::no_out\.out", "\(Tensor x, float '
        r'alpha, \*, Tensor\(a!\) out\) -> Tensor\(a!\)"\)',
        message,
    ), message
    assert "custom_ops.yaml" in message


def test_custom_op_with_implicit_reference_is_not_decomposed() -> None:
    loaded = LoadedModel("implicit_model.py", _Calls("implicit").eval(), (torch.randn(2, 3),), None)
    calls = _calls(exporter.export_model(loaded))
    assert calls == [("st_test_ops::implicit", "out"), ("aten::relu", "out")]
