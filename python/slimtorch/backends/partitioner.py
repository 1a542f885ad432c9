"""Cutting a program into delegates: which nodes each backend takes, and the graph rewrite.

`partition(ep, backends)` runs after slimtorch's core-ATen decomposition and the user's passes.

1. Eligible nodes: call_function nodes of the top-level graph whose target is an ATen (or
   custom) OpOverload with tensor results and static shapes, every Node input a tensor of
   static shape, that write none of their arguments, and whose results are not the new value
   of a mutated buffer or user input. Constant expressions (parameters, buffers the model does
   not mutate, lifted constants, and foldable ops over only those: a Linear's weight
   transpose) are not nodes of a group: a delegate receives their value as a constant
   (`Partition.constants`), as upstream's partitioners hand weights to a backend.
2. Each eligible node goes to the first backend whose `supports` says yes.
3. Groups: nodes are visited in graph order; a node joins the groups of its producers that
   belong to the same backend as long as the union stays contractible: no node outside the
   union is reachable from it and reaches back into it (contracting it would make a cycle).
   The result: maximal connected groups of the greedy order, each one acyclic to contract.
   getitem nodes follow the multi-output node they read.
4. Each group becomes one call_function node to `delegate_call` (its runtime inputs as args;
   its outputs read with getitem), the graph is re-sorted topologically (a delegate as early
   as its inputs allow, so an asynchronous one overlaps with what follows), and each backend's
   `preprocess` runs on the group's own GraphModule, in the order the delegates will be
   emitted (the delegate index). The emitter turns the node into a DelegateCall.
"""

from __future__ import annotations

import heapq
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch.export import ExportedProgram
from torch.export.graph_signature import OutputKind, TensorArgument
from torch.fx import Node

from slimtorch.backends import Backend, Partition, Preprocessed

META_KEY = "slimtorch_delegate"


class PartitionError(ValueError):
    """A backend failed on a partition, or returned something the exporter cannot store."""


def delegate_call(*args: Any) -> Any:
    """Marker target of a delegated group in the exported graph (never called: the emitter
    turns the node into a DelegateCall; see the node's meta[META_KEY])."""
    raise RuntimeError("slimtorch delegate_call is a marker for the emitter, not callable")


@dataclass
class Delegate:
    """What the emitter needs of one delegate node (node.meta[META_KEY])."""

    backend: Backend
    partition: Partition
    preprocessed: Preprocessed


@dataclass
class PartitionSummary:
    """Per backend name: (nodes taken, delegates made)."""

    taken: dict[str, tuple[int, int]]

    def describe(self) -> str:
        parts = []
        for name, (nodes, groups) in self.taken.items():
            if nodes == 0:
                parts.append(f"{name} took no nodes (the program is unchanged for it)")
            else:
                parts.append(
                    f"{name} took {nodes} node{'s' if nodes != 1 else ''} in {groups} "
                    f"delegate{'s' if groups != 1 else ''}"
                )
        return "; ".join(parts)


# ----------------------------------------------------------------------------- eligibility
def _static_tensor(val: Any) -> bool:
    return isinstance(val, torch.Tensor) and all(isinstance(s, int) for s in val.shape)


def _static_results(val: Any) -> bool:
    results = list(val) if isinstance(val, list | tuple) else [val]
    return bool(results) and all(_static_tensor(r) for r in results)


def _writes_an_argument(op: torch._ops.OpOverload) -> bool:
    return any(a.alias_info is not None and a.alias_info.is_write for a in op._schema.arguments)


def _mutation_outputs(ep: ExportedProgram) -> set[str]:
    """Names of the nodes whose value becomes a mutated buffer's or user input's new value."""
    out = set()
    for spec in ep.graph_signature.output_specs:
        if spec.kind in (OutputKind.BUFFER_MUTATION, OutputKind.USER_INPUT_MUTATION) and isinstance(
            spec.arg, TensorArgument
        ):
            out.add(spec.arg.name)
    return out


