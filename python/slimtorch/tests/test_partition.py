"""Delegation (issue 15 part 1): the partitioner's groups, the emitted DelegateCalls, blobs in
segments or inline, named data, the lifetimes of delegate tensors, inspect and verification.

Partitions are checked against PyTorch eager by running the partitioned graph with each
delegate's own GraphModule in its place; programs are read back with slimtorch's reader and
upstream's deserializer, and loaded by upstream's runtime, which must refuse only the stand-in
backend's id."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import torch
from torch.export.graph_signature import InputKind, OutputKind

import slimtorch
from slimtorch import cli, memory_planning, passes, pte, schema
from slimtorch.backends import BackendError, Partition, Preprocessed, get_backend, partitioner
from slimtorch.tests.conftest import eager, needs_executorch
from slimtorch.tests.standin_backend import STANDIN_ID, StandInBackend, standin

aten = torch.ops.aten


# ----------------------------------------------------------------------------- models
class Sandwich(torch.nn.Module):
    """relu, add | sigmoid (not taken) | relu, add: two groups."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = torch.relu(x) + x
        b = torch.sigmoid(a)
        return torch.relu(b) + a


class Diamond(torch.nn.Module):
    """a = relu(x); b = sigmoid(a) (not taken); c = relu(a); a + b + c: the add may not join
    {a, c} (b would run both after and before the group)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = torch.relu(x)
        b = torch.sigmoid(a)
        c = torch.relu(a)
        return c + b


class LinearRelu(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.fc(x))


class Counter(torch.nn.Module):
    """A buffer updated in place; x + count and relu taken, the buffer update never."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("count", torch.zeros(4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.count.add_(1.0)
        return torch.relu(x + self.count)


class TwoBranches(torch.nn.Module):
    """relu(x) delegated; a chain of sigmoids on y runs beside it; the add joins them."""

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        a = torch.relu(x)
        b = torch.sigmoid(torch.sigmoid(torch.sigmoid(y)))
        return torch.sub(a, b)


def _partitioned(
    module: torch.nn.Module, inputs: tuple[Any, ...], backend: StandInBackend
) -> torch.export.ExportedProgram:
    ep = passes.decompose(torch.export.export(module.eval(), inputs))
    partitioner.partition(ep, [backend])
    return ep


def _run_partitioned(ep: torch.export.ExportedProgram, inputs: tuple[Any, ...]) -> list[Any]:
    """Runs the partitioned graph in PyTorch, each delegate by its partition's GraphModule
    (runtime inputs, then constants): the reference a backend's blob must match."""
    values: list[Any] = []
    user = iter(inputs)
    for spec in ep.graph_signature.input_specs:
        if spec.kind == InputKind.USER_INPUT:
            values.append(next(user))
        elif spec.target in ep.state_dict:
            values.append(ep.state_dict[spec.target].clone())
        else:
            values.append(ep.constants[spec.target])

    class Interpreter(torch.fx.Interpreter):
        def run_node(self, n: torch.fx.Node) -> Any:
            if n.target is partitioner.delegate_call:
                part = n.meta[partitioner.META_KEY].partition
                args = [self.env[a] for a in n.args]
                return tuple(part.graph_module(*args, *part.constants.values()))
            return super().run_node(n)

    outs = Interpreter(ep.graph_module).run(*values)
    return [
        o
        for o, spec in zip(outs, ep.graph_signature.output_specs, strict=True)
        if spec.kind == OutputKind.USER_OUTPUT
    ]


def _delegate_nodes(ep: torch.export.ExportedProgram) -> list[torch.fx.Node]:
    return [n for n in ep.graph.nodes if n.target is partitioner.delegate_call]


# ----------------------------------------------------------------------------- interface
def test_get_backend_names_the_known_ones() -> None:
    with pytest.raises(BackendError, match="unknown backend 'nosuch'.*xnnpack"):
        get_backend("nosuch")


def test_stand_in_is_a_backend() -> None:
    from slimtorch.backends import Backend

    assert isinstance(standin(), Backend)


# ----------------------------------------------------------------------------- shapes
def test_unsupported_node_between_makes_two_groups() -> None:
    x = torch.randn(3, 5)
    backend = standin()
    ep = _partitioned(Sandwich(), (x,), backend)
    assert len(_delegate_nodes(ep)) == 2
    assert [p.index for p in backend.partitions] == [0, 1]
    assert [len(p.nodes) for p in backend.partitions] == [2, 2]
    remaining = [
        n.target
        for n in ep.graph.nodes
        if n.op == "call_function"
        and n.target not in (partitioner.delegate_call, __import__("operator").getitem)
    ]
    assert remaining == [aten.sigmoid.default]
    torch.testing.assert_close(_run_partitioned(ep, (x,))[0], eager(Sandwich(), (x,))[0])


