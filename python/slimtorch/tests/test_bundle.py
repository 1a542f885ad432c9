"""Bundled programs (BP08): slimtorch's writer and reader against upstream ExecuTorch 1.5.1's
own bundled-program tools, both ways; corrupt bundles; `slimtorch bundle` and its errors.

The references are independent: upstream's deserializer (flatc, its generated schema),
upstream's runtime (`_load_bundled_program_from_buffer` + verify, which runs the program and
compares with the bundled outputs), upstream's BundledProgram serializer, and PyTorch eager."""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slimtorch import bundle, cli, exporter, pte, schema
from slimtorch.bundle import schema as bs
from slimtorch.bundle.cases import random_inputs
from slimtorch.model_file import LoadedModel

from .conftest import eager, needs_executorch


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(args)
    return code, capsys.readouterr().err


@pytest.fixture(scope="module")
def mlp_bundle(mlp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, Path]:
    """`slimtorch bundle models/mlp.py --random-cases 2 --manifest M` (3 cases), and M."""
    out = tmp_path_factory.mktemp("bundle") / "mlp.bpte"
    manifest = out.with_suffix(".ops.yaml")
    args = ["bundle", str(mlp_path), "-o", str(out), "--random-cases", "2", "--manifest"]
    assert cli.main([*args, str(manifest)]) == 0
    return out.read_bytes(), manifest


@pytest.fixture(scope="module")
def mlp_bpte(mlp_bundle: tuple[bytes, Path]) -> bytes:
    return mlp_bundle[0]


def _upstream_bundle() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from executorch.devtools.bundled_program import serialize
        from executorch.extension.pybindings import portable_lib
    return serialize, portable_lib


def _wire_offset(data: bytes, blob: bytes) -> int:
    at = data.find(blob)
    assert at > 0 and data.find(blob, at + 1) < 0
    return at


# ------------------------------------------------------------------------ slimtorch -> upstream


@needs_executorch
def test_upstream_reads_and_verifies_slimtorch_bundle(
    mlp_bpte: bytes, slim_mlp: bytes, mlp_model: LoadedModel
) -> None:
    serialize, portable_lib = _upstream_bundle()
    ours = bundle.read_bundle(mlp_bpte)
    # The program is `slimtorch export`'s, byte for byte, 32-byte aligned in the file; each
    # tensor's data 16-byte aligned (the schema's force_align).
    assert ours.program == slim_mlp
    assert _wire_offset(mlp_bpte, slim_mlp) % 32 == 0
    theirs = serialize.deserialize_from_flatbuffer_to_bundled_program(mlp_bpte)
    assert bytes(theirs.program) == slim_mlp
    [suite] = theirs.method_test_suites
    assert suite.method_name == "forward" and len(suite.test_cases) == 3
    ex = mlp_model.example_inputs[0]
    for c, case in enumerate(suite.test_cases):
        [x], [y] = case.inputs, case.expected_outputs
        inputs = (ex,) if c == 0 else random_inputs((ex,), 0, c)
        assert x.val.sizes == [2, 16] and bytes(x.val.data) == inputs[0].numpy().tobytes()
        assert _wire_offset(mlp_bpte, bytes(x.val.data)) % 16 == 0
        expected = eager(mlp_model.module, inputs)[0]
        assert bytes(y.val.data) == expected.numpy().tobytes()
    # Upstream's runtime runs every case and compares with the bundled outputs.
    program = portable_lib._load_bundled_program_from_buffer(mlp_bpte)
    for c in range(3):
        [out] = program.verify_result_with_bundled_expected_output("forward", c)
        inputs = (ex,) if c == 0 else random_inputs((ex,), 0, c)
        torch.testing.assert_close(out, eager(mlp_model.module, inputs)[0])
    # ...and fails a wrong expected output.
    case = ours.suites["forward"][0]
    wrong = bundle.tensor_to_array(case.expected_outputs[0]).copy()
    wrong[1, 2] += 0.25
    bad = bundle.write_bundle(ours.program, [bundle.TestCase(case.inputs, [wrong])])
    with pytest.raises(RuntimeError, match="verification failed"):
        portable_lib._load_bundled_program_from_buffer(
            bad
        ).verify_result_with_bundled_expected_output("forward", 0)


