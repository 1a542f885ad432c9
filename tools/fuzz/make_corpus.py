"""Writes the fuzz seed corpus: every model of models/ (and tools/fuzz/ds_cnn_tiny.py, a few-KB
conv model) exported by slimtorch (and by upstream ExecuTorch too with --upstream, when
`executorch` is installed), one .pte per program; with --backend xnnpack also each model
delegated to XNNPACK (slimtorch's `backends=["xnnpack"]`, and with --upstream upstream's
XnnpackPartitioner flow), so the fuzzer and the bit-flip sweep reach delegate blobs, their graphs
and named data.

    .venv/bin/python tools/fuzz/make_corpus.py [--out build/fuzz/corpus] [--upstream]
        [--backend xnnpack] [--bundle] [--max-bytes N] [--models mlp,ds_cnn_tiny]

Files are <model>.<exporter>.pte, exporter one of slimtorch, upstream, slimtorch-xnnpack,
upstream-xnnpack. With --bundle, also <model>.slimtorch.bpte: the slimtorch program bundled
(`slimtorch.bundle`) with one test case (example inputs, PyTorch eager's outputs), so the
fuzzer reaches the bundled-program loader and test-case runner (runtime/bundled/).
Programs larger than --max-bytes (default 256 KiB) are left out: libFuzzer
mutates small inputs much faster, and the large models add weights, not structure. Generated
files are never committed; tools/fuzz/fuzz.sh and tests/fuzz make the corpus when it is missing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def export_slimtorch(model: Path, backends: tuple[str, ...] = ()) -> bytes:
    import slimtorch

    return slimtorch.export(slimtorch.load_model_file(str(model)), backends=backends).to_bytes()


def export_upstream(model: Path, xnnpack: bool = False) -> bytes:
    import torch

    from slimtorch.model_file import load_model_file
    from slimtorch.upstream import export_program

    loaded = load_model_file(str(model))
    with torch.no_grad():
        return export_program(
            loaded.module, loaded.example_inputs, loaded.dynamic_shapes, xnnpack=xnnpack
        )


def bundle_of(model: Path, program: bytes) -> bytes:
    from slimtorch import bundle
    from slimtorch.bundle.cases import eager_outputs
    from slimtorch.model_file import load_model_file

    loaded = load_model_file(str(model))
    x = loaded.example_inputs
    return bundle.write_bundle(program, [bundle.TestCase(list(x), eager_outputs(loaded.module, x))])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "build" / "fuzz" / "corpus"))
    parser.add_argument("--upstream", action="store_true", help="add upstream's programs too")
    parser.add_argument(
        "--backend",
        action="append",
        default=[],
        choices=["xnnpack"],
        help="add the models delegated to this backend too",
    )
    parser.add_argument(
        "--bundle", action="store_true", help="add each slimtorch program bundled (.bpte) too"
    )
    parser.add_argument("--max-bytes", type=int, default=256 << 10)
    parser.add_argument("--models", default="", help="comma-separated model names (default: all)")
    args = parser.parse_args(argv)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    names = [n for n in args.models.split(",") if n]
    models = sorted((REPO / "models").glob("*.py")) + [REPO / "tools" / "fuzz" / "ds_cnn_tiny.py"]
    models = [m for m in models if m.stem != "__init__" and (not names or m.stem in names)]
    exporters: list[tuple[str, Callable[[Path], bytes]]] = [("slimtorch", export_slimtorch)]
    if args.upstream:
        exporters.append(("upstream", export_upstream))
    if "xnnpack" in args.backend:
        exporters.append(("slimtorch-xnnpack", lambda m: export_slimtorch(m, ("xnnpack",))))
        if args.upstream:
            exporters.append(("upstream-xnnpack", lambda m: export_upstream(m, xnnpack=True)))
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
            if args.bundle and who == "slimtorch":
                (out / f"{model.stem}.slimtorch.bpte").write_bytes(bundle_of(model, data))
    print(f"make_corpus: {written} programs in {out}", file=sys.stderr)
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main())
