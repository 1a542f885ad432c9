"""Planned memory: which memory (memory id) and which offset each planned tensor gets.

Model of the problem
--------------------
Every planned tensor has a *lifetime*: the inclusive interval [first, last] of instruction
indices during which its bytes must stay intact (`TensorLifetime`; inputs start at -1, outputs end
at len(instructions)). Two tensors may share bytes when their intervals do not overlap.
`tensor_lifetimes()` derives the intervals from a method's instructions; it is the only
place that knows about instructions, so control flow feeds in there:

- Branches of a conditional are emitted one after the other (`jump_false` over the other
  branch), so tensors local to one branch have intervals disjoint from those local to the
  other and share bytes without further ado; a result written in both branches is one value
  whose interval covers both.
- A loop is a backward jump from instruction j to d <= j. Any tensor touched inside the body
  [d, j] is kept live over the whole body (its interval is widened to cover [d, j]), because
  the next iteration may read what this one wrote. Nested loops are handled by repeating
  until nothing changes.

The lower bound of one memory is the largest, over instruction indices, of the aligned bytes
of its tensors live at that index; no plan can be smaller. `plan_memory` packs one memory:
it runs a few greedy orders (largest first, longest-lived first, earliest first, largest
area first), each placing a tensor at the lowest offset gap that fits it among the already
placed tensors whose lifetimes overlap its own (first fit) or in the smallest such gap (best
fit), and keeps the smallest result.

Memory hierarchies (`plan_hierarchy`)
-------------------------------------
Memories are given fastest first, each with a capacity (or None: unbounded). Placement
policy: tensors are ranked by *accesses per byte-instruction held*: the number of
instructions that read or write the tensor divided by the length of its lifetime (ties: the
smaller tensor first). The fastest memory takes tensors in that order as long as its live
bytes stay within its capacity at every instruction; what does not fit goes to the next
memory (spill down). Each memory is then packed with `plan_memory`; if fragmentation makes a
packed memory exceed its capacity, its lowest-ranked tensor moves down one memory and the
memory is packed again. Memory i of the list is written into the program as memory id i + 1.
A model that cannot fit raises `MemoryPlanError` naming bytes needed and available per memory.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from slimtorch import schema
from slimtorch.dtypes import ELEMENT_SIZE

ALIGNMENT = 16


class MemoryPlanError(Exception):
    """The planned tensors do not fit the declared memories, or a memory spec is malformed."""


@dataclass(frozen=True)
class TensorLifetime:
    """One tensor to place: `key` (its value index in the method: the id a planner returns
    a placement for), its byte size and the inclusive instruction interval [first, last]
    during which its bytes must stay intact (inputs start at -1, outputs end at the number
    of instructions). `accesses` is how many instructions touch it (for the hierarchy
    placement policy), `name` the graph node that made it (for messages; "v<key>" when the
    program came without a graph), `alignment` the byte alignment its offset needs."""

    key: int
    nbytes: int
    first: int
    last: int
    accesses: int = 1
    name: str = ""
    alignment: int = ALIGNMENT

    def overlaps(self, other: TensorLifetime) -> bool:
        return self.first <= other.last and other.first <= self.last

    def describe(self) -> str:
        name = self.name or f"v{self.key}"
        return f"{name} ({self.nbytes} bytes, live [{self.first}, {self.last}])"


@dataclass(frozen=True)
class Memory:
    """A memory the user declares: a name (the board region, e.g. 'dtcm') and a capacity in
    bytes (None: unbounded)."""

    name: str
    size: int | None = None


DEFAULT_MEMORIES = (Memory("planned", None),)


@dataclass(frozen=True)
class Placement:
    """Where a planner puts one tensor: `memory`, the index into the memories it was given
    (0-based; it becomes memory id memory + 1 in the program), and a byte `offset` in it."""

    memory: int
    offset: int


# A memory planner: (tensors to place, memories fastest first) -> a placement per tensor key.
# `plan_hierarchy` is slimtorch's; whatever a planner returns is checked by `verify_plan`.
Planner = Callable[[Sequence[TensorLifetime], Sequence[Memory]], Mapping[int, Placement]]


def align(n: int, alignment: int = ALIGNMENT) -> int:
    return (n + alignment - 1) // alignment * alignment


_UNITS = {"": 1, "B": 1, "K": 1024, "KB": 1024, "KIB": 1024, "M": 1 << 20, "MB": 1 << 20,
          "MIB": 1 << 20, "G": 1 << 30, "GB": 1 << 30, "GIB": 1 << 30}


def parse_memory(spec: str) -> Memory:
    """'dtcm:64K' -> Memory('dtcm', 65536); 'sram' (no size) -> unbounded."""
    name, _, size = spec.partition(":")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise MemoryPlanError(f"memory {spec!r}: the name must be an identifier (e.g. dtcm:64K)")
    if not size:
        return Memory(name, None)
    m = re.fullmatch(r"(\d+)\s*([A-Za-z]*)", size.strip())
    if m is None or m.group(2).upper() not in _UNITS:
        raise MemoryPlanError(f"memory {spec!r}: size must be a number with an optional unit "
                              "K, M or G (powers of 1024), e.g. dtcm:64K")
    return Memory(name, int(m.group(1)) * _UNITS[m.group(2).upper()])


# ------------------------------------------------------------------------------ lifetimes
def touched_values(ins: schema.Instruction) -> list[int]:
    """Value indices an instruction reads or writes directly (list values, not their items)."""
    a = ins.instr_args
    if isinstance(a, schema.KernelCall | schema.DelegateCall):
        return list(a.args)
    if isinstance(a, schema.MoveCall):
        return [a.move_from, a.move_to]
    if isinstance(a, schema.JumpFalseCall):
        return [a.cond_value_index]
    if isinstance(a, schema.FreeCall):
        return [a.value_index]
    return []


def tensor_lifetimes(
    values: list[schema.EValue], instructions: list[schema.Instruction],
    inputs: list[int], outputs: list[int],
) -> dict[int, tuple[int, int, int]]:
    """{value index: (first, last, accesses)} for every tensor value an instruction, input or
    output touches. Tensors inside TensorList/OptionalTensorList arguments count as touched.
    Control flow:
    - a MoveCall makes its destination an alias of its source (cond results), so the source
      stays live as long as the destination is used;
    - loops (backward jump_false) widen what their body touches to the whole body: the next
      iteration reads it again;
    - a DelegateCall may run asynchronously (runtime/backend/backend.h: start, then wait at
      the first instruction that conflicts, the next call of that delegate, or the end of
      execute), so its inputs and outputs stay live, their bytes reused by no other tensor,
      until the first later instruction that reads one of its outputs (or the end). Its
      outputs are the args no earlier instruction or method input touched (DelegateCall
      args are inputs then outputs; a constant has no planned bytes)."""
    spans: dict[int, list[int]] = {}

    def touch(idx: int, at: int) -> None:
        if idx < 0 or idx >= len(values):
            return
        v = values[idx].val
        if isinstance(v, schema.TensorList | schema.OptionalTensorList):
            for item in v.items:
                touch(item, at)
            return
        if not isinstance(v, schema.Tensor):
            return
        s = spans.setdefault(idx, [at, at, 0])
        s[0], s[1], s[2] = min(s[0], at), max(s[1], at), s[2] + 1

    for idx in inputs:
        touch(idx, -1)
    loops: list[tuple[int, int]] = []
    moves: list[tuple[int, int]] = []  # (source, destination)
    for i, ins in enumerate(instructions):
        for idx in touched_values(ins):
            touch(idx, i)
        a = ins.instr_args
        if isinstance(a, schema.JumpFalseCall) and a.destination_instruction <= i:
            loops.append((a.destination_instruction, i))
        elif isinstance(a, schema.MoveCall):
            moves.append((a.move_from, a.move_to))
    for idx in outputs:
        touch(idx, len(instructions))
    _extend_delegates(values, instructions, inputs, spans)

    def widen(s: list[int], first: int, last: int) -> bool:
        if first < s[0] or last > s[1]:
            s[0], s[1] = min(s[0], first), max(s[1], last)
            return True
        return False

    changed = bool(loops or moves)
    while changed:  # aliases and loops feed each other (a cond inside a loop, ...)
        changed = False
        for src, dst in moves:
            if src in spans and dst in spans:
                changed |= widen(spans[src], spans[dst][0], spans[dst][1])
        for start, end in loops:
            for s in spans.values():
                if s[0] <= end and start <= s[1]:
                    changed |= widen(s, start, end)
    return {k: (s[0], s[1], s[2]) for k, s in spans.items()}


def _extend_delegates(values: list[schema.EValue], instructions: list[schema.Instruction],
                      inputs: list[int], spans: dict[int, list[int]]) -> None:
    """Widens the lifetimes of every DelegateCall's tensors (see tensor_lifetimes)."""
    calls = [i for i, ins in enumerate(instructions)
             if isinstance(ins.instr_args, schema.DelegateCall)]
    if not calls:
        return
    touched_at: list[set[int]] = []  # per instruction: tensor values it touches (list items too)
    for ins in instructions:
        seen: set[int] = set()
        for idx in touched_values(ins):
            v = values[idx].val if 0 <= idx < len(values) else None
            if isinstance(v, schema.TensorList | schema.OptionalTensorList):
                seen.update(i for i in v.items if i >= 0)
            else:
                seen.add(idx)
        touched_at.append(seen)
    before: set[int] = set(inputs)
    start = 0
    for i in calls:
        for k in range(start, i):
            before |= touched_at[k]
        start = i
        args = [a for a in touched_at[i] if a in spans]
        # Constants and buffers with initial values (data_buffer_idx > 0) are never outputs.
        outs = {a for a in args if a not in before
                and getattr(values[a].val, "data_buffer_idx", 0) == 0}
        end = next((k for k in range(i + 1, len(instructions)) if touched_at[k] & outs),
                   len(instructions))
        for a in args:
            spans[a][1] = max(spans[a][1], end)


