"""`slimtorch inspect`: a readable summary of any .pte program."""

from __future__ import annotations

from slimtorch import memory_report, schema
from slimtorch.dtypes import ELEMENT_SIZE, scalar_type_name
from slimtorch.pte import PteFile


def op_name(op: schema.Operator) -> str:
    """'aten::add.out', or 'aten::copy_' when the overload is empty."""
    return f"{op.name}.{op.overload}" if op.overload else str(op.name)


def tensor_nbytes(t: schema.Tensor) -> int:
    numel = 1
    for s in t.sizes:
        numel *= s
    return numel * ELEMENT_SIZE.get(t.scalar_type, 0)


def describe_value(v: schema.EValue) -> str:
    x = v.val
    if isinstance(x, schema.Tensor):
        shape = "x".join(str(s) for s in x.sizes) if x.sizes else "()"
        where = ""
        if x.allocation_info is not None:
            a = x.allocation_info
            where = f" @mem{a.memory_id}+{a.offset}"
        if x.data_buffer_idx:
            where += f" const#{x.data_buffer_idx}"
        if not where:
            where = " (runtime-provided)"
        dyn = "" if x.shape_dynamism == 0 else f" dynamism={x.shape_dynamism}"
        return f"tensor {scalar_type_name(x.scalar_type)} {shape}{where}{dyn}"
    if x is None or isinstance(x, schema.Null):
        return "none"
    if isinstance(x, schema.Int):
        return f"int {x.int_val}"
    if isinstance(x, schema.Bool):
        return f"bool {x.bool_val}"
    if isinstance(x, schema.Double):
        return f"double {x.double_val!r}"
    if isinstance(x, schema.String):
        return f"string {x.string_val!r}"
    if isinstance(x, schema.IntList):
        return "int_list [" + ", ".join(f"v{i}" for i in x.items) + "]"
    if isinstance(x, schema.DoubleList | schema.BoolList):
        return f"{type(x).__name__} {list(x.items)}"
    if isinstance(x, schema.TensorList | schema.OptionalTensorList):
        items = ", ".join("none" if i < 0 else f"v{i}" for i in x.items)
        return f"{type(x).__name__} [{items}]"
    return type(x).__name__


def _instruction(ins: schema.Instruction, plan: schema.ExecutionPlan) -> str:
    a = ins.instr_args
    if isinstance(a, schema.KernelCall):
        name = (op_name(plan.operators[a.op_index]) if 0 <= a.op_index < len(plan.operators)
                else f"<bad op {a.op_index}>")
        return f"{name}(" + ", ".join(f"v{i}" for i in a.args) + ")"
    if isinstance(a, schema.DelegateCall):
        return f"delegate#{a.delegate_index}(" + ", ".join(f"v{i}" for i in a.args) + ")"
    if isinstance(a, schema.MoveCall):
        return f"move v{a.move_from} -> v{a.move_to}"
    if isinstance(a, schema.JumpFalseCall):
        return f"jump_false v{a.cond_value_index} -> {a.destination_instruction}"
    if isinstance(a, schema.FreeCall):
        return f"free v{a.value_index}"
    return "<empty instruction>"


def summarize(pte: PteFile, name: str = "program", show_values: bool = True) -> str:
    p = pte.program
    lines = [f"{name}: {len(pte.data)} bytes, flatbuffer {pte.program_size} bytes, "
             f"version {p.version}"]
    lines.append(f"segments ({len(p.segments)}):")
    for i, s in enumerate(p.segments):
        lines.append(f"  {i}: offset {s.offset} size {s.size}")
    lines.append(f"constant bytes: {pte.constant_bytes}")
    for plan in p.execution_plan:
        lines.append(f"method {plan.name}:")
        for label, idxs in (("inputs", plan.inputs), ("outputs", plan.outputs)):
            lines.append(f"  {label}:")
            for k, idx in enumerate(idxs):
                desc = describe_value(plan.values[idx]) if 0 <= idx < len(plan.values) else "?"
                lines.append(f"    {k}: v{idx} {desc}")
        lines.extend(memory_report.memory_lines(plan))
        lines.append(f"  operators ({len(plan.operators)}):")
        for i, op in enumerate(plan.operators):
            lines.append(f"    {i}: {op_name(op)}")
        if plan.delegates:
            lines.append(f"  delegates ({len(plan.delegates)}):")
            for i, d in enumerate(plan.delegates):
                lines.append(f"    {i}: {d.id}")
        for c, chain in enumerate(plan.chains):
            lines.append(f"  chain {c}: {len(chain.instructions)} instructions")
            for i, ins in enumerate(chain.instructions):
                lines.append(f"    {i}: {_instruction(ins, plan)}")
        if show_values:
            lines.append(f"  values ({len(plan.values)}):")
            for i, v in enumerate(plan.values):
                lines.append(f"    v{i}: {describe_value(v)}")
    return "\n".join(lines) + "\n"
