"""Exports are deterministic: the same model gives the same bytes in every process.

A shared build cache (README "Shared build cache and remote execution") reuses an export's
outputs only by their digests: a program that changed bytes from run to run would make every
action after it (embedding, the kernel registry, compiling, linking) a cache miss on the next
machine. Two separate interpreters, each with its own PYTHONHASHSEED (set iteration order,
hash-keyed dicts) and its own output directory, export the MLP, DS-CNN and the int8 DS-CNN
and embed them; every file they write (program, manifest, example inputs and PyTorch's
expected outputs, the embedded C++ source) must be byte-identical.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

# (model file stem, --quantize): the float and int8 paths (the latter calibrates).
_MODELS = [("mlp", "none"), ("ds_cnn", "none"), ("ds_cnn", "int8")]

# One interpreter exports and embeds every model (torch is imported once per process).
_DRIVER = """
import sys
from pathlib import Path
from slimtorch.cli import main

repo, out = Path(sys.argv[1]), Path(sys.argv[2])
for spec in sys.argv[3:]:
    model, quantize = spec.split(":")
    stem = out / f"{model}_{quantize}"
    io_dir = Path(f"{stem}_io")
    rc = main([
        "export", str(repo / "models" / f"{model}.py"), "-o", f"{stem}.pte",
        "--manifest", f"{stem}.ops.yaml", "--io-dir", str(io_dir), "--quantize", quantize,
    ])
    if rc != 0:
        sys.exit(f"export {spec} failed ({rc})")
    inputs = sorted(io_dir.glob("input*.npy"), key=lambda p: int(p.stem[len("input"):]))
    args = ["embed", f"{stem}.pte"]
    for p in inputs:
        args += ["--input", str(p)]
    if main(args + ["-o", f"{stem}_embedded.cc"]) != 0:
        sys.exit(f"embed {spec} failed")
"""


def _start(out: Path, hash_seed: str) -> subprocess.Popen[bytes]:
    out.mkdir()
    env = dict(os.environ, PYTHONHASHSEED=hash_seed, PYTHONPATH=str(REPO / "python"))
    specs = [f"{m}:{q}" for m, q in _MODELS]
    return subprocess.Popen(
        [sys.executable, "-c", _DRIVER, str(REPO), str(out), *specs],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_export_and_embed_give_the_same_bytes_in_two_processes(tmp_path: Path) -> None:
    # Both processes at once: the test costs one export run of wall time on two cores.
    runs = {seed: _start(tmp_path / f"seed{seed}", seed) for seed in ("1", "2")}
    for seed, proc in runs.items():
        log, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"PYTHONHASHSEED={seed}: {log.decode(errors='replace')}"
    first, second = _files(tmp_path / "seed1"), _files(tmp_path / "seed2")

    expected = {
        f"{m}_{q}{suffix}" for m, q in _MODELS for suffix in (".pte", ".ops.yaml", "_embedded.cc")
    }
    assert expected <= set(first), f"missing outputs: {sorted(expected - set(first))}"
    assert any(name.endswith("expected0.npy") for name in first), "no expected outputs written"
    assert sorted(first) == sorted(second), "the two runs wrote different sets of files"
    differing = [name for name in first if first[name] != second[name]]
    assert not differing, f"outputs differ between PYTHONHASHSEED=1 and =2: {differing}"
