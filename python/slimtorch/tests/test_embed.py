"""`slimtorch embed` output compiles for host and Cortex-M55 and carries the right bytes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from slimtorch import embed, pte
from slimtorch.cli import main
from slimtorch.tests.conftest import REPO

HEADER = REPO / "app" / "embedded_model.h"
needs_header = pytest.mark.skipif(not HEADER.is_file(), reason="app/embedded_model.h missing")
needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")

CHECK_MAIN = r"""
#include <stdio.h>
#include "app/embedded_model.h"
using namespace slimtorch_app;
int main() {
  unsigned long sum = 0;
  for (size_t i = 0; i < kProgramSize; ++i) sum = sum * 31 + kProgram[i];
  printf("program %zu %lu %d\n", kProgramSize, sum, (int)((uintptr_t)kProgram % 16));
  for (size_t i = 0; i < kNumInputs; ++i) {
    const uint8_t* p = (const uint8_t*)kInputs[i].data;
    unsigned long s = 0;
    for (size_t k = 0; k < kInputs[i].nbytes; ++k) s = s * 31 + p[k];
    printf("input %zu %zu %lu %d\n", i, kInputs[i].nbytes, s, (int)((uintptr_t)p % 16));
  }
  for (size_t i = 0; i < kNumPlannedBuffers; ++i) {
    int zero = 1;
    for (size_t k = 0; k < kPlannedBuffers[i].size; ++k) zero &= kPlannedBuffers[i].data[k] == 0;
    kPlannedBuffers[i].data[0] = 1;  // writable
    printf("planned %zu %zu %d %d\n", i, kPlannedBuffers[i].size,
           (int)((uintptr_t)kPlannedBuffers[i].data % 16), zero);
  }
  return 0;
}
"""


def _hash(data: bytes) -> int:
    s = 0
    for b in data:
        s = (s * 31 + b) & 0xFFFFFFFFFFFFFFFF
    return s


@needs_header
@needs_gxx
def test_embedded_program_links_and_matches(slim_mlp: bytes, mlp_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    prog = tmp_path / "mlp.pte"
    prog.write_bytes(slim_mlp)
    x = mlp_model.example_inputs[0].numpy()
    np.save(tmp_path / "input0.npy", x)
    src = tmp_path / "embedded.cc"
    assert main(["embed", str(prog), "--input", str(tmp_path / "input0.npy"),
                 "-o", str(src)]) == 0
    (tmp_path / "main.cc").write_text(CHECK_MAIN)
    exe = tmp_path / "check"
    subprocess.run(["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", "-fno-exceptions",
                    "-fno-rtti", f"-I{REPO}", str(src), str(tmp_path / "main.cc"), "-o", str(exe)],
                   check=True)
    lines = subprocess.run([str(exe)], check=True, capture_output=True,
                           text=True).stdout.splitlines()
    assert lines[0] == f"program {len(slim_mlp)} {_hash(slim_mlp)} 0"
    xb = x.astype("<f4").tobytes()
    assert lines[1] == f"input 0 {len(xb)} {_hash(xb)} 0"
    size = pte.read_pte(slim_mlp).program.execution_plan[0].non_const_buffer_sizes[1]
    assert lines[2] == f"planned 0 {size} 0 1"
    assert len(lines) == 3


@needs_header
@needs_gxx
def test_empty_variant_compiles(tmp_path: Path) -> None:
    src = tmp_path / "none.cc"
    assert main(["embed", "--none", "-o", str(src)]) == 0
    (tmp_path / "main.cc").write_text(CHECK_MAIN)
    exe = tmp_path / "check"
    subprocess.run(["g++", "-std=c++17", "-Wall", "-Werror", f"-I{REPO}", str(src),
                    str(tmp_path / "main.cc"), "-o", str(exe)], check=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    assert out.splitlines() == ["program 0 0 0"]


@needs_header
@pytest.mark.skipif(shutil.which("arm-none-eabi-g++") is None, reason="no Arm cross compiler")
def test_compiles_for_cortex_m55(slim_mlp: bytes, tmp_path: Path) -> None:
    prog = tmp_path / "mlp.pte"
    prog.write_bytes(slim_mlp)
    src = tmp_path / "embedded.cc"
    assert main(["embed", str(prog), "-o", str(src)]) == 0
    subprocess.run(["arm-none-eabi-g++", "-mcpu=cortex-m55", "-mthumb", "-std=c++17", "-Wall",
                    "-Werror", "-fno-exceptions", "-fno-rtti", f"-I{REPO}", "-c", str(src),
                    "-o", str(tmp_path / "e.o")], check=True)


def test_rejects_inputs_that_do_not_fit(slim_mlp: bytes, tmp_path: Path) -> None:
    parsed = pte.read_pte(slim_mlp)
    np.save(tmp_path / "wrong_shape.npy", np.zeros((3, 16), np.float32))
    np.save(tmp_path / "wrong_dtype.npy", np.zeros((2, 16), np.float64))
    with pytest.raises(embed.EmbedError, match="shape"):
        embed.embed_source(parsed, [str(tmp_path / "wrong_shape.npy")])
    with pytest.raises(embed.EmbedError, match="dtype"):
        embed.embed_source(parsed, [str(tmp_path / "wrong_dtype.npy")])
    with pytest.raises(embed.EmbedError, match="takes 1 inputs"):
        embed.embed_source(parsed, [str(tmp_path / "wrong_dtype.npy")] * 2)


def test_large_program_is_fast(tmp_path: Path) -> None:
    import time

    data = bytes(range(256)) * (4 * 4096)  # 4 MiB
    t0 = time.monotonic()
    text = embed._byte_array("kBig", data)
    assert time.monotonic() - t0 < 5
    assert text.count("\n") == len(data) // 16 + 2