def test_diamond_makes_no_cycle() -> None:
    x = torch.randn(4, 4)
    backend = standin()
    ep = _partitioned(Diamond(), (x,), backend)
    groups = [set(p.nodes) for p in backend.partitions]
    assert {"relu", "relu_1"} in groups  # a and c together
    assert not any({"relu", "add"} <= g for g in groups)  # never the add with a
    ep.graph.lint()  # topologically sorted: every node after its inputs
    torch.testing.assert_close(_run_partitioned(ep, (x,))[0], eager(Diamond(), (x,))[0])


def test_constants_are_not_runtime_arguments() -> None:
    torch.manual_seed(0)
    module = LinearRelu().eval()
    x = torch.randn(2, 8)
    backend = standin({aten.addmm.default, aten.relu.default})
    ep = _partitioned(module, (x,), backend)
    (part,) = backend.partitions
    assert part.inputs == ["x"]
    values = list(part.constants.values())
    # The bias, and the weight's transpose folded to a constant (not a node of the group).
    assert any(torch.equal(v, module.fc.bias) for v in values)
    assert any(torch.equal(v, module.fc.weight.t().contiguous()) for v in values)
    targets = [n.target for n in part.graph_module.graph.nodes if n.op == "call_function"]
    assert targets == [aten.addmm.default, aten.relu.default]
    for n in part.graph_module.graph.nodes:
        if n.op != "output":
            assert isinstance(n.meta["val"], torch.Tensor), n.name
    assert delegate_args(ep) == [["x"]]
    torch.testing.assert_close(_run_partitioned(ep, (x,))[0], eager(module, (x,))[0])


def delegate_args(ep: torch.export.ExportedProgram) -> list[list[str]]:
    return [[a.name for a in n.args] for n in _delegate_nodes(ep)]


def test_buffer_mutation_is_never_taken() -> None:
    x = torch.randn(4)
    backend = standin()
    ep = _partitioned(Counter(), (x,), backend)
    mutated = {
        s.arg.name for s in ep.graph_signature.output_specs if s.kind == OutputKind.BUFFER_MUTATION
    }
    taken = {n for p in backend.partitions for n in p.nodes}
    assert mutated and not mutated & taken
    assert taken  # x + count and relu are taken; the buffer is a runtime input
    (part,) = backend.partitions  # reads the buffer's new value, a runtime input
    assert part.inputs == ["x", *mutated]
    program = slimtorch.export(Counter().eval(), (x,), backends=[standin()])
    assert "aten::copy_" in program.instructions()


def test_backend_that_takes_nothing_leaves_the_program(capsys: pytest.CaptureFixture[str]) -> None:
    x = torch.randn(3, 5)
    plain = slimtorch.export(Sandwich().eval(), (x,))
    none = slimtorch.export(Sandwich().eval(), (x,), backends=[standin(set())])
    assert none.buffer == plain.buffer
    assert "standin took no nodes (the program is unchanged for it)" in capsys.readouterr().err


def test_progress_line_counts_nodes_and_delegates(capsys: pytest.CaptureFixture[str]) -> None:
    slimtorch.export(Sandwich().eval(), (torch.randn(3, 5),), backends=[standin()])
    assert "standin took 4 nodes in 2 delegates" in capsys.readouterr().err


def test_first_backend_that_supports_a_node_takes_it() -> None:
    first = standin({aten.relu.default}, name="first", backend_id="First")
    second = standin({aten.relu.default, aten.add.Tensor}, name="second", backend_id="Second")
    x = torch.randn(3, 5)
    program = slimtorch.export(Sandwich().eval(), (x,), backends=[first, second])
    ids = [d.id for d in program.program.execution_plan[0].delegates]
    assert "First" in ids and "Second" in ids
    assert all(len(p.nodes) == 1 for p in first.partitions)


def test_preprocess_failure_names_backend_and_nodes() -> None:
    class Broken(StandInBackend):
        def preprocess(self, partition: Partition) -> Preprocessed:
            raise ValueError("cannot lower this")

    with pytest.raises(
        partitioner.PartitionError,
        match="backend 'standin' failed to lower delegate 0 .*relu.*cannot lower",
    ):
        slimtorch.export(Sandwich().eval(), (torch.randn(2, 2),), backends=[Broken()])


