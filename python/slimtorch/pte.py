"""The `.pte` file layout around the flatbuffer: extended header `eh00` and data segments.

    [root offset][ET12][eh00 header, 32 bytes][rest of flatbuffer][pad][segment 0][pad]
    [segment 1]...

The header is present only when the file carries segment data (FORMAT.md, "File layout").
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from slimtorch import flatbuf, schema
from slimtorch.dtypes import ELEMENT_SIZE

SEGMENT_ALIGNMENT = 128
CONSTANT_ALIGNMENT = 16
HEADER_MAGIC = b"eh00"
HEADER_LENGTH = 32
_HEADER_SEARCH = 64  # readers look for the header this far into the file


class PteError(ValueError):
    """The bytes are not a readable ExecuTorch program (the one error every reader raises)."""


PteFormatError = PteError


def align_up(n: int, alignment: int) -> int:
    return (n + alignment - 1) // alignment * alignment


@dataclass
class PteFile:
    """A parsed program plus the raw file it came from (segments are read lazily)."""

    program: schema.Program
    data: bytes
    segment_base_offset: int  # 0 when the file has no extended header
    program_size: int

    def segment(self, index: int) -> bytes:
        seg = self.program.segments[index]
        start = self.segment_base_offset + seg.offset
        if self.segment_base_offset == 0 and seg.size > 0:
            raise PteError(f"segment {index} has data but the file has no extended header")
        if start + seg.size > len(self.data):
            raise PteError(
                f"segment {index} ({seg.size} bytes at {start}) runs past the end of the "
                f"{len(self.data)}-byte file: the file is truncated"
            )
        return self.data[start : start + seg.size]

    def constant_data(self, buffer_idx: int, nbytes: int) -> bytes:
        """Bytes of constant tensor `buffer_idx` (> 0) from the constant segment."""
        cs = self.program.constant_segment
        if cs is not None and len(cs.offsets) > buffer_idx:
            seg = self.segment(cs.segment_index)
            start = cs.offsets[buffer_idx]
            if start + nbytes > len(seg):
                raise PteError(f"constant {buffer_idx} runs past its segment")
            return seg[start : start + nbytes]
        if buffer_idx < len(self.program.constant_buffer):  # deprecated inline storage
            return self.program.constant_buffer[buffer_idx].storage[:nbytes]
        raise PteError(f"constant buffer index {buffer_idx} is not in the program")

    def delegate_blob(self, delegate: schema.BackendDelegate) -> bytes:
        """The processed blob of `delegate`: inline (Program.backend_delegate_data) or a
        segment, as its BackendDelegateDataReference says."""
        ref = delegate.processed
        if ref is None:
            raise PteError(f"delegate {delegate.id!r} has no processed data reference")
        if ref.location == schema.DataLocation.INLINE:
            if ref.index >= len(self.program.backend_delegate_data):
                raise PteError(f"delegate {delegate.id!r}: inline data index {ref.index} is not "
                               f"one of the {len(self.program.backend_delegate_data)} blobs")
            return self.program.backend_delegate_data[ref.index].data
        if ref.location == schema.DataLocation.SEGMENT:
            if ref.index >= len(self.program.segments):
                raise PteError(f"delegate {delegate.id!r}: segment index {ref.index} is not one "
                               f"of the {len(self.program.segments)} segments")
            return self.segment(ref.index)
        raise PteError(f"delegate {delegate.id!r}: data location {ref.location} is neither "
                       "INLINE (0) nor SEGMENT (1)")

    def named_data(self, key: str) -> bytes | None:
        """The bytes of named data entry `key` (its segment), or None when absent."""
        for entry in self.program.named_data or []:
            if entry.key == key:
                return self.segment(entry.segment_index)
        return None

    @property
    def constant_bytes(self) -> int:
        cs = self.program.constant_segment
        if cs is not None and cs.segment_index < len(self.program.segments) and len(cs.offsets) > 1:
            return self.program.segments[cs.segment_index].size
        return sum(len(b.storage) for b in self.program.constant_buffer)


def _find_header(data: bytes) -> tuple[int, int]:
    """(program_size, segment_base_offset) from the eh00 header, or (len, 0) without one."""
    pos = data.find(HEADER_MAGIC, 0, _HEADER_SEARCH)
    if pos < 0:
        return len(data), 0
    (length,) = struct.unpack_from("<I", data, pos + 4)
    if length < 24 or pos + length > len(data):
        raise PteError(f"extended header at byte {pos} has an invalid length {length}")
    program_size, segment_base = struct.unpack_from("<QQ", data, pos + 8)
    if program_size > len(data) or segment_base > len(data) or segment_base < program_size:
        raise PteError(
            f"extended header says program {program_size} bytes, segments at {segment_base}, "
            f"but the file has {len(data)} bytes: the file is truncated or corrupt"
        )
    return program_size, segment_base


def read_pte(data: bytes, check: bool = True) -> PteFile:
    """Parse a .pte (any ET12 program, upstream's included) and verify it as the runtime does
    at load (`check=False`: only decode, for tests of the wire encoding itself)."""
    data = bytes(data)
    if len(data) < 8 or data[4:8] != schema.FILE_IDENTIFIER:
        ident = data[4:8] if len(data) >= 8 else b""
        raise PteError(
            f"not an ExecuTorch program: file identifier is {ident!r}, expected b'ET12' "
            "(is this a .pte written by ExecuTorch 1.x or slimtorch?)"
        )
    program_size, segment_base = _find_header(data)
    try:
        program = flatbuf.decode(schema.Program, data[:program_size])
    except flatbuf.FlatbufferError as e:
        raise PteError(f"cannot parse the program flatbuffer: {e}") from e
    pf = PteFile(program, data, segment_base, program_size)
    if check:
        verify(pf)
    return pf


def read_pte_file(path: str) -> PteFile:
    return flatbuf.read_file(path, "program", read_pte, PteError)


def write_pte(program: schema.Program, segment_data: list[bytes]) -> bytes:
    """Serialize `program`, placing `segment_data[i]` as segment i (128-byte aligned).

    `program.segments` is rewritten to describe `segment_data`. The extended header is
    written only when some segment has data.
    """
    offsets = []
    pos = 0
    for blob in segment_data:
        pos = align_up(pos, SEGMENT_ALIGNMENT)
        offsets.append(pos)
        pos += len(blob)
    program.segments = [
        schema.DataSegment(o, len(b)) for o, b in zip(offsets, segment_data, strict=True)
    ]
    fb = flatbuf.encode(program)
    total_segments = pos
    if total_segments == 0:
        return fb
    root = struct.unpack_from("<I", fb, 0)[0]
    program_size = len(fb) + HEADER_LENGTH
    segment_base = align_up(program_size, SEGMENT_ALIGNMENT)
    header = HEADER_MAGIC + struct.pack("<IQQQ", HEADER_LENGTH, program_size, segment_base,
                                        total_segments)
    out = bytearray()
    out += struct.pack("<I", root + HEADER_LENGTH)  # the root moves with the inserted header
    out += fb[4:8]
    out += header
    out += fb[8:]
    out += bytes(segment_base - len(out))
    for off, blob in zip(offsets, segment_data, strict=True):
        out += bytes(segment_base + off - len(out))
        out += blob
    return bytes(out)


def pack_constants(blobs: list[bytes]) -> tuple[bytes, list[int]]:
    """Concatenate constant tensors, each starting 16-byte aligned.

    Returns (segment bytes, offsets) with offsets[0] the reserved placeholder 0 and
    offsets[k] the start of blobs[k - 1] (data_buffer_idx k).
    """
    out = bytearray()
    offsets = [0]
    for blob in blobs:
        out += bytes(align_up(len(out), CONSTANT_ALIGNMENT) - len(out))
        offsets.append(len(out))
        out += blob
    return bytes(out), offsets


# ----------------------------------------------------------------------------- verifying
_MAX_DIMS = 16  # the runtime's kMaxTensorDim
_MAX_TENSOR_BYTES = 0x7FFFFFFF


def _check_tensor(pf: PteFile, plan: schema.ExecutionPlan, i: int, t: schema.Tensor) -> None:
    where = f"method {plan.name!r} value {i} (tensor)"
    esize = ELEMENT_SIZE.get(t.scalar_type, 0)
    if esize == 0:
        raise PteError(f"{where}: scalar_type {t.scalar_type} is not an ExecuTorch dtype")
    if len(t.sizes) > _MAX_DIMS:
        raise PteError(f"{where}: sizes has {len(t.sizes)} dims; at most {_MAX_DIMS} are supported")
    if t.shape_dynamism not in (0, 1, 2):
        raise PteError(f"{where}: shape_dynamism {t.shape_dynamism} is unknown")
    nbytes = esize
    for s in t.sizes:
        if s < 0:
            raise PteError(f"{where}: sizes {list(t.sizes)} has a negative dimension")
        nbytes *= s
        if nbytes > _MAX_TENSOR_BYTES:
            raise PteError(f"{where}: sizes {list(t.sizes)} make a tensor of more than 2^31 bytes")
    if t.dim_order and sorted(t.dim_order) != list(range(len(t.sizes))):
        raise PteError(f"{where}: dim_order {list(t.dim_order)} is not a permutation of its "
                       f"{len(t.sizes)} dims")
    a = t.allocation_info
    if a is not None:
        sizes = plan.non_const_buffer_sizes
        if not 0 < a.memory_id < len(sizes):
            raise PteError(f"{where}: allocation_info.memory_id {a.memory_id} has no planned "
                           f"buffer (non_const_buffer_sizes has {len(sizes)} entries)")
        offset = (a.memory_offset_high << 32) | a.memory_offset_low
        if offset + nbytes > sizes[a.memory_id]:
            raise PteError(f"{where}: allocation_info offset {offset} + {nbytes} bytes overruns "
                           f"memory id {a.memory_id} of {sizes[a.memory_id]} bytes")
    elif t.data_buffer_idx > 0:
        cs = pf.program.constant_segment
        if cs is not None and len(cs.offsets) > 1:
            if t.data_buffer_idx >= len(cs.offsets):
                raise PteError(f"{where}: data_buffer_idx {t.data_buffer_idx} is not in the "
                               f"constant segment's {len(cs.offsets)} offsets")
        elif t.data_buffer_idx >= len(pf.program.constant_buffer):
            raise PteError(f"{where}: data_buffer_idx {t.data_buffer_idx} is not in the program")


def _check_plan(pf: PteFile, plan: schema.ExecutionPlan) -> None:
    n_values = len(plan.values)

    def value(idx: int, what: str) -> None:
        if not 0 <= idx < n_values:
            raise PteError(f"method {plan.name!r}: {what} refers to value {idx}, but the method "
                           f"has {n_values} values")

    for k, idx in enumerate(plan.inputs):
        value(idx, f"input {k}")
    for k, idx in enumerate(plan.outputs):
        value(idx, f"output {k}")
    for i, v in enumerate(plan.values):
        x = v.val
        if isinstance(x, schema.Tensor):
            _check_tensor(pf, plan, i, x)
        elif isinstance(x, schema.IntList):
            for item in x.items:
                value(item, f"value {i} (int_list)")
        elif isinstance(x, schema.TensorList | schema.OptionalTensorList):
            for item in x.items:
                if item >= 0 or isinstance(x, schema.TensorList):
                    value(item, f"value {i} ({type(x).__name__})")
    for c, chain in enumerate(plan.chains):
        n_instr = len(chain.instructions)
        for pc, ins in enumerate(chain.instructions):
            a = ins.instr_args
            what = f"chain {c} instruction {pc}"
            if isinstance(a, schema.KernelCall):
                if not 0 <= a.op_index < len(plan.operators):
                    raise PteError(f"method {plan.name!r}: {what}: op_index {a.op_index} is not "
                                   f"one of the {len(plan.operators)} operators")
                for arg in a.args:
                    value(arg, what)
            elif isinstance(a, schema.DelegateCall):
                if not 0 <= a.delegate_index < len(plan.delegates):
                    raise PteError(f"method {plan.name!r}: {what}: delegate_index "
                                   f"{a.delegate_index} is not one of the {len(plan.delegates)} "
                                   "delegates")
                for arg in a.args:
                    value(arg, what)
            elif isinstance(a, schema.MoveCall):
                value(a.move_from, what)
                value(a.move_to, what)
            elif isinstance(a, schema.JumpFalseCall):
                value(a.cond_value_index, what)
                if not 0 <= a.destination_instruction <= n_instr:
                    raise PteError(f"method {plan.name!r}: {what}: jump destination "
                                   f"{a.destination_instruction} is outside the chain's "
                                   f"{n_instr} instructions")
            elif isinstance(a, schema.FreeCall):
                value(a.value_index, what)


def _check_delegates(pf: PteFile, plan: schema.ExecutionPlan) -> None:
    n_inline = len(pf.program.backend_delegate_data)
    n_segments = len(pf.program.segments)
    for i, d in enumerate(plan.delegates):
        where = f"method {plan.name!r} delegate {i} ({d.id!r})"
        if not d.id:
            raise PteError(f"{where}: the backend id is empty")
        ref = d.processed
        if ref is None:
            raise PteError(f"{where}: no processed data reference")
        if ref.location == schema.DataLocation.INLINE:
            if ref.index >= n_inline:
                raise PteError(f"{where}: inline data index {ref.index} is not one of the "
                               f"program's {n_inline} backend_delegate_data blobs")
        elif ref.location == schema.DataLocation.SEGMENT:
            if ref.index >= n_segments:
                raise PteError(f"{where}: segment index {ref.index} is not one of the "
                               f"program's {n_segments} segments")
        else:
            raise PteError(f"{where}: data location {ref.location} is neither INLINE (0) nor "
                           "SEGMENT (1)")
        for k, spec in enumerate(d.compile_specs):
            if spec.key is None:
                raise PteError(f"{where}: compile spec {k} has no key")


def verify(pf: PteFile) -> None:
    """Check what the runtime checks at load (runtime/program/program.cc): every index,
    offset and size refers to something inside the program, so readers can use them."""
    for i, seg in enumerate(pf.program.segments):
        if seg.size > 0 and (pf.segment_base_offset == 0
                             or pf.segment_base_offset + seg.offset + seg.size > len(pf.data)):
            raise PteError(f"segments[{i}] ({seg.size} bytes at {seg.offset}) runs past the end "
                           f"of the {len(pf.data)}-byte file: the file is truncated or corrupt")
    cs = pf.program.constant_segment
    if cs is not None and len(cs.offsets) > 1:
        if not 0 <= cs.segment_index < len(pf.program.segments):
            raise PteError(f"constant_segment.segment_index {cs.segment_index} is not one of the "
                           f"{len(pf.program.segments)} segments")
        size = pf.program.segments[cs.segment_index].size
        for k, off in enumerate(cs.offsets):
            if off > size:
                raise PteError(f"constant_segment.offsets[{k}] = {off} is past the end of its "
                               f"{size}-byte segment")
    for k, entry in enumerate(pf.program.named_data or []):
        if entry.key is None:
            raise PteError(f"named_data[{k}] has no key")
        if not 0 <= entry.segment_index < len(pf.program.segments):
            raise PteError(f"named_data[{k}] ({entry.key!r}): segment index "
                           f"{entry.segment_index} is not one of the "
                           f"{len(pf.program.segments)} segments")
    for plan in pf.program.execution_plan:
        _check_plan(pf, plan)
        _check_delegates(pf, plan)