def lower_bound(tensors: Iterable[TensorLifetime], alignment: int = ALIGNMENT) -> int:
    """Largest, over instruction indices, of the aligned bytes of the tensors live there."""
    events: dict[int, int] = {}
    for t in tensors:
        if t.nbytes <= 0:
            continue
        n = align(t.nbytes, alignment)
        events[t.first] = events.get(t.first, 0) + n
        events[t.last + 1] = events.get(t.last + 1, 0) - n
    best = live = 0
    for at in sorted(events):
        live += events[at]
        best = max(best, live)
    return best


# ------------------------------------------------------------------------------ packing
def _pack(order: list[TensorLifetime], alignment: int,
          best_fit: bool) -> tuple[dict[int, int], int]:
    placed: list[tuple[int, int, TensorLifetime]] = []  # (offset, end, lifetime)
    offsets: dict[int, int] = {}
    total = 0
    for t in order:
        size = align(t.nbytes, alignment)
        busy = sorted((off, end) for off, end, other in placed if other.overlaps(t))
        best: tuple[int, int] | None = None  # (gap size, offset)
        cursor = 0
        for off, end in busy:
            gap = off - cursor
            if gap >= size and (best is None or gap < best[0]):
                best = (gap, cursor)
                if not best_fit:
                    break
            cursor = max(cursor, end)
        offset = best[1] if best is not None else cursor
        offsets[t.key] = offset
        if size:
            placed.append((offset, offset + size, t))
        total = max(total, offset + size)
    return offsets, total


