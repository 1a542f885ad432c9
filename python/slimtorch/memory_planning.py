"""Planned-memory layout: place tensors in one buffer, sharing bytes between tensors whose
lifetimes do not overlap.

Greedy best-fit by size: tensors are placed largest first; each goes into the smallest gap
(between tensors already placed whose lifetimes overlap its own) that fits it, or after the
last of them. Offsets are aligned. Any planner with the same `plan_memory` signature can
replace this one.
"""

from __future__ import annotations

from dataclasses import dataclass

ALIGNMENT = 16


@dataclass(frozen=True)
class Lifetime:
    """One tensor to place: its key, byte size and the inclusive instruction interval
    [first, last] during which its bytes must stay intact."""

    key: int
    nbytes: int
    first: int
    last: int

    def overlaps(self, other: Lifetime) -> bool:
        return self.first <= other.last and other.first <= self.last


def _align(n: int, alignment: int) -> int:
    return (n + alignment - 1) // alignment * alignment


def plan_memory(tensors: list[Lifetime], alignment: int = ALIGNMENT) -> tuple[dict[int, int], int]:
    """Returns ({key: byte offset}, total buffer size)."""
    placed: list[tuple[int, int, Lifetime]] = []  # (offset, end, lifetime)
    offsets: dict[int, int] = {}
    order = sorted(tensors, key=lambda t: (-t.nbytes, t.first, t.key))
    total = 0
    for t in order:
        busy = sorted((off, end) for off, end, other in placed if other.overlaps(t))
        best: tuple[int, int] | None = None  # (gap size, offset)
        cursor = 0
        for off, end in busy:
            start = _align(cursor, alignment)
            gap = off - start
            if gap >= t.nbytes and (best is None or gap < best[0]):
                best = (gap, start)
            cursor = max(cursor, end)
        offset = best[1] if best is not None else _align(cursor, alignment)
        offsets[t.key] = offset
        placed.append((offset, offset + t.nbytes, t))
        total = max(total, _align(offset + t.nbytes, alignment))
    return offsets, total
