"""`slimtorch embed`: C++ source defining the symbols of app/embedded_model.h.

Program bytes and inputs become `alignas(16)` const arrays (flash on a microcontroller);
each planned buffer (memory id 1..N) becomes a zero-initialised 16-byte aligned array
(.bss). Bytes are written 16 per line as hex.

When the memory names the program was planned for are given (`--memory dtcm --memory sram`,
in export order), memory id i+1's buffer is put, on bare-metal Arm builds, in the linker
section `.<name>.slimtorch`; the board's linker script (platforms/arm_m/mps3_an547.ld) has
an output section `.<name>` in the matching region (dtcm -> DTCM 0x20000000, sram -> SRAM
0x21000000). Host builds ignore the names.
"""

from __future__ import annotations

import os
import re

import numpy as np

from slimtorch import schema
from slimtorch.dtypes import NUMPY_DTYPE, scalar_type_name
from slimtorch.npy import NpyError, load_npy
from slimtorch.pte import PteFile


class EmbedError(Exception):
    """The inputs do not fit the program."""


def _hex_lines(data: bytes) -> str:
    if not data:
        return "    0x00,\n"
    lines = []
    for i in range(0, len(data), 16):
        lines.append("    0x" + data[i : i + 16].hex(",").replace(",", ",0x") + ",\n")
    return "".join(lines)


def _byte_array(name: str, data: bytes, const: bool = True) -> str:
    qual = "const " if const else ""
    return (f"alignas(16) {qual}uint8_t {name}[{max(len(data), 1)}] = {{\n"
            f"{_hex_lines(data)}}};\n")


def method_input_count(pte: PteFile) -> int:
    """The number of inputs method 0 of `pte` takes."""
    plans = pte.program.execution_plan
    return len(plans[0].inputs) if plans else 0


def check_input(pte: PteFile, k: int, arr: np.ndarray, path: str) -> bytes:
    """The bytes of input `k` (little-endian, C order), after checking its dtype and shape
    against what method 0 declares; EmbedError names the input, the file and the fix."""
    plan = pte.program.execution_plan[0]
    v = plan.values[plan.inputs[k]].val
    if isinstance(v, schema.Tensor):
        want = NUMPY_DTYPE.get(v.scalar_type)
        if want is not None and arr.dtype != want:
            raise EmbedError(f"input {k} ({path}) has dtype {arr.dtype}, the program expects "
                             f"{scalar_type_name(v.scalar_type)}; save it with that dtype")
        if list(arr.shape) != list(v.sizes) and v.shape_dynamism == 0:
            raise EmbedError(f"input {k} ({path}) has shape {list(arr.shape)}, the program "
                             f"expects {list(v.sizes)}; save it with that shape")
    return np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()


def load_inputs(pte: PteFile, paths: list[str]) -> list[tuple[np.ndarray, bytes]]:
    """Each input file as (array, bytes to embed), checked against method 0: their number,
    and each one's dtype and shape (EmbedError naming the cause and the fix)."""
    n_inputs = method_input_count(pte)
    if len(paths) != n_inputs:
        raise EmbedError(f"{len(paths)} --input files given, the program's first method "
                         f"takes {n_inputs} inputs; give one --input X.npy per input, in "
                         "order (slimtorch inspect PROGRAM.pte lists them)")
    loaded = []
    for k, path in enumerate(paths):
        if not os.path.isfile(path):
            raise EmbedError(f"input {k}: file {path} does not exist; give the path of a "
                             ".npy file (numpy.save writes one)")
        with open(path, "rb") as f:
            if f.read(6) != b"\x93NUMPY":
                raise EmbedError(f"input {k} ({path}) is not a .npy file; write it with "
                                 "numpy.save")
        try:
            arr = load_npy(path)
        except NpyError as e:
            raise EmbedError(f"input {k}: {e}") from None
        loaded.append((arr, check_input(pte, k, arr, path)))
    return loaded


_CPP_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_model_name(name: str) -> None:
    """EmbedError unless `name` can name a C++ object (`slimtorch_app::models::<name>`)."""
    if not _CPP_IDENTIFIER.fullmatch(name) or "__" in name:
        raise EmbedError(f"model name {name!r} is not a C++ identifier (letters, digits and "
                         "single underscores, not starting with a digit); rename the model")


