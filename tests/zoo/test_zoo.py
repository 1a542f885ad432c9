"""The model zoo: torchvision, timm and transformers models (random weights, small inputs) through
slimtorch and upstream ExecuTorch 1.5.1, every way round, against PyTorch eager.

For each model file of tests/zoo (model-file contract: model(), example_inputs(), and
test_inputs() for more cases, e.g. another padding mask), on every case:
  (a) slimtorch's program on slimtorch's host runner //app:pte_runner;
  (b) slimtorch's program on upstream's runtime (its Python binding, portable kernels);
  (c) upstream's program (its default torch.export -> to_edge -> to_executorch flow) on
      slimtorch's runner.
Each model is exported once per session by each exporter (a module-scoped fixture; the programs
are written under pytest's temporary directory). Where upstream's exporter refuses a model the
(c) case is skipped with upstream's own error as the reason; everything else that goes wrong is
a failure.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from test_compat_models import assert_matches  # noqa: I001  (tests/ is on sys.path: its conftest)
from test_upstream_compat import run_runner

from slimtorch.model_file import LoadedModel, load_model_file
from slimtorch.upstream import export_program as upstream_export
from slimtorch.upstream import run_program as upstream_run

ZOO = Path(__file__).resolve().parent
MODELS = sorted(p.stem for p in ZOO.glob("*.py") if not p.stem.startswith(("test_", "zoo_")))
pytest.importorskip(
    "executorch.exir",
    reason="needs upstream executorch==1.5.1, which `make test` installs (setup.sh --test)",
)
for _package in ("torchvision", "timm", "transformers"):
    if importlib.util.find_spec(_package) is None:
        pytest.skip(f"the zoo needs {_package} (tests/zoo/requirements.txt, which "
                    "`scripts/setup.sh --test` installs)", allow_module_level=True)
# torch.export logs every traced node at DEBUG level to this logger; pytest would print all of it
# under each failing case.
logging.getLogger("torch.__trace").propagate = False

# Tolerance per model, relative to the output's scale (its largest magnitude): an output element
# may differ from eager by RTOL * |expected| + TOL * scale. The kernels accumulate in float32 in
# another order than PyTorch's (oneDNN / MKL blocked GEMMs and convolutions, Winograd), so the
# difference grows with depth and with the length of the reductions. Observed (slimtorch's
# program, both runtimes): the shallow transformers and speech encoders <= 2e-6 of the scale,
# the CNNs (15-50 conv layers, batch norms) <= 1.2e-5 (regnet); the limits leave 5-10x margin.
RTOL = 1e-4
DEFAULT_TOL = 1e-5
TOL = {
    "convnext_atto": 1e-4,
    "efficientnet_b0": 1e-4,
    "lraspp": 1e-4,
    "mobilenet_v3_small": 1e-4,
    "regnet": 1e-4,
    "resnet18": 1e-4,
    "shufflenet_v2": 1e-4,
    "squeezenet": 1e-4,
}


class ZooModel:
    """One model file, its eager outputs, and each exporter's program made at most once."""

    def __init__(self, name: str, work: Path) -> None:
        self.name = name
        self.work = work
        self.loaded: LoadedModel = load_model_file(str(ZOO / f"{name}.py"))
        self.cases = [self.loaded.example_inputs, *self.loaded.test_inputs]
        self.expected: list[list[torch.Tensor]] = []
        with torch.no_grad():
            for inputs in self.cases:
                out = self.loaded.module(*inputs)
                self.expected.append([out] if isinstance(out, torch.Tensor) else list(out))
        self._made: dict[str, Path | BaseException] = {}

    def _once(self, key: str, make: Callable[[], bytes]) -> Path:
        if key not in self._made:
            try:
                path = self.work / f"{self.name}.{key}.pte"
                path.write_bytes(make())
                self._made[key] = path
            except (Exception, pytest.skip.Exception) as e:  # a failing export runs once too
                self._made[key] = e
        made = self._made[key]
        if isinstance(made, BaseException):
            raise made
        return made

    def slimtorch_program(self) -> Path:
        from slimtorch.exporter import export_model

        return self._once("slimtorch", lambda: bytes(export_model(self.loaded).to_bytes()))

    def upstream_program(self) -> Path:
        def make() -> bytes:
            try:
                with torch.no_grad():
                    return upstream_export(self.loaded.module, self.loaded.example_inputs)
            except Exception as e:  # upstream's exporter refused the model: not ours to fix
                lines = str(e).strip().splitlines()
                pytest.skip(f"upstream executorch 1.5.1 cannot export tests/zoo/{self.name}.py: "
                            f"{type(e).__name__}: {lines[0] if lines else ''}")

        return self._once("upstream", make)

    def check(self, run: Callable[[tuple[Any, ...], int], list[Any]], what: str) -> None:
        """run(inputs, k) gives the outputs of case k; each must match eager's."""
        tol = TOL.get(self.name, DEFAULT_TOL)
        for k, (inputs, want) in enumerate(zip(self.cases, self.expected, strict=True)):
            scale = max(float(w.abs().max()) for w in want if w.numel())
            assert_matches(run(inputs, k), want, f"{self.name}: {what}, case {k}", rtol=RTOL,
                           atol=tol * scale)


def on_runner(runner: Path, program: Path, tmp_path: Path
              ) -> Callable[[tuple[Any, ...], int], list[Any]]:
    def run(inputs: tuple[Any, ...], k: int) -> list[Any]:
        case_dir = tmp_path / f"case{k}"
        case_dir.mkdir()
        return run_runner(runner, program, [np.asarray(x) for x in inputs], case_dir)

    return run


@pytest.fixture(scope="module", params=MODELS)
def zoo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[ZooModel]:
    yield ZooModel(request.param, tmp_path_factory.mktemp(request.param))


def test_slimtorch_program_on_pte_runner(zoo: ZooModel, pte_runner: Path, tmp_path: Path) -> None:
    zoo.check(on_runner(pte_runner, zoo.slimtorch_program(), tmp_path),
              "slimtorch's program on pte_runner")


def test_slimtorch_program_on_upstream(zoo: ZooModel) -> None:
    program = zoo.slimtorch_program()
    zoo.check(lambda inputs, _: upstream_run(program, list(inputs)),
              "slimtorch's program on upstream's runtime")


def test_upstream_program_on_pte_runner(zoo: ZooModel, pte_runner: Path, tmp_path: Path) -> None:
    zoo.check(on_runner(pte_runner, zoo.upstream_program(), tmp_path),
              "upstream's program on pte_runner")
