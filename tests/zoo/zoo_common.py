"""What every zoo model file imports first: torchvision made importable beside CPU torch, and the
helpers that give random-weight models sensible activations and seeded inputs.

PyPI's torchvision 0.28.0 is a CUDA build: its compiled ops (torchvision._C) cannot load beside
the CPU torch, and `import torchvision` then fails in its fake-tensor registrations with
`operator torchvision::nms does not exist`. The model definitions are plain Python and need none
of those ops, so defining the two schemas it registers fakes for lets the import go through. Where
a torchvision whose ops load is installed, the schemas exist already and nothing is defined.

A model file in tests/zoo starts with

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import zoo_common  # noqa: E402

(model files are loaded by path, so their folder is not on sys.path by itself).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch


def _define_torchvision_schemas() -> torch.library.Library | None:
    try:
        torch.ops.torchvision.nms.default  # noqa: B018  (defined by a working torchvision._C)
        return None
    except (AttributeError, RuntimeError):
        pass
    lib = torch.library.Library("torchvision", "DEF")
    for op in ("nms", "qnms"):
        lib.define(f"{op}(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    return lib


# Kept alive for the process: dropping the Library object would remove the schemas again.
_TORCHVISION_SCHEMAS = _define_torchvision_schemas()


def image(size: int, channels: int = 3, batch: int = 1, seed: int = 1) -> torch.Tensor:
    """A seeded N(0, 1) image batch (roughly what a normalised photo looks like to a network)."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, channels, size, size, generator=g)


def tokens(vocab: int, length: int, batch: int = 1, seed: int = 1) -> torch.Tensor:
    """Seeded token ids in [0, vocab), int64 as tokenizers give them."""
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, vocab, (batch, length), generator=g, dtype=torch.int64)


def padding_mask(length: int, valid: int, batch: int = 1) -> torch.Tensor:
    """An attention mask (int64, 1 = attend) whose last length - valid positions are padding."""
    mask = torch.zeros(batch, length, dtype=torch.int64)
    mask[:, :valid] = 1
    return mask


def calibrate_batch_norm(
    module: torch.nn.Module, batch: Callable[[int], tuple[Any, ...]], steps: int = 2
) -> torch.nn.Module:
    """Sets every batch norm's running statistics to those of seeded data, then eval mode.

    With random weights and the initial statistics (mean 0, variance 1) activations grow or
    fade layer by layer until the output is constant or huge, and a comparison with eager says
    little. Here only the batch norms are in training mode (dropout and stochastic depth stay
    off) and average over `steps` batches (`batch(step)` returns the forward's inputs)."""
    norms = [m for m in module.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    module.eval()
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the calibration batches
        m.train()
    with torch.no_grad():
        for step in range(steps):
            module(*batch(step))
    return module.eval()


def calibrated_cnn(module: torch.nn.Module, size: int) -> torch.nn.Module:
    """calibrate_batch_norm on batches of 8 seeded images of size x size (seeds 100, 101, ...)."""
    return calibrate_batch_norm(module, lambda step: (image(size, batch=8, seed=100 + step),))


class Output(torch.nn.Module):
    """Calls a model with named inputs and returns one field of its output, as a plain tensor.

    transformers models take keyword arguments in an order of their own and return ModelOutput
    objects; `Output(m, ("input_ids", "attention_mask"), "last_hidden_state")` has forward(a, b)
    return m(input_ids=a, attention_mask=b).last_hidden_state. Torchvision segmentation models
    return dicts: a field is looked up by key there."""

    def __init__(
        self, model: torch.nn.Module, inputs: tuple[str, ...], field: str, **fixed: Any
    ) -> None:
        super().__init__()
        self.model = model
        self.inputs = inputs
        self.field = field
        self.fixed = fixed

    def forward(self, *args: torch.Tensor) -> torch.Tensor:
        out = self.model(**dict(zip(self.inputs, args, strict=True)), **self.fixed)
        return out[self.field] if isinstance(out, dict) else getattr(out, self.field)
