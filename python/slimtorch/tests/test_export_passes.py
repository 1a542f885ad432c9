"""The exporter's graph decisions: constant folding, preserved and decomposed ops, views,
casts, constant deduplication (passes.py, emitter.py). Numerics are checked on upstream's
runtime (an independent implementation) against PyTorch eager."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F
import yaml
from torch import nn

from slimtorch import exporter, passes, schema
from slimtorch.emitter import FOLD_MIN_BYTES, EmitError, EmittedProgram
from slimtorch.model_file import LoadedModel
from slimtorch.portable_ops import UPSTREAM_PORTABLE_OPS
from slimtorch.tests.conftest import (
    REPO,
    eager,
    executorch_available,
    needs_executorch,
    run_on_pte_runner,
)
from slimtorch.tests.conftest import run_upstream as run_upstream_program

UPSTREAM_YAML = (Path(torch.__file__).parents[1] / "executorch" / "kernels" / "portable"
                 / "functions.yaml")


def _export(module: nn.Module, inputs: tuple[Any, ...], fold: bool = True,
            dynamic_shapes: Any = None, path: str = "passes_model.py",
            runtime: str = "any") -> EmittedProgram:
    return exporter.export_model(LoadedModel(path, module.eval(), inputs, dynamic_shapes),
                                 fold_constants=fold, runtime=runtime)


def _ops(emitted: EmittedProgram) -> list[str]:
    """The op of every KernelCall, in instruction order."""
    plan = emitted.program.execution_plan[0]
    names = [f"{o.name}.{o.overload}" for o in plan.operators]
    return [names[i.instr_args.op_index] for i in plan.chains[0].instructions
            if isinstance(i.instr_args, schema.KernelCall)]


def _check_upstream(emitted: EmittedProgram, module: nn.Module, inputs: tuple[Any, ...]) -> None:
    """Loads on upstream's runtime (no missing kernel: error 0x14) and matches eager."""
    if not executorch_available():
        return
    got = run_upstream_program(emitted.to_bytes(), list(inputs))
    want = eager(module, inputs)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape
        torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-5)


def _catalog_names(path: Path) -> set[str]:
    names = set()
    for entry in yaml.safe_load(path.read_text()) or []:
        name = entry.get("op") or entry["func"].split("(")[0]
        names.add(name if "::" in name else "aten::" + name)
    return names


# ------------------------------------------------------------------ op sets
@pytest.mark.skipif(not UPSTREAM_YAML.is_file(), reason=f"no upstream catalog at {UPSTREAM_YAML}")
def test_upstream_op_list_matches_the_wheel() -> None:
    assert _catalog_names(UPSTREAM_YAML) == UPSTREAM_PORTABLE_OPS


def test_preserved_ops_have_upstream_kernels_and_would_be_decomposed() -> None:
    table = torch.export.default_decompositions()
    for op in passes.PRESERVED_OPS:
        assert op in table, f"{op} is not decomposed by core ATen: no need to preserve it"
        assert passes.emitted_name(op) in UPSTREAM_PORTABLE_OPS, op


def test_preserved_ops_have_slimtorch_kernels() -> None:
    """Passes once the kernel branches have landed every preserved op's kernel."""
    ours = _catalog_names(REPO / "kernels" / "portable" / "functions.yaml")
    missing = sorted({str(passes.emitted_name(op)) for op in passes.PRESERVED_OPS} - ours)
    assert not missing, f"preserved ops without a slimtorch kernel: {missing}"


def test_hardswish_has_no_upstream_kernel_so_it_is_decomposed() -> None:
    """hardswish has a slimtorch kernel but none in upstream's portable library: keeping it
    whole would make the program unloadable there, so it decomposes (as upstream's does)."""
    assert passes.emitted_name(torch.ops.aten.hardswish.default) not in UPSTREAM_PORTABLE_OPS
    module = nn.Hardswish()
    inputs = (torch.linspace(-5, 5, 12).reshape(3, 4),)
    emitted = _export(module, inputs)
    assert "aten::hardswish.out" not in _ops(emitted)
    _check_upstream(emitted, module, inputs)


