"""`slimtorch export --quantize int8`: quantizer, lowering to cortex_m::, programs, errors.

References: upstream ExecuTorch's Python reference kernels of the cortex_m:: operators (the
wheel's executorch.backends.cortex_m, imported by conftest.py before slimtorch defines any
cortex_m op, so torch.ops.cortex_m.* ARE upstream's here and the lowered graph runs through
them), its requantization rule (passes_utils.quantize_multiplier_aot), and PyTorch's quantized
reference model (convert_pt2e's graph run eagerly).
"""

from __future__ import annotations

import math
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from slimtorch import compare, exporter, pte, schema
from slimtorch.model_file import LoadedModel, ModelFileError, load_model_file
from slimtorch.quantize import driver, lowering, qparams
from slimtorch.tests.conftest import REPO, UPSTREAM_CORTEX_M

needs_cortex_m = pytest.mark.skipif(
    not UPSTREAM_CORTEX_M,
    reason="upstream's cortex_m reference kernels (executorch==1.5.1 with tosa-tools) are not "
    "importable")

MODELS = ["ds_cnn", "resnet8", "mobilenet_v1_025", "autoencoder", "mobilenet_v2"]


@pytest.fixture(scope="module")
def quantized() -> dict[str, tuple[LoadedModel, driver.QuantizedModel]]:
    return {}


def _quantize(cache: dict[str, tuple[LoadedModel, driver.QuantizedModel]],
              name: str) -> tuple[LoadedModel, driver.QuantizedModel]:
    if name not in cache:
        loaded = load_model_file(REPO / "models" / f"{name}.py")
        cache[name] = (loaded, driver.quantize_int8(loaded))
    return cache[name]


@needs_cortex_m
def test_multipliers_match_upstreams_rule() -> None:
    from executorch.backends.cortex_m.passes.passes_utils import quantize_multiplier_aot

    rng = random.Random(0)
    ratios = [0.0, 0.5, 1.0, 2.0, 1 - 2**-40, 2**-31, 3.0e-5] + [
        math.ldexp(rng.random(), rng.randint(-40, 5)) for _ in range(2000)]
    for r in ratios:
        assert qparams.quantize_multiplier(r) == quantize_multiplier_aot(r), r


@needs_cortex_m
@pytest.mark.parametrize("name", MODELS)
def test_lowered_model_matches_quantized_reference(
        name: str, quantized: dict[str, tuple[LoadedModel, driver.QuantizedModel]]) -> None:
    """The lowered graph, run through upstream's reference kernels, is within one
    quantization step of PyTorch's quantized reference on every test case, and its outputs
    are not constant (the models' batch norm is calibrated, activations do not fade)."""
    loaded, q = _quantize(quantized, name)
    assert not q.report.float_ops, q.report.float_ops  # every op of these models lowers
    module = q.exported.module()
    step = q.output_scales[0]
    assert step is not None
    for case in [loaded.example_inputs, *loaded.test_inputs]:
        with torch.no_grad():
            want = q.reference(*case)
            got = module(*driver.program_inputs(case))
        assert got.dtype == torch.float32 and got.shape == want.shape
        steps = ((got - want).abs() / step).max().item()
        assert steps <= 1.0 + 1e-3, f"{name}: {steps} quantization steps from the reference"
        levels = torch.unique(torch.round(got / step)).numel()
        assert levels >= min(8, got.numel()), f"{name}: output nearly constant ({levels} levels)"


def _program(emitted_bytes: bytes) -> schema.ExecutionPlan:
    return pte.read_pte(emitted_bytes).program.execution_plan[0]


def _ops(plan: schema.ExecutionPlan) -> list[str]:
    names = []
    for ins in plan.chains[0].instructions:
        assert isinstance(ins.instr_args, schema.KernelCall)
        op = plan.operators[ins.instr_args.op_index]
        names.append(f"{op.name}.{op.overload}")
    return names


