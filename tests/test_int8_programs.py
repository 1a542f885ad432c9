"""slimtorch's own int8 programs (`slimtorch export --quantize int8`) on //app:pte_runner.

Each model of models/ is quantized and lowered to upstream's cortex_m:: operators, run on the
host runner (kernels/cortex_m/), and compared with the SAME lowered graph run through upstream
ExecuTorch's Python reference kernels (torch.ops.cortex_m.* of the 1.5.1 wheel): the int8
results must be identical (the printed float outputs are those int8 values dequantized, so
they agree to float rounding), and within one quantization step of PyTorch's quantized
reference (convert_pt2e's graph run eagerly).
"""

from __future__ import annotations

import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

try:  # upstream's cortex_m ops (with reference kernels) before slimtorch defines any
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import executorch.backends.cortex_m.passes  # noqa: F401
    UPSTREAM = True
except Exception:
    UPSTREAM = False

from test_upstream_compat import run_runner  # noqa: E402

from slimtorch import exporter  # noqa: E402
from slimtorch.model_file import load_model_file  # noqa: E402
from slimtorch.quantize import driver  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    not UPSTREAM, reason="upstream's cortex_m reference kernels (executorch==1.5.1 with "
    "tosa-tools) are not importable")

MODELS = ["ds_cnn", "resnet8", "mobilenet_v1_025", "autoencoder", "mobilenet_v2"]


@pytest.mark.parametrize("name", [*MODELS, "small", "small_float_op"])
def test_int8_program_matches_upstream_reference(pte_runner: Path, tmp_path: Path,
                                                 name: str) -> None:
    """The models, and a small one with what they lack: a strided padded conv, relu6, mul,
    max pool, a flatten of a channels-last 2x2 map (a dim-order copy first), and one with a
    sigmoid left in float between dequantize and quantize (portable kernel)."""
    if name.startswith("small"):
        from slimtorch.tests.test_quantize import _SMALL

        middle = "torch.sigmoid(y) * y + y" if name == "small_float_op" else "y * y + y"
        path = tmp_path / f"{name}.py"
        path.write_text(_SMALL.format(middle=middle))
    else:
        path = REPO / "models" / f"{name}.py"
    loaded = load_model_file(path)
    emitted, quantized = exporter.export_int8(loaded)
    program = tmp_path / f"{name}_int8.pte"
    program.write_bytes(emitted.to_bytes())
    probe = subprocess.run([str(pte_runner), str(program)], capture_output=True, text=True)
    if probe.returncode != 0 and "cortex_m::" in probe.stdout + probe.stderr:
        pytest.skip(f"//app:pte_runner has no cortex_m:: kernels (kernels/cortex_m/ not on this "
                    f"branch): {(probe.stdout + probe.stderr).strip()[:200]}")
    lowered = quantized.exported.module()
    step = quantized.output_scales[0]
    assert step is not None
    for k, case in enumerate([loaded.example_inputs, *loaded.test_inputs]):
        case_dir = tmp_path / f"case{k}"
        case_dir.mkdir()
        got = run_runner(pte_runner, program, [x.numpy() for x in case], case_dir)
        with torch.no_grad():
            reference = lowered(*driver.program_inputs(case)).numpy()
            quantized_reference = quantized.reference(*case).numpy()
        assert len(got) == 1 and got[0].shape == reference.shape
        # Bit-exact int8: the same quantization level everywhere.
        np.testing.assert_array_equal(np.round(got[0] / step), np.round(reference / step))
        np.testing.assert_allclose(got[0], reference, rtol=0, atol=1e-3 * step)
        assert np.abs(got[0] - quantized_reference).max() <= step * (1 + 1e-3)