def test_runtime_slimtorch_keeps_hardswish_whole() -> None:
    """For slimtorch's runtime alone, hardswish stays one kernel call (its clamp arithmetic
    is 4 instructions otherwise); the default program has none of it."""
    module = nn.Sequential(nn.Linear(4, 4), nn.Hardswish())
    inputs = (torch.linspace(-5, 5, 12).reshape(3, 4),)
    mine = _ops(_export(module, inputs, runtime="slimtorch"))
    default = _ops(_export(module, inputs))
    assert mine.count("aten::hardswish.out") == 1
    assert len(mine) < len(default) and "aten::hardswish.out" not in default
    with pytest.raises(ValueError, match="runtime must be one of"):
        _export(module, inputs, runtime="upstream-ish")


class _Preserved(nn.Module):
    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return (F.glu(x, -1), torch.var(x, 1), F.pixel_shuffle(x.reshape(1, 4, 2, 3), 2),
                torch.roll(x, 1, 0), torch.tril(x), F.pad(x.unsqueeze(0), (1, 1), "reflect"))


@needs_executorch
def test_ops_with_upstream_kernels_stay_one_op() -> None:
    module = _Preserved()
    inputs = (torch.randn(4, 6, generator=torch.Generator().manual_seed(1)),)
    emitted = _export(module, inputs)
    ops = _ops(emitted)
    for op in ("aten::glu.out", "aten::var.out", "aten::pixel_shuffle.out", "aten::roll.out",
               "aten::tril.out", "aten::reflection_pad1d.out"):
        assert ops.count(op) == 1, (op, ops)
    _check_upstream(emitted, module, inputs)


def test_every_emitted_aten_op_is_in_upstreams_portable_set() -> None:
    module = _Preserved()
    inputs = (torch.randn(4, 6),)
    for fold in (True, False):
        for op in _ops(_export(module, inputs, fold=fold)):
            assert op in UPSTREAM_PORTABLE_OPS, op


