"""`slimtorch profile`: an ETDump's events mapped onto a program's instructions, summed per
operator, printed as a table and drawn as an SVG bar chart.

Events are read the way upstream's runtime writes them (and slimtorch's, which follows it):

- an *instruction event* is named `OPERATOR_CALL`, `DELEGATE_CALL`, `MOVE_CALL`, `JF_CALL` or
  `FREE_CALL` and carries the instruction's `chain_index` and `instruction_id` (its index in
  the chain); it maps to the instruction's operator, delegate backend or primitive;
- *nested events* carry the same ids but another name (upstream's kernel wrappers log
  `native_call_<op>`) or a delegate debug id (events a backend logs inside its call);
- *method events* (`chain_index` -1): `Program::load_method`, `Method::init`,
  `Method::execute`; each `Method::execute` is one run.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from slimtorch import schema
from slimtorch.inspect_pte import op_name
from slimtorch.profiling import schema as es
from slimtorch.pte import PteFile

INSTRUCTION_EVENTS = {
    "OPERATOR_CALL": schema.KernelCall,
    "DELEGATE_CALL": schema.DelegateCall,
    "MOVE_CALL": schema.MoveCall,
    "JF_CALL": schema.JumpFalseCall,
    "FREE_CALL": schema.FreeCall,
}
LOAD, INIT, EXECUTE = "Program::load_method", "Method::init", "Method::execute"
_PRIM_NAMES = {
    schema.MoveCall: "prim: move",
    schema.JumpFalseCall: "prim: jump_false",
    schema.FreeCall: "prim: free",
}


class ProfileError(ValueError):
    """The ETDump does not fit the program (wrong program or method); the message says how."""


@dataclass
class Row:
    """One operator (or delegate backend, or primitive) of the table."""

    name: str
    instructions: set[tuple[int, int]] = field(default_factory=set)  # (chain, index)
    durations: list[int] = field(default_factory=list)  # ticks, one per call

    @property
    def total(self) -> int:
        return sum(self.durations)

    @property
    def median(self) -> float:
        return float(statistics.median(self.durations)) if self.durations else 0.0


@dataclass
class Profile:
    method: str
    rows: list[Row]  # instruction rows, most total time first
    nested: list[Row]  # events inside instructions, keyed "<row name> / <event name>"
    load: list[int]  # durations of Program::load_method
    init: list[int]  # durations of Method::init
    execute: list[int]  # durations of Method::execute (one per run)
    runs: int
    other_events: dict[str, int]  # kind -> count (allocation, debug events)

    @property
    def total(self) -> int:
        return sum(r.total for r in self.rows)


def instruction_name(pf: PteFile, plan: schema.ExecutionPlan, ins: schema.Instruction) -> str:
    """'aten::addmm.out', 'delegate XnnpackBackend', 'prim: move', ..."""
    a = ins.instr_args
    if isinstance(a, schema.KernelCall):
        if 0 <= a.op_index < len(plan.operators):
            return op_name(plan.operators[a.op_index])
        return f"<operator #{a.op_index}>"
    if isinstance(a, schema.DelegateCall):
        delegates = plan.delegates
        if 0 <= a.delegate_index < len(delegates):
            return f"delegate {delegates[a.delegate_index].id}"
        return f"<delegate #{a.delegate_index}>"
    return _PRIM_NAMES.get(type(a), "<empty instruction>")


def pick_method(pf: PteFile, method: str | None) -> schema.ExecutionPlan:
    """The plan named `method`; by default `forward`, or the only one."""
    plans = pf.program.execution_plan
    names = [str(p.name) for p in plans]
    if method is None:
        if len(plans) == 1:
            return plans[0]
        method = "forward"
    for p in plans:
        if p.name == method:
            return p
    raise ProfileError(
        f"the program has no method {method!r}; its methods: "
        f"{', '.join(names) or 'none'} (choose one with --method)"
    )


def analyse(pf: PteFile, dump: es.ETDump, method: str | None = None) -> Profile:
    """Sum `dump`'s events per operator of `method` (`ProfileError` when they do not fit)."""
    plan = pick_method(pf, method)
    rows: dict[str, Row] = {}
    nested: dict[str, Row] = {}
    load: list[int] = []
    init: list[int] = []
    execute: list[int] = []
    other: dict[str, int] = {}
    runs_with_instructions = 0
    for r, run in enumerate(dump.run_data):
        saw_instruction = False
        for i, event in enumerate(run.events):
            p = event.profile_event
            if p is None:
                kind = "allocation" if event.allocation_event is not None else "debug"
                other[kind] = other.get(kind, 0) + 1
                continue
            duration = p.end_time - p.start_time
            if p.chain_index == es.UNSET_CHAIN:
                {LOAD: load, INIT: init, EXECUTE: execute}.get(str(p.name), []).append(duration)
                continue
            where = f"ETDump run_data[{r}].events[{i}] ({p.name!r})"
            ins = _instruction_at(plan, p.chain_index, p.instruction_id, where)
            name = instruction_name(pf, plan, ins)
            expected = INSTRUCTION_EVENTS.get(str(p.name))
            is_delegate_event = (
                p.delegate_debug_id_int != es.UNSET_ID or p.delegate_debug_id_str is not None
            )
            if expected is not None and not is_delegate_event:
                if not isinstance(ins.instr_args, expected):
                    raise ProfileError(
                        f"{where} is for chain {p.chain_index} instruction {p.instruction_id}, "
                        f"which is {name}, not a {expected.__name__}: the ETDump was written "
                        f"by another program (or method) than {plan.name!r}"
                    )
                row = rows.setdefault(name, Row(name))
                saw_instruction = True
            else:
                label = (
                    p.name
                    if p.name is not None
                    else p.delegate_debug_id_str
                    if p.delegate_debug_id_str is not None
                    else f"delegate event {p.delegate_debug_id_int}"
                )
                key = f"{name} / {label}"
                row = nested.setdefault(key, Row(key))
            row.instructions.add((p.chain_index, p.instruction_id))
            row.durations.append(duration)
        runs_with_instructions += saw_instruction
    return Profile(
        method=str(plan.name),
        rows=sorted(rows.values(), key=lambda row: -row.total),
        nested=sorted(nested.values(), key=lambda row: -row.total),
        load=load,
        init=init,
        execute=execute,
        runs=len(execute) if execute else runs_with_instructions,
        other_events=other,
    )


