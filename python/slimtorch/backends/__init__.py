"""Backend delegation: the interface a backend implements, and the table of known backends.

A backend takes some of a program's core-ATen nodes (`supports`, asked per node) and turns each
maximal group the partitioner cuts (`slimtorch.backends.partitioner`) into an opaque blob
(`preprocess`). The emitter stores the blob as upstream's `BackendDelegate` and replaces the group
by one `DelegateCall` whose arguments are the partition's inputs, then its outputs (upstream's
convention); `Preprocessed.named_data` goes to the program's named data (`Program.named_data`),
where the runtime backend finds it by key (`Program::named_data(key)`).

Backends are looked up by their CLI/API name (`get_backend("xnnpack")`); each lives in its own
module under this package, imported only when asked for, so a program without delegates imports
no backend code.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import torch


@dataclass
class Partition:
    """One group of nodes a backend takes, as a self-contained graph.

    `graph_module` has one placeholder per external value (runtime arguments first, in
    `inputs` order, then constants), core-ATen call_function nodes, and one output node whose
    args are the partition's outputs in DelegateCall order. Every node has `meta["val"]`.
    """

    index: int  # delegate index in the program
    graph_module: torch.fx.GraphModule
    inputs: list[str]  # placeholder names that are runtime arguments, in DelegateCall order
    constants: dict[str, torch.Tensor]  # placeholder name -> value (parameters, buffers, consts)
    nodes: list[str]  # names of the original graph's nodes this partition replaced (inspect)

    @property
    def outputs(self) -> list[torch.fx.Node]:
        """The output node's args, in DelegateCall order (after the inputs)."""
        out = next(n for n in self.graph_module.graph.nodes if n.op == "output")
        args = out.args[0]
        return list(args) if isinstance(args, (list, tuple)) else [args]


@dataclass
class Preprocessed:
    """What a backend's `preprocess` returns for one partition."""

    blob: bytes
    compile_specs: list[tuple[str, bytes]] = field(default_factory=list)
    named_data: dict[str, bytes] = field(default_factory=dict)  # key -> bytes (program named data)


@runtime_checkable
class Backend(Protocol):
    """A delegation backend, as the partitioner and emitter use it."""

    name: str  # CLI/API name, e.g. "xnnpack"
    backend_id: str  # BackendDelegate.id the runtime looks up, e.g. "XnnpackBackend"

    def supports(self, node: torch.fx.Node, ep: torch.export.ExportedProgram) -> bool:
        """Whether this backend takes `node` (a call_function node of `ep.graph_module`)."""
        ...

    def preprocess(self, partition: Partition) -> Preprocessed:
        """Lower one partition to its blob (raise an error naming the node it cannot lower)."""
        ...


class BackendError(ValueError):
    """A backend name is unknown, or a backend's module cannot be loaded."""


# CLI/API name -> (module, attribute) of the backend object. Imported lazily.
KNOWN_BACKENDS: dict[str, tuple[str, str]] = {
    "xnnpack": ("slimtorch.backends.xnnpack", "backend"),
}


def get_backend(name: str) -> Backend:
    """The backend called `name` ("xnnpack"); an error names the known ones."""
    if name not in KNOWN_BACKENDS:
        known = ", ".join(sorted(KNOWN_BACKENDS))
        raise BackendError(f"unknown backend {name!r}: the known backends are {known}")
    module_name, attr = KNOWN_BACKENDS[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise BackendError(
            f"backend {name!r}: its module {module_name} cannot be imported ({e}); "
            "is this slimtorch build missing it?"
        ) from e
    backend = getattr(module, attr, None)
    if backend is None:
        raise BackendError(f"backend {name!r}: module {module_name} defines no {attr!r}")
    return backend


__all__ = [
    "Backend",
    "BackendError",
    "KNOWN_BACKENDS",
    "Partition",
    "Preprocessed",
    "get_backend",
]