class _WeightNormConv(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(2)
        self.conv = nn.utils.parametrizations.weight_norm(nn.Conv1d(3, 3, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x) + torch.linalg.vector_norm(x, dim=-1, keepdim=True)


@needs_executorch
@pytest.mark.parametrize("fold", [True, False], ids=["folded", "unfolded"])
def test_weight_norm_has_no_linalg_vector_norm_and_runs_upstream(fold: bool) -> None:
    module = _WeightNormConv()
    inputs = (torch.randn(2, 3, 8, generator=torch.Generator().manual_seed(3)),)
    emitted = _export(module, inputs, fold=fold)
    ops = _ops(emitted)
    assert not any("linalg_vector_norm" in op for op in ops), ops
    if fold:  # the weight's norm is a constant: only the input's norm runs
        assert ops.count("aten::convolution.out") == 1 and ops.count("aten::sum.IntList_out") == 1
    _check_upstream(emitted, module, inputs)


class _Sorts(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sort(x).values


def test_op_without_upstream_kernel_or_decomposition_is_an_error() -> None:
    with pytest.raises(EmitError) as e:
        _export(_Sorts(), (torch.randn(5),))
    msg = str(e.value)
    assert "aten::sort" in msg and "upstream" in msg and "decomposition" in msg
    assert "torch.sort(x)" in msg  # the source line


# ---------------------------------------------------------------- folding
class _Attention(nn.Module):
    """Mask, position ids and relative-position bias from constants only."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(4)
        self.register_buffer("table", torch.randn(2, 7))
        self.register_buffer("rel", (torch.arange(4)[:, None] - torch.arange(4)[None, :]) + 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[-1]
        causal = torch.tril(torch.ones(n, n, dtype=torch.bool))
        mask = torch.full((n, n), float("-inf")).masked_fill(causal, 0.0)
        pos = (torch.arange(n).cumsum(0) & 7).to(x.dtype)
        bias = self.table[:, self.rel].sum(0)  # gather of a relative-position table
        return torch.softmax(x @ x.transpose(-1, -2) + mask + bias, dim=-1) + pos


@needs_executorch
def test_attention_mask_subgraph_folds_to_no_instructions() -> None:
    module = _Attention()
    inputs = (torch.randn(2, 4, 4, generator=torch.Generator().manual_seed(5)),)
    folded = _export(module, inputs)
    plain = _export(module, inputs, fold=False)
    ops, plain_ops = _ops(folded), _ops(plain)
    for constant_op in ("aten::full.out", "aten::arange.start_out", "aten::cumsum.out",
                        "aten::bitwise_and.Scalar_out", "aten::masked_fill.Scalar_out",
                        "aten::index.Tensor_out", "aten::tril.out"):
        assert constant_op not in ops, ops
        assert constant_op in plain_ops, plain_ops  # fold_constants=False: upstream's stream
    # what is left reads x: transpose, bmm (with its views), add, add, softmax, add
    assert ops.count("aten::add.out") == 3 and "aten::_softmax.out" in ops
    _check_upstream(folded, module, inputs)
    _check_upstream(plain, module, inputs)


class _BigFactory(nn.Module):
    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        big = torch.ones(256, 256)  # 256 KiB from nothing: computed on the device
        small = torch.ones(4, 4) * 3  # folded
        return x + big, x[:4, :4] + small


def test_results_much_larger_than_their_inputs_are_not_folded() -> None:
    assert 256 * 256 * 4 > FOLD_MIN_BYTES
    module = _BigFactory()
    inputs = (torch.randn(256, 256),)
    emitted = _export(module, inputs)
    ops = _ops(emitted)
    assert ops.count("aten::full.out") == 1 and "aten::mul.out" not in ops, ops
    assert len(emitted.constant_segment) < 1024
    _check_upstream(emitted, module, inputs)


class _LikeInput(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + torch.full_like(x, 2.0).cumsum(-1) * torch.ones_like(x)


@needs_executorch
def test_full_like_of_an_input_folds_it_reads_only_the_shape() -> None:
    module = _LikeInput()
    inputs = (torch.randn(3, 4),)
    emitted = _export(module, inputs)
    assert _ops(emitted) == ["aten::add.out"]
    _check_upstream(emitted, module, inputs)


class _Random(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + torch.rand(3) * 0


def test_random_ops_are_not_folded() -> None:
    assert "aten::rand.out" in _ops(_export(_Random(), (torch.randn(3),)))


class _Counter(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("count", torch.zeros(2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.count.add_(1)
        return x + self.count * 2


def test_mutated_buffers_are_not_folded() -> None:
    ops = _ops(_export(_Counter(), (torch.randn(2),)))
    assert ops.count("aten::add.out") == 2 and "aten::mul.out" in ops, ops


class _DynamicArange(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + torch.arange(x.shape[0]).to(x.dtype)


@needs_executorch
def test_factories_with_symbolic_sizes_are_not_folded() -> None:
    module = _DynamicArange()
    emitted = _export(module, (torch.randn(3),),
                      dynamic_shapes=({0: torch.export.Dim("n", min=2, max=8)},))
    assert "aten::arange.start_out" in _ops(emitted) or "aten::arange.out" in _ops(emitted)
    for n in (2, 5):
        _check_upstream(emitted, module, (torch.randn(n),))


# ------------------------------------------------------ views, casts, clones
class _ViewsAndCasts(nn.Module):
    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return (x.unsqueeze(0) * 2, x.unsqueeze(-1).squeeze(-1) + 1, x.half(),
                x.clone() - 1, x.to(torch.int32), torch.ops.aten.alias(x) * 3)


@needs_executorch
def test_views_are_view_copy_and_casts_are_dim_order_copies() -> None:
    module = _ViewsAndCasts()
    inputs = (torch.randn(3, 4, generator=torch.Generator().manual_seed(6)) * 100,)
    emitted = _export(module, inputs)
    ops = _ops(emitted)
    assert not {"aten::unsqueeze_copy.out", "aten::squeeze_copy.dims_out",
                "aten::squeeze_copy.dim_out", "aten::alias_copy.out", "aten::_to_copy.out",
                "aten::clone.out"} & set(ops), ops
    assert ops.count("aten::view_copy.out") >= 3
    assert ops.count("dim_order_ops::_to_dim_order_copy.out") == 2
    assert ops.count("dim_order_ops::_clone_dim_order.out") == 1
    plan = emitted.program.execution_plan[0]
    names = [f"{o.name}.{o.overload}" for o in plan.operators]
    cast = next(i.instr_args for i in plan.chains[0].instructions
                if isinstance(i.instr_args, schema.KernelCall)
                and names[i.instr_args.op_index] == "dim_order_ops::_to_dim_order_copy.out")
    assert len(cast.args) == 5 and cast.args[3] == cast.args[4]  # self, nb, dim_order, out, out
    order = plan.values[cast.args[2]].val
    assert isinstance(order, schema.IntList)
    assert [plan.values[k].val.int_val for k in order.items] == [0, 1]  # type: ignore[union-attr]
    _check_upstream(emitted, module, inputs)


def test_casts_match_upstreams_operator_names(upstream: Any) -> None:
    from slimtorch import pte

    class Cast(nn.Module):
        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            return x.to(torch.float16), x.clone()

    def make() -> tuple[nn.Module, tuple[torch.Tensor]]:
        return Cast(), (torch.randn(3),)

    theirs = pte.read_pte(upstream.get("cast_clone", make)).program.execution_plan[0]
    theirs_ops = {f"{o.name}.{o.overload}" for o in theirs.operators}
    assert set(_ops(_export(*make()))) == theirs_ops


# -------------------------------------------------------- deduplication
class _LM(nn.Module):
    def __init__(self, tied: bool) -> None:
        super().__init__()
        torch.manual_seed(7)
        self.emb = nn.Embedding(64, 32)
        self.head = nn.Linear(32, 64, bias=False)
        if tied:
            self.head.weight = self.emb.weight

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(torch.tanh(self.emb(tokens)))


@needs_executorch
def test_tied_weights_are_stored_once() -> None:
    inputs = (torch.tensor([[1, 5, 63], [0, 2, 9]]),)
    untied = _export(_LM(tied=False), inputs)
    tied_module = _LM(tied=True)
    tied = _export(tied_module, inputs)
    weight_bytes = 64 * 32 * 4
    assert len(untied.constant_segment) >= 2 * weight_bytes
    assert len(tied.constant_segment) <= len(untied.constant_segment) - weight_bytes
    assert "aten::index_select.out" in _ops(tied)
    _check_upstream(tied, tied_module, inputs)
    plain = _export(tied_module, inputs, fold=False)  # no folding: W once, permuted on device
    assert len(plain.constant_segment) < len(untied.constant_segment)
    _check_upstream(plain, tied_module, inputs)


class _SameConstants(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("a", torch.arange(64.0))
        self.register_buffer("b", torch.arange(64.0))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mask1 = torch.triu(torch.ones(8, 8), 1)  # identical constants made by folding
        mask2 = torch.triu(torch.ones(8, 8), 1)
        return (x * self.a + self.b).reshape(8, 8) + mask1, x.reshape(8, 8) * mask2


@needs_executorch
def test_identical_constants_are_stored_once() -> None:
    module = _SameConstants()
    inputs = (torch.randn(64),)
    emitted = _export(module, inputs)
    plan = emitted.program.execution_plan[0]
    constants = [v.val for v in plan.values
                 if isinstance(v.val, schema.Tensor) and v.val.data_buffer_idx > 0
                 and v.val.allocation_info is None]
    buffers = {t.data_buffer_idx for t in constants}
    assert len(constants) == 4 and len(buffers) == 2  # a and b, mask1 and mask2 share
    assert len(emitted.constant_segment) == 2 * 64 * 4
    _check_upstream(emitted, module, inputs)


# ---------------------------------------------------- slimtorch's own runtime
@pytest.mark.parametrize("make", [
    lambda: (_ViewsAndCasts(), (torch.randn(3, 4, generator=torch.Generator().manual_seed(8)),)),
    lambda: (_Attention(), (torch.randn(2, 4, 4, generator=torch.Generator().manual_seed(9)),)),
    lambda: (_SameConstants(), (torch.randn(64, generator=torch.Generator().manual_seed(10)),)),
    lambda: (_Preserved(), (torch.randn(4, 6, generator=torch.Generator().manual_seed(11)),)),
    lambda: (_LM(tied=True), (torch.tensor([[1, 5, 63], [0, 2, 9]]),)),
    lambda: (_WeightNormConv(),
             (torch.randn(2, 3, 8, generator=torch.Generator().manual_seed(2)),)),
    lambda: (nn.Hardswish(), (torch.linspace(-5, 5, 12).reshape(3, 4),)),
    lambda: (nn.Hardswish(), (torch.linspace(-5, 5, 12).reshape(3, 4),), "slimtorch"),
], ids=["views_and_casts", "attention", "same_constants", "preserved", "tied_lm", "weight_norm",
        "hardswish", "hardswish_whole"])
def test_programs_run_on_slimtorch_runtime(make: Any, pte_runner: Path, tmp_path: Path) -> None:
    import numpy as np

    module, inputs, *runtime = make()
    data = _export(module, inputs, runtime=(runtime or ["any"])[0]).to_bytes()
    got = run_on_pte_runner(pte_runner, data, inputs, tmp_path)
    want = eager(module, inputs)
    for g, w in zip(got, want, strict=True):
        assert g.shape == tuple(w.shape) and g.dtype == w.numpy().dtype
        np.testing.assert_allclose(g, w.numpy(), rtol=1e-5, atol=1e-5)
