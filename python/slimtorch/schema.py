"""slimtorch's own description of ExecuTorch's `program.fbs` / `scalar_type.fbs` (ET12).

Every table is a dataclass whose fields are declared in schema order; `fb(kind)` tags each
field with its flatbuffer wire kind. Field ids (vtable slots) follow declaration order, a union
field taking two ids (type byte, then value) exactly as flatc assigns them. `flatbuf.py` reads
and writes these classes generically from the tags, so this file is the single description of
the wire format (see /work/shared/FORMAT.md).

Kinds: scalar "u8" "i8" "bool" "u32" "i32" "i64" "u64" "f64"; "str"; "table"; "[u8]" "[i32]"
"[i64]" "[u64]" "[f64]" "[bool]" (vectors, read as lists); "bytes" ([ubyte] blobs, read as
bytes); "[table]"; "union:<Name>". The Python type of a table/[table] field is given by `cls=`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

FILE_IDENTIFIER = b"ET12"


def fb(kind: str, default: Any = None, cls: type | None = None, align: int = 0) -> Any:
    """Declare a flatbuffer field of wire `kind` (see module doc)."""
    meta = {"kind": kind, "cls": cls, "align": align}
    if isinstance(default, list):
        return field(default_factory=list, metadata=meta)
    return field(default=default, metadata=meta)


class ScalarType(IntEnum):
    BYTE = 0
    CHAR = 1
    SHORT = 2
    INT = 3
    LONG = 4
    HALF = 5
    FLOAT = 6
    DOUBLE = 7
    BOOL = 11
    QINT8 = 12
    QUINT8 = 13
    QINT32 = 14
    BFLOAT16 = 15
    QUINT4X2 = 16
    QUINT2X4 = 17
    BITS16 = 22
    FLOAT8E5M2 = 23
    FLOAT8E4M3FN = 24
    FLOAT8E5M2FNUZ = 25
    FLOAT8E4M3FNUZ = 26
    UINT16 = 27
    UINT32 = 28
    UINT64 = 29


class TensorShapeDynamism(IntEnum):
    STATIC = 0
    DYNAMIC_BOUND = 1
    DYNAMIC_UNBOUND = 2


class DataLocation(IntEnum):
    INLINE = 0
    SEGMENT = 1


@dataclass
class ContainerMetadata:
    encoded_inp_str: str | None = fb("str")
    encoded_out_str: str | None = fb("str")


@dataclass
class Null:
    pass


@dataclass
class AllocationDetails:
    memory_id: int = fb("u32", 0)
    memory_offset_low: int = fb("u32", 0)
    memory_offset_high: int = fb("u32", 0)

    @property
    def offset(self) -> int:
        return (self.memory_offset_high << 32) | self.memory_offset_low


@dataclass
class ExtraTensorInfo:
    mutable_data_segments_idx: int = fb("u64", 0)
    fully_qualified_name: str | None = fb("str")
    location: int = fb("i8", 0)  # TensorDataLocation: SEGMENT 0, EXTERNAL 1
    device_type: int = fb("i8", 0)  # DeviceType: CPU 0, CUDA 1
    device_index: int = fb("i8", 0)


@dataclass
class Tensor:
    scalar_type: int = fb("i8", 0)
    storage_offset: int = fb("i32", 0)
    sizes: list[int] = fb("[i32]", [])
    dim_order: list[int] = fb("[u8]", [])
    requires_grad: bool = fb("bool", False)
    data_buffer_idx: int = fb("u32", 0)
    allocation_info: AllocationDetails | None = fb("table", cls=AllocationDetails)
    layout: int = fb("i8", 0)
    shape_dynamism: int = fb("i8", 0)
    extra_tensor_info: ExtraTensorInfo | None = fb("table", cls=ExtraTensorInfo)


@dataclass
class Int:
    int_val: int = fb("i64", 0)


@dataclass
class Bool:
    bool_val: bool = fb("bool", False)


@dataclass
class Double:
    double_val: float = fb("f64", 0.0)


@dataclass
class String:
    string_val: str | None = fb("str")


@dataclass
class IntList:
    items: list[int] = fb("[i64]", [])  # indices of Int values, not integers


@dataclass
class DoubleList:
    items: list[float] = fb("[f64]", [])


@dataclass
class BoolList:
    items: list[bool] = fb("[bool]", [])


@dataclass
class TensorList:
    items: list[int] = fb("[i32]", [])  # value indices


@dataclass
class OptionalTensorList:
    items: list[int] = fb("[i32]", [])  # value indices, -1 for None


# Union member order is the wire type tag - 1 (tag 0 is NONE).
KERNEL_TYPES: list[type] = [
    Null, Int, Bool, Double, Tensor, String, IntList, DoubleList, BoolList, TensorList,
    OptionalTensorList,
]

KernelValue = (
    Null | Int | Bool | Double | Tensor | String | IntList | DoubleList | BoolList | TensorList
    | OptionalTensorList
)


@dataclass
class EValue:
    val: KernelValue | None = fb("union:KernelTypes")


@dataclass
class Operator:
    name: str | None = fb("str")
    overload: str | None = fb("str")


@dataclass
class KernelCall:
    op_index: int = fb("i32", 0)
    args: list[int] = fb("[i32]", [])


@dataclass
class DelegateCall:
    delegate_index: int = fb("i32", 0)
    args: list[int] = fb("[i32]", [])


@dataclass
class MoveCall:
    move_from: int = fb("i32", 0)
    move_to: int = fb("i32", 0)


@dataclass
class JumpFalseCall:
    cond_value_index: int = fb("i32", 0)
    destination_instruction: int = fb("i32", 0)


@dataclass
class FreeCall:
    value_index: int = fb("i32", 0)


INSTRUCTION_TYPES: list[type] = [KernelCall, DelegateCall, MoveCall, JumpFalseCall, FreeCall]

InstructionArgs = KernelCall | DelegateCall | MoveCall | JumpFalseCall | FreeCall


@dataclass
class Instruction:
    instr_args: InstructionArgs | None = fb("union:InstructionArguments")


@dataclass
class Frame:
    filename: str | None = fb("str")
    lineno: int = fb("i32", 0)
    name: str | None = fb("str")
    context: str | None = fb("str")


@dataclass
class FrameList:
    items: list[Frame] = fb("[table]", [], cls=Frame)


@dataclass
class BackendDelegateDataReference:
    location: int = fb("i8", 0)  # DataLocation
    index: int = fb("u32", 0)


@dataclass
class CompileSpec:
    key: str | None = fb("str")
    value: bytes = fb("bytes", b"")


@dataclass
class BackendDelegate:
    id: str | None = fb("str")
    processed: BackendDelegateDataReference | None = fb("table", cls=BackendDelegateDataReference)
    compile_specs: list[CompileSpec] = fb("[table]", [], cls=CompileSpec)


@dataclass
class Chain:
    inputs: list[int] = fb("[i32]", [])
    outputs: list[int] = fb("[i32]", [])
    instructions: list[Instruction] = fb("[table]", [], cls=Instruction)
    stacktrace: list[FrameList] | None = fb("[table]", cls=FrameList)


@dataclass
class NonConstBufferDevice:
    buffer_idx: int = fb("i32", 0)
    device_type: int = fb("i8", 0)
    device_index: int = fb("i8", 0)


@dataclass
class ExecutionPlan:
    name: str | None = fb("str")
    container_meta_type: ContainerMetadata | None = fb("table", cls=ContainerMetadata)
    values: list[EValue] = fb("[table]", [], cls=EValue)
    inputs: list[int] = fb("[i32]", [])
    outputs: list[int] = fb("[i32]", [])
    chains: list[Chain] = fb("[table]", [], cls=Chain)
    operators: list[Operator] = fb("[table]", [], cls=Operator)
    delegates: list[BackendDelegate] = fb("[table]", [], cls=BackendDelegate)
    non_const_buffer_sizes: list[int] = fb("[i64]", [])
    non_const_buffer_device: list[NonConstBufferDevice] | None = fb(
        "[table]", cls=NonConstBufferDevice
    )


@dataclass
class Buffer:
    storage: bytes = fb("bytes", b"", align=16)


@dataclass
class BackendDelegateInlineData:
    data: bytes = fb("bytes", b"", align=16)


@dataclass
class DataSegment:
    offset: int = fb("u64", 0)
    size: int = fb("u64", 0)


@dataclass
class SubsegmentOffsets:
    segment_index: int = fb("u32", 0)
    offsets: list[int] = fb("[u64]", [])


@dataclass
class NamedData:
    key: str | None = fb("str")
    segment_index: int = fb("u32", 0)


@dataclass
class Program:
    version: int = fb("u32", 0)
    execution_plan: list[ExecutionPlan] = fb("[table]", [], cls=ExecutionPlan)
    constant_buffer: list[Buffer] = fb("[table]", [], cls=Buffer)
    backend_delegate_data: list[BackendDelegateInlineData] = fb(
        "[table]", [], cls=BackendDelegateInlineData
    )
    segments: list[DataSegment] = fb("[table]", [], cls=DataSegment)
    constant_segment: SubsegmentOffsets | None = fb("table", cls=SubsegmentOffsets)
    mutable_data_segments: list[SubsegmentOffsets] | None = fb("[table]", cls=SubsegmentOffsets)
    named_data: list[NamedData] | None = fb("[table]", cls=NamedData)


UNIONS: dict[str, list[type]] = {
    "KernelTypes": KERNEL_TYPES,
    "InstructionArguments": INSTRUCTION_TYPES,
}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str
    slot: int  # field id; a union's type byte is at `slot`, its value at `slot + 1`
    default: Any
    cls: type | None
    align: int


_SPECS: dict[type, list[FieldSpec]] = {}


def field_specs(cls: type) -> list[FieldSpec]:
    """The wire layout of table class `cls`, in schema order (cached)."""
    specs = _SPECS.get(cls)
    if specs is None:
        specs = []
        slot = 0
        for f in dataclasses.fields(cls):
            kind = f.metadata["kind"]
            default = f.default if f.default is not dataclasses.MISSING else None
            specs.append(FieldSpec(f.name, kind, slot, default, f.metadata["cls"],
                                   f.metadata["align"]))
            slot += 2 if kind.startswith("union:") else 1
        _SPECS[cls] = specs
    return specs


def num_slots(cls: type) -> int:
    specs = field_specs(cls)
    if not specs:
        return 0
    last = specs[-1]
    return last.slot + (2 if last.kind.startswith("union:") else 1)
