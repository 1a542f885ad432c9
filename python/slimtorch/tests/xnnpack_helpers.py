"""XNNPACK test helpers: a whole exported program as one partition and a one-DelegateCall
program around a blob (stand-ins for the partitioner and emitter, to test the backend alone)."""

from __future__ import annotations

import torch

from slimtorch import passes
from slimtorch.backends import Partition
from slimtorch.model_file import load_model_file

from .conftest import REPO


def decomposed(module: torch.nn.Module, inputs: tuple) -> torch.export.ExportedProgram:
    return passes.decompose(torch.export.export(module, inputs))


def whole_partition(ep: torch.export.ExportedProgram, index: int = 0) -> Partition:
    """Every call_function node of `ep` as one partition (all must be supported)."""
    sig = ep.graph_signature
    consts: dict[str, torch.Tensor] = {}
    for name, target in sig.inputs_to_parameters.items():
        consts[name] = ep.state_dict[target]
    for name, target in sig.inputs_to_buffers.items():
        consts[name] = ep.state_dict[target] if target in ep.state_dict else ep.constants[target]
    for name, target in sig.inputs_to_lifted_tensor_constants.items():
        consts[name] = ep.constants[target]
    nodes = [n.name for n in ep.graph.nodes if n.op == "call_function"]
    return Partition(index, ep.graph_module, list(sig.user_inputs), consts, nodes)


def model_partition(name: str) -> tuple[Partition, torch.nn.Module, tuple]:
    lm = load_model_file(REPO / "models" / f"{name}.py")
    ep = decomposed(lm.module, lm.example_inputs)
    return whole_partition(ep), lm.module, lm.example_inputs


def _tree(n: int) -> str:
    leaf = '{"type": null, "context": null, "children_spec": []}'
    return (
        '[1, {"type": "builtins.tuple", "context": "null", "children_spec": ['
        + ", ".join([leaf] * n)
        + "]}]"
    )


def delegated_program(
    partition: Partition, backend_id: str, blob: bytes, named_data: dict[str, bytes]
) -> bytes:
    """A .pte whose forward is one DelegateCall of `blob` over the partition's inputs and
    outputs (float32), blob and named data in segments as upstream 1.5.1 stores them. The
    partitioner/emitter's stand-in for these tests."""
    from slimtorch import pte, schema

    placeholders = {n.name: n for n in partition.graph_module.graph.nodes}
    shapes = [tuple(placeholders[i].meta["val"].shape) for i in partition.inputs]
    shapes += [tuple(o.meta["val"].shape) for o in partition.outputs]
    values = []
    offset = 0
    for shape in shapes:
        values.append(
            schema.EValue(
                schema.Tensor(
                    scalar_type=schema.ScalarType.FLOAT,
                    sizes=list(shape),
                    dim_order=list(range(len(shape))),
                    allocation_info=schema.AllocationDetails(memory_id=1, memory_offset_low=offset),
                )
            )
        )
        offset += (4 * int(torch.Size(shape).numel()) + 15) // 16 * 16
    n_in = len(partition.inputs)
    ids = list(range(len(shapes)))
    segments = [b"", blob]
    named = []
    for key, data in named_data.items():
        named.append(schema.NamedData(key=key, segment_index=len(segments)))
        segments.append(data)
    plan = schema.ExecutionPlan(
        name="forward",
        container_meta_type=schema.ContainerMetadata(
            '[1, {"type": "builtins.tuple", "context": "null", "children_spec": ['
            + _tree(n_in)[4:-1]
            + ', {"type": "builtins.dict", "context": "[]", '
            '"children_spec": []}]}]',
            _tree(len(shapes) - n_in),
        ),
        values=values,
        inputs=ids[:n_in],
        outputs=ids[n_in:],
        chains=[
            schema.Chain(
                inputs=ids[:n_in],
                outputs=ids[n_in:],
                instructions=[schema.Instruction(schema.DelegateCall(0, ids))],
            )
        ],
        delegates=[
            schema.BackendDelegate(
                backend_id, schema.BackendDelegateDataReference(schema.DataLocation.SEGMENT, 1)
            )
        ],
        non_const_buffer_sizes=[0, offset],
    )
    program = schema.Program(
        version=0,
        execution_plan=[plan],
        constant_segment=schema.SubsegmentOffsets(0, [0]),
        named_data=named,
    )
    return pte.write_pte(program, segments)
