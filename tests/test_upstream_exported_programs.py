"""Programs that upstream ExecuTorch 1.5.1 exported, of kinds that needed kernels slimtorch lacked:
channels-last inputs and outputs, a `scan` loop (upstream emits `aten::full.out` for the carry
and `executorch_prim::et_copy_index` for each step's slice), integer arithmetic
(`remainder.Scalar_out`, `argmax.out`, floor division, bitwise ops), masks and casts. Each runs on
slimtorch's //app:pte_runner and is compared with PyTorch eager (not with upstream's runtime:
upstream's int64 remainder differs from PyTorch's for negative operands, FORMAT.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from test_upstream_compat import run_runner

pytest.importorskip("executorch.exir", reason="needs upstream executorch==1.5.1")

from slimtorch.upstream import export_program as upstream_program  # noqa: E402


class Scan(torch.nn.Module):
    """Running sum and running max over the rows of x: upstream's scan lowering."""

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        from torch._higher_order_ops.scan import scan

        def step(carry: torch.Tensor, row: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            new = carry + row
            return new, torch.maximum(new, row * 2)

        init = torch.zeros(x.shape[1:], dtype=x.dtype)
        final, ys = scan(step, init, x)
        return final, ys


class IntegerOps(torch.nn.Module):
    """Integer arithmetic as quantised or tokenised models do it."""

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, ...]:
        r = torch.remainder(x, 7)
        m = torch.argmax(x.to(torch.float32), dim=1)
        q = torch.div(x, 3, rounding_mode="floor")
        b = torch.bitwise_and(x, y) ^ torch.bitwise_or(x, 5)
        w = torch.where(x > y, x, y * 2)
        c = torch.clamp(x, -20, 20).to(torch.int32)
        return r, m, q, b, w, c


class MasksAndCasts(torch.nn.Module):
    """An attention-mask style computation whose inputs are run-time values."""

    def forward(self, ids: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mask = ids.ne(0)
        pos = torch.cumsum(mask.to(torch.int64), dim=1) * mask
        scores = x.masked_fill(~mask.unsqueeze(-1), float("-inf"))
        return pos, torch.softmax(scores.amax(-1).clamp(min=-1e4), dim=-1).to(torch.float16)


class ChannelsLast(torch.nn.Module):
    """A channels-last input and output (as upstream's Cortex-M programs take and give them):
    the runner lays the logical NCHW .npy out in the declared dim order and prints outputs in
    logical order; `_clone_dim_order` converts between the layouts."""

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        y = x.contiguous() * 2 + 1
        return y, (y - 3).to(memory_format=torch.channels_last)


def _channels_last_inputs() -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(3)
    return (torch.randn(2, 3, 4, 5, generator=g).to(memory_format=torch.channels_last),)


def _int_inputs() -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(0)
    return tuple(torch.randint(-50, 50, (4, 6), generator=g) for _ in range(2))


def _mask_inputs() -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(0, 5, (2, 7), generator=g)
    ids[:, 0] = 1  # every row has a visible token
    return ids, torch.randn(2, 7, 3, generator=g)


CASES = {
    "channels_last": (ChannelsLast, _channels_last_inputs),
    "scan": (Scan, lambda: (torch.randn(5, 3, generator=torch.Generator().manual_seed(2)),)),
    "integer_ops": (IntegerOps, _int_inputs),
    "masks_and_casts": (MasksAndCasts, _mask_inputs),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_upstream_program_runs_on_slimtorch(pte_runner: Path, tmp_path: Path, name: str) -> None:
    make_model, make_inputs = CASES[name]
    module = make_model().eval()
    inputs = make_inputs()
    program = tmp_path / f"{name}_upstream.pte"
    program.write_bytes(upstream_program(module, inputs))

    actual = run_runner(pte_runner, program, [x.numpy() for x in inputs], tmp_path)

    with torch.no_grad():
        expected = module(*inputs)
    expected_list = [expected] if isinstance(expected, torch.Tensor) else list(expected)
    assert len(actual) == len(expected_list)
    for i, (a, e) in enumerate(zip(actual, expected_list, strict=True)):
        e_np = e.numpy()
        assert a.dtype == e_np.dtype and a.shape == e_np.shape, f"output {i}"
        if e_np.dtype.kind == "f":
            np.testing.assert_allclose(a, e_np, rtol=1e-3 if e_np.dtype == np.float16 else 1e-5,
                                       atol=1e-6, err_msg=f"output {i}")
        else:
            np.testing.assert_array_equal(a, e_np, err_msg=f"output {i}")
