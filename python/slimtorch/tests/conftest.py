"""Shared fixtures: the MLP model file, programs exported by slimtorch and by upstream."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

REPO = Path(__file__).resolve().parents[3]
PYTHON_DIR = REPO / "python"
if str(PYTHON_DIR) not in sys.path:
    sys.path.insert(0, str(PYTHON_DIR))



def _import_upstream_cortex_m() -> bool:
    """Upstream's cortex_m:: operators with their Python reference kernels, imported before
    any slimtorch code defines cortex_m ops (slimtorch/quantize/ops.py then uses them, so the
    lowered int8 graphs run through upstream's reference; the other order would make
    upstream's `Library("cortex_m", "DEF")` clash with slimtorch's definitions)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import executorch.backends.cortex_m.passes  # noqa: F401
    except Exception:
        return False
    return True


UPSTREAM_CORTEX_M = _import_upstream_cortex_m()

from slimtorch import exporter  # noqa: E402
from slimtorch.model_file import LoadedModel, load_model_file  # noqa: E402
from slimtorch.upstream import export_program as upstream_export  # noqa: E402,F401
from slimtorch.upstream import run_program as run_upstream  # noqa: E402,F401

_INLINE_MLP = '''
import torch


class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(16, 32)
        self.fc2 = torch.nn.Linear(32, 4)

    def forward(self, x):
        return torch.softmax(self.fc2(torch.relu(self.fc1(x))), dim=-1)


def model():
    torch.manual_seed(0)
    return MLP()


def example_inputs():
    return (torch.randn(2, 16, generator=torch.Generator().manual_seed(1)),)
'''

NO_EXECUTORCH = "upstream executorch==1.5.1 is not importable (pip install executorch==1.5.1)"


def executorch_available() -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import executorch.exir  # noqa: F401
            import executorch.runtime  # noqa: F401
    except Exception:
        return False
    return True


needs_executorch = pytest.mark.skipif(not executorch_available(), reason=NO_EXECUTORCH)


@pytest.fixture(scope="session")
def mlp_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """models/mlp.py when the repository has it, else an equivalent inline model file."""
    path = REPO / "models" / "mlp.py"
    if path.is_file():
        return path
    inline = tmp_path_factory.mktemp("models") / "mlp.py"
    inline.write_text(_INLINE_MLP)
    return inline


@pytest.fixture(scope="session")
def mlp_model(mlp_path: Path) -> LoadedModel:
    return load_model_file(mlp_path)


@pytest.fixture(scope="session")
def slim_mlp(mlp_model: LoadedModel) -> bytes:
    """The MLP exported by slimtorch."""
    return exporter.export_model(mlp_model).to_bytes()


def eager(module: torch.nn.Module, inputs: tuple[Any, ...]) -> list[torch.Tensor]:
    with torch.no_grad():
        out = module(*inputs)
    return list(torch.utils._pytree.tree_leaves(out))


class Upstream:
    """Upstream-exported programs, made once per session."""

    def __init__(self) -> None:
        self._cache: dict[str, bytes] = {}

    def get(self, name: str, make: Callable[[], tuple[torch.nn.Module, tuple[Any, ...]]]) -> bytes:
        if name not in self._cache:
            module, inputs = make()
            self._cache[name] = upstream_export(module.eval(), inputs)
        return self._cache[name]


@pytest.fixture(scope="session")
def upstream() -> Upstream:
    if not executorch_available():
        pytest.skip(NO_EXECUTORCH)
    return Upstream()


@pytest.fixture(scope="session")
def pte_runner() -> Path:
    """//app:pte_runner, slimtorch's host runner with every kernel (built by Bazel; a no-op
    when current), as tests/conftest.py builds it."""
    import shutil
    import subprocess

    if shutil.which("bazel") is None:
        pytest.skip("bazel is not on PATH: run `make test` (scripts/setup.sh installs it)")
    subprocess.run(["bazel", "build", "--noshow_progress", "//app:pte_runner"], cwd=REPO,
                   check=True)
    bin_dir = subprocess.run(["bazel", "info", "bazel-bin"], cwd=REPO, check=True,
                             capture_output=True, text=True).stdout.strip()
    return Path(bin_dir) / "app" / "pte_runner"


def run_on_pte_runner(runner: Path, program: bytes, inputs: tuple[Any, ...],
                      tmp_path: Path) -> list[Any]:
    """The outputs (numpy arrays) of one execution of `program` on slimtorch's host runner."""
    import subprocess

    import numpy as np

    (tmp_path / "model.pte").write_bytes(program)
    args = [str(runner), str(tmp_path / "model.pte")]
    for i, x in enumerate(inputs):
        np.save(tmp_path / f"in{i}.npy", x.numpy())
        args += ["--input", str(tmp_path / f"in{i}.npy")]
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    proc = subprocess.run([*args, "--output-dir", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return [np.load(out / f"output{i}.npy") for i in range(len(list(out.glob("output*.npy"))))]
