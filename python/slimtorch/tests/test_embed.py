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


TWO_MODELS_MAIN = r"""
#include <stdio.h>
#include "app/embedded_model.h"
namespace slimtorch_app { namespace models {
extern const EmbeddedModel first;
extern const EmbeddedModel second;
} }
using namespace slimtorch_app;
static void show(const EmbeddedModel& m) {
  unsigned long sum = 0;
  for (size_t i = 0; i < m.program_size; ++i) sum = sum * 31 + m.program[i];
  printf("%s program %zu %lu %d\n", m.name, m.program_size, sum, (int)((uintptr_t)m.program % 16));
  for (size_t i = 0; i < m.num_inputs; ++i) {
    const uint8_t* p = (const uint8_t*)m.inputs[i].data;
    unsigned long s = 0;
    for (size_t k = 0; k < m.inputs[i].nbytes; ++k) s = s * 31 + p[k];
    printf("%s input %zu %zu %lu\n", m.name, i, m.inputs[i].nbytes, s);
  }
  for (size_t i = 0; i < m.num_planned; ++i) {
    printf("%s planned %zu %zu %p\n", m.name, i, m.planned[i].size, (void*)m.planned[i].data);
  }
}
int main() {
  show(models::first);
  show(models::second);
  // Each model has its own planned buffers.
  return models::first.planned[0].data != models::second.planned[0].data ? 0 : 1;
}
"""


@needs_header
@needs_gxx
def test_two_named_models_link_into_one_image(slim_mlp: bytes, mlp_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    prog = tmp_path / "mlp.pte"
    prog.write_bytes(slim_mlp)
    x = mlp_model.example_inputs[0].numpy()
    np.save(tmp_path / "input0.npy", x)
    y = np.ascontiguousarray(x[::-1])
    np.save(tmp_path / "other.npy", y)
    srcs = []
    for name, inp in (("first", "input0.npy"), ("second", "other.npy")):
        src = tmp_path / f"{name}.cc"
        assert main(["embed", str(prog), "--input", str(tmp_path / inp), "--model-name", name,
                     "-o", str(src)]) == 0
        srcs.append(str(src))
    # The one-model symbols too: a model_image() program may sit beside a library.
    assert main(["embed", str(prog), "-o", str(tmp_path / "single.cc")]) == 0
    (tmp_path / "main.cc").write_text(TWO_MODELS_MAIN)
    exe = tmp_path / "check"
    subprocess.run(["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", "-fno-exceptions",
                    "-fno-rtti", f"-I{REPO}", *srcs, str(tmp_path / "single.cc"),
                    str(tmp_path / "main.cc"), "-o", str(exe)], check=True)
    lines = subprocess.run([str(exe)], check=True, capture_output=True,
                           text=True).stdout.splitlines()
    size = pte.read_pte(slim_mlp).program.execution_plan[0].non_const_buffer_sizes[1]
    for name, arr in (("first", x), ("second", y)):
        got = [line for line in lines if line.startswith(name + " ")]
        assert got[0] == f"{name} program {len(slim_mlp)} {_hash(slim_mlp)} 0"
        b = arr.astype("<f4").tobytes()
        assert got[1] == f"{name} input 0 {len(b)} {_hash(b)}"
        assert got[2].startswith(f"{name} planned 0 {size} ")
        assert len(got) == 3


def test_one_model_source_unchanged_by_model_name_support(slim_mlp: bytes) -> None:
    text = embed.embed_source(pte.read_pte(slim_mlp), [])
    assert "const uint8_t* const kProgram = kProgramData;" in text
    assert "const size_t kNumPlannedBuffers = 1u;" in text
    assert "EmbeddedModel" not in text


def test_model_name_must_be_an_identifier(slim_mlp: bytes) -> None:
    parsed = pte.read_pte(slim_mlp)
    for bad in ("1kws", "kws-v2", "a__b", ""):
        with pytest.raises(embed.EmbedError, match="not a C\\+\\+ identifier"):
            embed.embed_source(parsed, [], model_name=bad)


def test_sizes_header_in_the_model_namespace(slim_mlp: bytes) -> None:
    parsed = pte.read_pte(slim_mlp)
    text = embed.sizes_header(parsed, 1234, model_name="kws")
    assert "namespace slimtorch_model::kws {" in text
    assert "constexpr size_t kBookkeepingBytes = 1234u;" in text
    assert "SLIMTORCH_BOOKKEEPING_BYTES" not in text  # one macro name cannot serve two models
    assert "#define SLIMTORCH_BOOKKEEPING_BYTES 1234u" in embed.sizes_header(parsed, 1234)
