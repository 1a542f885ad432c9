"""ETDump files written by slimtorch's own runtime (`pte_runner --etdump`, branch prof-rt) for
the MLP and DS-CNN: upstream ExecuTorch 1.5.1's deserializer reads them as slimtorch's reader
does, and `slimtorch profile` gives one row per operator whose counts are the program's
instructions (one run)."""

from __future__ import annotations

import subprocess
import warnings
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from slimtorch import profiling, pte
from slimtorch.cli import main
from slimtorch.exporter import export_model
from slimtorch.model_file import load_model_file
from slimtorch.profiling.report import instruction_name

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def etdump_runner(pte_runner: Path) -> Path:
    help_text = subprocess.run([str(pte_runner), "--help"], capture_output=True, text=True).stdout
    if "--etdump" not in help_text:
        pytest.skip(
            "//app:pte_runner has no --etdump option yet (the runtime's event tracer, "
            "branch prof-rt, is not merged)"
        )
    return pte_runner


@pytest.mark.parametrize("model", ["mlp", "ds_cnn"])
def test_runtime_etdump_gives_a_table(
    etdump_runner: Path, model: str, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    loaded = load_model_file(str(REPO / "models" / f"{model}.py"))
    program = export_model(loaded).to_bytes()
    (tmp_path / "m.pte").write_bytes(program)
    args = [str(etdump_runner), str(tmp_path / "m.pte")]
    for i, x in enumerate(loaded.example_inputs):
        np.save(tmp_path / f"in{i}.npy", x.numpy())
        args += ["--input", str(tmp_path / f"in{i}.npy")]
    proc = subprocess.run(
        [*args, "--etdump", str(tmp_path / "m.etdp")], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = (tmp_path / "m.etdp").read_bytes()

    ours = profiling.read_etdump(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from executorch.devtools.etdump.serialize import deserialize_from_etdump_flatcc
    theirs = deserialize_from_etdump_flatcc(data)

    def events(dump):  # type: ignore[no-untyped-def]
        return [
            (p.name, p.chain_index, p.instruction_id, p.start_time, p.end_time)
            for run in dump.run_data
            for e in run.events
            if (p := e.profile_event) is not None
        ]

    assert events(ours) == events(theirs) and events(ours)

    pf = pte.read_pte(program)
    plan = pf.program.execution_plan[0]
    per_op = Counter(instruction_name(pf, plan, ins) for ins in plan.chains[0].instructions)
    prof = profiling.analyse(pf, ours)
    assert prof.runs == 1 and prof.load and prof.init
    assert {r.name: len(r.durations) for r in prof.rows} == dict(per_op)

    svg = tmp_path / "m.svg"
    assert (
        main(["profile", str(tmp_path / "m.pte"), str(tmp_path / "m.etdp"), "--svg", str(svg)]) == 0
    )
    out = capsys.readouterr().out
    print(out)  # the table, for the log
    assert all(name in out for name in per_op)
    bars = ET.parse(svg).getroot().findall(".//{http://www.w3.org/2000/svg}g[@class='bar']")
    assert {b.get("data-operator") for b in bars} == set(per_op)
