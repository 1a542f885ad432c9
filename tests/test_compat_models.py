"""Compatibility with upstream ExecuTorch 1.5.1, both ways, for every model of models/.

- upstream's program (its default exporter; mutable buffers keep their initial values) runs on
  slimtorch's host runner //app:pte_runner and matches PyTorch eager;
- slimtorch's program runs on upstream's runtime (its Python binding) and matches PyTorch eager.

Every test case of a model file runs (example_inputs() and test_inputs()). Where upstream itself
cannot export or run a model the test is skipped with upstream's own error as the reason; a
failure on slimtorch's side is always a failure.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from test_upstream_compat import run_runner  # noqa: I001  (tests/ is on sys.path: rootdir conftest)

from slimtorch.model_file import LoadedModel, load_model_file
from slimtorch.upstream import export_program as upstream_export
from slimtorch.upstream import run_program as upstream_run

REPO = Path(__file__).resolve().parents[1]
MODELS = sorted(p.stem for p in (REPO / "models").glob("*.py"))
RTOL, ATOL = 1e-4, 1e-5
pytest.importorskip(
    "executorch.exir",
    reason="needs upstream executorch==1.5.1, which `make test` installs (setup.sh --test)",
)


@functools.cache
def model(name: str) -> LoadedModel:
    return load_model_file(str(REPO / "models" / f"{name}.py"))


def cases(loaded: LoadedModel) -> list[tuple[Any, ...]]:
    return [loaded.example_inputs, *loaded.test_inputs]


def expected(name: str, inputs: tuple[Any, ...]) -> list[torch.Tensor]:
    """Eager outputs of a fresh model (state starts from its initial values each case)."""
    with torch.no_grad():
        out = load_model_file(str(REPO / "models" / f"{name}.py")).module(*inputs)
    return [out] if isinstance(out, torch.Tensor) else list(out)


def assert_matches(
    got: list[Any], want: list[torch.Tensor], what: str, rtol: float = RTOL, atol: float = ATOL
) -> None:
    assert len(got) == len(want), f"{what}: {len(got)} outputs, PyTorch gives {len(want)}"
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        g_np = g.detach().numpy() if isinstance(g, torch.Tensor) else np.asarray(g)
        w_np = w.detach().numpy()
        assert g_np.shape == w_np.shape, f"{what}: output {i} shape {g_np.shape} != {w_np.shape}"
        np.testing.assert_allclose(g_np, w_np, rtol=rtol, atol=atol, err_msg=f"{what}: output {i}")


@functools.cache
def upstream_program(name: str) -> bytes:
    loaded = model(name)
    try:
        with torch.no_grad():
            return upstream_export(loaded.module, loaded.example_inputs, loaded.dynamic_shapes,
                                   init_buffers=True)
    except Exception as e:  # upstream's exporter refused the model: not slimtorch's to fix
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        pytest.skip(f"upstream executorch 1.5.1 cannot export models/{name}.py: "
                    f"{type(e).__name__}: {first}")


@functools.cache
def slimtorch_program(name: str) -> bytes:
    from slimtorch.exporter import export_model

    return bytes(export_model(model(name)).to_bytes())


@pytest.mark.parametrize("name", MODELS)
def test_upstream_program_runs_on_slimtorch(name: str, pte_runner: Path, tmp_path: Path) -> None:
    program = tmp_path / f"{name}.upstream.pte"
    program.write_bytes(upstream_program(name))
    for k, inputs in enumerate(cases(model(name))):
        case_dir = tmp_path / f"case{k}"
        case_dir.mkdir()
        got = run_runner(pte_runner, program, [np.asarray(x) for x in inputs], case_dir)
        what = f"upstream's {name}.pte on pte_runner, case {k}"
        assert_matches(got, expected(name, inputs), what)


@pytest.mark.parametrize("name", MODELS)
def test_slimtorch_program_runs_on_upstream(name: str) -> None:
    program = slimtorch_program(name)
    for k, inputs in enumerate(cases(model(name))):
        got = upstream_run(program, list(inputs))
        assert_matches(got, expected(name, inputs), f"slimtorch's {name}.pte on upstream, case {k}")