def test_ds_cnn_program_layout_and_sizes() -> None:
    """ds_cnn in int8: upstream's operator names, channels-last activations, OHWI / IHWO
    weights, the scratch sizes, float input/output, and at most 30% of the float program's
    planned RAM and weight bytes."""
    loaded = load_model_file(REPO / "models" / "ds_cnn.py")
    emitted, q = exporter.export_int8(loaded)
    plan = _program(emitted.to_bytes())
    ops = _ops(plan)
    assert ops[0] == "cortex_m::quantize_per_tensor.out"
    assert ops[-1] == "cortex_m::dequantize_per_tensor.out"
    assert ops.count("cortex_m::quantized_depthwise_conv2d.out") == 5  # 1-channel conv too
    assert ops.count("cortex_m::quantized_conv2d.out") == 4
    assert "cortex_m::quantized_avg_pool2d.out" in ops
    assert "cortex_m::quantized_linear.out" in ops
    values = plan.values

    def tensor(i: int) -> schema.Tensor:
        v = values[i].val
        assert isinstance(v, schema.Tensor)
        return v

    x = tensor(plan.inputs[0])
    assert x.scalar_type == schema.ScalarType.FLOAT and x.sizes == [1, 1, 49, 10]
    out = tensor(plan.outputs[0])
    assert out.scalar_type == schema.ScalarType.FLOAT and out.sizes == [1, 12]
    for ins in plan.chains[0].instructions:
        call = ins.instr_args
        assert isinstance(call, schema.KernelCall)
        name = plan.operators[call.op_index].name
        if name in ("cortex_m::quantized_conv2d", "cortex_m::quantized_depthwise_conv2d"):
            result = tensor(call.args[-1])
            assert result.scalar_type == schema.ScalarType.CHAR
            assert result.dim_order == [0, 2, 3, 1]  # channels-last activations
            weight, scratch = tensor(call.args[1]), tensor(call.args[-3])
            assert weight.data_buffer_idx > 0 and weight.dim_order == [0, 1, 2, 3]
            assert scratch.scalar_type == schema.ScalarType.BYTE and scratch.data_buffer_idx == 0
            if name == "cortex_m::quantized_depthwise_conv2d":
                assert weight.sizes[0] == 1 and weight.sizes[3] == 64  # [1, kH, kW, Cout]
                assert scratch.sizes == [0]
            else:  # 1x1 pointwise: OHWI, one matrix multiply, no scratch
                assert weight.sizes == [64, 1, 1, 64] and scratch.sizes == [0]
    floating = exporter.export_model(loaded)
    int8_ram = sum(plan.non_const_buffer_sizes)
    float_ram = sum(floating.program.execution_plan[0].non_const_buffer_sizes)
    assert int8_ram <= 0.30 * float_ram
    assert len(emitted.constant_segment) <= 0.30 * len(floating.constant_segment)
    assert q.report.lowered["quantized_conv2d"] == 4


def test_scratch_bytes() -> None:
    assert lowering.scratch_bytes(1, 1, 64, 125, (1, 1), (0, 0)) == 0
    # 3x3x16 rows of 144 bytes: 8 KB holds 56 rows, fewer than the 1024 output pixels.
    assert lowering.scratch_bytes(3, 3, 16, 1024, (1, 1), (1, 1)) == 144 * 56
    # A small map: one row per output pixel is all a kernel can use.
    assert lowering.scratch_bytes(3, 3, 8, 2, (1, 1), (1, 1)) == 72 * 2
    # Rows larger than the cap: still at least 4 of them.
    assert lowering.scratch_bytes(3, 3, 1024, 100, (1, 1), (1, 1)) == 4 * 9216
    assert lowering.SCRATCH_CAP_BYTES == 8 * 1024
    # A strided 1x1 convolution gathers its rows too.
    assert lowering.scratch_bytes(1, 1, 16, 64, (2, 2), (0, 0)) == 16 * 64


_SMALL = '''
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 8, 3, stride=2, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 2 * 2, 5)

    def forward(self, x):
        y = torch.relu(self.conv(x))
        y = {middle}
        y = self.pool(nn.functional.relu6(self.conv2(y)))
        return self.fc(torch.flatten(y, 1))


def model():
    torch.manual_seed(0)
    return Net()


def example_inputs():
    return (torch.randn(1, 3, 8, 8, generator=torch.Generator().manual_seed(1)),)
'''


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.py"
    path.write_text(text)
    return path


