"""The runtime's ETDump (runtime/profiling/), read by upstream ExecuTorch 1.5.1's own tools.

`pte_runner --etdump` on the MLP and DS-CNN (host) and the profiled Cortex-M55 firmware's
files (written over semihosting by //app:model_runtime_profiled_qemu_test and
//models:ds_cnn_profiled_qemu_test) are parsed by upstream's reader
(`deserialize_from_etdump_flatcc`, with the flatc the wheel ships) and its `Inspector`; the
events are checked against the program as upstream's program reader sees it: one instruction
event per instruction executed, with its index, the kernel's `native_call_<op>` name, and
times that are ordered and inside Method::execute.
"""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, bazel_build

pytest.importorskip(
    "executorch.devtools",
    reason="needs upstream executorch==1.5.1, which `make test` installs (setup.sh --test)",
)
from executorch.devtools import Inspector  # noqa: E402
from executorch.devtools.etdump.serialize import deserialize_from_etdump_flatcc  # noqa: E402
from executorch.exir._serialize._program import deserialize_pte_binary  # noqa: E402
from executorch.exir.schema import (  # noqa: E402
    DelegateCall,
    FreeCall,
    JumpFalseCall,
    KernelCall,
    MoveCall,
)

INSTRUCTION_EVENTS = {"OPERATOR_CALL", "DELEGATE_CALL", "MOVE_CALL", "JF_CALL", "FREE_CALL"}
KIND_NAMES = {
    KernelCall: "OPERATOR_CALL",
    DelegateCall: "DELEGATE_CALL",
    MoveCall: "MOVE_CALL",
    JumpFalseCall: "JF_CALL",
    FreeCall: "FREE_CALL",
}
MODELS = {
    "mlp": ("//app:mlp.pte", "//app:mlp_io"),
    "ds_cnn": ("//models:ds_cnn.pte", "//models:ds_cnn_io"),
}
FIRMWARE_TESTS = {
    "mlp": ("app", "model_runtime_profiled_qemu_test", "model_runtime_profiled.etdump"),
    "ds_cnn": ("models", "ds_cnn_profiled_qemu_test", "ds_cnn_profiled.etdump"),
}


def expected_instructions(pte: Path) -> list[tuple[str, str | None]]:
    """(event name, native_call_<op> name or None) per instruction, by upstream's program reader."""
    program = deserialize_pte_binary(pte.read_bytes()).program
    plan = program.execution_plan[0]
    assert len(plan.chains) == 1
    out = []
    for ins in plan.chains[0].instructions:
        args = ins.instr_args
        native = None
        if isinstance(args, KernelCall):
            op = plan.operators[args.op_index]
            native = (
                "native_call_"
                + op.name.split("::")[-1]
                + (f".{op.overload}" if op.overload else "")
            )
        out.append((KIND_NAMES[type(args)], native))
    return out


def check_etdump(path: Path, pte: Path, executions: int = 1) -> Any:
    """Checks an ETDump against the program it profiled (no control flow: every
    instruction runs once per execution); returns upstream's parsed ETDump."""
    etdump = deserialize_from_etdump_flatcc(path.read_bytes())
    assert etdump.version == 0
    names = [r.name for r in etdump.run_data]
    assert names == ["Default"] + ["Execute"] * executions
    init = {e.profile_event.name: e.profile_event for e in etdump.run_data[0].events}
    assert set(init) == {"Method::init", "Program::load_method"}
    load, mi = init["Program::load_method"], init["Method::init"]
    assert 0 <= load.start_time <= mi.start_time <= mi.end_time <= load.end_time

    want = expected_instructions(pte)
    last_end = load.end_time
    for run in etdump.run_data[1:]:
        events = [e.profile_event for e in run.events]
        assert all(e is not None for e in events)
        execute = events[-1]
        assert execute.name == "Method::execute" and execute.chain_index == -1
        assert execute.start_time >= last_end
        instr = [e for e in events if e.name in INSTRUCTION_EVENTS]
        assert [(e.name, e.instruction_id) for e in instr] == [
            (k, i) for i, (k, _) in enumerate(want)
        ]
        native = [e for e in events if e.name.startswith("native_call_")]
        assert [(e.name, e.instruction_id) for e in native] == [
            (n, i) for i, (_, n) in enumerate(want) if n is not None
        ]
        prev = execute.start_time
        for e in instr:
            assert e.chain_index == 0
            assert prev <= e.start_time <= e.end_time <= execute.end_time, e
            prev = e.end_time
        last_end = execute.end_time
    return etdump