@needs_executorch
def test_stateful_model_cases_follow_call_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A model with a buffer it mutates: case k expects the state after k calls, and
    upstream's runtime, running the cases in order on one method, agrees."""
    from .conftest import REPO

    _, portable_lib = _upstream_bundle()
    out = tmp_path / "state.bpte"
    model = str(REPO / "models" / "state_counter.py")
    assert _cli(["bundle", model, "-o", str(out), "--random-cases", "2"], capsys)[0] == 0
    program = portable_lib._load_bundled_program_from_buffer(out.read_bytes())
    for c in range(3):
        program.verify_result_with_bundled_expected_output("forward", c)


def _program_with_scalar_inputs(program: bytes) -> bytes:
    """The MLP program with three more method inputs, an Int, a Bool and a Double value (the
    scalar kinds a bundle holds; the instructions ignore them)."""
    pf = pte.read_pte(program)
    plan = pf.program.execution_plan[0]
    for val in (schema.Int(0), schema.Bool(False), schema.Double(0.0)):
        plan.values.append(schema.EValue(val))
        plan.inputs.append(len(plan.values) - 1)
    segments = [pf.segment(i) for i in range(len(pf.program.segments))]
    return pte.write_pte(pf.program, segments)


@needs_executorch
def test_scalar_values_match_upstreams_union(slim_mlp: bytes) -> None:
    serialize, _ = _upstream_bundle()
    program = _program_with_scalar_inputs(slim_mlp)
    x = np.arange(32, dtype=np.float32).reshape(2, 16)
    y = np.full((2, 4), 0.25, dtype=np.float32)
    data = bundle.write_bundle(program, [bundle.TestCase([x, -7, True, 2.5], [y])])
    [case] = (
        serialize.deserialize_from_flatbuffer_to_bundled_program(data)
        .method_test_suites[0]
        .test_cases
    )
    t, i, b, d = (v.val for v in case.inputs)
    assert list(t.sizes) == [2, 16] and t.scalar_type == schema.ScalarType.FLOAT
    assert list(t.dim_order) == [0, 1] and bytes(t.data) == x.tobytes()
    assert (i.int_val, b.bool_val, d.double_val) == (-7, True, 2.5)
    back = bundle.read_bundle(data).suites["forward"][0]
    assert back.inputs[1:] == [-7, True, 2.5]
    np.testing.assert_array_equal(bundle.tensor_to_array(back.expected_outputs[0]), y)
    # The program's input kinds are enforced: an int where a bool goes is named.
    with pytest.raises(
        bundle.BundleError,
        match=r"input 2 is int 1, but the program's input 2 "
        "is bool",
    ):
        bundle.write_bundle(program, [bundle.TestCase([x, 1, 1, 2.5], [y])])


# ------------------------------------------------------------------------ upstream -> slimtorch


@needs_executorch
def test_slimtorch_reads_upstream_bundle(upstream: Any, mlp_model: LoadedModel) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from executorch.devtools.bundled_program.config import MethodTestCase, MethodTestSuite
        from executorch.devtools.bundled_program.core import BundledProgram
        from executorch.devtools.bundled_program.serialize import (
            serialize_from_bundled_program_to_flatbuffer,
        )
        from executorch.exir import to_edge

    module = mlp_model.module
    edge = to_edge(torch.export.export(module, mlp_model.example_inputs)).to_executorch()
    inputs = [mlp_model.example_inputs, random_inputs(mlp_model.example_inputs, 5, 1)]
    cases = [MethodTestCase(inputs=list(x), expected_outputs=eager(module, x)) for x in inputs]
    data = serialize_from_bundled_program_to_flatbuffer(
        BundledProgram(edge, [MethodTestSuite("forward", cases)])
    )
    ours = bundle.read_bundle(data)
    assert ours.program == bytes(edge.buffer) and ours.version == bs.SCHEMA_VERSION
    assert list(ours.suites) == ["forward"] and len(ours.suites["forward"]) == 2
    for case, x in zip(ours.suites["forward"], inputs, strict=True):
        [got_x], [got_y] = case.inputs, case.expected_outputs
        np.testing.assert_array_equal(bundle.tensor_to_array(got_x), x[0].numpy())
        np.testing.assert_array_equal(bundle.tensor_to_array(got_y), eager(module, x)[0].numpy())
    # Re-bundled by slimtorch, upstream's runtime still verifies it.
    _, portable_lib = _upstream_bundle()
    again = bundle.write_bundle(ours.program, ours.suites)
    portable_lib._load_bundled_program_from_buffer(
        again
    ).verify_result_with_bundled_expected_output("forward", 1)


