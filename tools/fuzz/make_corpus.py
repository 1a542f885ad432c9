"""Writes the fuzz seed corpus: every model of models/ exported by slimtorch (and by upstream
ExecuTorch too with --upstream, when `executorch` is installed), one .pte per program.

    .venv/bin/python tools/fuzz/make_corpus.py [--out build/fuzz/corpus] [--upstream]
        [--max-bytes N] [--models mlp,ds_cnn]

Programs larger than --max-bytes (default 256 KiB) are left out: libFuzzer mutates small inputs
much faster, and the large models add weights, not structure. Generated files are never
committed; tools/fuzz/fuzz.sh and tests/fuzz make the corpus when it is missing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def export_slimtorch(model: Path) -> bytes:
    from slimtorch.exporter import export_model, load_model_file

    return bytes(export_model(load_model_file(str(model))).to_bytes())


def export_upstream(model: Path) -> bytes:
    from slimtorch.model_file import load_model_file
    from slimtorch.upstream import export_program

    loaded = load_model_file(str(model))
    return export_program(loaded.module, loaded.example_inputs, loaded.dynamic_shapes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "build" / "fuzz" / "corpus"))
    parser.add_argument("--upstream", action="store_true", help="add upstream's programs too")
    parser.add_argument("--max-bytes", type=int, default=256 << 10)
    parser.add_argument("--models", default="", help="comma-separated model names (default: all)")
    args = parser.parse_args(argv)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    names = [n for n in args.models.split(",") if n]
    models = sorted((REPO / "models").glob("*.py"))
    models = [m for m in models if m.stem != "__init__" and (not names or m.stem in names)]
    exporters = [("slimtorch", export_slimtorch)]
    if args.upstream:
        exporters.append(("upstream", export_upstream))
    written = 0
    for model in models:
        for who, export in exporters:
            target = out / f"{model.stem}.{who}.pte"
            if target.exists():
                written += 1
                continue
            try:
                data = export(model)
            except Exception as e:  # a model one exporter cannot take: say so, keep the rest
                print(
                    f"make_corpus: {model.name} ({who}): left out: {type(e).__name__}: "
                    f"{str(e).splitlines()[0] if str(e) else ''}",
                    file=sys.stderr,
                )
                continue
            if len(data) > args.max_bytes:
                print(
                    f"make_corpus: {model.name} ({who}): left out: {len(data)} bytes > "
                    f"--max-bytes {args.max_bytes}",
                    file=sys.stderr,
                )
                continue
            target.write_bytes(data)
            written += 1
    print(f"make_corpus: {written} programs in {out}", file=sys.stderr)
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main())
