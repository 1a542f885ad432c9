"""`slimtorch inspect --memory`: planned bytes vs lower bound per memory, and the plan drawn
as an SVG timeline (x: instruction index, y: byte offset; one panel per memory id, one
rectangle per planned tensor). The SVG is written by hand: no plotting package needed."""

from __future__ import annotations

from xml.sax.saxutils import escape

from slimtorch import schema
from slimtorch.memory_planning import MemoryStats, method_memory_stats

_PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
            "#ff9da7", "#9c755f", "#bab0ac")


def memory_lines(plan: schema.ExecutionPlan, stats: list[MemoryStats] | None = None) -> list[str]:
    """'memory id 1: planned 2432 bytes, lower bound 2432 bytes, ratio 1.000 (7 tensors)'."""
    stats = method_memory_stats(plan) if stats is None else stats
    if not stats:
        return ["  planned memory: none"]
    lines = ["  planned memory (lower bound: most bytes live at one instruction, 16-byte aligned):"]
    for s in stats:
        lines.append(f"    memory id {s.memory_id}: planned {s.planned_bytes} bytes, lower bound "
                     f"{s.lower_bound} bytes, ratio {s.ratio:.3f} ({len(s.tensors)} tensors)")
    return lines


def plan_svg(plan: schema.ExecutionPlan, title: str = "",
             stats: list[MemoryStats] | None = None) -> str:
    """The plan as an SVG document (one panel per memory id)."""
    stats = method_memory_stats(plan) if stats is None else stats
    n_instr = len(plan.chains[0].instructions) if plan.chains else 0
    width, panel_h, left, top = 900, 260, 80, 40
    plot_w = width - left - 20
    x_lo, x_hi = -1, n_instr  # inputs are live from -1, outputs until n_instr

    def x(at: float) -> float:
        return left + (at - x_lo) / max(x_hi - x_lo + 1, 1) * plot_w

    height = top + len(stats) * (panel_h + 60) + 10
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="20" font-size="14">{escape(title)} memory plan: lifetime '
           '(instruction) vs offset (bytes)</text>']
    y0 = top
    for s in stats:
        span = max(s.planned_bytes, s.lower_bound, 1)

        def y(off: float, y0: float = y0, span: int = span) -> float:
            return y0 + 20 + panel_h - off / span * panel_h

        out.append(f'<text x="{left}" y="{y0 + 12}">memory id {s.memory_id}: planned '
                   f'{s.planned_bytes} B, lower bound {s.lower_bound} B, '
                   f'ratio {s.ratio:.3f}</text>')
        out.append(f'<rect x="{left}" y="{y0 + 20}" width="{plot_w}" height="{panel_h}" '
                   'fill="#f7f7f7" stroke="#999"/>')
        for k, (lt, off) in enumerate(s.tensors):
            if lt.nbytes == 0:
                continue
            x1, x2 = x(lt.first), x(lt.last + 1)
            y_top, y_bot = y(off + lt.nbytes), y(off)
            color = _PALETTE[k % len(_PALETTE)]
            out.append(f'<rect x="{x1:.1f}" y="{y_top:.1f}" width="{max(x2 - x1, 1):.1f}" '
                       f'height="{max(y_bot - y_top, 0.5):.1f}" fill="{color}" fill-opacity="0.75" '
                       f'stroke="#333" stroke-width="0.5"><title>v{lt.key}: {lt.nbytes} B at '
                       f'{off}, instructions {lt.first}..{lt.last}</title></rect>')
        lb_y = y(s.lower_bound)
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{lb_y:.1f}" y2="{lb_y:.1f}" '
                   'stroke="red" stroke-dasharray="4 3"/>')
        out.append(f'<text x="{left - 4}" y="{lb_y + 4:.1f}" text-anchor="end" fill="red">'
                   'bound</text>')
        out.append(f'<text x="{left - 4}" y="{y(span) + 4:.1f}" text-anchor="end">{span}</text>')
        out.append(f'<text x="{left - 4}" y="{y(0) + 4:.1f}" text-anchor="end">0</text>')
        for at in sorted({x_lo, 0, n_instr // 2, n_instr}):
            out.append(f'<text x="{x(at):.1f}" y="{y(0) + 14:.1f}">{at}</text>')
        y0 += panel_h + 60
    out.append("</svg>")
    return "\n".join(out) + "\n"
