"""A stand-in delegation backend for tests: it takes the ops it is given, and its blob is a
description of the partition (any bytes would do: no runtime runs it). Upstream's runtime and
slimtorch's refuse its backend id at method load, which is what the tests check."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

import torch

from slimtorch.backends import Partition, Preprocessed

aten = torch.ops.aten

STANDIN_ID = "SlimtorchStandInBackend"


@dataclass
class StandInBackend:
    """Takes `ops`; records every partition it lowers. With `weights_as_named_data`, each
    constant goes to the program's named data under its sha256 (as upstream's XNNPACK does)."""

    ops: frozenset[object] = frozenset({aten.relu.default, aten.add.Tensor})
    name: str = "standin"
    backend_id: str = STANDIN_ID
    weights_as_named_data: bool = False
    partitions: list[Partition] = field(default_factory=list)

    def supports(self, node: torch.fx.Node, ep: torch.export.ExportedProgram) -> bool:
        return node.target in self.ops

    def preprocess(self, partition: Partition) -> Preprocessed:
        self.partitions.append(partition)
        targets = [
            str(n.target) for n in partition.graph_module.graph.nodes if n.op == "call_function"
        ]
        blob = f"STANDIN delegate {partition.index}: {' '.join(targets)}".encode()
        named = {}
        if self.weights_as_named_data:
            for t in partition.constants.values():
                data = t.contiguous().numpy().tobytes()
                named[hashlib.sha256(data).hexdigest()] = data
        return Preprocessed(blob, [("standin.index", str(partition.index).encode())], named)


def standin(ops: Iterable[object] | None = None, **kwargs: object) -> StandInBackend:
    return StandInBackend(frozenset(ops) if ops is not None else StandInBackend.ops, **kwargs)  # type: ignore[arg-type]
