"""slimtorch's description of upstream's `bundled_program_schema.fbs` (file identifier BP08).

The tables are dataclasses tagged with their wire kinds exactly as `slimtorch/schema.py` tags
the program's, so the one generic flatbuffer writer and bounds-checked reader (`flatbuf.py`)
handle them. Field order is schema order (it gives the vtable slots); the names are upstream's,
so an error from the reader ("Tensor.data: ...") names the field as the .fbs does.
Scalar types are the program's (`scalar_type.fbs`, `slimtorch.schema.ScalarType`), and so
are the Int, Bool and Double tables (identical in both schemas).
"""

from __future__ import annotations

from dataclasses import dataclass

from slimtorch.schema import Bool, Double, Int, fb

FILE_IDENTIFIER = b"BP08"
# What upstream 1.5.1 writes in BundledProgram.version
# (executorch/devtools/bundled_program/version.py).
SCHEMA_VERSION = 2
TENSOR_DATA_ALIGNMENT = 16  # Tensor.data (force_align: 16)
PROGRAM_ALIGNMENT = 32  # BundledProgram.program (force_align: 32)


@dataclass
class Tensor:
    """A test tensor: logical `sizes`, `data` laid out in `dim_order` (empty: contiguous)."""

    scalar_type: int = fb("i8", 0)
    sizes: list[int] = fb("[i32]", [])
    data: bytes = fb("bytes", b"", align=TENSOR_DATA_ALIGNMENT)
    dim_order: list[int] = fb("[u8]", [])


# ValueUnion: wire tag = index + 1 (0 is NONE). Int, Bool and Double are the program
# schema's tables (the same fields and layout in both .fbs files).
VALUE_TYPES: list[type] = [Tensor, Int, Bool, Double]


@dataclass
class Value:
    val: Tensor | Int | Bool | Double | None = fb("union:ValueUnion", cls=VALUE_TYPES)  # type: ignore[arg-type]


@dataclass
class BundledMethodTestCase:
    inputs: list[Value] = fb("[table]", [], cls=Value)
    expected_outputs: list[Value] = fb("[table]", [], cls=Value)


@dataclass
class BundledMethodTestSuite:
    method_name: str | None = fb("str")
    test_cases: list[BundledMethodTestCase] = fb("[table]", [], cls=BundledMethodTestCase)


@dataclass
class BundledProgram:
    version: int = fb("u32", 0)
    method_test_suites: list[BundledMethodTestSuite] = fb("[table]", [], cls=BundledMethodTestSuite)
    program: bytes = fb("bytes", b"", align=PROGRAM_ALIGNMENT)
