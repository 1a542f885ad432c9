"""The fuzz targets, briefly (tools/fuzz/): the libFuzzer harness over load, init and execute with
every kernel, and the bit-flip sweep of the MLP program; both under ASan and UBSan.

`make test` runs this module: 3,000 fuzz inputs from a fixed seed, at most 45 s (seeded with
small models of models/ and the committed regressions in tests/fuzz/regressions/) and a full
sweep of the MLP's bits. The long
runs are documented commands: `tools/fuzz/fuzz.sh 1800` and
`.venv/bin/python tools/fuzz/bitflip.py PROGRAM.pte ...` (README, "Corrupt programs").
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "build" / "fuzz"
REGRESSIONS = Path(__file__).resolve().parent / "regressions"
# Small models only: libFuzzer runs far more inputs per second on small programs.
SEED_MODELS = "mlp,cond_branches,loop_while,state_counter,dynamic_mlp"
FUZZ_SECONDS = int(os.environ.get("SLIMTORCH_FUZZ_SECONDS", "45"))
# A fixed seed and a fixed number of inputs make the brief run the same on every machine, so a
# CI run cannot fail on a finding that the developer's run did not meet; the time bound only
# caps a slow machine. Exploration is the job of the long run (tools/fuzz/fuzz.sh, random seed).
FUZZ_SEED = int(os.environ.get("SLIMTORCH_FUZZ_SEED", "1"))
FUZZ_RUNS = int(os.environ.get("SLIMTORCH_FUZZ_RUNS", "3000"))


@pytest.fixture(scope="module")
def fuzz_build() -> Path:
    if shutil.which("clang++-14") is None:
        pytest.fail(
            "clang++-14 is not installed: scripts/setup.sh installs clang and libclang-rt-14-dev"
        )
    subprocess.run([str(REPO / "tools" / "fuzz" / "build.sh")], check=True, cwd=REPO)
    return BUILD


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("seeds")
    subprocess.run(
        [
            sys.executable,
            str(REPO / "tools" / "fuzz" / "make_corpus.py"),
            "--out",
            str(out),
            "--models",
            SEED_MODELS,
        ],
        check=True,
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO / "python")),
    )
    assert len(list(out.glob("*.pte"))) == len(SEED_MODELS.split(","))
    return out


def test_regressions_are_refused_cleanly(fuzz_build: Path) -> None:
    """Every committed finding runs to an error or to the end, with no sanitizer report."""
    inputs = sorted(p for p in REGRESSIONS.iterdir() if not p.name.startswith("."))
    if not inputs:
        pytest.skip(
            "no committed fuzz regressions yet (the findings are unit tests in runtime/, kernels/)"
        )
    proc = subprocess.run(
        [str(fuzz_build / "fuzz_program"), *map(str, inputs)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-4000:]


def fuzz(fuzz_build: Path, tmp_path: Path, dirs: list[Path], runs: int, seconds: int) -> None:
    """libFuzzer over `dirs` (the first is the growing corpus) from FUZZ_SEED: `runs` inputs,
    at most `seconds`; fails on any finding, or when almost nothing ran."""
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    proc = subprocess.run(
        [
            str(fuzz_build / "fuzz_program"),
            f"-max_total_time={seconds}",
            f"-seed={FUZZ_SEED}",
            f"-runs={runs}",
            "-timeout=10",
            "-rss_limit_mb=2048",
            "-max_len=65536",
            f"-artifact_prefix={artifacts}/",
            *map(str, dirs),
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ, SLIMTORCH_QUIET="1"),
    )
    done = re.search(r"Done (\d+) runs in (\d+) second", proc.stderr)
    assert proc.returncode == 0 and done, (
        f"libFuzzer found a problem (inputs in {artifacts}; copy each to tests/fuzz/regressions/ "
        f"once fixed):\n{proc.stderr[-6000:]}"
    )
    assert not list(artifacts.iterdir())
    assert int(done.group(1)) > 100, (
        "the fuzzer ran almost nothing: is the harness refusing every seed?"
    )


def test_fuzz_briefly(fuzz_build: Path, seeds: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    fuzz(fuzz_build, tmp_path, [corpus, seeds, REGRESSIONS], FUZZ_RUNS, FUZZ_SECONDS)


def test_fuzz_bundled_programs_briefly(fuzz_build: Path, tmp_path: Path) -> None:
    """The harness dispatches on BP08: bundled MLP and tiny DS-CNN seeds reach the bundle loader,
    the inner program and the test-case runner (inputs checked, outputs compared) under ASan/UBSan,
    mutated from a fixed seed."""
    seeds = tmp_path / "seeds"
    subprocess.run(
        [
            sys.executable,
            str(REPO / "tools" / "fuzz" / "make_corpus.py"),
            *("--out", str(seeds), "--models", "mlp,ds_cnn_tiny", "--bundle"),
        ],
        check=True,
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO / "python")),
    )
    for pte in seeds.glob("*.pte"):
        pte.unlink()  # bundles only
    assert len(list(seeds.glob("*.bpte"))) == 2
    # Flipping each of the first 2,048 bits (header, tables, test-case values) of the MLP
    # bundle: every copy stops at an error or completes; some complete unchanged (the seed
    # itself gets through the loader and every test case).
    sweep = subprocess.run(
        [str(fuzz_build / "bitflip"), str(seeds / "mlp.slimtorch.bpte"), "--end", "2048"],
        capture_output=True,
        text=True,
        env=dict(os.environ, SLIMTORCH_QUIET="1"),
    )
    assert sweep.returncode == 0 and "fatal" not in sweep.stdout, sweep.stdout + sweep.stderr
    same = re.search(r"completed_same=(\d+)", sweep.stdout)
    assert same and int(same.group(1)) > 0, sweep.stdout
    fuzz(fuzz_build, tmp_path, [seeds], 1500, 15)


def test_bitflip_sweep_of_mlp(fuzz_build: Path, seeds: Path) -> None:
    """Every one-bit corruption of the MLP program ends in an error or a completed run."""
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "tools" / "fuzz" / "bitflip.py"),
            str(seeds / "mlp.slimtorch.pte"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    counts = dict(kv.split("=") for kv in proc.stdout.split()[1:])
    assert counts["crash"] == counts["hang"] == counts["sanitizer"] == "0"
    bits = int(counts["bits"])
    handled = sum(
        int(counts[k])
        for k in ("load_error", "init_error", "exec_error", "completed_same", "completed_changed")
    )
    assert handled == bits
    assert int(counts["load_error"]) > bits // 10  # verification catches a large share at load


# Delegated programs (issue 15 part 5): the MLP and the tiny DS-CNN (tools/fuzz/ds_cnn_tiny.py)
# delegated to XNNPACK by slimtorch and, when upstream's wheel is there, by upstream's
# XnnpackPartitioner. The fuzz driver links the XNNPACK backend (tools/fuzz/Makefile).
DELEGATED_MODELS = "mlp,ds_cnn_tiny"


@pytest.fixture(scope="module")
def delegated(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("delegated")
    upstream = []
    if importlib.util.find_spec("executorch") is not None:
        upstream = ["--upstream"]
    subprocess.run(
        [
            sys.executable,
            str(REPO / "tools" / "fuzz" / "make_corpus.py"),
            "--out",
            str(out),
            "--models",
            DELEGATED_MODELS,
            "--backend",
            "xnnpack",
            *upstream,
        ],
        check=True,
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO / "python")),
    )
    programs = sorted(out.glob("*-xnnpack.pte"))
    assert len(programs) == len(DELEGATED_MODELS.split(",")) * (2 if upstream else 1)
    return programs


def sweep(programs: list[Path], *flags: str) -> list[dict[str, str]]:
    proc = subprocess.run(
        [sys.executable, str(REPO / "tools" / "fuzz" / "bitflip.py"), *map(str, programs), *flags],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    rows = [
        ln for ln in proc.stdout.splitlines() if ln.endswith(tuple("0123456789")) and " bits=" in ln
    ]
    assert len(rows) == len(programs), proc.stdout + proc.stderr
    fatal = [ln for ln in proc.stdout.splitlines() if ln.startswith("fatal ")]
    assert proc.returncode == 0 and not fatal, "\n".join(fatal[:20]) + proc.stderr[-2000:]
    return [dict(kv.split("=") for kv in row.split()[1:]) for row in rows]


def test_delegated_programs_run_in_the_fuzz_driver(fuzz_build: Path, delegated: list[Path]) -> None:
    """The unmodified delegated programs complete in the driver (the backend is linked)."""
    proc = subprocess.run(
        [str(fuzz_build / "fuzz_program"), *map(str, delegated)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-4000:]


def test_bitflip_sweep_of_delegated_program_structure(
    fuzz_build: Path, delegated: list[Path]
) -> None:
    """Every one-bit corruption of a delegated program's header and flatbuffer (the delegates
    table, blob references, named data, DelegateCall arguments) ends in an error or a run."""
    for counts in sweep(delegated, "--structure-only"):
        assert counts["crash"] == counts["hang"] == counts["sanitizer"] == "0"
        assert int(counts["load_error"]) > int(counts["bits"]) // 10


def test_bitflip_sweep_of_xnnpack_blobs(fuzz_build: Path, delegated: list[Path]) -> None:
    """The same over each XNNPACK blob's XH00 header and XN01 graph (values, nodes,
    constant_data offsets and named keys) of every delegated program (MLP: fully connected +
    softmax; tiny DS-CNN: convolutions, depthwise, pooling, transposes): errors, never a crash.
    The backend checks what Debian's XNNPACK assumes before it sees the graph
    (backends/xnnpack, check_native); about 30 s for the four programs."""
    for counts in sweep(delegated, "--structure-only", "--delegate-blobs"):
        assert counts["crash"] == counts["hang"] == counts["sanitizer"] == "0"
        assert int(counts["init_error"]) > int(counts["bits"]) // 4
