"""The runners' text output (app/run_model.cc print_outputs): 9 significant digits formatted
from the values' bits with integer arithmetic. Checked against numpy on the host runner,
which prints with the same code as the firmware:

- every float32 printed parses back to the same bits (9 digits make a float round-trip),
  over the special values (signed zeros, infinities, NaN, subnormals, the largest finite)
  and random bit patterns across the whole exponent range;
- float64 values print within 1e-8 relative (9 digits);
- the text has printf's %.9g shape ("inf", "-0", "1e-05", "1.5", "123456789").
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from slimtorch.exporter import export_model
from slimtorch.model_file import load_model_file

MODEL = '''
import torch
from torch import nn


class Both(nn.Module):
    def forward(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return x, y


def model() -> nn.Module:
    return Both().eval()


def example_inputs() -> tuple[torch.Tensor, ...]:
    return (torch.ones({n}), torch.ones({n}, dtype=torch.float64))
'''

SPECIAL = [0.0, -0.0, 1.0, -1.5, 0.1, 1e-5, 123456789.0, 16777216.0, 3.14159265, np.inf, -np.inf,
           np.nan, 1e-45, -1e-45, 1.17549435e-38, 3.4028235e38, -3.4028235e38, 1e10, 9.9999999e-5]


def values(n: int) -> np.ndarray:
    rng = np.random.default_rng(8)
    bits = rng.integers(0, 2**32, n - len(SPECIAL), dtype=np.uint64).astype(np.uint32)
    rand = bits.view(np.float32)
    rand = np.where(np.isnan(rand), np.float32(2.5), rand)  # NaN payloads all print "nan"
    return np.concatenate([np.array(SPECIAL, np.float32), rand]).astype(np.float32)


def printed(pte_runner: Path, tmp_path: Path, x: np.ndarray, y: np.ndarray) -> list[list[str]]:
    model = tmp_path / "both.py"
    model.write_text(MODEL.format(n=x.size))
    program = tmp_path / "both.pte"
    program.write_bytes(export_model(load_model_file(model)).to_bytes())
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    proc = subprocess.run([str(pte_runner), str(program), "--input", str(tmp_path / "x.npy"),
                           "--input", str(tmp_path / "y.npy")],
                          capture_output=True, text=True, check=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("output ")]
    assert [ln.split(" :")[0] for ln in lines] == [f"output 0 shape {x.size}",
                                                   f"output 1 shape {x.size}"]
    return [ln.split(" : ")[1].split(" ") for ln in lines]


def test_printed_floats_round_trip_and_doubles_have_9_digits(pte_runner: Path,
                                                              tmp_path: Path) -> None:
    x = values(4000)
    want = x.astype(np.float64) * np.pi  # doubles from the float range, with all 53 bits used
    want[:3] = [1e300, -2.5e-310, 1e-320]  # beyond float: large, subnormal
    f32, f64 = printed(pte_runner, tmp_path, x, want)

    got = np.array([np.float32(s) for s in f32], np.float32)
    finite = ~np.isnan(x)
    assert np.array_equal(got[finite].view(np.uint32), x[finite].view(np.uint32))
    assert all(s == "nan" for s in np.array(f32)[~finite])
    assert f32[:8] == ["0", "-0", "1", "-1.5", "0.100000001", "9.99999975e-06", "123456792",
                       "16777216"]
    assert f32[9:11] == ["inf", "-inf"]

    got64 = np.array([float(s) for s in f64])
    assert np.array_equal(np.isnan(got64), np.isnan(want))
    ok = np.isfinite(want)
    assert np.all(np.abs(got64[ok] - want[ok]) <= 1e-8 * np.abs(want[ok]))
    assert np.array_equal(got64[np.isinf(want)], want[np.isinf(want)])
    assert all(len(s.lstrip("-").split("e")[0].replace(".", "").lstrip("0")) <= 9 for s in f64)
