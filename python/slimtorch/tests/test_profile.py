"""`slimtorch profile` and the ETDump reader, against upstream ExecuTorch 1.5.1's own runtime
(which writes the ETDump) and its own deserializer (flatc, shipped in the wheel)."""

from __future__ import annotations

import dataclasses
import random
import warnings
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from slimtorch import flatbuf, profiling, pte
from slimtorch.cli import main
from slimtorch.inspect_pte import op_name
from slimtorch.profiling import schema as es
from slimtorch.tests.conftest import needs_executorch

RUNS = 3


def _run_upstream(program: bytes, inputs: tuple, runs: int, path: Path) -> bytes:  # type: ignore[type-arg]
    """The ETDump upstream's runtime (portable_lib with enable_etdump) writes for `runs`
    executions of `program`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from executorch.extension.pybindings import portable_lib
    except Exception as e:  # noqa: BLE001
        pytest.skip(f"upstream executorch==1.5.1's pybindings are not importable ({e})")
    module = portable_lib._load_for_executorch_from_buffer(program, enable_etdump=True)
    for _ in range(runs):
        module.forward(inputs)
    module.write_etdump_result_to_file(str(path))
    return path.read_bytes()


@pytest.fixture(scope="session")
def upstream_etdump(slim_mlp: bytes, mlp_model, tmp_path_factory) -> bytes:  # type: ignore[no-untyped-def]
    """Upstream's ETDump of RUNS executions of slimtorch's MLP."""
    path = tmp_path_factory.mktemp("etdump") / "mlp.etdp"
    return _run_upstream(slim_mlp, mlp_model.example_inputs, RUNS, path)


def _upstream_deserialize(data: bytes):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from executorch.devtools.etdump.serialize import deserialize_from_etdump_flatcc
    return deserialize_from_etdump_flatcc(data)


def _event_tuples(runs) -> list[tuple]:  # type: ignore[no-untyped-def]
    """(run name, event name, chain, instruction, delegate ids, start, end) of every profile
    event, from either reader's dataclasses (same field names)."""
    out = []
    for run in runs:
        for e in run.events:
            p = e.profile_event
            if p is not None:
                out.append(
                    (
                        run.name,
                        p.name,
                        p.chain_index,
                        p.instruction_id,
                        p.delegate_debug_id_int,
                        p.delegate_debug_id_str,
                        p.start_time,
                        p.end_time,
                    )
                )
    return out


@needs_executorch
def test_reader_agrees_with_upstreams_deserializer(upstream_etdump: bytes) -> None:
    ours = profiling.read_etdump(upstream_etdump)
    theirs = _upstream_deserialize(upstream_etdump)
    assert ours.version == theirs.version
    assert [r.name for r in ours.run_data] == [r.name for r in theirs.run_data]
    assert _event_tuples(ours.run_data) == _event_tuples(theirs.run_data)
    assert len(_event_tuples(ours.run_data)) > 4 * RUNS
    # slimtorch's writer (used below to make wrong files) writes what upstream reads back
    again = flatbuf.encode(ours, es.FILE_IDENTIFIER, size_prefixed=True)
    assert _event_tuples(_upstream_deserialize(again).run_data) == _event_tuples(ours.run_data)


@needs_executorch
def test_table_counts_are_the_programs_instructions(
    slim_mlp: bytes, upstream_etdump: bytes
) -> None:
    pf = pte.read_pte(slim_mlp)
    plan = pf.program.execution_plan[0]
    per_op = Counter(
        op_name(plan.operators[ins.instr_args.op_index]) for ins in plan.chains[0].instructions
    )
    prof = profiling.analyse(pf, profiling.read_etdump(upstream_etdump))
    assert prof.runs == RUNS
    assert {r.name: len(r.durations) for r in prof.rows} == {k: RUNS * n for k, n in per_op.items()}
    assert {r.name: len(r.instructions) for r in prof.rows} == dict(per_op)
    # times: the OPERATOR_CALL durations upstream's own reader sees, summed per instruction op
    theirs = _upstream_deserialize(upstream_etdump)
    expected: Counter[str] = Counter()
    for run in theirs.run_data:
        for e in run.events:
            p = e.profile_event
            if p is not None and p.name == "OPERATOR_CALL":
                ins = plan.chains[p.chain_index].instructions[p.instruction_id]
                expected[op_name(plan.operators[ins.instr_args.op_index])] += (
                    p.end_time - p.start_time
                )
    assert {r.name: r.total for r in prof.rows} == dict(expected)
    assert len(prof.load) == 1 and len(prof.init) == 1 and len(prof.execute) == RUNS
    assert 0 < prof.total <= sum(prof.execute)
    # the kernel wrappers' own scopes are reported inside their instruction, not added
    assert {r.name.split(" / ")[0] for r in prof.nested} == set(per_op)