# ----------------------------------------------------------------------------- corrupt bundles


def test_truncated_bundles_raise_bundle_error(mlp_bpte: bytes) -> None:
    for n in list(range(0, 64)) + list(range(64, len(mlp_bpte), 37)):
        with pytest.raises(bundle.BundleError):
            bundle.read_bundle(mlp_bpte[:n])


@settings(
    max_examples=1000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    mutations=st.lists(
        st.tuples(st.floats(min_value=0, max_value=1, exclude_max=True), st.integers(0, 255)),
        min_size=1,
        max_size=4,
    )
)
def test_mutated_bundles_read_or_raise_bundle_error(
    mlp_bpte: bytes, mutations: list[tuple[float, int]]
) -> None:
    data = bytearray(mlp_bpte)
    for where, byte in mutations:
        data[int(where * len(data))] = byte
    try:
        found = bundle.read_bundle(bytes(data))
    except bundle.BundleError as e:
        assert str(e)
        return
    for cases in found.suites.values():  # what reads is usable: every tensor converts
        for case in cases:
            for v in case.inputs + case.expected_outputs:
                if isinstance(v, bs.Tensor):
                    bundle.tensor_to_array(v)


def _rewrite(data: bytes, edit: Any) -> bytes:
    """The bundle re-encoded after `edit(root)` changed its tables (no checks on the way)."""
    from slimtorch import flatbuf

    root = flatbuf.decode(bs.BundledProgram, data)
    edit(root)
    return flatbuf.encode(root, file_identifier=bs.FILE_IDENTIFIER)


def _first_input(root: bs.BundledProgram) -> bs.Tensor:
    return root.method_test_suites[0].test_cases[0].inputs[0].val  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda r: setattr(_first_input(r), "data", b"\0" * 8),
            r"test_cases\[0\].*input 0: Tensor.data holds 8 bytes, but sizes \[2, 16\] of float "
            "need 128",
        ),
        (
            lambda r: setattr(_first_input(r), "scalar_type", 99),
            r"input 0: Tensor.scalar_type 99 is not an ExecuTorch scalar type",
        ),
        (
            lambda r: setattr(_first_input(r), "dim_order", [1, 1]),
            r"Tensor.dim_order \[1, 1\] is not a permutation",
        ),
        (
            lambda r: setattr(r.method_test_suites[0], "method_name", "backward"),
            r"method_test_suites\[0\].method_name: the program has no method 'backward'",
        ),
        (
            lambda r: setattr(r.method_test_suites[0].test_cases[1].inputs[0], "val", None),
            r"test_cases\[1\].inputs\[0\]: the value is empty",
        ),
        (lambda r: setattr(r, "program", r.program[:100]), r"BundledProgram.program: "),
        (lambda r: setattr(r, "program", b""), r"BundledProgram.program is empty"),
        (
            lambda r: r.method_test_suites[0].test_cases[2].expected_outputs.clear(),
            r"test_cases\[2\] \(method 'forward'\): 0 expected outputs given, but method "
            "'forward' has 1 output",
        ),
    ],
)
def test_corrupt_fields_are_named(mlp_bpte: bytes, edit: Any, message: str) -> None:
    with pytest.raises(bundle.BundleError, match=message):
        bundle.read_bundle(_rewrite(mlp_bpte, edit))


def test_not_a_bundle(slim_mlp: bytes) -> None:
    with pytest.raises(bundle.BundleError, match=r"identifier is b'ET12'.*slimtorch bundle"):
        bundle.read_bundle(slim_mlp)


# ----------------------------------------------------------------------------- slimtorch bundle