@needs_cortex_m
@pytest.mark.parametrize("middle,float_op", [
    ("y * y + y", None),  # mul and add lower
    ("torch.sigmoid(y)", "aten::sigmoid"),  # no cortex_m op: stays float between dq and q
])
def test_small_model_lowers_or_falls_back(tmp_path: Path, middle: str,
                                          float_op: str | None) -> None:
    """Conv with padding and stride, relu/relu6 fusion, mul, add, max pool, a flatten of a
    channels-last 2x2 map (copied to the contiguous layout first) and linear lower; an op the
    lowering does not know stays float and is reported; either way the lowered graph is within
    one step of the quantized reference, and the program exports."""
    loaded = load_model_file(_write(tmp_path, "small", _SMALL.format(middle=middle)))
    emitted, q = exporter.export_int8(loaded)
    if float_op is None:
        assert not q.report.float_ops
        assert q.report.lowered["quantized_mul"] == 1
        assert q.report.lowered["quantized_add"] == 1
    else:
        assert len(q.report.float_ops) == 1 and float_op in q.report.float_ops[0]
        assert "small.py" in q.report.float_ops[0]  # names the source line
    assert q.report.lowered["quantized_max_pool2d"] == 1
    ops = _ops(_program(emitted.to_bytes()))
    assert "dim_order_ops::_clone_dim_order.out" in ops  # NHWC 2x2 map -> NCHW before view
    with torch.no_grad():
        want = q.reference(*loaded.example_inputs)
        got = q.exported.module()(*driver.program_inputs(loaded.example_inputs))
    step = q.output_scales[0]
    assert step is not None
    assert ((got - want).abs() / step).max().item() <= 1.0 + 1e-3


_CALIBRATED = '''
import torch


def model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.ReLU())


def example_inputs():
    return (torch.zeros(1, 4),)


def test_inputs():
    return [(torch.ones(1, 4),)]
{calibration}
'''