def _eligible(node: Node, mutated_outputs: set[str]) -> bool:
    if node.op != "call_function" or not isinstance(node.target, torch._ops.OpOverload):
        return False
    if _writes_an_argument(node.target) or node.name in mutated_outputs:
        return False
    if not _static_results(node.meta.get("val")):
        return False
    if any(not _static_tensor(a.meta.get("val")) for a in node.all_input_nodes):
        return False
    if isinstance(node.meta.get("val"), list | tuple):
        # A multi-output node is read only through getitem (which follows it into its group).
        return all(u.op == "call_function" and u.target is operator.getitem for u in node.users)
    return True


class _Constants:
    """Which nodes are export-time constants, and their values (computed on demand)."""

    def __init__(self, ep: ExportedProgram) -> None:
        from slimtorch import passes

        self.values: dict[Node, torch.Tensor] = dict(passes._constant_placeholders(ep))
        self._known: dict[Node, bool] = {n: True for n in self.values}

    def is_constant(self, node: Node) -> bool:
        from slimtorch.emitter import FOLD_GROWTH, FOLD_MIN_BYTES, _foldable_op

        if node in self._known:
            return self._known[node]
        result = False
        val = node.meta.get("val")
        if node.op == "call_function" and _foldable_op(node.target) and _static_tensor(val):
            inputs = node.all_input_nodes
            if all(self.is_constant(a) for a in inputs):
                read = sum(_nbytes(a.meta["val"]) for a in inputs)
                made = _nbytes(val)
                result = not (made > FOLD_GROWTH * read and made > FOLD_MIN_BYTES)
        self._known[node] = result
        return result

    def value(self, node: Node) -> torch.Tensor:
        if node not in self.values:
            args, kwargs = torch.fx.node.map_arg((node.args, node.kwargs), self.value)
            with torch.no_grad():
                self.values[node] = node.target(*args, **kwargs).contiguous()  # type: ignore[operator]
        return self.values[node]


def _nbytes(t: Any) -> int:
    return t.numel() * t.element_size() if isinstance(t, torch.Tensor) else 0


# ----------------------------------------------------------------------------- grouping
def _creates_cycle(group: set[Node]) -> bool:
    """Whether some node outside `group` is reachable from it and reaches back into it."""
    stack = [u for n in group for u in n.users if u not in group]
    seen: set[Node] = set()
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        for u in n.users:
            if u in group:
                return True
            if u not in seen:
                stack.append(u)
    return False


def _supports(backend: Backend, node: Node, ep: ExportedProgram) -> bool:
    try:
        return bool(backend.supports(node, ep))
    except Exception as e:
        raise PartitionError(
            f"backend {backend.name!r}: supports() failed on node {node.name} "
            f"({node.target}): {type(e).__name__}: {e}"
        ) from e


def _find_groups(
    ep: ExportedProgram, backends: Sequence[Backend], constants: _Constants
) -> list[tuple[Backend, list[Node]]]:
    mutated_outputs = _mutation_outputs(ep)
    owner: dict[Node, int] = {}  # node -> group id
    groups: dict[int, set[Node]] = {}
    backend_of: dict[int, int] = {}  # group id -> backend index
    next_id = 0
    for node in ep.graph.nodes:
        if node.op == "call_function" and node.target is operator.getitem:
            src = node.args[0]
            if isinstance(src, Node) and src in owner:
                owner[node] = owner[src]
                groups[owner[src]].add(node)
            continue
        if not _eligible(node, mutated_outputs) or constants.is_constant(node):
            continue
        chosen = next((k for k, b in enumerate(backends) if _supports(b, node, ep)), None)
        if chosen is None:
            continue
        merged: set[Node] = {node}
        ids: list[int] = []
        for a in node.all_input_nodes:
            gid = owner.get(a)
            if gid is None or gid in ids or backend_of[gid] != chosen:
                continue
            trial = merged | groups[gid]
            if not _creates_cycle(trial):
                merged = trial
                ids.append(gid)
        gid = next_id
        next_id += 1
        for old in ids:
            del groups[old], backend_of[old]
        groups[gid] = merged
        backend_of[gid] = chosen
        for n in merged:
            owner[n] = gid
    position = {n: i for i, n in enumerate(ep.graph.nodes)}
    found = []
    for gid in sorted(groups, key=lambda g: min(position[n] for n in groups[g])):
        nodes = sorted(groups[gid], key=position.__getitem__)
        found.append((backends[backend_of[gid]], nodes))
    return found


