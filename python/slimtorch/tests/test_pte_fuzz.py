"""The Python .pte reader verifies like the runtime: `inspect` and `ops` on a corrupt program
either succeed or raise `pte.PteError` (one error naming the field); the CLI prints one
`error:` line, never a traceback. The fuzz test mutates real programs (float, int8, control
flow, upstream-exported) byte-wise with hypothesis, a bounded number of examples."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slimtorch import cli, exporter, flatbuf, inspect_pte, manifest, pte, schema
from slimtorch.model_file import load_model_file

from .conftest import REPO, Upstream
from .standin_backend import aten, standin

PROGRAM_NAMES = ("float_mlp", "int8_mlp", "cond_branches", "upstream_mlp", "delegated_mlp")


@pytest.fixture(scope="module")
def programs(slim_mlp: bytes, upstream: Upstream) -> dict[str, bytes]:
    mlp = load_model_file(REPO / "models" / "mlp.py")
    cond = load_model_file(REPO / "models" / "cond_branches.py")
    return {
        "float_mlp": slim_mlp,
        "int8_mlp": exporter.export_int8(mlp)[0].to_bytes(),
        "cond_branches": exporter.export_model(cond).to_bytes(),
        "upstream_mlp": upstream.get("mlp", lambda: (mlp.module, mlp.example_inputs)),
        # Blobs in segments, weights in named data, compile specs: the stand-in backend's.
        "delegated_mlp": exporter.export_model(
            mlp, backends=[standin({aten.addmm.default}, weights_as_named_data=True)]
        ).to_bytes(),
    }


def _read_everything(data: bytes) -> None:
    """What `slimtorch inspect` and `slimtorch ops` do with a program."""
    program = pte.read_pte(data)
    inspect_pte.summarize(program, "fuzzed")
    manifest.manifest_yaml(program, "fuzzed.pte")


def test_real_programs_read(programs: dict[str, bytes]) -> None:
    for name in PROGRAM_NAMES:
        _read_everything(programs[name])


_MUTATIONS = st.lists(
    st.tuples(st.floats(min_value=0, max_value=1, exclude_max=True), st.integers(0, 255)),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=1500,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(which=st.sampled_from(PROGRAM_NAMES), mutations=_MUTATIONS)
def test_mutated_programs_read_or_raise_pte_error(
    programs: dict[str, bytes], which: str, mutations: list[tuple[float, int]]
) -> None:
    data = bytearray(programs[which])
    for where, byte in mutations:
        data[int(where * len(data))] = byte
    try:
        _read_everything(bytes(data))
    except pte.PteError as e:
        assert str(e)  # names the field; nothing else escapes


def _with_memory_id(data: bytes, memory_id: int) -> bytes:
    """The program with its first planned tensor's memory id replaced (re-encoded)."""
    pf = pte.read_pte(data)
    segments = [pf.segment(i) for i in range(len(pf.program.segments))]
    for v in pf.program.execution_plan[0].values:
        if isinstance(v.val, schema.Tensor) and v.val.allocation_info is not None:
            v.val.allocation_info.memory_id = memory_id
            break
    return pte.write_pte(pf.program, segments)


def test_huge_memory_id_is_an_error_not_a_walk(slim_mlp: bytes) -> None:
    """A corrupt memory id of 3,204,448,257 made `inspect` walk every id up to it."""
    with pytest.raises(pte.PteError, match=r"memory_id 3204448257 has no planned buffer"):
        pte.read_pte(_with_memory_id(slim_mlp, 3_204_448_257))


def test_vector_length_past_the_end_is_named(slim_mlp: bytes) -> None:
    program = pte.read_pte(slim_mlp).program
    program.segments = []
    program.constant_segment = None
    data = bytearray(flatbuf.encode(program))
    # non_const_buffer_sizes is a [u64]: find its length word and make it huge.
    sizes = program.execution_plan[0].non_const_buffer_sizes
    needle = struct.pack("<I", len(sizes)) + b"".join(struct.pack("<Q", s) for s in sizes)
    at = bytes(data).find(needle)
    assert at > 0
    data[at : at + 4] = struct.pack("<I", 0x7FFFFFF0)
    with pytest.raises(pte.PteError, match=r"ExecutionPlan\.non_const_buffer_sizes"):
        pte.read_pte(bytes(data))


@pytest.mark.parametrize("command", ["inspect", "ops"])
def test_cli_prints_one_error_line(
    slim_mlp: bytes, tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "corrupt.pte"
    path.write_bytes(_with_memory_id(slim_mlp, 3_204_448_257))
    assert cli.main([command, str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"slimtorch {command}: error: {path}: ")
    assert "memory_id 3204448257" in err and "Traceback" not in err
    assert err.count("\n") == 1
