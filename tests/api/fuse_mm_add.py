"""A passes file (`slimtorch export --passes`, executorch_model(passes = [...])): one pass that
fuses add(mm(a, b), bias) into addmm(bias, a, b), and a memory planner that gives every tensor
bytes of its own (no reuse)."""

from collections.abc import Sequence

import torch
from torch.fx import GraphModule, Node

import slimtorch

aten = torch.ops.aten


def fuse_mm_add(gm: GraphModule) -> GraphModule:
    """add(mm(a, b), bias) -> addmm(bias, a, b): one kernel call, one output buffer."""
    for node in list(gm.graph.nodes):
        if node.op != "call_function" or node.target != aten.add.Tensor:
            continue
        mm, bias = node.args[0], node.args[1]
        if not (isinstance(mm, Node) and mm.target == aten.mm.default and len(mm.users) == 1):
            continue
        if node.kwargs.get("alpha", 1) != 1:
            continue
        with gm.graph.inserting_before(node):
            fused = gm.graph.call_function(aten.addmm.default, (bias, *mm.args))
        node.replace_all_uses_with(fused)
        gm.graph.erase_node(node)  # mm is now dead: slimtorch removes it after the pass
    return gm


def no_reuse(
    tensors: Sequence[slimtorch.TensorLifetime], memories: Sequence[slimtorch.Memory]
) -> dict[int, slimtorch.Placement]:
    """Every tensor at its own offset in memory 0, one after another: no bytes shared."""
    placements, offset = {}, 0
    for t in tensors:
        placements[t.key] = slimtorch.Placement(0, offset)
        offset += (t.nbytes + t.alignment - 1) // t.alignment * t.alignment
    return placements


def passes() -> list[slimtorch.Pass]:
    return [fuse_mm_add]


def memory_planner() -> slimtorch.Planner:
    return no_reuse
