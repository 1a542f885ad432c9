"""Bit-flip sweep: flips every bit of a program, one at a time, and runs each mutated copy through
load, init and execute of every method under ASan/UBSan (build/fuzz/bitflip, in-process, one
process per range of bits), then prints how each run ended.

    .venv/bin/python tools/fuzz/bitflip.py PROGRAM.pte [PROGRAM.pte ...] [--hang-ms 2000]
        [--structure-only] [--delegate-blobs]

--structure-only flips only the bits before the segment data (the header and the flatbuffer:
every offset, index, size and count), for programs whose weights make a full sweep too long.
--delegate-blobs adds, for each delegate whose blob is in a segment, the bits of the blob's
XNNPACK header (XH00: flatbuffer and constant offsets and sizes) and of its graph flatbuffer
(XN01: values, nodes, constant_data offsets and named keys), but not its constant bytes; with
--structure-only too these are all the bits flipped (the weights in named data are left alone).

Per program, one line:
    <name> bits=<n> load_error=<n> init_error=<n> exec_error=<n> completed_same=<n>
        completed_changed=<n> crash=<n> hang=<n> sanitizer=<n> seconds=<s>
completed_same: the outputs equal the unmodified program's; completed_changed: they differ (a
corruption nothing detected: constant data, without --checksum). crash: the process died from a
signal outside the sanitizers; hang: a run used over --hang-ms of CPU time; sanitizer: a report.
Every fatal bit is listed (`fatal <name> bit <i> <kind>`); the exit status is 1 if any.
Build the driver first: tools/fuzz/build.sh.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DRIVER = REPO / "build" / "fuzz" / "bitflip"
_COUNTS = re.compile(r"^counts (.*)$", re.M)
_FATAL = re.compile(r"^fatal bit (\d+) (\w+)", re.M)


def structure_bits(program: Path) -> int:
    """Bits before the segment data: segment_base_offset of the extended header (FORMAT.md)."""
    data = program.read_bytes()
    if data[8:12] == b"eh00":
        return int.from_bytes(data[24:32], "little") * 8
    return len(data) * 8


def delegate_blob_bits(program: Path) -> list[tuple[int, int]]:
    """Bit ranges [start, end) of the header and graph of each segment blob of an XNNPACK
    delegate (XH00 header: 4 zero bytes, magic, u16 header size, u32 flatbuffer offset, u32
    flatbuffer size, u32 constant offset, u64 constant size); a blob without that header is
    taken whole."""
    sys.path.insert(0, str(REPO / "python"))
    from slimtorch.pte import read_pte

    pf = read_pte(program.read_bytes())
    ranges = []
    for plan in pf.program.execution_plan:
        for d in plan.delegates:
            if d.processed.location != 1:  # INLINE: in the flatbuffer, the structure sweep's
                continue
            seg = pf.program.segments[d.processed.index]
            start = pf.segment_base_offset + seg.offset
            blob = pf.data[start : start + seg.size]
            end = seg.size
            if len(blob) >= 30 and blob[4:8] == b"XH00":
                fb_offset = int.from_bytes(blob[10:14], "little")
                fb_size = int.from_bytes(blob[14:18], "little")
                end = min(seg.size, fb_offset + fb_size)
            ranges.append((start * 8, (start + end) * 8))
    return ranges


def sweep(
    program: Path, hang_ms: int, log: list[str], nbits: int, first: int = 0
) -> dict[str, int]:
    """Counts of every outcome over bits [first, nbits) of `program`; fatal runs go to
    `log`."""
    counts = dict.fromkeys(
        [
            "load_error",
            "init_error",
            "exec_error",
            "completed_same",
            "completed_changed",
            "crash",
            "hang",
            "sanitizer",
        ],
        0,
    )
    env = dict(os.environ, ASAN_OPTIONS="handle_abort=1:detect_leaks=1", SLIMTORCH_QUIET="1")
    start = first
    while start < nbits:
        proc = subprocess.run(
            [
                str(DRIVER),
                str(program),
                "--start",
                str(start),
                "--end",
                str(nbits),
                "--hang-ms",
                str(hang_ms),
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        m = _COUNTS.search(proc.stdout)
        if proc.returncode == 0 and m:
            for item in m.group(1).split():
                key, value = item.split("=")
                counts[key] += int(value)
            break
        if proc.returncode == 2:
            raise SystemExit(f"bitflip: {program}: {proc.stderr.strip()}")
        # Died at some bit: the death callback / alarm named it, unless a plain signal killed it.
        fatal = _FATAL.search(proc.stdout)
        if fatal is None:
            raise SystemExit(
                f"bitflip: {program}: the driver died at an unknown bit after {start} "
                f"(status {proc.returncode}):\n{proc.stderr[-2000:]}"
            )
        bit, kind = int(fatal.group(1)), fatal.group(2)
        if kind == "sanitizer" and "SEGV on unknown address" in proc.stderr:
            kind = "crash"  # ASan reports signals too; count them as crashes
        counts[kind] += 1
        where = next(
            (
                line
                for line in proc.stderr.splitlines()
                if "SUMMARY" in line or "runtime error" in line
            ),
            proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "",
        )
        log.append(f"fatal {program.name} bit {bit} {kind}: {where.strip()}")
        # The runs before `bit` in this range completed without a fatal end but their counts were
        # lost with the process: redo them quietly up to `bit` - 1 by rerunning [start, bit).
        if bit > start:
            redo = subprocess.run(
                [
                    str(DRIVER),
                    str(program),
                    "--start",
                    str(start),
                    "--end",
                    str(bit),
                    "--hang-ms",
                    str(hang_ms),
                ],
                capture_output=True,
                text=True,
                env=env,
            )
            m = _COUNTS.search(redo.stdout)
            if redo.returncode != 0 or m is None:
                raise SystemExit(f"bitflip: {program}: rerun of bits {start}..{bit} failed")
            for item in m.group(1).split():
                key, value = item.split("=")
                counts[key] += int(value)
        start = bit + 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("programs", nargs="+", type=Path)
    parser.add_argument("--hang-ms", type=int, default=2000, help="one run over this is a hang")
    parser.add_argument(
        "--structure-only",
        action="store_true",
        help="flip only the header and flatbuffer bits, not the segment data",
    )
    parser.add_argument(
        "--delegate-blobs",
        action="store_true",
        help="flip the header and graph bits of each delegate blob in a segment too",
    )
    args = parser.parse_args(argv)
    if not DRIVER.exists():
        print(f"bitflip: {DRIVER} is missing: run tools/fuzz/build.sh", file=sys.stderr)
        return 2
    fatal_log: list[str] = []
    for program in args.programs:
        t0 = time.monotonic()
        nbits = structure_bits(program) if args.structure_only else program.stat().st_size * 8
        ranges = [(0, nbits)]
        if args.delegate_blobs:
            blobs = delegate_blob_bits(program)
            if not blobs:
                print(
                    f"bitflip: {program}: --delegate-blobs, but no delegate blob is in a segment",
                    file=sys.stderr,
                )
                return 2
            # Beyond the bits swept already (a full sweep covers the blobs anyway).
            ranges += [(max(a, nbits), b) for a, b in sorted(blobs) if b > nbits]
        counts: dict[str, int] = {}
        for first, end in ranges:
            for k, v in sweep(program, args.hang_ms, fatal_log, end, first).items():
                counts[k] = counts.get(k, 0) + v
        nbits = sum(b - a for a, b in ranges)
        fields = " ".join(f"{k}={v}" for k, v in counts.items())
        print(
            f"{program.name} bits={nbits} {fields} seconds={time.monotonic() - t0:.0f}",
            flush=True,
        )
    for line in fatal_log:
        print(line)
    return 1 if fatal_log else 0


if __name__ == "__main__":
    sys.exit(main())
