"""User passes: typed callables over the exported core-ATen graph, run before emission.

A pass (`Pass`) takes the program's `torch.fx.GraphModule` (`ExportedProgram.graph_module`:
core ATen, after slimtorch's decomposition table, before the out-variant conversion of the
emitter) and either changes it in place (returning None or the same module), returns a new
GraphModule with the same placeholders and outputs, or returns torch's
`torch.fx.passes.infra.pass_base.PassResult`. Passes run in the order given. After each
one, dead nodes are removed, the graph is linted, and nodes the pass added get their
`meta["val"]` (shape and dtype) by running their op on fake tensors, so a pass only builds
nodes (`graph.call_function(torch.ops.aten.addmm.default, ...)`). An exception in a pass, or
a graph it leaves broken, is a `PassError` naming the pass.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Union

import torch
from torch.export import ExportedProgram
from torch.fx import GraphModule, Node
from torch.fx.passes.infra.pass_base import PassResult

# What a pass returns: None (changed in place), the same or a new GraphModule, or PassResult.
PassOutput = Union[GraphModule, PassResult, None]  # noqa: UP007 (a runtime alias)
Pass = Callable[[GraphModule], PassOutput]


class PassError(Exception):
    """A user pass raised, returned something that is not a graph, or broke the graph."""


def pass_name(p: object) -> str:
    """`module.qualname` of a pass function (or of a pass object's class)."""
    name = getattr(p, "__qualname__", None) or type(p).__qualname__
    module = getattr(p, "__module__", None) or type(p).__module__
    return f"{module}.{name}" if module else str(name)


def _interface(gm: GraphModule) -> tuple[list[str], int]:
    placeholders = [n.name for n in gm.graph.nodes if n.op == "placeholder"]
    outputs = [n for n in gm.graph.nodes if n.op == "output"]
    count = (
        len(outputs[0].args[0])
        if outputs
        and isinstance(  # type: ignore[arg-type]
            outputs[0].args[0], list | tuple
        )
        else -1
    )
    return placeholders, count


def _fill_meta(gm: GraphModule) -> None:
    """meta["val"] for every call_function node that lacks one (nodes a pass added)."""
    vals = [n.meta.get("val") for n in gm.graph.nodes if n.op == "placeholder"]
    fake_mode = torch._guards.detect_fake_mode(vals)
    for node in gm.graph.nodes:
        if node.op != "call_function" or "val" in node.meta:
            continue

        def val(a: Node) -> object:
            if "val" not in a.meta:
                raise ValueError(f"node {a.name} has no meta['val']")
            return a.meta["val"]

        args, kwargs = torch.fx.node.map_arg((node.args, node.kwargs), val)
        if fake_mode is None:
            raise ValueError(
                f"cannot compute the shape of new node {node.name}: the graph's "
                "placeholders carry no fake tensors"
            )
        with fake_mode:
            node.meta["val"] = node.target(*args, **kwargs)  # type: ignore[operator]


def run_passes(ep: ExportedProgram, passes: Sequence[Pass], model: str = "") -> ExportedProgram:
    """`ep` after each of `passes` in order (see the module doc); `model` prefixes errors."""
    where = f"{model}: " if model else ""
    for p in passes:
        name = pass_name(p)
        if not callable(p):
            raise PassError(
                f"{where}pass {name} is a {type(p).__name__}, not callable; a pass "
                "is a function taking and returning a torch.fx.GraphModule"
            )
        gm = ep.graph_module
        before = _interface(gm)
        try:
            result = p(gm)
        except Exception as e:
            raise PassError(f"{where}pass {name} failed: {type(e).__name__}: {e}") from e
        if isinstance(result, PassResult):
            result = result.graph_module
        if result is None:
            result = gm
        if not isinstance(result, GraphModule):
            raise PassError(
                f"{where}pass {name} returned {type(result).__name__}; a pass "
                "returns a torch.fx.GraphModule, a PassResult, or None (changed "
                "in place)"
            )
        after = _interface(result)
        if after != before:
            raise PassError(
                f"{where}pass {name} changed the graph's inputs or outputs (placeholders "
                f"{before[0]} and {before[1]} outputs before, {after[0]} and {after[1]} "
                "after); a pass may rewrite the nodes between them only"
            )
        try:
            result.graph.eliminate_dead_code()
            result.graph.lint()
            _fill_meta(result)
            result.recompile()
        except Exception as e:
            raise PassError(
                f"{where}pass {name} left a broken graph: {type(e).__name__}: {e}"
            ) from e
        if result is not gm:
            ep = ep._update(result, ep.graph_signature)
    return ep