def embed_source(pte: PteFile | None, inputs: list[str], program_name: str = "",
                 memory_names: list[str] | None = None, model_name: str | None = None,
                 bundle: bytes | None = None) -> str:
    """The C++ source; `pte` None gives the empty variant (kProgramSize 0). `memory_names[i]`
    names memory id i+1 (its linker section on bare-metal Arm). With `model_name`, the source
    defines one `slimtorch_app::EmbeddedModel` `slimtorch_app::models::<model_name>` instead of
    the one-model symbols, so several embedded models link into one image. With `bundle` (the
    bytes of a `.bpte` whose program is `pte`), the embedded bytes are the bundle's, the
    planned buffers `pte`'s, and there are no inputs: the self-test image
    (app/selftest_main.cc) takes its inputs from the bundle's test cases."""
    if bundle is not None:
        if pte is None or inputs or model_name is not None:
            raise EmbedError("--bundle needs the bundle's PROGRAM.pte, and no --input or "
                             "--model-name")
        if bundle[4:8] != b"BP08":
            raise EmbedError("--bundle: not a bundled program (no BP08 file identifier); "
                             "write one with `slimtorch bundle`")
        if pte.data not in bundle:
            raise EmbedError("--bundle: the bundle does not hold PROGRAM.pte; give the program "
                             "it was bundled from (its planned buffers are embedded)")
    if model_name is not None:
        check_model_name(model_name)
        if pte is None:
            raise EmbedError("--model-name needs a program; drop --none")
    out = [f"// Generated by `slimtorch embed` from {program_name or 'no program'}. "
           "Do not edit.\n", '#include "app/embedded_model.h"\n\n',
           "namespace slimtorch_app {\nnamespace {\n\n"]
    program = bundle if bundle is not None else pte.data if pte is not None else b""
    out.append(_byte_array("kProgramData", program))
    input_entries: list[str] = []
    if pte is not None and inputs:
        for k, (arr, data) in enumerate(load_inputs(pte, inputs)):
            out.append(_byte_array(f"kInput{k}", data))
            dims = ", ".join(str(int(d)) for d in arr.shape) or "0"
            out.append(f"const int32_t kShape{k}[{max(arr.ndim, 1)}] = {{{dims}}};\n")
            input_entries.append(f"{{kInput{k}, {len(data)}u, kShape{k}, {arr.ndim}u}}")
    sizes: list[int] = []
    if pte is not None and pte.program.execution_plan:
        sizes = list(pte.program.execution_plan[0].non_const_buffer_sizes[1:])
    names = memory_names or []
    if names and len(names) != len(sizes):
        raise EmbedError(f"{len(names)} --memory names given, the program has {len(sizes)} "
                         "planned memories: give the same --memory list as to slimtorch export")
    planned_entries = []
    if names:
        out.append("#if defined(__arm__) && !defined(__linux__)\n"
                   "#define SLIMTORCH_MEMORY(name) "
                   "__attribute__((section(\".\" name \".slimtorch\")))\n"
                   "#else\n#define SLIMTORCH_MEMORY(name)\n#endif\n")
    for i, size in enumerate(sizes):
        where = f'SLIMTORCH_MEMORY("{names[i]}") ' if names else ""
        label = f" ({names[i]})" if names else ""
        out.append(f"{where}alignas(16) uint8_t kPlanned{i + 1}[{max(size, 1)}];  "
                   f"// memory id {i + 1}{label}\n")
        planned_entries.append(f"{{kPlanned{i + 1}, {size}u}}")
    # A named model's tables are private to its source (anonymous namespace), under names
    # that do not clash with the one-model symbols app/embedded_model.h declares.
    inputs_name = "kModelInputs" if model_name else "kInputs"
    planned_name = "kModelPlannedBuffers" if model_name else "kPlannedBuffers"
    tables = (f"const EmbeddedInput {inputs_name}[] = {{\n    "
              + (",\n    ".join(input_entries) or "{nullptr, 0u, nullptr, 0u}") + "};\n"
              + ("" if model_name else f"const size_t kNumInputs = {len(input_entries)}u;\n")
              + f"\nconst PlannedBuffer {planned_name}[] = {{\n    "
              + (",\n    ".join(planned_entries) or "{nullptr, 0u}") + "};\n"
              + ("" if model_name
                 else f"const size_t kNumPlannedBuffers = {len(planned_entries)}u;\n"))
    if model_name:
        # Everything above stays in the anonymous namespace: the model's one public
        # symbol is its EmbeddedModel (declared by model_library()'s header).
        out.append("\n" + tables + "\n}  // namespace\n\nnamespace models {\n\n")
        out.append(f"extern const EmbeddedModel {model_name} = {{\n"
                   f"    \"{model_name}\", kProgramData, {len(program)}u,\n"
                   f"    {inputs_name}, {len(input_entries)}u,\n"
                   f"    {planned_name}, {len(planned_entries)}u}};\n\n"
                   "}  // namespace models\n")
    else:
        out.append("\n}  // namespace\n\n")
        out.append("const uint8_t* const kProgram = kProgramData;\n")
        out.append(f"const size_t kProgramSize = {len(program)}u;\n\n")
        out.append(tables + "\n")
    out.append("}  // namespace slimtorch_app\n")
    return "".join(out)