def test_calibration_selection(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """calibration_inputs() when the file has it, else example_inputs() + test_inputs(): the
    export says which and how many, and the observed range follows the data used."""
    plain = load_model_file(_write(tmp_path, "plain", _CALIBRATED.format(calibration="")))
    what, cases = driver.calibration_cases(plain)
    assert len(cases) == 2 and "example_inputs() and test_inputs()" in what
    q_plain = driver.quantize_int8(plain)
    assert "calibrating on example_inputs() and test_inputs() (1 tuples): 2 input tuples" \
        in capsys.readouterr().err
    calibration = "\n\ndef calibration_inputs():\n    return [(torch.full((1, 4), 50.0),)]\n"
    calibrated = load_model_file(_write(tmp_path, "cal", _CALIBRATED.format(
        calibration=calibration)))
    what, cases = driver.calibration_cases(calibrated)
    assert len(cases) == 1 and "calibration_inputs() (1 input tuples)" in what
    q_cal = driver.quantize_int8(calibrated)
    assert "calibrating on calibration_inputs() (1 input tuples)" in capsys.readouterr().err
    # Inputs of magnitude 50 widen the input quantization: a larger step.
    first_q = [n for n in q_cal.reference.graph.nodes if n.target in lowering.Q][0]
    first_q_plain = [n for n in q_plain.reference.graph.nodes if n.target in lowering.Q][0]
    assert float(first_q.args[1]) > 10 * float(first_q_plain.args[1])


def test_bad_calibration_inputs(tmp_path: Path) -> None:
    bad = "\n\ndef calibration_inputs():\n    return [torch.zeros(1, 4)]\n"
    with pytest.raises(ModelFileError, match=r"calibration_inputs\(\)\[0\] must be a tuple"):
        load_model_file(_write(tmp_path, "bad", _CALIBRATED.format(calibration=bad)))
    empty = "\n\ndef calibration_inputs():\n    return []\n"
    with pytest.raises(ModelFileError, match="non-empty list of input tuples"):
        load_model_file(_write(tmp_path, "empty", _CALIBRATED.format(calibration=empty)))


_NOTHING = '''
import torch


class Net(torch.nn.Module):
    def forward(self, x):
        return torch.sin(x) * 2.0


def model():
    return Net()


def example_inputs():
    return (torch.randn(3, 4),)
'''


def test_export_errors(tmp_path: Path) -> None:
    """A model with nothing to quantize, and dynamic shapes, are errors naming the fix; the
    CLI prints them as `slimtorch export: error: ...` and exits 1."""
    path = _write(tmp_path, "nothing", _NOTHING)
    with pytest.raises(driver.QuantizeError, match="nothing in the model quantizes"):
        driver.quantize_int8(load_model_file(path))
    dynamic = _NOTHING + ("\n\ndef dynamic_shapes():\n"
                          "    return ({0: torch.export.Dim('n', max=8)},)\n")
    with pytest.raises(driver.QuantizeError, match="static shapes only"):
        driver.quantize_int8(load_model_file(_write(tmp_path, "dyn", dynamic)))
    result = subprocess.run(
        [sys.executable, "-m", "slimtorch", "export", str(path), "--quantize", "int8", "-o",
         str(tmp_path / "x.pte")], capture_output=True, text=True, cwd=REPO,
        env={"PYTHONPATH": str(REPO / "python"), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1
    assert "slimtorch export: error:" in result.stderr
    assert "nothing in the model quantizes" in result.stderr


def test_io_dir_has_reference_outputs_and_tolerance(tmp_path: Path) -> None:
    """The int8 io dir: the quantized reference's outputs and tolerance0.txt = the output
    scale, which `slimtorch compare` applies (one step passes, two fail)."""
    loaded = load_model_file(REPO / "models" / "autoencoder.py")
    _, q = exporter.export_int8(loaded)
    io = tmp_path / "io"
    exporter.write_io_dir(loaded, str(io), quantized=q)
    expected = np.load(io / "expected0.npy")
    with torch.no_grad():
        want = q.reference(*loaded.example_inputs).numpy()
    np.testing.assert_array_equal(expected, want)
    step = float((io / "tolerance0.txt").read_text())
    assert step == q.output_scales[0]
    tolerances = compare.load_tolerances(str(io))
    assert tolerances == {0: step}

    def runner(values: np.ndarray) -> str:
        shape = "x".join(str(d) for d in values.shape)
        return f"output 0 shape {shape} : " + " ".join(f"{v:.9g}" for v in values.reshape(-1))

    one_step = expected.copy()
    one_step.reshape(-1)[3] += step
    ok, _ = compare.compare(runner(one_step), {0: expected}, rtol=1e-5, atol=1e-5,
                            tolerances=tolerances)
    assert ok
    two_steps = expected.copy()
    two_steps.reshape(-1)[3] += 2 * step
    ok, report = compare.compare(runner(two_steps), {0: expected}, rtol=1e-5, atol=1e-5,
                                 tolerances=tolerances)
    assert not ok and "MISMATCH 1 of" in report[0]
    # A float export into the same directory drops the stale tolerance.
    exporter.write_io_dir(loaded, str(io))
    assert not (io / "tolerance0.txt").exists()


def test_same_program_with_slimtorchs_or_upstreams_op_definitions(tmp_path: Path) -> None:
    """A fresh process, where slimtorch defines the cortex_m ops itself (FRAGMENT library,
    fake kernels only), exports the same bytes as this one, where upstream's wheel defined
    them first (conftest.py): the fake implementations agree with upstream's."""
    path = _write(tmp_path, "small", _SMALL.format(middle="y * y + y"))
    out = tmp_path / "fresh.pte"
    script = ("import sys, torch\n"
              "from slimtorch import exporter\n"
              "from slimtorch.model_file import load_model_file\n"
              "assert 'executorch.backends.cortex_m.passes' not in sys.modules\n"
              f"emitted, _ = exporter.export_int8(load_model_file({str(path)!r}))\n"
              "assert 'executorch.backends.cortex_m.passes' not in sys.modules\n"
              f"open({str(out)!r}, 'wb').write(emitted.to_bytes())\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env={"PYTHONPATH": str(REPO / "python"), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-2000:]
    emitted, _ = exporter.export_int8(load_model_file(path))
    assert out.read_bytes() == emitted.to_bytes()


def test_missing_torchao_is_an_error_naming_the_fix(tmp_path: Path) -> None:
    path = _write(tmp_path, "small", _SMALL.format(middle="y"))
    script = ("import sys\n"
              "sys.modules['torchao'] = None  # as if it were not installed\n"
              "from slimtorch import cli\n"
              f"sys.exit(cli.main(['export', {str(path)!r}, '--quantize', 'int8', '-o', "
              f"{str(tmp_path / 'x.pte')!r}]))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env={"PYTHONPATH": str(REPO / "python"), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1, result.stderr[-2000:]
    assert "slimtorch export: error:" in result.stderr
    assert "--quantize int8 needs torchao" in result.stderr
    assert "pip install torchao" in result.stderr
