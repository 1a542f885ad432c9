"""Control flow, dynamic shapes and state end to end, and compatibility of cond programs with
upstream ExecuTorch 1.5.1 in both directions:

- the same cond model exported by upstream and by slimtorch has the same instruction shape
  (JumpFalse over the inlined true branch, MoveCall results, JumpFalse(const false) over the
  false branch);
- upstream's cond programs run on slimtorch's //app:pte_runner, slimtorch's on upstream's
  runtime (`executorch.runtime`), both branches, matching PyTorch eager;
- dynamic-shape inputs beyond their bound and unsupported constructs fail with errors that
  name the input/dimension/bound or the construct/source line/replacement.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from test_upstream_compat import run_runner

from slimtorch import schema
from slimtorch.emitter import EmitError
from slimtorch.exporter import export_model
from slimtorch.model_file import load_model_file
from slimtorch.pte import read_pte
from slimtorch.upstream import export_program as upstream_program
from slimtorch.upstream import load_method as upstream_load_method

REPO = Path(__file__).resolve().parents[1]
COND_MODEL = REPO / "models" / "cond_branches.py"
exir = pytest.importorskip("executorch.exir", reason="needs upstream executorch==1.5.1")


def instruction_shape(data: bytes) -> list[str]:
    """Kinds of the instructions, with jump targets relative to the jump."""
    plan = read_pte(data).program.execution_plan[0]
    shape = []
    for i, ins in enumerate(plan.chains[0].instructions):
        a = ins.instr_args
        if isinstance(a, schema.JumpFalseCall):
            cond = plan.values[a.cond_value_index].val
            kind = "const" if isinstance(cond, schema.Bool) else "pred"
            shape.append(f"JumpFalse({kind},{a.destination_instruction - i:+d})")
        elif isinstance(a, schema.KernelCall):
            op = plan.operators[a.op_index]
            shape.append(f"{op.name}.{op.overload}")
        else:
            shape.append(type(a).__name__)
    return shape


@pytest.fixture(scope="module")
def cond_programs() -> tuple[bytes, bytes]:
    loaded = load_model_file(COND_MODEL)
    return (export_model(loaded).to_bytes(),
            upstream_program(loaded.module, loaded.example_inputs))


def all_cases() -> list[tuple[torch.Tensor, ...]]:
    loaded = load_model_file(COND_MODEL)
    return [loaded.example_inputs, *loaded.test_inputs]


def test_cond_emitted_like_upstream(cond_programs: tuple[bytes, bytes]) -> None:
    # Without constant folding, as upstream's default flow emits it.
    ours = export_model(load_model_file(COND_MODEL), fold_constants=False).to_bytes()
    upstream = cond_programs[1]
    mine, theirs = instruction_shape(ours), instruction_shape(upstream)
    control = [s for s in theirs if s.startswith(("JumpFalse", "MoveCall"))]
    assert [s for s in mine if s.startswith(("JumpFalse", "MoveCall"))] == control
    assert len(mine) == len(theirs), (mine, theirs)
    assert sum(s.startswith("JumpFalse(pred") for s in mine) == 2  # the outer and the nested cond


def test_upstream_cond_program_runs_on_slimtorch(pte_runner: Path, tmp_path: Path,
                                                 cond_programs: tuple[bytes, bytes]) -> None:
    program = tmp_path / "cond_upstream.pte"
    program.write_bytes(cond_programs[1])
    module = load_model_file(COND_MODEL).module
    for k, inputs in enumerate(all_cases()):
        case_dir = tmp_path / f"case{k}"
        case_dir.mkdir()
        actual = run_runner(pte_runner, program, [x.numpy() for x in inputs], case_dir)
        expected = module(*inputs)
        for a, e in zip(actual, expected, strict=True):
            np.testing.assert_allclose(a, e.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_slimtorch_cond_program_runs_on_upstream(cond_programs: tuple[bytes, bytes]) -> None:
    method = upstream_load_method(cond_programs[0])
    module = load_model_file(COND_MODEL).module
    for inputs in all_cases():
        actual = method.execute(list(inputs))
        expected = module(*inputs)
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            np.testing.assert_allclose(a.numpy(), e.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_input_beyond_its_bound_is_rejected(pte_runner: Path, tmp_path: Path) -> None:
    program = tmp_path / "dynamic.pte"
    loaded = load_model_file(REPO / "models" / "dynamic_mlp.py")
    program.write_bytes(export_model(loaded).to_bytes())
    ok = run_runner(pte_runner, program, [np.ones((5, 6), np.float32)], tmp_path)
    assert ok[0].shape == (5, 3)
    np.save(tmp_path / "big.npy", np.ones((9, 6), np.float32))
    proc = subprocess.run([str(pte_runner), str(program), "--input", str(tmp_path / "big.npy")],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "input 0: dimension 0 is 9, beyond its bound 8" in proc.stdout, proc.stdout


def test_iterations_repeat_calls_with_state(pte_runner: Path, tmp_path: Path) -> None:
    loaded = load_model_file(REPO / "models" / "state_kv_cache.py")
    program = tmp_path / "kv.pte"
    program.write_bytes(export_model(loaded).to_bytes())
    np.save(tmp_path / "x.npy", loaded.example_inputs[0].numpy())
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.run([str(pte_runner), str(program), "--input", str(tmp_path / "x.npy"),
                           "--iterations", "5", "--output-dir", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout
    module = loaded.factory()
    for _ in range(5):
        expected = module(*loaded.example_inputs)
    np.testing.assert_allclose(np.load(out / "output0.npy"), expected.detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "bad_model.py"
    path.write_text("import torch\nfrom torch import nn\n" + body)
    return path


def test_int_loop_carry_error_names_construct_line_and_fix(tmp_path: Path) -> None:
    path = _write(tmp_path, """
from torch._higher_order_ops.while_loop import while_loop
class M(nn.Module):
    def forward(self, x):
        return while_loop(lambda i, x: i < 3, lambda i, x: (i + 1, x * 2.0), (0, x))
def model(): return M()
def example_inputs(): return (torch.randn(3),)
""")
    with pytest.raises(EmitError) as e:
        export_model(load_model_file(path))
    msg = str(e.value)
    assert "loop-carried value" in msg and "not a tensor" in msg, msg
    assert "bad_model.py:7" in msg and "torch.zeros((), dtype=torch.int64)" in msg, msg


def test_unbounded_dynamic_dim_error_names_fix(tmp_path: Path) -> None:
    path = _write(tmp_path, """
class M(nn.Module):
    def forward(self, x):
        return x * 2.0
def model(): return M()
def example_inputs(): return (torch.randn(4, 3),)
def dynamic_shapes(): return ({0: torch.export.Dim("batch")},)
""")
    with pytest.raises(EmitError, match=r"no upper bound.*Dim\('batch', max=8\)"):
        export_model(load_model_file(path))