def test_supports_failure_names_backend_and_node() -> None:
    class Broken(StandInBackend):
        def supports(self, node: torch.fx.Node, ep: torch.export.ExportedProgram) -> bool:
            raise KeyError("no table")

    with pytest.raises(
        partitioner.PartitionError,
        match="backend 'standin': supports.. failed on node relu .*no table",
    ):
        slimtorch.export(Sandwich().eval(), (torch.randn(2, 2),), backends=[Broken()])


# ----------------------------------------------------------------------------- emission
def _sandwich_program(**kwargs: Any) -> slimtorch.Program:
    return slimtorch.export(
        Sandwich().eval(), (torch.randn(3, 5),), backends=[standin(**kwargs)], name="sandwich.pte"
    )


def test_delegate_calls_are_inputs_then_outputs_and_blobs_are_segments() -> None:
    program = _sandwich_program()
    assert program.instructions() == ["delegate", "aten::sigmoid.out", "delegate"]
    pf = pte.read_pte(program.buffer)
    plan = pf.program.execution_plan[0]
    assert [d.id for d in plan.delegates] == [STANDIN_ID, STANDIN_ID]
    calls = [i.instr_args for i in plan.chains[0].instructions]
    first, sigmoid, second = calls
    assert isinstance(first, schema.DelegateCall) and first.delegate_index == 0
    assert isinstance(second, schema.DelegateCall) and second.delegate_index == 1
    assert isinstance(sigmoid, schema.KernelCall)
    assert first.args[0] == plan.inputs[0]  # the input, then the output
    assert sigmoid.args[0] == first.args[-1]
    assert second.args[-1] == plan.outputs[0]
    for k, d in enumerate(plan.delegates):
        assert d.processed.location == schema.DataLocation.SEGMENT
        assert d.processed.index == 1 + k  # after the constant segment
        assert pf.delegate_blob(d).startswith(f"STANDIN delegate {k}:".encode())
        assert [(s.key, s.value) for s in d.compile_specs] == [("standin.index", str(k).encode())]
    assert pf.program.backend_delegate_data == []


def test_inline_blobs() -> None:
    program = slimtorch.export(
        Sandwich().eval(), (torch.randn(3, 5),), backends=[standin()], delegate_inline=True
    )
    pf = pte.read_pte(program.buffer)
    plan = pf.program.execution_plan[0]
    assert len(pf.program.backend_delegate_data) == 2
    assert len(pf.program.segments) == 1  # only the constant segment
    for k, d in enumerate(plan.delegates):
        assert d.processed.location == schema.DataLocation.INLINE and d.processed.index == k
        assert pf.delegate_blob(d).startswith(f"STANDIN delegate {k}:".encode())


