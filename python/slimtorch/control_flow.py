"""Higher-order ops (torch.cond, while_loop, map, scan) as jumps over inlined subgraphs.

Each subgraph is emitted inline into the one instruction chain, its placeholders bound to
the values the op passes in. The shapes follow upstream ExecuTorch's emitter (FORMAT.md):

- cond: JumpFalse(pred -> false branch); true branch; MoveCall results to the cond's
  outputs; JumpFalse(const false -> end); false branch; MoveCall results. The outputs are
  values with no storage of their own: each move makes them alias a branch's result.
- map / scan: `aten::sym_size.int` of xs dim 0 is the trip count; each iteration slices
  xs with `select_copy.int_out`, runs the body, writes each step's output with
  `executorch_prim::et_copy_index.tensor`, carries scan state with `aten::copy_`, and
  closes with `executorch_prim::add/eq.Scalar` and a JumpFalse back-edge; the counter is
  reset afterwards so the method can run again.
- while_loop (upstream refuses it): the carried tensors are copied into loop-state tensors
  (`aten::copy_`), then: cond subgraph; JumpFalse(pred -> end); body; copy the body's
  results into the state; JumpFalse(const false -> cond).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch.fx import GraphModule, Node

from slimtorch import schema

if TYPE_CHECKING:
    from slimtorch.emitter import _Emitter

higher_order = torch.ops.higher_order

# Constructs torch.export produces but this emitter does not: what to write instead.
_UNSUPPORTED_FIX = {
    "associative_scan": "write the recurrence with torch._higher_order_ops.scan",
    "invoke_subgraph": "call the module directly (no torch.compile nested regions)",
    "flex_attention": "write attention with matmul and softmax",
    "auto_functionalized": "avoid custom ops that mutate their inputs",
    "with_effects": "avoid ops with side effects (print, custom effectful ops)",
}


def _subgraph(node: Node, arg: Any) -> GraphModule:
    if not isinstance(arg, Node) or arg.op != "get_attr":
        raise TypeError(f"{node.name}: expected a subgraph argument, got {arg!r}")
    owner = arg.graph.owning_module
    gm = getattr(owner, str(arg.target))
    assert isinstance(gm, GraphModule)
    return gm


def emit_subgraph(em: _Emitter, gm: GraphModule, bindings: list[int]) -> list[int]:
    """Emits `gm` inline with its placeholders bound to `bindings`; returns the value
    indices of its outputs."""
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    if len(placeholders) != len(bindings):
        raise em._error(f"subgraph {gm.__class__.__name__} takes {len(placeholders)} inputs, "
                        f"got {len(bindings)}", "This higher-order op form is not supported")
    for ph, value in zip(placeholders, bindings, strict=True):
        em.node_values[ph] = value
    parent = em.node
    output = em.emit_nodes(gm.graph)
    em.node = parent
    assert output is not None
    results = output.args[0]
    results = list(results) if isinstance(results, list | tuple) else [results]
    return [em._node_tensor(r) for r in results]


def _values(em: _Emitter, args: Any) -> list[int]:
    out = []
    for a in args:
        if isinstance(a, Node) and isinstance(a.meta.get("val"), torch.SymInt | int):
            out.append(em._int_value(a))
        else:
            out.append(em._node_tensor(a))
    return out


def _jump(em: _Emitter, cond: int, dest: int = -1) -> schema.JumpFalseCall:
    jf = schema.JumpFalseCall(cond_value_index=cond, destination_instruction=dest)
    em.instructions.append(schema.Instruction(jf))
    return jf


def _results(node: Node) -> list[torch.Tensor]:
    val = node.meta.get("val")
    return list(val) if isinstance(val, list | tuple) else [val]


def emit_cond(em: _Emitter, node: Node) -> None:
    pred, true_arg, false_arg, operands = node.args
    pred_value = em._node_tensor(pred) if not isinstance(pred, bool) else em._add(
        schema.Bool(pred))
    bindings = _values(em, operands)
    outs = [em._tensor_value(r, planned=False) for r in _results(node)]
    skip_true = _jump(em, pred_value)
    for src, dst in zip(emit_subgraph(em, _subgraph(node, true_arg), bindings), outs,
                        strict=True):
        em.instructions.append(schema.Instruction(schema.MoveCall(src, dst)))
    skip_false = _jump(em, em._add(schema.Bool(False)))
    skip_true.destination_instruction = len(em.instructions)
    for src, dst in zip(emit_subgraph(em, _subgraph(node, false_arg), bindings), outs,
                        strict=True):
        em.instructions.append(schema.Instruction(schema.MoveCall(src, dst)))
    skip_false.destination_instruction = len(em.instructions)
    em.node_values[node] = outs


def _copy_back(em: _Emitter, state: list[int], results: list[int]) -> None:
    """state[k] = results[k] for all k, as if simultaneously: a result that is itself a
    state tensor (a body returning its inputs swapped) is first copied to a temporary."""
    sources = []
    for k, r in enumerate(results):
        if r in state and state.index(r) != k:
            t = em.values[r].val
            assert isinstance(t, schema.Tensor)
            tmp = em._add(schema.Tensor(
                scalar_type=t.scalar_type, storage_offset=0, sizes=list(t.sizes),
                dim_order=list(t.dim_order), requires_grad=False, data_buffer_idx=0,
                shape_dynamism=t.shape_dynamism))
            em.planned.append(tmp)
            em.emit_copy_(tmp, r)
            r = tmp
        sources.append(r)
    for dst, src in zip(state, sources, strict=True):
        if dst != src:
            em.emit_copy_(dst, src)


def _state_tensors(em: _Emitter, node: Node, count: int) -> list[int]:
    results = _results(node)[:count]
    for r in results:
        if not isinstance(r, torch.Tensor):
            raise em._error(
                f"loop-carried value {r!r} is not a tensor",
                "Carry loop counters as 0-dim tensors, e.g. torch.zeros((), dtype=torch.int64)")
    return [em._tensor_value(r) for r in results]


def emit_while_loop(em: _Emitter, node: Node) -> None:
    cond_arg, body_arg, carried, additional = node.args
    state = _state_tensors(em, node, len(carried))  # type: ignore[arg-type]
    extra = _values(em, additional)
    _copy_back(em, state, _values(em, carried))
    top = len(em.instructions)
    (pred,) = emit_subgraph(em, _subgraph(node, cond_arg), state + extra)
    leave = _jump(em, pred)
    _copy_back(em, state, emit_subgraph(em, _subgraph(node, body_arg), state + extra))
    _jump(em, em._add(schema.Bool(False)), top)
    leave.destination_instruction = len(em.instructions)
    em.node_values[node] = state


def _loop(em: _Emitter, node: Node, body: GraphModule, init: list[int], xs: list[Any],
          extra: list[int], outs: list[int]) -> None:
    """map/scan: run `body` once per slice xs[:, i] (see the module doc)."""
    n_carry = len(init)
    carry, ys = outs[:n_carry], outs[n_carry:]
    xs_values = [em._node_tensor(x) for x in xs]
    counter = em._add(schema.Int(0))
    trips = em._add(schema.Int(0))
    em.instructions.append(schema.Instruction(schema.KernelCall(
        em._operator(("aten::sym_size", "int")),
        [xs_values[0], em._add(schema.Int(0)), trips])))
    _copy_back(em, carry, init)
    placeholders = [n for n in body.graph.nodes if n.op == "placeholder"]
    slices = [em._tensor_value(ph.meta["val"]) for ph in placeholders[n_carry:n_carry + len(xs)]]
    top = len(em.instructions)
    select = em._operator(("aten::select_copy", "int_out"))
    for x, s in zip(xs_values, slices, strict=True):
        em.instructions.append(schema.Instruction(schema.KernelCall(
            select, [x, em._add(schema.Int(0)), counter, s, s])))
    results = emit_subgraph(em, body, carry + slices + extra)
    _copy_back(em, carry, results[:n_carry])
    copy_index = em._operator(("executorch_prim::et_copy_index", "tensor"))
    for y_out, y in zip(ys, results[n_carry:], strict=True):
        em.instructions.append(schema.Instruction(schema.KernelCall(
            copy_index, [y_out, y, counter])))
    em.instructions.append(schema.Instruction(schema.KernelCall(
        em._operator(("executorch_prim::add", "Scalar")),
        [counter, em._add(schema.Int(1)), counter])))
    done = em._add(schema.Bool(False))
    em.instructions.append(schema.Instruction(schema.KernelCall(
        em._operator(("executorch_prim::eq", "Scalar")), [counter, trips, done])))
    _jump(em, done, top)
    em.instructions.append(schema.Instruction(schema.KernelCall(
        em._operator(("executorch_prim::sub", "Scalar")), [counter, trips, counter])))
    em.node_values[node] = outs


def _stacked_outputs(em: _Emitter, node: Node, first: int) -> list[int]:
    """Planned output values; stacked outputs (from index `first`) are DYNAMIC_BOUND as
    upstream marks them (et_copy_index grows them)."""
    outs = []
    for k, r in enumerate(_results(node)):
        idx = em._tensor_value(r)
        if k >= first:
            t = em.values[idx].val
            assert isinstance(t, schema.Tensor)
            t.shape_dynamism = int(schema.TensorShapeDynamism.DYNAMIC_BOUND)
        outs.append(idx)
    return outs


def emit_map(em: _Emitter, node: Node) -> None:
    body_arg, xs, extra = node.args
    body = _subgraph(node, body_arg)
    _loop(em, node, body, [], list(xs), _values(em, extra),  # type: ignore[arg-type]
          _stacked_outputs(em, node, 0))


def emit_scan(em: _Emitter, node: Node) -> None:
    body_arg, init, xs, extra = node.args  # torch.export flips xs itself for reverse=True
    body = _subgraph(node, body_arg)
    _loop(em, node, body, _values(em, init), list(xs), _values(em, extra),  # type: ignore[arg-type]
          _stacked_outputs(em, node, len(init)))  # type: ignore[arg-type]


_EMITTERS = {
    higher_order.cond: emit_cond,
    higher_order.while_loop: emit_while_loop,
    higher_order.map_impl: emit_map,
    higher_order.scan: emit_scan,
}


def emit_higher_order(em: _Emitter, node: Node) -> None:
    emit = _EMITTERS.get(node.target)  # type: ignore[call-overload]
    if emit is not None:
        emit(em, node)
        return
    name = getattr(node.target, "__name__", str(node.target))
    fix = _UNSUPPORTED_FIX.get(name, "use torch.cond, while_loop, map or scan")
    raise em._error(f"control-flow construct {name} cannot be exported to a program",
                    f"Instead, {fix}")