_ORDERS = (
    lambda t: (-t.nbytes, t.first, t.key),                             # largest first
    lambda t: (-(t.last - t.first), -t.nbytes, t.key),                 # longest-lived first
    lambda t: (t.first, -t.nbytes, t.key),                             # earliest first
    lambda t: (-t.nbytes * (t.last - t.first + 1), t.key),             # largest area first
)


def plan_memory(tensors: list[TensorLifetime],
                alignment: int = ALIGNMENT) -> tuple[dict[int, int], int]:
    """Returns ({key: byte offset}, total buffer size) for one memory (see module doc)."""
    best: tuple[dict[int, int], int] | None = None
    bound = lower_bound(tensors, alignment)
    for order in _ORDERS:
        for best_fit in (True, False):
            result = _pack(sorted(tensors, key=order), alignment, best_fit)
            if best is None or result[1] < best[1]:
                best = result
            if best[1] <= bound:
                return best
    assert best is not None
    return best


def _rank(t: TensorLifetime) -> tuple[float, int, int]:
    return (-t.accesses / (t.last - t.first + 1), t.nbytes, t.key)


def plan_hierarchy(tensors: Sequence[TensorLifetime],
                   memories: Sequence[Memory]) -> dict[int, Placement]:
    """slimtorch's planner: places tensors across `memories` (fastest first) by the policy
    of the module doc. A Planner like any user's (its result is verified the same way)."""
    if not memories:
        raise MemoryPlanError("no memory declared: give at least one, e.g. --memory sram:2M")
    alignment = max((t.alignment for t in tensors), default=ALIGNMENT)
    n = len(memories)
    # Live bytes per instruction index, per memory, as tensors are admitted.
    lo = min((t.first for t in tensors), default=0)
    hi = max((t.last for t in tensors), default=0)
    live = [[0] * (hi - lo + 1) for _ in range(n)]
    where: dict[int, int] = {}
    for t in sorted(tensors, key=_rank):
        size = align(t.nbytes, alignment)
        for m, mem in enumerate(memories):
            row = live[m]
            peak = max(row[t.first - lo : t.last - lo + 1]) if size else 0
            if mem.size is None or peak + size <= mem.size or m == n - 1:
                where[t.key] = m
                for i in range(t.first - lo, t.last - lo + 1):
                    row[i] += size
                break
    placements: dict[int, Placement] = {}
    sizes = [0] * n
    for m, mem in enumerate(memories):
        while True:
            mine = [t for t in tensors if where[t.key] == m]
            offsets, total = plan_memory(mine, alignment)
            if mem.size is None or total <= mem.size or m == n - 1 or not mine:
                break
            worst = max((t for t in mine if t.nbytes), key=_rank)  # lowest ranked
            where[worst.key] = m + 1
        for key, off in offsets.items():
            placements[key] = Placement(m, off)
        sizes[m] = total
    over = [m for m, mem in enumerate(memories) if mem.size is not None and sizes[m] > mem.size]
    if over:
        need = lower_bound(tensors, alignment)
        per = "; ".join(
            f"{mem.name}: planned {sizes[m]} bytes, available "
            f"{'unbounded' if mem.size is None else mem.size}" for m, mem in enumerate(memories))
        avail = sum(mem.size or 0 for mem in memories)
        raise MemoryPlanError(
            f"the planned tensors do not fit the declared memories ({per}); the program needs "
            f"at least {need} bytes live at once, {avail} are declared. Declare larger "
            "memories, add a memory, or make the model's activations smaller")
    return placements