def _instruction_at(
    plan: schema.ExecutionPlan, chain: int, index: int, where: str
) -> schema.Instruction:
    if not 0 <= chain < len(plan.chains):
        raise ProfileError(
            f"{where} names chain {chain}, but method {plan.name!r} has {len(plan.chains)} "
            "chain(s): this ETDump was not written by this program (or pick the method that "
            "ran with --method)"
        )
    instructions = plan.chains[chain].instructions
    if not 0 <= index < len(instructions):
        raise ProfileError(
            f"{where} names instruction {index} of chain {chain}, but method {plan.name!r} "
            f"has {len(instructions)} instructions there: this ETDump was not written by this "
            "program (or pick the method that ran with --method)"
        )
    return instructions[index]


# ----------------------------------------------------------------------------- output


def _us(ticks: float, tick_ns: float) -> str:
    return f"{ticks * tick_ns / 1000:.3f}"


def _median(values: list[int]) -> float:
    return float(statistics.median(values)) if values else 0.0


def format_table(prof: Profile, tick_ns: float = 1.0, title: str = "") -> str:
    """The per-operator table and the load/init/run lines, as text."""
    unit = ("ns" if tick_ns == 1.0 else f"{tick_ns:g} ns") + " per ETDump tick"
    lines = [
        f"{title}method {prof.method!r}: {prof.runs} run(s); times in us "
        f"({unit}; slimtorch's runtime writes nanoseconds)"
    ]
    for label, values in (
        ("load (Program::load_method)", prof.load),
        ("init (Method::init)", prof.init),
        ("execute (Method::execute), median", prof.execute),
    ):
        if values:
            lines.append(
                f"  {label}: {_us(_median(values), tick_ns)} us"
                + (f" ({len(values)} events)" if len(values) > 1 else "")
            )
    total = prof.total
    head = ("operator", "instrs", "count", "total us", "share", "median us")
    body = [
        (
            r.name,
            str(len(r.instructions)),
            str(len(r.durations)),
            _us(r.total, tick_ns),
            f"{100 * r.total / total:.1f}%" if total else "-",
            _us(r.median, tick_ns),
        )
        for r in prof.rows
    ]
    body.append(
        (
            "total",
            str(sum(len(r.instructions) for r in prof.rows)),
            str(sum(len(r.durations) for r in prof.rows)),
            _us(total, tick_ns),
            "100.0%" if total else "-",
            "",
        )
    )
    lines += _columns(head, body)
    if prof.nested:
        lines.append(
            "  inside those instructions (kernel scopes; events a delegate logs, timed by the "
            "backend's own clock): not added to the total"
        )
        lines += _columns(
            ("event", "instrs", "count", "total us", "", "median us"),
            [
                (
                    r.name,
                    str(len(r.instructions)),
                    str(len(r.durations)),
                    _us(r.total, tick_ns),
                    "",
                    _us(r.median, tick_ns),
                )
                for r in prof.nested
            ],
        )
    for kind, n in sorted(prof.other_events.items()):
        lines.append(f"  {n} {kind} event(s) not shown")
    return "\n".join(lines) + "\n"


def _columns(head: tuple[str, ...], body: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[c]) for row in [head, *body]) for c in range(len(head))]

    def line(row: tuple[str, ...]) -> str:
        cells = [row[0].ljust(widths[0])] + [
            v.rjust(w) for v, w in zip(row[1:], widths[1:], strict=True)
        ]
        return ("  " + "  ".join(cells)).rstrip()

    return [line(head)] + [line(row) for row in body]


def profile_svg(prof: Profile, tick_ns: float = 1.0, title: str = "") -> str:
    """The table as a horizontal bar chart (one bar per operator, length = total time)."""
    bar_h, gap, left, right, top = 22, 8, 260, 220, 50
    width = 960
    plot_w = width - left - right
    height = top + len(prof.rows) * (bar_h + gap) + 40
    total = prof.total
    longest = max((r.total for r in prof.rows), default=0) or 1
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="10" y="20" font-size="15">{escape(title)}{escape(prof.method)}: time per '
        f"operator over {prof.runs} run(s), total {_us(total, tick_ns)} us</text>",
        '<text x="10" y="38" fill="#555">bar: total time; label: total us, share, calls, '
        "median us per call</text>",
    ]
    for k, r in enumerate(prof.rows):
        y = top + k * (bar_h + gap)
        w = max(r.total / longest * plot_w, 1.0)
        share = f"{100 * r.total / total:.1f}%" if total else "-"
        label = (
            f"{_us(r.total, tick_ns)} us, {share}, {len(r.durations)} calls, "
            f"median {_us(r.median, tick_ns)} us"
        )
        out.append(
            f'<g class="bar" data-operator="{escape(r.name)}">'
            f'<text x="{left - 6}" y="{y + bar_h - 6}" text-anchor="end">'
            f"{escape(r.name)}</text>"
            f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="#4e79a7">'
            f"<title>{escape(r.name)}: {label}</title></rect>"
            f'<text x="{left + w + 6:.1f}" y="{y + bar_h - 6}">{escape(label)}</text></g>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
