"""Exports a slimtorch model file with upstream ExecuTorch (the reference exporter).

    upstream_export.py MODEL.py -o OUT.pte --io-dir DIR [--xnnpack]

Writes the program upstream ExecuTorch 1.5.1 makes for MODEL.py, and into DIR
the example inputs (input<i>.npy) and PyTorch eager outputs (expected<i>.npy),
the same io-dir layout as `slimtorch export`. With --xnnpack the program is
lowered with upstream's XnnpackPartitioner (to_edge_transform_and_lower), so it
delegates to XnnpackBackend as upstream's users' programs do. Test-only: slimtorch's own code
never imports executorch.
"""

import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import torch
from executorch.exir import to_edge


def load_model_file(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"error: cannot load {path} as a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--io-dir", type=Path, required=True)
    parser.add_argument("--xnnpack", action="store_true", help="lower with XnnpackPartitioner")
    args = parser.parse_args(argv)

    module = load_model_file(args.model)
    model = module.model()
    inputs = tuple(module.example_inputs())
    with torch.no_grad():
        expected = model(*inputs)
    outputs = expected if isinstance(expected, (tuple, list)) else (expected,)

    ep = torch.export.export(model, inputs)
    if args.xnnpack:
        from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
        from executorch.exir import to_edge_transform_and_lower

        edge = to_edge_transform_and_lower(ep, partitioner=[XnnpackPartitioner()])
    else:
        edge = to_edge(ep)
    program = edge.to_executorch()
    args.output.write_bytes(program.buffer)

    args.io_dir.mkdir(parents=True, exist_ok=True)
    for i, tensor in enumerate(inputs):
        np.save(args.io_dir / f"input{i}.npy", tensor.detach().numpy())
    for i, tensor in enumerate(outputs):
        np.save(args.io_dir / f"expected{i}.npy", tensor.detach().numpy())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