def _planner_name(planner: object) -> str:
    name = getattr(planner, "__qualname__", None) or type(planner).__qualname__
    module = getattr(planner, "__module__", None)
    return f"{module}.{name}" if module else str(name)


def verify_plan(tensors: Sequence[TensorLifetime], memories: Sequence[Memory],
                placements: Mapping[int, Placement], planner: str = "the planner") -> list[int]:
    """Checks a planner's result and returns the bytes each memory needs. Refused, with
    the tensors (graph node names) and offsets named: a tensor with no placement, a
    placement for no tensor, an unknown memory, a negative or misaligned offset, a tensor
    past its memory's capacity, and two tensors live at the same time whose bytes overlap."""
    problems: list[str] = []
    known = {t.key for t in tensors}
    missing = [t for t in tensors if t.key not in placements]
    if missing:
        problems.append("no placement for " + ", ".join(t.describe() for t in missing[:8])
                        + (f" and {len(missing) - 8} more" if len(missing) > 8 else ""))
    extra = sorted(k for k in placements if k not in known)
    if extra:
        problems.append(f"placements for tensors it was not given: keys {extra[:8]}")
    sizes = [0] * len(memories)
    by_memory: list[list[tuple[int, TensorLifetime]]] = [[] for _ in memories]
    for t in tensors:
        p = placements.get(t.key)
        if p is None:
            continue
        if not isinstance(p, Placement) or not isinstance(p.memory, int) \
                or not isinstance(p.offset, int):
            problems.append(f"{t.describe()}: got {p!r}, not a slimtorch.Placement of two "
                            "ints (memory, offset)")
            continue
        if not 0 <= p.memory < len(memories):
            problems.append(f"{t.describe()}: memory {p.memory} does not exist (memories "
                            f"0..{len(memories) - 1}: {', '.join(m.name for m in memories)})")
            continue
        mem = memories[p.memory]
        where = f"{mem.name}+{p.offset}"
        if p.offset < 0 or p.offset % t.alignment:
            problems.append(f"{t.describe()} at {where}: the offset must be a non-negative "
                            f"multiple of {t.alignment}")
            continue
        if mem.size is not None and p.offset + t.nbytes > mem.size:
            problems.append(f"{t.describe()} at {where}: ends at byte {p.offset + t.nbytes}, "
                            f"past {mem.name}'s capacity of {mem.size} bytes")
            continue
        if t.nbytes:
            by_memory[p.memory].append((p.offset, t))
        # Every placed tensor ends inside its buffer (the runtime checks empty ones too).
        end = align(p.offset + t.nbytes, t.alignment)
        sizes[p.memory] = max(sizes[p.memory], end if mem.size is None else min(end, mem.size))
    for m, placed in enumerate(by_memory):
        placed.sort(key=lambda item: item[0])
        open_: list[tuple[int, int, TensorLifetime]] = []  # (end, offset, tensor) by offset
        for off, t in placed:
            open_ = [o for o in open_ if o[0] > off]
            for _end, other_off, other in open_:
                if other.overlaps(t):
                    problems.append(
                        f"{other.describe()} at {memories[m].name}+{other_off} and "
                        f"{t.describe()} at {memories[m].name}+{off} are live at the same "
                        "time and their bytes overlap")
            open_.append((off + t.nbytes, off, t))
    if problems:
        shown = problems[:10]
        more = f"; and {len(problems) - 10} more problems" if len(problems) > 10 else ""
        raise MemoryPlanError(
            f"memory planner {planner} returned a wrong plan: " + "; ".join(shown) + more
            + ". A planner returns one slimtorch.Placement(memory, offset) per tensor key, "
            "inside the memory's capacity, aligned, and never overlapping a tensor live at "
            "the same time")
    return sizes


