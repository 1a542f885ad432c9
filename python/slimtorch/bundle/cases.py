"""Test cases from a model file: its example inputs and seeded random inputs, with the
outputs PyTorch eager computes for them (the reference a bundled program carries).

Random case k (k = 1..N; case 0 is example_inputs()) draws each tensor input with
numpy.random.default_rng([seed, k]) in the example input's shape and dtype:
floating point: standard normal N(0, 1); integers: uniform over the example input's own
[min, max] (so token ids and indices stay valid); bool: fair coin. Non-tensor inputs (int,
bool, float) keep the example's value. The same seed gives the same bundle.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from slimtorch.bundle.format import TestCase
from slimtorch.bundle.values import BundleError, as_value
from slimtorch.model_file import LoadedModel


def random_inputs(example: Sequence[Any], seed: int, k: int) -> tuple[Any, ...]:
    """Inputs of random case `k`: each tensor of `example` (nested ones too) redrawn (module
    doc), in the order torch.utils._pytree flattens them."""
    rng = np.random.default_rng([seed, k])

    def draw(x: Any) -> Any:
        if not isinstance(x, torch.Tensor):
            return x
        shape = tuple(x.shape)
        if x.dtype == torch.bool:
            return torch.from_numpy(rng.random(shape) < 0.5)
        if x.dtype.is_floating_point:
            return torch.from_numpy(rng.standard_normal(shape)).to(x.dtype)
        if not x.numel():
            return x.clone()
        lo, hi = int(x.min()), int(x.max())
        return torch.from_numpy(rng.integers(lo, hi, size=shape, endpoint=True)).to(x.dtype)

    return tuple(torch.utils._pytree.tree_map(draw, tuple(example)))


def eager_outputs(module: Callable[..., Any], inputs: tuple[Any, ...]) -> list[Any]:
    """The model's outputs on `inputs`, flattened in order (as the exported method's)."""
    with torch.no_grad():
        out = module(*inputs)
    return list(torch.utils._pytree.tree_leaves(out))


def model_cases(
    loaded: LoadedModel,
    random_cases: int = 0,
    seed: int = 0,
    method: str = "forward",
    reference: torch.nn.Module | None = None,
) -> list[TestCase]:
    """Case 0 from example_inputs(), then `random_cases` seeded random ones, with the eager
    outputs of one copy of the loaded model (the weights the export used; the loaded module
    itself is not touched), or of `reference` when given (an int8 export's quantized
    reference). The copy is called once per case in case order, so a model with state
    (buffers it mutates) expects in case k the state after k calls: what a runtime that runs
    the cases in order on one loaded method computes (upstream's verification does)."""
    if random_cases < 0:
        raise BundleError(f"--random-cases {random_cases}: give 0 or more")
    module: Any = copy.deepcopy(reference if reference is not None else loaded.module)
    fn = module if method == "forward" else getattr(module, method, None)
    if not callable(fn):
        raise BundleError(
            f"{loaded.path}: the model has no method {method!r} to compute the expected "
            "outputs with"
        )
    cases = []
    for k in range(random_cases + 1):
        inputs = loaded.example_inputs if k == 0 else random_inputs(loaded.example_inputs, seed, k)
        flat_inputs = list(torch.utils._pytree.tree_leaves(inputs))
        outputs = eager_outputs(fn, inputs)
        cases.append(TestCase([as_value(x) for x in flat_inputs], [as_value(y) for y in outputs]))
    return cases
