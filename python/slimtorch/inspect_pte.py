"""`slimtorch inspect`: a readable summary of any .pte program."""

from __future__ import annotations

from typing import Any

from slimtorch import memory_report, schema
from slimtorch.dtypes import ELEMENT_SIZE, scalar_type_name
from slimtorch.pte import PteError, PteFile

XNNPACK_BACKEND_ID = "XnnpackBackend"


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


def _spec_value(value: bytes) -> str:
    """A compile spec's bytes: as text when printable, else hex (at most 16 bytes shown)."""
    try:
        text = value.decode("ascii")
        if text.isprintable():
            return repr(text)
    except UnicodeDecodeError:
        pass
    shown = value[:16].hex()
    return f"0x{shown}{'...' if len(value) > 16 else ''} ({len(value)} bytes)"


def _xnnpack_summary(blob: bytes) -> str:
    """One line about an XNNPACK blob, from slimtorch.backends.xnnpack.read_blob; a blob it
    cannot read gives a line saying why (never a traceback)."""
    try:
        from slimtorch.backends.xnnpack import read_blob
    except ImportError as e:
        return f"graph not decoded: slimtorch.backends.xnnpack is not available ({e})"
    try:
        summary: Any = read_blob(blob)
    except Exception as e:  # XnnBlobError, or any failure of a reader on hostile bytes
        return f"unreadable XNNPACK blob: {e}"
    describe = getattr(summary, "describe", None)
    if callable(describe):
        return str(describe())
    nodes = list(getattr(summary, "node_types", None) or getattr(summary, "nodes", None) or [])
    counts: dict[str, int] = {}
    for n in nodes:
        counts[str(n)] = counts.get(str(n), 0) + 1
    kinds = ", ".join(f"{k} x{c}" if c > 1 else k for k, c in counts.items())
    parts = [f"{len(nodes)} nodes ({kinds})" if nodes else "0 nodes"]
    for attr, label in (("num_values", "values"),):
        if getattr(summary, attr, None) is not None:
            parts.append(f"{getattr(summary, attr)} {label}")
    for attr, label in (("input_ids", "inputs"), ("output_ids", "outputs")):
        ids = getattr(summary, attr, None)
        if ids is not None:
            parts.append(f"{label} {list(ids)}")
    sizes = getattr(summary, "constant_sizes", None)
    if sizes is not None:
        parts.append(f"{len(sizes)} constants, {sum(sizes)} bytes")
    return ", ".join(parts)


def delegate_lines(pte: PteFile, plan: schema.ExecutionPlan) -> list[str]:
    """What inspect says about each delegate: index, backend id, where its blob is and its
    size, compile specs, and for XNNPACK a summary of its graph."""
    lines = [f"  delegates ({len(plan.delegates)}):"]
    for i, d in enumerate(plan.delegates):
        ref = d.processed
        if ref is None:
            where = "no data reference"
        elif ref.location == schema.DataLocation.INLINE:
            where = f"inline #{ref.index}"
        elif ref.location == schema.DataLocation.SEGMENT:
            where = f"segment {ref.index}"
        else:
            where = f"location {ref.location}?"
        blob: bytes | None = None
        try:
            blob = pte.delegate_blob(d)
            size = f"{len(blob)} bytes"
        except PteError as e:
            size = f"unreadable: {e}"
        lines.append(f"    {i}: {d.id} blob {where}, {size}")
        for spec in d.compile_specs:
            lines.append(f"       compile spec {spec.key}: {_spec_value(spec.value)}")
        if blob is not None and d.id == XNNPACK_BACKEND_ID:
            lines.append(f"       {_xnnpack_summary(blob)}")
    return lines


def _named_data_lines(pte: PteFile, each: bool) -> list[str]:
    """The named data entries (`each`: one line per entry, else only their count and bytes)."""
    entries = pte.program.named_data or []
    if not entries:
        return []
    if not each:
        total = 0
        for e in entries:
            if 0 <= e.segment_index < len(pte.program.segments):
                total += pte.program.segments[e.segment_index].size
        return [f"named data: {len(entries)} entries, {total} bytes"]
    lines = [f"named data ({len(entries)}):"]
    for e in entries:
        try:
            size = f"{len(pte.segment(e.segment_index))} bytes"
        except (PteError, IndexError) as err:
            size = f"unreadable: {err}"
        lines.append(f"  {e.key}: segment {e.segment_index}, {size}")
    return lines


def summarize(pte: PteFile, name: str = "program", show_values: bool = True) -> str:
    p = pte.program
    lines = [f"{name}: {len(pte.data)} bytes, flatbuffer {pte.program_size} bytes, "
             f"version {p.version}"]
    lines.append(f"segments ({len(p.segments)}):")
    for i, s in enumerate(p.segments):
        lines.append(f"  {i}: offset {s.offset} size {s.size}")
    lines.append(f"constant bytes: {pte.constant_bytes}")
    lines.extend(_named_data_lines(pte, show_values))
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
            lines.extend(delegate_lines(pte, plan))
        for c, chain in enumerate(plan.chains):
            lines.append(f"  chain {c}: {len(chain.instructions)} instructions")
            for i, ins in enumerate(chain.instructions):
                lines.append(f"    {i}: {_instruction(ins, plan)}")
        if show_values:
            lines.append(f"  values ({len(plan.values)}):")
            for i, v in enumerate(plan.values):
                lines.append(f"    v{i}: {describe_value(v)}")
    return "\n".join(lines) + "\n"


def summarize_bundle(bundle: Any, name: str = "bundle", show_values: bool = True) -> str:
    """`slimtorch inspect` of a bundled program (slimtorch.bundle.Bundle): its test cases
    (each input's and expected output's type, dtype and shape), then the program inside as
    `summarize` prints a .pte."""
    from slimtorch.bundle import values

    total = sum(len(cases) for cases in bundle.suites.values())
    lines = [f"{name}: bundled program (BP08, version {bundle.version}), {total} test "
             f"case{'s' if total != 1 else ''}, program {len(bundle.program)} bytes"]
    for method, cases in bundle.suites.items():
        lines.append(f"test cases of method {method} ({len(cases)}):")
        for c, case in enumerate(cases):
            lines.append(f"  case {c}:")
            for label, vals in (("input", case.inputs), ("expected", case.expected_outputs)):
                for k, v in enumerate(vals):
                    lines.append(f"    {label} {k}: {values.describe(v)}")
    head = "\n".join(lines) + "\n"
    return head + summarize(bundle.pte(), f"{name} program", show_values)