# ------------------------------------------------------------------------------ programs
def tensor_nbytes(t: schema.Tensor) -> int:
    n = ELEMENT_SIZE.get(t.scalar_type, 0)
    for s in t.sizes:
        n *= s
    return n


def method_lifetimes(plan: schema.ExecutionPlan, keys: Iterable[int],
                     names: Mapping[int, str] | None = None) -> list[TensorLifetime]:
    """TensorLifetime of each value index in `keys` (tensors) of one method (chain 0);
    `names`: value index -> graph node name.

    A planned tensor with an initial value (data_buffer_idx > 0: a buffer the model mutates)
    is state kept from call to call, so it is live over the whole method."""
    instructions = plan.chains[0].instructions if plan.chains else []
    spans = tensor_lifetimes(plan.values, instructions, list(plan.inputs), list(plan.outputs))
    out = []
    for idx in keys:
        t = plan.values[idx].val
        assert isinstance(t, schema.Tensor)
        first, last, accesses = spans.get(idx, (0, 0, 0))
        if t.data_buffer_idx > 0:
            first, last = -1, len(instructions)
        name = (names or {}).get(idx, f"v{idx}")
        out.append(TensorLifetime(idx, tensor_nbytes(t), first, last, accesses, name))
    return out


def plan_method(plan: schema.ExecutionPlan, memories: Sequence[Memory] | None = None,
                planned: Iterable[int] | None = None, planner: Planner | None = None,
                names: Mapping[int, str] | None = None) -> dict[int, Placement]:
    """(Re)plans one method in place with `planner` (default: plan_hierarchy): verifies its
    result (verify_plan), sets every planned tensor's allocation_info and the method's
    non_const_buffer_sizes ([0, bytes of memory id 1, ...]). `planned`: the value indices to
    plan (default: every non-constant tensor, and every tensor already planned, which
    includes mutable state with an initial value); `names`: value index -> node name."""
    if planned is None:
        planned = [i for i, v in enumerate(plan.values)
                   if isinstance(v.val, schema.Tensor)
                   and (v.val.data_buffer_idx == 0 or v.val.allocation_info is not None)]
    keys = list(planned)
    if not keys:
        plan.non_const_buffer_sizes = [0]
        return {}
    memories = tuple(memories or DEFAULT_MEMORIES)
    tensors = method_lifetimes(plan, keys, names)
    chosen = planner or plan_hierarchy
    label = _planner_name(chosen)
    try:
        placements = chosen(tensors, memories)
    except MemoryPlanError:
        raise
    except Exception as e:
        raise MemoryPlanError(f"memory planner {label} failed: {type(e).__name__}: {e}") from e
    if not isinstance(placements, Mapping):
        raise MemoryPlanError(
            f"memory planner {label} returned {type(placements).__name__}; a planner returns "
            "a mapping {tensor key: slimtorch.Placement(memory, offset)}")
    sizes = verify_plan(tensors, memories, placements, label)
    for idx in keys:
        t = plan.values[idx].val
        assert isinstance(t, schema.Tensor)
        p = placements[idx]
        t.allocation_info = schema.AllocationDetails(p.memory + 1, p.offset & 0xFFFFFFFF,
                                                     p.offset >> 32)
    plan.non_const_buffer_sizes = [0, *sizes]
    return dict(placements)