def test_bundle_program_bytes_equal_export(
    mlp_bundle: tuple[bytes, Path],
    mlp_bpte: bytes,
    mlp_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`bundle MODEL.py` and `bundle --program P.pte --model MODEL.py` give the same file,
    whose program (and --manifest) is `slimtorch export`'s with the same options; random
    cases are seeded."""
    pte_path, manifest = tmp_path / "mlp.pte", tmp_path / "mlp.ops.yaml"
    assert (
        cli.main(["export", str(mlp_path), "-o", str(pte_path), "--manifest", str(manifest)]) == 0
    )
    assert bundle.read_bundle(mlp_bpte).program == pte_path.read_bytes()
    assert mlp_bundle[1].read_text() == manifest.read_text()
    out = tmp_path / "again.bpte"
    program_and_model = ["bundle", "--program", str(pte_path), "--model", str(mlp_path)]
    code, _ = _cli([*program_and_model, "-o", str(out), "--random-cases", "2"], capsys)
    assert code == 0 and out.read_bytes() == mlp_bpte
    # Another seed, other inputs; the random inputs follow the documented distribution.
    code, _ = _cli(
        [*program_and_model, "-o", str(out), "--random-cases", "1", "--seed", "3"], capsys
    )
    assert code == 0
    x = bundle.tensor_to_array(bundle.read_bundle(out.read_bytes()).suites["forward"][1].inputs[0])
    want = np.random.default_rng([3, 1]).standard_normal((2, 16)).astype(np.float32)
    np.testing.assert_array_equal(x, want)


def test_random_integer_inputs_stay_in_the_example_range() -> None:
    ids = torch.tensor([[3, 9, 5, 7]])
    flag = torch.tensor([True, False])
    drawn = [random_inputs((ids, flag, 2.0), seed=1, k=k) for k in range(1, 40)]
    values = torch.cat([d[0].flatten() for d in drawn])
    assert values.dtype == torch.int64 and int(values.min()) == 3 and int(values.max()) == 9
    assert all(d[1].dtype == torch.bool and d[2] == 2.0 for d in drawn)


def test_bundle_from_npy_files(
    mlp_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pte_path, io = tmp_path / "mlp.pte", tmp_path / "io"
    assert cli.main(["export", str(mlp_path), "-o", str(pte_path), "--io-dir", str(io)]) == 0
    out = tmp_path / "npy.bpte"
    code, _ = _cli(
        [
            "bundle",
            "--program",
            str(pte_path),
            "--input",
            str(io / "input0.npy"),
            "--expected",
            str(io / "expected0.npy"),
            "--case",
            str(io),
            "-o",
            str(out),
        ],
        capsys,
    )
    assert code == 0
    cases = bundle.read_bundle(out.read_bytes()).suites["forward"]
    assert len(cases) == 2
    for case in cases:
        np.testing.assert_array_equal(
            bundle.tensor_to_array(case.inputs[0]), np.load(io / "input0.npy")
        )
        np.testing.assert_array_equal(
            bundle.tensor_to_array(case.expected_outputs[0]), np.load(io / "expected0.npy")
        )


def test_inspect_prints_cases_then_program(
    mlp_bpte: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "m.bpte"
    path.write_bytes(mlp_bpte)
    assert cli.main(["inspect", str(path), "--brief"]) == 0
    out = capsys.readouterr().out
    assert "3 test cases" in out and "case 2:" in out
    assert "    input 0: tensor float (2, 16)\n    expected 0: tensor float (2, 4)" in out
    assert out.index("case 2:") < out.index("aten::addmm.out")


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        (
            {"input": [((3, 16), "f4")], "expected": [((2, 4), "f4")]},
            r"input 0 \(in0.npy\) has shape \(3, 16\), but the program's input 0 has shape "
            r"\(2, 16\)",
        ),
        (
            {"input": [((2, 16), "i8")], "expected": [((2, 4), "f4")]},
            r"input 0 \(in0.npy\) has dtype long, but the program's input 0 is float",
        ),
        (
            {"input": [((2, 16), "f4"), ((2, 16), "f4")], "expected": [((2, 4), "f4")]},
            r"2 inputs given, but method 'forward' has 1 input",
        ),
        (
            {"input": [((2, 16), "f4")], "expected": [((4,), "f4")]},
            r"output 0 \(out0.npy\) has shape \(4,\), but the program's output 0 has shape "
            r"\(2, 4\)",
        ),
    ],
)
def test_cli_mismatches_are_one_error_line(
    slim_mlp: bytes,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    arrays: dict[str, list[tuple[tuple[int, ...], str]]],
    message: str,
) -> None:
    (tmp_path / "p.pte").write_bytes(slim_mlp)
    args = ["bundle", "--program", str(tmp_path / "p.pte"), "-o", str(tmp_path / "o.bpte")]
    for flag, prefix in (("input", "in"), ("expected", "out")):
        for k, (shape, dtype) in enumerate(arrays[flag]):
            path = tmp_path / f"{prefix}{k}.npy"
            np.save(path, np.zeros(shape, dtype=dtype))
            args += [f"--{flag}", str(path)]
    code, err = _cli(args, capsys)
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("slimtorch bundle: error: ")
    import re

    assert re.search(message, err), err
    assert not list(tmp_path.glob("*.bpte")) and not list(tmp_path.glob(".tmp-*"))


def test_cli_usage_errors(
    slim_mlp: bytes, tmp_path: Path, mlp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "p.pte").write_bytes(slim_mlp)
    p, o = str(tmp_path / "p.pte"), str(tmp_path / "o.bpte")
    for args, message in [
        (["--program", p], "needs the test cases' expected outputs"),
        (
            ["--program", p, "--random-cases", "2", "--case", str(tmp_path)],
            "--random-cases needs --model",
        ),
        ([str(mlp_path), "--program", p], "not both"),
        (["--program", p, "--model", str(mlp_path), "--method", "train"], "no method 'train'"),
        (
            ["--program", str(tmp_path / "missing.pte"), "--model", str(mlp_path)],
            "cannot read program",
        ),
    ]:
        code, err = _cli(["bundle", *args, "-o", o], capsys)
        assert code == 1 and message in err and err.count("\n") == 1, err
    assert not Path(o).exists()


def test_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "keep.bpte"
    target.write_bytes(b"old")

    def fail(*_: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.fsync", fail)
    with pytest.raises(OSError, match="disk full"):
        bundle.save_bundle(target, b"new bytes")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["keep.bpte"]
    monkeypatch.undo()
    bundle.save_bundle(target, b"new bytes")
    assert target.read_bytes() == b"new bytes"


def test_save_keeps_symlinks_and_writes_pipes(tmp_path: Path) -> None:
    """Renaming over a symlink or a pipe (or /dev/stdout) would replace it: a symlink's
    target is replaced instead, and a pipe is written to."""
    import os
    import threading

    (tmp_path / "real.bpte").write_bytes(b"old")
    link = tmp_path / "link.bpte"
    link.symlink_to(tmp_path / "real.bpte")
    bundle.save_bundle(link, b"new")
    assert link.is_symlink() and (tmp_path / "real.bpte").read_bytes() == b"new"
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    bundle.save_bundle(fifo, b"through the pipe")
    reader.join(timeout=10)
    assert got == [b"through the pipe"] and fifo.is_fifo()


def test_channels_last_input_is_laid_out_in_the_programs_dim_order(slim_mlp: bytes) -> None:
    """A program input with dim_order (0, 2, 3, 1) gets its data channels-last; the reader
    gives back the logical (NCHW) array."""
    pf = pte.read_pte(slim_mlp)
    plan = pf.program.execution_plan[0]
    t = plan.values[plan.inputs[0]].val
    assert isinstance(t, schema.Tensor)
    t.sizes, t.dim_order = [1, 2, 4, 4], [0, 2, 3, 1]
    program = pte.write_pte(pf.program, [pf.segment(i) for i in range(len(pf.program.segments))])
    x = np.arange(math.prod(t.sizes), dtype=np.float32).reshape(t.sizes)
    y = np.zeros((2, 4), np.float32)
    data = bundle.write_bundle(program, [bundle.TestCase([x], [y])])
    [case] = bundle.read_bundle(data).suites["forward"]
    wire = case.inputs[0]
    assert isinstance(wire, bs.Tensor) and wire.dim_order == [0, 2, 3, 1]
    assert wire.data == np.ascontiguousarray(x.transpose(0, 2, 3, 1)).tobytes()
    np.testing.assert_array_equal(bundle.tensor_to_array(wire), x)


def test_export_module_unchanged_by_bundle(mlp_model: LoadedModel) -> None:
    """The eager reference and the export see the same weights (cases are computed on a copy)."""
    from slimtorch.bundle.cases import model_cases

    before = [p.clone() for p in mlp_model.module.parameters()]
    [case] = model_cases(mlp_model)
    exporter.export_model(mlp_model)
    after = list(mlp_model.module.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, after, strict=True))
    np.testing.assert_array_equal(
        bundle.tensor_to_array(case.expected_outputs[0]),  # type: ignore[arg-type]
        eager(mlp_model.module, mlp_model.example_inputs)[0].numpy(),
    )
