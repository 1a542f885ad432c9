"""The kernels on real instruction argument lists: programs exported by upstream ExecuTorch.

A tiny interpreter lays values out in planned memory as the .pte says, walks
the KernelCall instructions in order and calls the portable kernels through the
ctypes shim with the exact values the .pte lists (scalars, IntLists, Null,
constant tensors, `out` then the return value). Outputs are compared with
PyTorch eager. This checks the calling convention the runtime relies on, not
just each kernel in isolation.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from kernel_abi_ctypes import ERROR_NAMES, IntList, KernelLib, build_library

exir = pytest.importorskip("executorch.exir")
serialize = pytest.importorskip("executorch.exir._serialize._program")

NP_DTYPE = {6: np.float32, 7: np.float64, 4: np.int64, 3: np.int32, 11: np.bool_, 0: np.uint8}


class Mlp(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.l1 = torch.nn.Linear(16, 32)
        self.l2 = torch.nn.Linear(32, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.l2(torch.relu(self.l1(x))), dim=-1)


class Mixed(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.l = torch.nn.Linear(4, 3)

    def forward(
        self, x: torch.Tensor, y: torch.Tensor, n: torch.Tensor
    ) -> tuple[torch.Tensor, ...]:
        z = torch.softmax(self.l(x), dim=-1)
        w = torch.log_softmax(z * 2 + y - 1, dim=1) / 3
        v = w.view(-1).reshape(3, 2).expand(2, 3, 2).clone()
        prod = torch.sigmoid(w) @ torch.tanh(w).t()
        return z, prod, torch.bmm(v, v.transpose(1, 2)), n * 3 + n, (n + 1.5) / 2


MODELS = {
    "mlp": (Mlp, lambda: (torch.randn(2, 16),)),
    "mixed": (
        Mixed,
        lambda: (torch.randn(2, 4), torch.randn(2, 3), torch.arange(6).reshape(2, 3)),
    ),
}


@pytest.fixture(scope="module")
def lib() -> KernelLib:
    try:
        return KernelLib(build_library())
    except RuntimeError as e:
        pytest.fail(str(e))


def run_program(lib: KernelLib, program: object, inputs: tuple[torch.Tensor, ...]) -> list:
    plan = program.execution_plan[0]
    consts = program.constant_buffer
    values: list[object] = []
    # Planned memory as the runtime lays it out: views (e.g. reshape) share their
    # base's bytes, and dead values' bytes are reused.
    planned = [bytearray(size) for size in plan.non_const_buffer_sizes]
    for ev in plan.values:
        v = ev.val
        kind = type(v).__name__
        if kind == "Tensor":
            dtype = NP_DTYPE[int(v.scalar_type)]
            if v.data_buffer_idx > 0:
                raw = bytes(consts[v.data_buffer_idx].storage)
                count = int(np.prod(v.sizes, dtype=np.int64))
                values.append(np.frombuffer(raw, dtype, count).reshape(v.sizes).copy())
            elif v.allocation_info is not None:  # planned: a view into its memory id's buffer
                info = v.allocation_info
                offset = (info.memory_offset_high << 32) | info.memory_offset_low
                count = int(np.prod(v.sizes, dtype=np.int64))
                buf = np.frombuffer(planned[info.memory_id], dtype, count, offset)
                values.append(buf.reshape(v.sizes))
            else:
                values.append(np.zeros(v.sizes, dtype))
        elif kind == "Int":
            values.append(int(v.int_val))
        elif kind == "Bool":
            values.append(bool(v.bool_val))
        elif kind == "Double":
            values.append(float(v.double_val))
        elif kind == "IntList":
            values.append(("intlist", list(v.items)))
        elif kind == "Null":
            values.append(None)
        else:
            values.append(("unsupported", kind))
    for index, tensor in zip(plan.inputs, inputs, strict=True):
        values[index][...] = tensor.numpy()

    for instr in plan.chains[0].instructions:
        call = instr.instr_args
        assert type(call).__name__ == "KernelCall", f"unexpected instruction {call}"
        op = plan.operators[call.op_index]
        name = f"{op.name}.{op.overload}" if op.overload else op.name
        args: list[object] = []
        first_use: dict[int, int] = {}
        for pos, vi in enumerate(call.args):
            if vi in first_use:
                args.append(("alias", first_use[vi]))
                continue
            first_use[vi] = pos
            val = values[vi]
            if isinstance(val, tuple) and val[0] == "intlist":
                args.append(IntList([values[i] for i in val[1]]))
            else:
                assert not (isinstance(val, tuple) and val[0] == "unsupported"), val
                args.append(val)
        err, msg, _ = lib.call(name, args)
        assert err == 0, f"{name}: {ERROR_NAMES[err] if err >= 0 else err}: {msg}"
    return [np.array(values[i]) for i in plan.outputs]


@pytest.mark.parametrize("model_name", sorted(MODELS))
def test_upstream_program_runs_on_portable_kernels(lib: KernelLib, model_name: str) -> None:
    torch.manual_seed(0)
    make_model, make_inputs = MODELS[model_name]
    model = make_model().eval()
    inputs = make_inputs()
    exported = torch.export.export(model, inputs)
    program = exir.to_edge(exported).to_executorch()
    pte = serialize.deserialize_pte_binary(program.buffer).program
    registered = set(lib.kernel_names())
    plan = pte.execution_plan[0]
    ops = {f"{o.name}.{o.overload}" if o.overload else o.name for o in plan.operators}
    assert ops <= registered, f"ops without a portable kernel: {sorted(ops - registered)}"

    got = run_program(lib, pte, inputs)
    with torch.no_grad():
        expected = model(*inputs)
    expected = expected if isinstance(expected, tuple) else (expected,)
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        e_np = e.numpy()
        assert g.shape == e_np.shape and g.dtype == e_np.dtype, f"output {i}"
        np.testing.assert_allclose(g, e_np, rtol=1e-5, atol=1e-6, err_msg=f"output {i}")
