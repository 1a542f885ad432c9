"""`.npy` headers that lie are rejected, naming the field, by both readers of inputs: the host
runner's parser (app/runner_main.cc, //app:pte_runner) and Python's (slimtorch/npy.py, used by
`slimtorch embed`, `run` and `compare`). numpy.save's own files are the reference: each crafted
file is a valid one with one header field edited."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from slimtorch import embed, exporter, pte
from slimtorch.model_file import load_model_file
from slimtorch.npy import NpyError, load_npy

REPO = Path(__file__).resolve().parents[1]
DATA = np.arange(32, dtype=np.float32).reshape(2, 16)  # the MLP's input shape


def npy_with_header(header: str, data: bytes = DATA.tobytes()) -> bytes:
    """A v1.0 .npy with `header` as its dictionary text, padded as numpy pads it."""
    text = header + " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text.encode() + data


def header(shape: str, descr: str = "<f4") -> str:
    return f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"


# (name, file bytes, text the error must contain)
LIES = [
    ("dim_above_int32", npy_with_header(header("(4294967298, 16)")), "4294967298"),
    ("float_dim", npy_with_header(header("(2.0, 16)")), "shape"),
    ("negative_dim", npy_with_header(header("(-2, 16)")), "shape"),
    ("short_data", npy_with_header(header("(2, 16)"), DATA.tobytes()[:-4]), "shape"),
    ("long_data", npy_with_header(header("(2, 16)"), DATA.tobytes() + b"\0" * 4), "shape"),
    ("shape_not_data", npy_with_header(header("(4, 16)")), "shape"),
]


def test_reference_header_is_numpys() -> None:
    """The crafting helper writes what numpy.save writes (so the lies differ in one field)."""
    import io

    buf = io.BytesIO()
    np.save(buf, DATA)
    assert buf.getvalue() == npy_with_header(header("(2, 16)"))


@pytest.mark.parametrize(("name", "data", "field"), LIES, ids=[c[0] for c in LIES])
def test_python_rejects_lying_header(tmp_path: Path, name: str, data: bytes, field: str) -> None:
    path = tmp_path / f"{name}.npy"
    path.write_bytes(data)
    with pytest.raises(NpyError, match=field):
        load_npy(str(path))


@pytest.fixture(scope="module")
def mlp_program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mlp") / "mlp.pte"
    path.write_bytes(exporter.export_model(load_model_file(REPO / "models" / "mlp.py")).to_bytes())
    return path


@pytest.mark.parametrize(("name", "data", "field"), LIES, ids=[c[0] for c in LIES])
def test_embed_rejects_lying_header(
    mlp_program: Path, tmp_path: Path, name: str, data: bytes, field: str
) -> None:
    path = tmp_path / f"{name}.npy"
    path.write_bytes(data)
    with pytest.raises(embed.EmbedError, match=f"input 0: .*{field}"):
        embed.load_inputs(pte.read_pte_file(str(mlp_program)), [str(path)])


def test_embed_takes_the_honest_file(mlp_program: Path, tmp_path: Path) -> None:
    path = tmp_path / "ok.npy"
    np.save(path, DATA)
    ((arr, data),) = embed.load_inputs(pte.read_pte_file(str(mlp_program)), [str(path)])
    assert data == DATA.tobytes() and arr.shape == (2, 16)


def _run(runner: Path, program: Path, npy: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(runner), str(program), "--input", str(npy)], capture_output=True, text=True
    )


@pytest.mark.parametrize(("name", "data", "field"), LIES, ids=[c[0] for c in LIES])
def test_runner_rejects_lying_header(
    pte_runner: Path, mlp_program: Path, tmp_path: Path, name: str, data: bytes, field: str
) -> None:
    path = tmp_path / f"{name}.npy"
    path.write_bytes(data)
    proc = _run(pte_runner, mlp_program, path)
    assert proc.returncode == 1, proc.stdout
    assert proc.stdout.startswith("error: input 0: ") and "header 'shape'" in proc.stdout
    assert field in proc.stdout and "output 0" not in proc.stdout


def test_runner_takes_the_honest_file(pte_runner: Path, mlp_program: Path, tmp_path: Path) -> None:
    path = tmp_path / "ok.npy"
    path.write_bytes(npy_with_header(header("(2, 16)")))
    proc = _run(pte_runner, mlp_program, path)
    assert proc.returncode == 0 and "output 0 shape 2x4" in proc.stdout, proc.stdout
