"""slimtorch's description of upstream's ETDump (`etdump_schema_flatcc.fbs`, identifier ED00).

The tables are dataclasses in schema order, tagged with `slimtorch.schema.fb` like the program
schema, so `slimtorch.flatbuf` reads (and, for tests, writes) them: one flatbuffer reader for
every format. The file is a *size-prefixed* flatbuffer: a little-endian uint32 length, then
the root offset, then `ED00`.

Field notes (from upstream's runtime, `devtools/etdump/etdump_flatcc.cpp` and
`runtime/executor/method.cpp`): an instruction's events carry `chain_index` (the chain) and
`instruction_id` (the instruction's index in that chain); method-level events
(`Program::load_method`, `Method::init`, `Method::execute`) carry `chain_index` -1. Times are
platform ticks; slimtorch's runtime and upstream's host runtime write nanoseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from slimtorch.schema import Bool, Double, Int, fb  # same tables as the program's

FILE_IDENTIFIER = b"ED00"
UNSET_CHAIN = -1  # chain_index of method-level events
UNSET_ID = -1  # instruction_id / delegate_debug_id_int default


class ValueType(IntEnum):
    Null = 0
    Int = 1
    Bool = 2
    Float = 3
    Double = 4
    Tensor = 5
    TensorList = 6
    String = 7


@dataclass
class Tensor:
    scalar_type: int = fb("i8", 0)
    sizes: list[int] = fb("[i64]", [])
    strides: list[int] = fb("[i64]", [])
    offset: int = fb("i64", 0)


@dataclass
class Float:
    float_val: float = fb("f32", 0.0)


@dataclass
class TensorList:
    tensors: list[Tensor] = fb("[table]", [], cls=Tensor)


@dataclass
class Value:
    val: int = fb("i8", 0)  # ValueType (a plain enum byte, not a union)
    tensor: Tensor | None = fb("table", cls=Tensor)
    tensor_list: TensorList | None = fb("table", cls=TensorList)
    int_value: Int | None = fb("table", cls=Int)
    float_value: Float | None = fb("table", cls=Float)
    double_value: Double | None = fb("table", cls=Double)
    bool_value: Bool | None = fb("table", cls=Bool)
    output: Bool | None = fb("table", cls=Bool)


@dataclass
class DebugEvent:
    chain_index: int = fb("u64", 0)
    instruction_id: int = fb("i32", UNSET_ID)
    debug_entry: Value | None = fb("table", cls=Value)
    delegate_debug_id_int: int = fb("i32", UNSET_ID)
    delegate_debug_id_str: str | None = fb("str")
    name: str | None = fb("str")


@dataclass
class AllocationEvent:
    allocator_id: int = fb("i32", 0)
    allocation_size: int = fb("u64", 0)


@dataclass
class ProfileEvent:
    name: str | None = fb("str")
    chain_index: int = fb("i32", 0)
    instruction_id: int = fb("i32", UNSET_ID)
    delegate_debug_id_int: int = fb("i32", UNSET_ID)
    delegate_debug_id_str: str | None = fb("str")
    delegate_debug_metadata: bytes | None = fb("bytes")
    start_time: int = fb("u64", 0)
    end_time: int = fb("u64", 0)


@dataclass
class Event:  # exactly one of the three is set
    profile_event: ProfileEvent | None = fb("table", cls=ProfileEvent)
    allocation_event: AllocationEvent | None = fb("table", cls=AllocationEvent)
    debug_event: DebugEvent | None = fb("table", cls=DebugEvent)


@dataclass
class Allocator:
    name: str | None = fb("str")


@dataclass
class RunData:
    name: str | None = fb("str")
    bundled_input_index: int = fb("i32", -1)
    allocators: list[Allocator] = fb("[table]", [], cls=Allocator)
    events: list[Event] = fb("[table]", [], cls=Event)


@dataclass
class ETDump:
    version: int = fb("u32", 0)
    run_data: list[RunData] = fb("[table]", [], cls=RunData)