def sizes_header(pte: PteFile, bookkeeping_bytes: int, memory_names: list[str] | None = None,
                 program_name: str = "", model_name: str | None = None) -> str:
    """A C++ header with every byte count an application must reserve for method 0 of `pte`:
    one planned buffer per memory id, and the runtime's bookkeeping arena
    (`bookkeeping_bytes`, measured by the build on the target platform, see
    tools/memory/bookkeeping_probe.cc). The figures are in namespace `slimtorch_model`, or,
    for one model of several in an image (`model_name`), `slimtorch_model::<model_name>`
    (and without the one-model macro SLIMTORCH_BOOKKEEPING_BYTES)."""
    namespace = "slimtorch_model"
    if model_name is not None:
        check_model_name(model_name)
        namespace += "::" + model_name
    plan = pte.program.execution_plan[0] if pte.program.execution_plan else None
    sizes = list(plan.non_const_buffer_sizes[1:]) if plan is not None else []
    names = memory_names or []
    if names and len(names) != len(sizes):
        raise EmbedError(f"{len(names)} memory names given, the program has {len(sizes)} "
                         "planned memories: give the same --memory list as to slimtorch export")
    out = [f"// Generated by `slimtorch sizes-header` from {program_name or 'a program'}: the "
           "bytes an application\n// must reserve for it on this platform. Do not edit.\n",
           f"#pragma once\n\n#include <stddef.h>\n\nnamespace {namespace} {{\n\n",
           f"// Program bytes (flash).\nconstexpr size_t kProgramBytes = {len(pte.data)}u;\n\n",
           "// Runtime bookkeeping arena for Method::init (MemoryConfig.arena): what\n"
           "// Method::bookkeeping_bytes_needed returns for this program, measured by running\n"
           "// the runtime built for this platform (struct and pointer sizes of the target).\n",
           f"constexpr size_t kBookkeepingBytes = {bookkeeping_bytes}u;\n\n",
           "// Planned buffers (MemoryConfig.planned[i] backs memory id i + 1), 16-byte aligned.\n",
           f"constexpr size_t kNumPlannedBuffers = {len(sizes)}u;\n"]
    for i, size in enumerate(sizes):
        label = f" ({names[i]})" if names else ""
        out.append(f"constexpr size_t kPlannedBytes{i + 1} = {size}u;  // memory id {i + 1}"
                   f"{label}\n")
    for i, name in enumerate(names):
        out.append(f"constexpr size_t kPlannedBytes_{name} = {sizes[i]}u;\n")
    total = sum(sizes)
    out.append(f"\n// Everything above that lives in RAM.\nconstexpr size_t kTotalRamBytes = "
               f"{total + bookkeeping_bytes}u;\n\n}}  // namespace {namespace}\n")
    if model_name is None:
        out.append(f"\n#define SLIMTORCH_BOOKKEEPING_BYTES {bookkeeping_bytes}u\n")
    return "".join(out)
