"""Export errors blame the construct that caused them, at its source line, with the fix:
a torch.cond whose branches return different shapes or dtypes, and torch.nonzero (an output
shape that depends on the data). Before, both blamed `ge` (torch.export's shape check) and
advised using torch.cond, or dumped torch's tracer message."""

from __future__ import annotations

from pathlib import Path

import pytest

from slimtorch import exporter
from slimtorch.emitter import EmitError
from slimtorch.model_file import ModelFileError, load_model_file

_MODEL = """import torch


class M(torch.nn.Module):
    def forward(self, x):
        return {expr}


def model():
    return M()


def example_inputs():
    return (torch.randn(2, 4),)
"""

CASES = {
    "cond_shapes": (
        "torch.cond(x.sum() > 0, lambda x: x * 2, lambda x: x[:1] * 3, (x,))",
        [
            "torch.cond (",
            "two branches return tensors of different shapes",
            "make both branches return the same shape",
        ],
    ),
    "cond_dtypes": (
        "torch.cond(x.sum() > 0, lambda x: x * 2, lambda x: (x * 3).int(), (x,))",
        [
            "torch.cond (",
            "expected same dtype but got torch.float32 and torch.int32",
            "cast (.to(dtype))",
        ],
    ),
    "nonzero": (
        "torch.nonzero(x > 0) + 1",
        ["torch.nonzero (", "depends on the input's values", "torch.where(mask, x, 0)"],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_error_names_construct_line_and_fix(tmp_path: Path, name: str) -> None:
    expr, expected = CASES[name]
    path = tmp_path / f"{name}.py"
    path.write_text(_MODEL.format(expr=expr))
    with pytest.raises((EmitError, ModelFileError)) as info:
        exporter.export_model(load_model_file(path))
    message = str(info.value)
    assert f"{path}:6: return {expr}" in message, message  # the source line
    for text in expected:
        assert text in message, message
    assert "Use torch.cond" not in message and "call_function" not in message, message