# ----------------------------------------------------------------------------- rewriting
def _subgraph(
    nodes: list[Node],
    constants: _Constants,
) -> tuple[torch.fx.GraphModule, list[Node], dict[str, torch.Tensor], list[Node]]:
    """(graph module, runtime input nodes of the outer graph, constants, outer output nodes)."""
    inside = set(nodes)
    runtime_inputs: list[Node] = []
    constant_inputs: list[Node] = []
    for n in nodes:
        for a in n.all_input_nodes:
            if a in inside or a in runtime_inputs or a in constant_inputs:
                continue
            (constant_inputs if constants.is_constant(a) else runtime_inputs).append(a)
    graph = torch.fx.Graph()
    env: dict[Node, Node] = {}
    for a in [*runtime_inputs, *constant_inputs]:
        p = graph.placeholder(a.name)
        p.meta = dict(a.meta)
        env[a] = p
    for n in nodes:
        env[n] = graph.node_copy(n, env.__getitem__)
    outputs = [
        n
        for n in nodes
        if not isinstance(n.meta.get("val"), list | tuple) and any(u not in inside for u in n.users)
    ]
    graph.output(tuple(env[n] for n in outputs))
    values = {env[a].name: constants.value(a).detach() for a in constant_inputs}
    return torch.fx.GraphModule(torch.nn.Module(), graph), runtime_inputs, values, outputs


def _topological_sort(graph: torch.fx.Graph, priority: dict[Node, tuple[int, int]]) -> None:
    """Reorders `graph` so every node follows its inputs; among ready nodes, lowest priority
    first (the original order; a delegate where its first node was)."""
    nodes = [n for n in graph.nodes if n.op != "output"]
    output = next(n for n in graph.nodes if n.op == "output")
    pending = {n: len(set(n.all_input_nodes)) for n in nodes}
    ready = [(priority[n], k, n) for k, n in enumerate(nodes) if pending[n] == 0]
    heapq.heapify(ready)
    order: list[Node] = []
    index = {n: k for k, n in enumerate(nodes)}
    while ready:
        _, _, n = heapq.heappop(ready)
        order.append(n)
        for u in n.users:
            if u in pending:
                pending[u] -= 1
                if pending[u] == 0:
                    heapq.heappush(ready, (priority[u], index[u], u))
    assert len(order) == len(nodes), "delegating made the graph cyclic"
    for n in order:
        output.prepend(n)


def _erase_unread(graph: torch.fx.Graph, candidates: set[Node]) -> None:
    """Erases the constant expressions only delegates read (they now hold their values), and
    what only they read in turn; placeholders stay (the emitter drops unread constants)."""
    stack = list(candidates)
    while stack:
        n = stack.pop()
        if getattr(n, "_erased", False) or n.users or n.op != "call_function":
            continue
        inputs = n.all_input_nodes
        graph.erase_node(n)
        stack.extend(inputs)


