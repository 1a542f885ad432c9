"""Multiply-accumulates of one execution of a program, from its instructions and tensor shapes.

Works on any `.pte` (slimtorch's or upstream's, float or int8): each kernel call of method 0
to a convolution, linear or matrix product, in core ATen or in upstream's Cortex-M operator
set (executorch/backends/cortex_m/ops/operators.yaml), counts

- convolution (aten `convolution`: weight [Cout, Cin/groups, kH, kW]; cortex_m
  `quantized_conv2d(_nhwc)`: weight OHWI [Cout, kH, kW, Cin/groups]):
  out elements x weight elements / Cout;
- depthwise convolution (cortex_m `quantized_depthwise_conv2d(_nhwc)`, weight
  [1, kH, kW, Cout]): out elements x kH x kW;
- linear and matrix products (aten `addmm`, `mm`, `bmm`, `linear`; cortex_m `quantized_linear`,
  `quantized_batch_matmul`): out elements x the reduced dimension K.

Everything else (element-wise ops, pooling, softmax) is not a MAC, as MLPerf Tiny counts them.
Control flow is not followed: every instruction of the method's list counts once.
"""

from __future__ import annotations

from collections.abc import Callable
from math import prod

from slimtorch import schema
from slimtorch.pte import PteFile


def _sizes(plan: schema.ExecutionPlan, index: int) -> list[int]:
    v = plan.values[index].val
    if not isinstance(v, schema.Tensor):
        raise ValueError(f"value {index} is not a tensor")
    return list(v.sizes)


def _conv(plan: schema.ExecutionPlan, args: list[int], out: list[int]) -> int:
    w = _sizes(plan, args[1])
    return prod(out) * prod(w) // w[0] if w and w[0] else 0


def _depthwise(plan: schema.ExecutionPlan, args: list[int], out: list[int]) -> int:
    w = _sizes(plan, args[1])  # [1, kH, kW, Cout]
    return prod(out) * prod(w) // w[-1] if w and w[-1] else 0


def _reduced_last(position: int) -> Callable[[schema.ExecutionPlan, list[int], list[int]], int]:
    """out elements x the last dimension of argument `position`."""

    def macs(plan: schema.ExecutionPlan, args: list[int], out: list[int]) -> int:
        a = _sizes(plan, args[position])
        return prod(out) * a[-1] if a else 0

    return macs


_RULES: dict[str, Callable[[schema.ExecutionPlan, list[int], list[int]], int]] = {
    "aten::convolution": _conv,
    "cortex_m::quantized_conv2d": _conv,
    "cortex_m::quantized_conv2d_nhwc": _conv,
    "cortex_m::quantized_depthwise_conv2d": _depthwise,
    "cortex_m::quantized_depthwise_conv2d_nhwc": _depthwise,
    "aten::addmm": _reduced_last(1),  # addmm(self, mat1, mat2): K = mat1's last
    "aten::mm": _reduced_last(0),
    "aten::bmm": _reduced_last(0),
    "aten::linear": _reduced_last(1),  # linear(input, weight [N, K])
    "cortex_m::quantized_linear": _reduced_last(1),  # weights [N, K]
    "cortex_m::quantized_batch_matmul": _reduced_last(0),  # lhs [B, M, K]
}


def program_macs(pte: PteFile) -> dict[str, int]:
    """MACs of one execution of method 0, per operator name (only operators that have any)."""
    plan = pte.program.execution_plan[0]
    totals: dict[str, int] = {}
    for chain in plan.chains:
        for instruction in chain.instructions:
            call = instruction.instr_args
            if not isinstance(call, schema.KernelCall):
                continue
            name = plan.operators[call.op_index].name or ""
            rule = _RULES.get(name)
            if rule is None or not call.args:
                continue
            n = rule(plan, list(call.args), _sizes(plan, call.args[-1]))
            totals[name] = totals.get(name, 0) + n
    return totals


def total_macs(pte: PteFile) -> int:
    return sum(program_macs(pte).values())
