"""Prints the demo's closing table: PyTorch's outputs beside each runtime's, and binary sizes.

Used by scripts/demo.sh; the runner outputs are parsed by slimtorch.compare, the one parser of the
runner output format.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from slimtorch import platforms
from slimtorch.compare import load_expected, parse_runner_output

TOLERANCE = 1e-5


def _pairs(items: list[str], flag: str) -> list[tuple[str, Path]]:
    out = []
    for item in items:
        name, sep, path = item.partition("=")
        if not sep:
            sys.exit(f"demo_report: {flag} takes NAME=PATH, got {item!r}")
        out.append((name, Path(path)))
    return out


def _tool(platform: str, tool: str) -> str:
    """`size`/`strip` for the host, `<prefix>-size`/`-strip` for another platform's image
    (platforms/defs.bzl's binutils prefix)."""
    names = platforms.names()
    tools = platforms.get(platform).tools if platform in names else ""
    return f"{tools}-{tool}" if tools else tool


def _sizes(platform: str, binary: Path) -> tuple[int, int, int, int]:
    """(text, data, bss, stripped file bytes) of an ELF."""
    size_out = subprocess.run(
        [_tool(platform, "size"), str(binary)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[1].split()
    text, data, bss = (int(v) for v in size_out[:3])
    with tempfile.TemporaryDirectory() as tmp:
        stripped = Path(tmp) / "stripped"
        subprocess.run([_tool(platform, "strip"), "-o", str(stripped), str(binary)], check=True)
        return text, data, bss, stripped.stat().st_size


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--io-dir", required=True, help="directory with expectedN.npy (PyTorch eager)")
    ap.add_argument("--run", action="append", default=[], help="NAME=runner output file")
    ap.add_argument("--binary", action="append", default=[], help="NAME=ELF to measure")
    ap.add_argument("--program", type=Path, help=".pte file whose size to print")
    args = ap.parse_args()

    expected = load_expected(args.io_dir)
    runs = [
        (name, parse_runner_output(path.read_text())) for name, path in _pairs(args.run, "--run")
    ]
    ok = True
    for index in sorted(expected):
        ref = expected[index].astype(np.float64).ravel()
        print(f"\noutput {index} shape {'x'.join(map(str, expected[index].shape)) or '()'}")
        header = f"{'element':>8} {'pytorch':>15}" + "".join(f" {name:>15}" for name, _ in runs)
        print(header)
        columns = []
        for name, (outputs, errors) in runs:
            if index not in outputs:
                print(f"  {name}: no output {index}" + (f" ({errors[0]})" if errors else ""))
                ok = False
                columns.append(np.full_like(ref, np.nan))
                continue
            columns.append(outputs[index].values)
        for k in range(ref.size):
            print(f"{k:>8} {ref[k]:>15.9g}" + "".join(f" {c[k]:>15.9g}" for c in columns))
        for (name, _), col in zip(runs, columns, strict=True):
            err = float(np.max(np.abs(col - ref))) if col.size == ref.size else float("inf")
            verdict = "match" if err <= TOLERANCE else "MISMATCH"
            ok &= err <= TOLERANCE
            print(
                f"  {name}: max |difference| vs PyTorch = {err:.3g}"
                f" ({verdict}, tolerance {TOLERANCE})"
            )

    print()
    if args.program:
        print(f"program {args.program.name}: {args.program.stat().st_size} bytes")
    if shutil.which("size"):
        print(f"{'binary':<14} {'text':>9} {'data':>8} {'bss':>8} {'flash':>9} {'stripped':>9}")
        for name, binary in _pairs(args.binary, "--binary"):
            text, data, bss, stripped = _sizes(name, binary)
            print(f"{name:<14} {text:>9} {data:>8} {bss:>8} {text + data:>9} {stripped:>9}")
        print("(flash = text + data; stripped = file size after strip; bytes)")
    print("\ndemo: " + ("all outputs match PyTorch" if ok else "OUTPUTS DIFFER FROM PYTORCH"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