def partition(ep: ExportedProgram, backends: Sequence[Backend]) -> PartitionSummary:
    """Replaces, in place, every group of nodes the `backends` take by a delegate node (see
    the module doc). Returns how many nodes each backend took in how many delegates."""
    taken: dict[str, list[int]] = {b.name: [0, 0] for b in backends}
    if not backends:
        return PartitionSummary({})
    constants = _Constants(ep)
    groups = _find_groups(ep, backends, constants)
    graph = ep.graph
    position = {n: (i, 0) for i, n in enumerate(graph.nodes)}
    output_node = next(n for n in graph.nodes if n.op == "output")
    pending: list[
        tuple[Node, Backend, torch.fx.GraphModule, list[str], dict[str, Any], list[str]]
    ] = []
    renamed: dict[str, str] = {}
    folded: set[Node] = set()  # constant expressions a delegate reads as a constant
    for backend, nodes in groups:
        gm, runtime_inputs, values, outputs = _subgraph(nodes, constants)
        inside = set(nodes)
        folded.update(
            a
            for n in nodes
            for a in n.all_input_nodes
            if a not in inside and a.op == "call_function"
        )
        with graph.inserting_before(output_node):
            call = graph.call_function(delegate_call, tuple(runtime_inputs))
            call.meta["val"] = tuple(n.meta["val"] for n in outputs)
            first = min(position[n] for n in nodes)[0]
            position[call] = (first, 1)
            results = []
            for k, out in enumerate(outputs):
                item = graph.call_function(operator.getitem, (call, k))
                item.meta = dict(out.meta)
                position[item] = (first, 2 + k)
                results.append(item)
        for out, item in zip(outputs, results, strict=True):
            out.replace_all_uses_with(item, delete_user_cb=lambda u, g=inside: u not in g)
            renamed[out.name] = item.name
        for n in reversed(nodes):
            graph.erase_node(n)
        placeholder_names = [p.name for p in gm.graph.nodes if p.op == "placeholder"]
        inputs = placeholder_names[: len(runtime_inputs)]
        pending.append((call, backend, gm, inputs, values, [n.name for n in nodes]))
        count = taken[backend.name]
        count[0] += sum(1 for n in nodes if n.target is not operator.getitem)
        count[1] += 1
    if not groups:
        return PartitionSummary({k: (v[0], v[1]) for k, v in taken.items()})
    for spec in ep.graph_signature.output_specs:  # graph outputs a delegate now makes
        if isinstance(spec.arg, TensorArgument) and spec.arg.name in renamed:
            spec.arg = TensorArgument(name=renamed[spec.arg.name])
    _topological_sort(graph, position)
    _erase_unread(graph, folded)
    graph.lint()
    ep.graph_module.recompile()
    order = {n: i for i, n in enumerate(graph.nodes)}
    pending.sort(key=lambda p: order[p[0]])
    for index, (call, backend, gm, inputs, values, names) in enumerate(pending):
        part = Partition(index=index, graph_module=gm, inputs=inputs, constants=values, nodes=names)
        try:
            result = backend.preprocess(part)
        except Exception as e:
            raise PartitionError(
                f"backend {backend.name!r} failed to lower delegate {index} (nodes "
                f"{', '.join(names[:6])}{'...' if len(names) > 6 else ''}): "
                f"{type(e).__name__}: {e}"
            ) from e
        _check_preprocessed(backend, index, result)
        call.meta[META_KEY] = Delegate(backend, part, result)
    return PartitionSummary({k: (v[0], v[1]) for k, v in taken.items()})


def _check_preprocessed(backend: Backend, index: int, result: Any) -> None:
    where = f"backend {backend.name!r} delegate {index}"
    if not isinstance(result, Preprocessed):
        raise PartitionError(
            f"{where}: preprocess returned {type(result).__name__}, not a "
            "slimtorch.backends.Preprocessed"
        )
    if not isinstance(result.blob, bytes | bytearray):
        raise PartitionError(f"{where}: Preprocessed.blob must be bytes")
    for key, value in result.compile_specs:
        if not isinstance(key, str) or not isinstance(value, bytes | bytearray):
            raise PartitionError(f"{where}: compile spec {key!r} must be (str, bytes)")
    for key, value in result.named_data.items():
        if not isinstance(key, str) or not isinstance(value, bytes | bytearray):
            raise PartitionError(f"{where}: named data {key!r} must be str -> bytes")