class TwoLinears(torch.nn.Module):
    """The same Linear twice around a sigmoid: two delegates reading the same weights."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.fc(torch.sigmoid(torch.relu(self.fc(x)))))


def test_named_data_in_its_own_segments_deduplicated() -> None:
    torch.manual_seed(0)
    module = TwoLinears().eval()
    backend = standin({aten.addmm.default, aten.relu.default}, weights_as_named_data=True)
    program = slimtorch.export(module, (torch.randn(2, 4),), backends=[backend])
    pf = pte.read_pte(program.buffer)
    plan = pf.program.execution_plan[0]
    assert len(plan.delegates) == 2
    named = pf.program.named_data or []
    assert len(named) == 2  # weight^T and bias, each once though both delegates give them
    blob_segments = {d.processed.index for d in plan.delegates}
    assert blob_segments == {1, 2}
    assert sorted(e.segment_index for e in named) == [3, 4]  # after the blobs (upstream's order)
    weight_t = module.fc.weight.detach().t().contiguous().numpy().tobytes()
    assert weight_t in {pf.named_data(str(e.key)) for e in named}
    assert pf.constant_bytes == 0  # the weights live in named data only


def test_delegate_tensors_stay_live_until_an_output_is_read() -> None:
    x, y = torch.randn(64), torch.randn(64)
    program = slimtorch.export(TwoBranches().eval(), (x, y), backends=[standin()])
    plan = program.program.execution_plan[0]
    ins = plan.chains[0].instructions
    kinds = program.instructions()
    assert kinds[0] == "delegate" and kinds.count("aten::sigmoid.out") == 3
    call = ins[0].instr_args
    assert isinstance(call, schema.DelegateCall)
    reader = next(
        k for k, i in enumerate(ins) if k > 0 and call.args[-1] in memory_planning.touched_values(i)
    )
    assert kinds[reader] == "aten::sub.out" and reader == len(ins) - 1
    spans = memory_planning.tensor_lifetimes(
        plan.values, ins, list(plan.inputs), list(plan.outputs)
    )
    for arg in call.args:  # the input x too, although nothing after the delegate reads it
        assert spans[arg][1] >= reader
    # ... so no sigmoid result shares bytes with x or the delegate's output.
    placed = {i: plan.values[i].val.allocation_info.offset for i in call.args}
    for k in range(1, reader):
        out = ins[k].instr_args.args[-1]
        off = plan.values[out].val.allocation_info.offset
        assert all(abs(off - o) >= 256 for o in placed.values())
    torch.testing.assert_close(
        _run_partitioned(_partitioned(TwoBranches(), (x, y), standin()), (x, y))[0],
        eager(TwoBranches(), (x, y))[0],
    )


# ----------------------------------------------------------------------------- readers
def test_inspect_shows_delegates() -> None:
    text = _sandwich_program(weights_as_named_data=True).inspect()
    assert f"0: {STANDIN_ID} blob segment 1, " in text
    assert "compile spec standin.index: '0'" in text
    assert "delegate#0(v" in text and "delegate#1(v" in text


def test_inspect_of_an_unreadable_xnnpack_blob_says_why() -> None:
    backend = standin(backend_id="XnnpackBackend")
    text = slimtorch.export(Sandwich().eval(), (torch.randn(3, 5),), backends=[backend]).inspect()
    lines = text.split("0: XnnpackBackend blob segment 1")[1].splitlines()[1:3]
    assert any(
        "unreadable XNNPACK blob" in line or "graph not decoded" in line for line in lines
    ), lines
    assert "Traceback" not in text


def _rewrite(data: bytes, change: Any) -> bytes:
    pf = pte.read_pte(data)
    segments = [pf.segment(i) for i in range(len(pf.program.segments))]
    change(pf.program)
    return pte.write_pte(pf.program, segments)


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda p: setattr(
                p.execution_plan[0].chains[0].instructions[0].instr_args, "delegate_index", 7
            ),
            "delegate_index 7 is not one of the 2 delegates",
        ),
        (
            lambda p: setattr(p.execution_plan[0].delegates[1].processed, "index", 9),
            "delegate 1 .*segment index 9 is not one of the program's 3 segments",
        ),
        (
            lambda p: setattr(p.execution_plan[0].delegates[0].processed, "location", 0),
            "delegate 0 .*inline data index 1 is not one of the program's 0",
        ),
        (
            lambda p: setattr(p.execution_plan[0].delegates[0].processed, "location", 5),
            "data location 5 is neither INLINE",
        ),
        (
            lambda p: setattr(p.named_data[0], "segment_index", 12),
            r"named_data\[0\] .*segment index 12 is not one of the 3 segments",
        ),
    ],
)
def test_verify_refuses_bad_delegate_references(change: Any, message: str) -> None:
    data = _sandwich_program(weights_as_named_data=False).buffer
    pf = pte.read_pte(data)
    pf.program.named_data = [schema.NamedData("k", 1)]

    def with_named(p: schema.Program) -> None:
        p.named_data = [schema.NamedData("k", 1)]
        change(p)

    bad = _rewrite(data, with_named)
    with pytest.raises(pte.PteError, match=message):
        pte.read_pte(bad)


@needs_executorch
@pytest.mark.parametrize("inline", [False, True])
def test_upstream_reads_the_program_and_refuses_only_the_backend(
    inline: bool, capfd: pytest.CaptureFixture[str]
) -> None:
    from executorch.exir._serialize._program import deserialize_pte_binary
    from executorch.runtime import Runtime

    torch.manual_seed(0)
    backend = standin({aten.addmm.default, aten.relu.default}, weights_as_named_data=True)
    program = slimtorch.export(
        TwoLinears().eval(), (torch.randn(2, 4),), backends=[backend], delegate_inline=inline
    )
    data = program.buffer
    theirs = deserialize_pte_binary(data)
    plan = theirs.program.execution_plan[0]
    assert [d.id for d in plan.delegates] == [STANDIN_ID, STANDIN_ID]
    # Upstream's reader moves segment blobs inline: either way, the same bytes.
    pf = pte.read_pte(data)
    for their, mine in zip(plan.delegates, pf.program.execution_plan[0].delegates, strict=True):
        assert theirs.program.backend_delegate_data[their.processed.index].data == pf.delegate_blob(
            mine
        )
    mine_named = {str(e.key): pf.named_data(str(e.key)) for e in pf.program.named_data or []}
    assert theirs.named_data is not None
    assert set(theirs.named_data.pte_data) == set(mine_named)
    # The program loads; its method fails only because the stand-in backend is not there.
    loaded = Runtime.get().load_program(data)
    capfd.readouterr()
    with pytest.raises(RuntimeError, match="Failed to load method forward, error: 0x:20"):
        loaded.load_method("forward")
    assert f"Backend {STANDIN_ID} is not registered" in capfd.readouterr().err


# ----------------------------------------------------------------------------- API / CLI
def test_api_refuses_unknown_backend_names_and_non_backends() -> None:
    x = (torch.randn(2, 2),)
    with pytest.raises(slimtorch.ExportError, match="unknown backend 'nosuch'.*xnnpack"):
        slimtorch.export(Sandwich().eval(), x, backends=["nosuch"])
    with pytest.raises(slimtorch.ExportError, match="must be a list"):
        slimtorch.export(Sandwich().eval(), x, backends="xnnpack")  # type: ignore[arg-type]
    with pytest.raises(slimtorch.ExportError, match="neither a backend name"):
        slimtorch.export(Sandwich().eval(), x, backends=[42])  # type: ignore[list-item]


def test_cli_backend_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["export", "--help"])
    assert "--backend NAME" in capsys.readouterr().out
    model = tmp_path / "m.py"
    model.write_text(
        "import torch\n"
        "def model():\n    return torch.nn.ReLU()\n"
        "def example_inputs():\n    return (torch.randn(2),)\n"
    )
    rc = cli.main(["export", str(model), "-o", str(tmp_path / "m.pte"), "--backend", "nosuch"])
    err = capsys.readouterr().err
    assert rc == 1 and "unknown backend 'nosuch': the known backends are xnnpack" in err
    assert "Traceback" not in err


def test_partition_dataclass_outputs() -> None:
    backend = standin()
    _partitioned(Sandwich(), (torch.randn(2, 2),), backend)
    out = backend.partitions[0].outputs
    assert [n.name for n in out] == ["add"]


def test_emitted_program_round_trips_through_replace() -> None:
    # EmittedProgram keeps its blobs when copied (the checksum path copies the program).
    program = _sandwich_program()
    copy = dataclasses.replace(program.emitted)
    assert copy.to_bytes() == program.buffer
    with_crc = pte.read_pte(program.to_bytes(checksum=True))
    keys = [e.key for e in with_crc.program.named_data or []]
    assert keys[-1] == "slimtorch.segments_crc32"


@pytest.mark.parametrize("inline", [False, True])
def test_slimtorch_runtime_loads_the_program_and_names_the_missing_backend(
    inline: bool, pte_runner: Path, tmp_path: Path
) -> None:
    import subprocess

    import numpy as np

    backend = standin({aten.addmm.default, aten.relu.default}, weights_as_named_data=True)
    program = slimtorch.export(
        TwoLinears().eval(), (torch.randn(2, 4),), backends=[backend], delegate_inline=inline
    )
    program.save(tmp_path / "d.pte")
    np.save(tmp_path / "x.npy", np.zeros((2, 4), np.float32))
    proc = subprocess.run(
        [str(pte_runner), str(tmp_path / "d.pte"), "--input", str(tmp_path / "x.npy")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert (
        f"delegate 0 needs backend '{STANDIN_ID}', which is not registered in this build "
        "(MissingBackend)"
    ) in proc.stdout + proc.stderr


@pytest.mark.parametrize("name", ["state_kv_cache", "loop_while", "resnet8"])
def test_partitioned_models_match_eager(name: str) -> None:
    """Buffers updated in place, a while loop, residual blocks: the partitioned graph (each
    delegate run as its partition's GraphModule) computes what eager PyTorch does."""
    from slimtorch.tests.conftest import REPO

    path = REPO / "models" / f"{name}.py"
    loaded = slimtorch.load_model_file(path)
    ops = {
        aten.relu.default,
        aten.add.Tensor,
        aten.addmm.default,
        aten.mul.Tensor,
        aten.convolution.default,
        aten.view.default,
    }
    backend = standin(ops)
    ep = _partitioned(loaded.module, loaded.example_inputs, backend)
    assert backend.partitions
    want = eager(slimtorch.load_model_file(path).module, loaded.example_inputs)
    got = _run_partitioned(ep, loaded.example_inputs)
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g.detach(), w)