@needs_executorch
def test_delegate_call_maps_to_its_backend(mlp_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An MLP delegated to XNNPACK: its one DelegateCall is the backend's row; the events
    upstream's XNNPACK backend logs inside it are listed under it, not added to the total."""
    import slimtorch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from executorch.extension.pybindings import portable_lib
    if "XnnpackBackend" not in portable_lib._get_registered_backend_names():
        pytest.skip("upstream's runtime in this wheel has no XnnpackBackend")
    program = slimtorch.export(mlp_model, backends=("xnnpack",)).buffer
    data = _run_upstream(program, mlp_model.example_inputs, 2, tmp_path / "x.etdp")
    prof = profiling.analyse(pte.read_pte(program), profiling.read_etdump(data))
    assert [(r.name, len(r.durations)) for r in prof.rows] == [("delegate XnnpackBackend", 2)]
    delegate_events = [
        p
        for run in _upstream_deserialize(data).run_data
        for e in run.events
        if (p := e.profile_event) is not None and p.name == "DELEGATE_CALL"
    ]
    assert prof.total == sum(p.end_time - p.start_time for p in delegate_events)
    assert prof.nested and all(r.name.startswith("delegate XnnpackBackend / ") for r in prof.nested)


def _edited(data: bytes, edit) -> bytes:  # type: ignore[no-untyped-def]
    dump = profiling.read_etdump(data)
    for run in dump.run_data:
        for e in run.events:
            if e.profile_event is not None and e.profile_event.name == "OPERATOR_CALL":
                edit(e.profile_event)
                return flatbuf.encode(dump, es.FILE_IDENTIFIER, size_prefixed=True)
    raise AssertionError("no OPERATOR_CALL event")


@needs_executorch
@pytest.mark.parametrize(
    "edit,words",
    [
        (
            lambda p: setattr(p, "instruction_id", 99),
            "instruction 99 of chain 0, but method 'forward' has 4 instructions",
        ),
        (lambda p: setattr(p, "chain_index", 3), "names chain 3, but method 'forward' has 1"),
        (
            lambda p: setattr(p, "name", "DELEGATE_CALL"),
            "not a DelegateCall: the ETDump was written by another program",
        ),
    ],
)
def test_etdump_of_another_program_is_named(
    slim_mlp: bytes,
    upstream_etdump: bytes,
    edit,  # type: ignore[no-untyped-def]
    words: str,
) -> None:
    with pytest.raises(profiling.ProfileError, match=words):
        profiling.analyse(
            pte.read_pte(slim_mlp), profiling.read_etdump(_edited(upstream_etdump, edit))
        )


@needs_executorch
def test_corrupt_etdump_raises_only_etdump_error(slim_mlp: bytes, upstream_etdump: bytes) -> None:
    pf = pte.read_pte(slim_mlp)
    raised = 0

    def attempt(data: bytes) -> None:
        nonlocal raised
        try:
            dump = profiling.read_etdump(data)
        except profiling.ETDumpError:
            raised += 1
            return
        try:  # what decodes must map onto the program or say why not
            profiling.analyse(pf, dump)
        except profiling.ProfileError:
            pass

    for cut in range(0, len(upstream_etdump), 3):
        attempt(upstream_etdump[:cut])
    rng = random.Random(16)
    for _ in range(400):
        data = bytearray(upstream_etdump)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        attempt(bytes(data))
    assert raised > len(upstream_etdump) // 3  # every truncation at least


@pytest.mark.parametrize(
    "data,words",
    [
        (b"", "shorter than its 12-byte header"),
        (b"\x10\0\0\0\x08\0\0\0ET12\0\0\0\0", "offset 8 is b'ET12', expected b'ED00'"),
        (b"\xff\0\0\0\x08\0\0\0ED00\0\0\0\0", "size prefix says 255 bytes follow"),
        (b"\x0c\0\0\0\xf0\0\0\0ED00\0\0\0\0", r"ETDump \(table\): 4 bytes at offset 244"),
    ],
)
def test_bad_headers_name_the_field(data: bytes, words: str) -> None:
    with pytest.raises(profiling.ETDumpError, match=words):
        profiling.read_etdump(data)


def test_event_with_end_before_start_is_named() -> None:
    event = es.Event(profile_event=es.ProfileEvent(name="OPERATOR_CALL", start_time=10, end_time=5))
    data = flatbuf.encode(
        es.ETDump(run_data=[es.RunData(name="Execute", events=[event])]),
        es.FILE_IDENTIFIER,
        size_prefixed=True,
    )
    with pytest.raises(profiling.ETDumpError, match=r"events\[0\].profile_event .*end_time 5"):
        profiling.read_etdump(data)
    two = dataclasses.replace(event, allocation_event=es.AllocationEvent())
    data = flatbuf.encode(
        es.ETDump(run_data=[es.RunData(events=[two])]), es.FILE_IDENTIFIER, size_prefixed=True
    )
    with pytest.raises(profiling.ETDumpError, match="exactly one of"):
        profiling.read_etdump(data)


@needs_executorch
def test_cli_table_and_svg(slim_mlp: bytes, upstream_etdump: bytes, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "mlp.pte").write_bytes(slim_mlp)
    (tmp_path / "mlp.etdp").write_bytes(upstream_etdump)
    prof = profiling.analyse(pte.read_pte(slim_mlp), profiling.read_etdump(upstream_etdump))
    svg = tmp_path / "out" / "mlp.svg"
    assert (
        main(["profile", str(tmp_path / "mlp.pte"), str(tmp_path / "mlp.etdp"), "--svg", str(svg)])
        == 0
    )
    out = capsys.readouterr().out
    assert f"{RUNS} run(s); times in us (ns per ETDump tick" in out
    assert "load (Program::load_method)" in out and "init (Method::init)" in out
    for r in prof.rows:
        line = next(ln for ln in out.splitlines() if ln.split()[:1] == [r.name])
        assert line.split()[1:3] == [str(len(r.instructions)), str(len(r.durations))]
        assert line.split()[3] == f"{r.total / 1000:.3f}"
    bars = ET.parse(svg).getroot().findall(".//{http://www.w3.org/2000/svg}g[@class='bar']")
    assert [b.get("data-operator") for b in bars] == [r.name for r in prof.rows]
    widths = [float(b.find("{http://www.w3.org/2000/svg}rect").get("width")) for b in bars]  # type: ignore[union-attr]
    assert widths == sorted(widths, reverse=True) and widths[0] > widths[-1] > 0

    # --tick-ns scales every time; inspect recognises the ETDump
    assert (
        main(["profile", str(tmp_path / "mlp.pte"), str(tmp_path / "mlp.etdp"), "--tick-ns", "2"])
        == 0
    )
    doubled = capsys.readouterr().out
    assert f"{2 * prof.total / 1000:.3f}" in doubled
    assert main(["inspect", str(tmp_path / "mlp.etdp")]) == 0
    assert f"{RUNS * 4} x OPERATOR_CALL" not in (listing := capsys.readouterr().out)
    assert listing.count("4 x OPERATOR_CALL") == RUNS


@needs_executorch
def test_cli_errors_are_one_line(
    slim_mlp: bytes, upstream_etdump: bytes, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "mlp.pte").write_bytes(slim_mlp)
    (tmp_path / "other.etdp").write_bytes(
        _edited(upstream_etdump, lambda p: setattr(p, "instruction_id", 7))
    )
    (tmp_path / "cut.etdp").write_bytes(upstream_etdump[:100])
    cases = [
        (["mlp.pte", "other.etdp"], "names instruction 7 of chain 0"),
        (["mlp.pte", "cut.etdp"], "the file is truncated"),
        (["other.etdp", "mlp.pte"], "is an ETDump, not a program: give the program first"),
        (["mlp.pte", "mlp.pte"], "this is an ExecuTorch program; give the ETDump"),
        (
            ["mlp.pte", "other.etdp", "--method", "decode"],
            "no method 'decode'; its methods: forward",
        ),
        (["mlp.pte", "nope.etdp"], "cannot read ETDump"),
    ]
    for argv, words in cases:
        paths = [str(tmp_path / a) if a.endswith((".pte", ".etdp")) else a for a in argv]
        assert main(["profile", *paths]) == 1
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err and err.count("\n") == 1, err