def run_pte_runner(
    runner: Path, model: str, tmp: Path, *extra: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    pte, io_dir = bazel_build(*MODELS[model])
    path = tmp / f"{model}.etdump"
    inputs = sorted(io_dir.glob("input*.npy"))
    args = [
        str(runner),
        str(pte),
        *[a for x in inputs for a in ("--input", str(x))],
        "--etdump",
        str(path),
        *extra,
    ]
    return subprocess.run(args, capture_output=True, text=True, cwd=REPO), path


@pytest.mark.parametrize("model", sorted(MODELS))
def test_pte_runner_etdump_parsed_by_upstream(pte_runner: Path, model: str, tmp_path: Path) -> None:
    proc, path = run_pte_runner(pte_runner, model, tmp_path, "--iterations", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"etdump {path}:" in proc.stdout
    check_etdump(path, bazel_build(MODELS[model][0])[0], executions=2)
    # Upstream's Inspector reads it too (no ETRecord: events by name); it merges the
    # two "Execute" runs into one block, each event with one sample per execution.
    inspector = Inspector(etdump_path=str(path))
    assert [b.name for b in inspector.event_blocks] == ["Default", "Execute"]
    ops = {e.name: e for e in inspector.event_blocks[1].events}
    for _, native in expected_instructions(bazel_build(MODELS[model][0])[0]):
        if native is not None:
            assert len(ops[native].perf_data.raw) >= 2


def test_pte_runner_etdump_buffer_too_small(pte_runner: Path, tmp_path: Path) -> None:
    """A full buffer: exit 1 with a message naming the shortfall and the flag; the file holds a
    valid ETDump of the first events."""
    proc, path = run_pte_runner(pte_runner, "ds_cnn", tmp_path, "--etdump-bytes", "1200")
    assert proc.returncode == 1, proc.stdout
    assert "events dropped" in proc.stdout and "--etdump-bytes" in proc.stdout, proc.stdout
    etdump = deserialize_from_etdump_flatcc(path.read_bytes())
    kept = [e.profile_event for r in etdump.run_data[1:] for e in r.events]
    ids = [e.instruction_id for e in kept if e.name in INSTRUCTION_EVENTS]
    assert 0 < len(ids) < len(expected_instructions(bazel_build(MODELS["ds_cnn"][0])[0]))
    assert ids == list(range(len(ids)))  # a prefix of the run
    bad = subprocess.run([str(pte_runner), "--etdump-bytes", "12"], capture_output=True, text=True)
    assert bad.returncode == 2 and "--etdump-bytes needs a whole number" in bad.stdout


@pytest.mark.parametrize("model", sorted(FIRMWARE_TESTS))
def test_firmware_etdump_parsed_by_upstream(model: str, tmp_path: Path) -> None:
    """The ETDump the Cortex-M55 firmware wrote over semihosting under QEMU."""
    package, test, name = FIRMWARE_TESTS[model]
    subprocess.run(
        ["bazel", "test", "--noshow_progress", f"//{package}:{test}"], cwd=REPO, check=True
    )
    testlogs = subprocess.run(
        ["bazel", "info", "bazel-testlogs"], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout.strip()
    with zipfile.ZipFile(Path(testlogs) / package / test / "test.outputs" / "outputs.zip") as z:
        path = tmp_path / name
        path.write_bytes(z.read(name))
    check_etdump(path, bazel_build(MODELS[model][0])[0])