def plan_program(program: schema.Program, memories: Sequence[Memory] | None = None,
                 planner: Planner | None = None) -> None:
    """Replans every method of `program` for `memories` (fastest first)."""
    for plan in program.execution_plan:
        plan_method(plan, memories, planner=planner)


@dataclass
class MemoryStats:
    """What `slimtorch inspect` reports for one memory id of one method."""

    memory_id: int
    planned_bytes: int
    lower_bound: int
    tensors: list[tuple[TensorLifetime, int]]  # (lifetime, offset)

    @property
    def ratio(self) -> float:
        return self.planned_bytes / self.lower_bound if self.lower_bound else 1.0


def method_memory_stats(plan: schema.ExecutionPlan) -> list[MemoryStats]:
    """Planned bytes, lower bound and tensor placements per memory id of any program's method
    (upstream's too): lifetimes are recomputed from its instructions."""
    by_id: dict[int, list[tuple[int, int]]] = {}
    for i, v in enumerate(plan.values):
        t = v.val
        if isinstance(t, schema.Tensor) and t.allocation_info is not None:
            a = t.allocation_info
            by_id.setdefault(a.memory_id, []).append((i, a.offset))
    stats = []
    sizes = list(plan.non_const_buffer_sizes)
    for mem_id in range(1, max(len(sizes), max(by_id, default=0) + 1)):
        placed = by_id.get(mem_id, [])
        lifetimes = method_lifetimes(plan, [i for i, _ in placed])
        stats.append(MemoryStats(
            mem_id, sizes[mem_id] if mem_id < len(sizes) else 0, lower_bound(lifetimes),
            [(lt, off) for lt, (_, off) in zip(lifetimes, placed, strict=True)]))
    return stats
