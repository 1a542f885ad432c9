"""Reading ETDump files (`ED00`): the bytes checked, then decoded by `slimtorch.flatbuf`.

Layout: `[uint32 size][uint32 root offset]["ED00"][tables...]`, the size counting the bytes
after itself (a flatbuffer "size prefix"). Every offset and length is checked against the
buffer by the shared reader; whatever is wrong raises `ETDumpError` naming the field, never an
IndexError or struct.error.
"""

from __future__ import annotations

from slimtorch import flatbuf
from slimtorch.profiling import schema as es

_PREFIX = 4  # the uint32 size prefix
_MIN_SIZE = _PREFIX + 8  # size, root offset, file identifier


class ETDumpError(ValueError):
    """An ETDump file is malformed or truncated (the message names the field and the bytes)."""


def is_etdump(data: bytes) -> bool:
    """True when `data` starts like an ETDump (size prefix, root offset, `ED00`)."""
    return len(data) >= _MIN_SIZE and data[8:12] == es.FILE_IDENTIFIER


def read_etdump(data: bytes) -> es.ETDump:
    """Decode an ETDump flatbuffer, checking it as it goes (`ETDumpError` on bad bytes)."""
    data = bytes(data)
    if len(data) < _MIN_SIZE:
        raise ETDumpError(
            f"ETDump of {len(data)} bytes is shorter than its {_MIN_SIZE}-byte header (size "
            "prefix, root offset, file identifier): the file is empty or truncated"
        )
    if data[8:12] != es.FILE_IDENTIFIER:
        hint = (
            " (this is an ExecuTorch program; give the ETDump file the runtime wrote)"
            if data[4:8] == b"ET12"
            else ""
        )
        raise ETDumpError(
            f"not an ETDump: file identifier at offset 8 is {data[8:12]!r}, expected "
            f"{es.FILE_IDENTIFIER!r}{hint}"
        )
    size = int.from_bytes(data[:_PREFIX], "little")
    if size > len(data) - _PREFIX:
        raise ETDumpError(
            f"ETDump size prefix says {size} bytes follow it, but the file has only "
            f"{len(data) - _PREFIX}: the file is truncated (was the runtime's ETDump buffer "
            "written out whole?)"
        )
    try:
        # Offsets inside a size-prefixed buffer are relative to where they are stored, so the
        # buffer is read in place from byte 4, cut at the end the prefix gives.
        dump = flatbuf.decode(es.ETDump, data[: _PREFIX + size], offset=_PREFIX)
    except flatbuf.FlatbufferError as e:
        raise ETDumpError(f"malformed ETDump: {e}") from None
    _check(dump)
    return dump


def read_etdump_file(path: str) -> es.ETDump:
    return flatbuf.read_file(path, "ETDump", read_etdump, ETDumpError)


def _check(dump: es.ETDump) -> None:
    """What the decoder cannot see: each event is one kind, each profile event ends after it
    starts."""
    for r, run in enumerate(dump.run_data):
        for i, event in enumerate(run.events):
            where = f"run_data[{r}].events[{i}]"
            kinds = [
                k
                for k in (event.profile_event, event.allocation_event, event.debug_event)
                if k is not None
            ]
            if len(kinds) != 1:
                raise ETDumpError(
                    f"{where}: an Event holds exactly one of profile_event, allocation_event, "
                    f"debug_event; this one holds {len(kinds)}"
                )
            p = event.profile_event
            if p is not None and p.end_time < p.start_time:
                raise ETDumpError(
                    f"{where}.profile_event ({p.name!r}): end_time {p.end_time} is before "
                    f"start_time {p.start_time}"
                )


def summarize(dump: es.ETDump, name: str = "ETDump") -> str:
    """`slimtorch inspect` of an ETDump: its runs and how many events of each name they hold
    (which program they time is not recorded: `slimtorch profile PROGRAM.pte` maps them)."""
    lines = [f"{name}: ETDump version {dump.version}, {len(dump.run_data)} run data block(s)"]
    for r, run in enumerate(dump.run_data):
        counts: dict[str, int] = {}
        for event in run.events:
            p = event.profile_event
            key = (
                ("allocation event" if event.allocation_event is not None else "debug event")
                if p is None
                else str(p.name)
                if p.name is not None
                else f"delegate event {p.delegate_debug_id_str or p.delegate_debug_id_int}"
            )
            counts[key] = counts.get(key, 0) + 1
        bundled = (
            f", bundled input {run.bundled_input_index}" if run.bundled_input_index >= 0 else ""
        )
        lines.append(
            f"  run_data[{r}] {run.name!r}{bundled}: {len(run.events)} events"
            + "".join(f"\n    {n} x {k}" for k, n in counts.items())
        )
    lines.append("  (times per operator: slimtorch profile PROGRAM.pte ETDUMP)")
    return "\n".join(lines) + "\n"
