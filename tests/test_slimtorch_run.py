"""`slimtorch run --platform P` (python/slimtorch/run.py), end to end through the CLI, on the
host, the Cortex-M55 and every other platform of platforms/defs.bzl.

Programs: models/mlp.py exported by slimtorch, and a float program exported by upstream
ExecuTorch 1.5.1; each run's outputs are compared with PyTorch eager. The firmware of a program
and its inputs is built once (Bazel caches it in build/run/<hash>/); the tests share those
builds. The error cases fail before any build, except the linker overflow, which needs a link.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from slimtorch import compare, platforms

REPO = Path(__file__).resolve().parents[1]
MLP = REPO / "models" / "mlp.py"


def slimtorch(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "python")}
    return subprocess.run([sys.executable, "-m", "slimtorch", *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True)


def export(model: Path, program: Path, io_dir: Path) -> None:
    """`slimtorch export` in this process (torch is imported already)."""
    from slimtorch import cli

    assert cli.main(["export", str(model), "-o", str(program), "--io-dir", str(io_dir)]) == 0


def run(platform: str, program: Path, *inputs: Path, count: bool = False
        ) -> subprocess.CompletedProcess[str]:
    args: list[str | Path] = ["run", "--platform", platform, program]
    for x in inputs:
        args += ["--input", x]
    return slimtorch(*args, *(["--count-instructions"] if count else []))


def error_of(proc: subprocess.CompletedProcess[str]) -> str:
    """The one error line of a failed run (and that the run failed, with nothing on stdout)."""
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout == ""
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("slimtorch run: error: ")]
    assert len(errors) == 1, proc.stderr
    return errors[0]


@pytest.fixture(scope="session")
def mlp(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(mlp.pte, its io dir: input0.npy and PyTorch eager's expected0.npy)."""
    work = tmp_path_factory.mktemp("mlp")
    export(MLP, work / "mlp.pte", work / "io")
    return work / "mlp.pte", work / "io"


def assert_matches(stdout: str, io_dir: Path, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    ok, report = compare.compare(stdout, compare.load_expected(str(io_dir)), rtol=rtol, atol=atol)
    assert ok, "\n".join(report) + "\n" + stdout


# Every platform (the emulated ones build an image of the program for the platform).
ALL_PLATFORMS = platforms.names()
# Those whose emulator counts instructions (QEMU system emulation, -icount).
COUNTING = [p.name for p in platforms.all_platforms().values() if p.count_instructions]


@pytest.mark.parametrize("platform", ALL_PLATFORMS)
def test_mlp_matches_pytorch(mlp: tuple[Path, Path], platform: str) -> None:
    program, io = mlp
    proc = run(platform, program, io / "input0.npy")
    assert proc.returncode == 0, proc.stderr
    assert re.fullmatch(r"output 0 shape 2x4 : .*\n", proc.stdout), proc.stdout
    assert_matches(proc.stdout, io)
    if platform != "host":
        board = platforms.get(platform).board
        assert "building firmware //build/run/" in proc.stderr, proc.stderr
        assert f"for {platform}" in proc.stderr and f"running on {board}" in proc.stderr


@pytest.mark.parametrize("platform", COUNTING)
def test_count_instructions_repeats(mlp: tuple[Path, Path], platform: str) -> None:
    """The board's clock under -icount gives the same count twice (each board's clock:
    platforms/bare_metal/clock.h)."""
    program, io = mlp
    counts = []
    for _ in range(2):
        proc = run(platform, program, io / "input0.npy", count=True)
        assert proc.returncode == 0, proc.stderr
        lines = proc.stdout.splitlines()
        assert lines[0].startswith("output 0 shape 2x4 : ") and len(lines) == 2, proc.stdout
        m = re.fullmatch(r"instructions ([0-9]+)", lines[1])
        assert m is not None, proc.stdout
        counts.append(int(m.group(1)))
        assert_matches(proc.stdout, io)
    # Two addmm of 2x16x32 and 2x32x4, relu and softmax: thousands of instructions, not
    # millions (a count of the whole image run, or of nothing, would fall outside).
    assert counts[0] == counts[1] and 2_000 < counts[0] < 200_000, counts


def test_same_program_twice_builds_once(mlp: tuple[Path, Path]) -> None:
    program, io = mlp
    first = run("arm_m55", program, io / "input0.npy")
    assert first.returncode == 0, first.stderr
    packages = sorted((REPO / "build" / "run").iterdir())
    again = run("arm_m55", program, io / "input0.npy")
    assert again.returncode == 0 and again.stdout == first.stdout
    assert sorted((REPO / "build" / "run").iterdir()) == packages  # same package, no new one


class Conv(torch.nn.Module):
    """A small float CNN (conv, batch norm folded by upstream's flow, pool, linear)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.fc = torch.nn.Linear(8 * 4 * 4, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.nn.functional.max_pool2d(torch.relu(self.conv(x)), 2)
        return torch.softmax(self.fc(y.flatten(1)), dim=-1)


@pytest.mark.parametrize("platform", ["host", "arm_m55"])
def test_upstream_float_program(tmp_path: Path, platform: str) -> None:
    pytest.importorskip("executorch.exir", reason="needs upstream executorch==1.5.1")
    from slimtorch.upstream import export_program

    torch.manual_seed(0)
    module = Conv().eval()
    x = torch.randn(1, 3, 8, 8)
    program = tmp_path / "conv_upstream.pte"
    program.write_bytes(export_program(module, (x,)))
    np.save(tmp_path / "x.npy", x.numpy())
    with torch.no_grad():
        np.save(tmp_path / "expected0.npy", module(x).numpy())
    proc = run(platform, program, tmp_path / "x.npy")
    assert proc.returncode == 0, proc.stderr
    assert_matches(proc.stdout, tmp_path, rtol=1e-4, atol=1e-6)


# ---- errors: one line naming the cause and the fix, exit status 1, no package left ---------


@pytest.fixture
def no_new_package() -> object:
    root = REPO / "build" / "run"
    before = set(root.iterdir()) if root.is_dir() else set()
    yield
    after = set(root.iterdir()) if root.is_dir() else set()
    assert after <= before, f"left behind: {sorted(after - before)}"


@pytest.mark.parametrize("platform", ["host", "arm_m55"])
def test_missing_files(tmp_path: Path, mlp: tuple[Path, Path], platform: str,
                       no_new_package: object) -> None:
    program, io = mlp
    err = error_of(run(platform, tmp_path / "nope.pte", io / "input0.npy"))
    assert "nope.pte: no such program file" in err and "slimtorch export" in err
    err = error_of(run(platform, program, tmp_path / "nope.npy"))
    assert "input 0: file" in err and "nope.npy does not exist" in err


@pytest.mark.parametrize("platform", ["host", "arm_m55"])
def test_corrupt_program(tmp_path: Path, mlp: tuple[Path, Path], platform: str,
                         no_new_package: object) -> None:
    program, io = mlp
    bad = tmp_path / "truncated.pte"
    bad.write_bytes(program.read_bytes()[:300])
    err = error_of(run(platform, bad, io / "input0.npy"))
    assert "truncated.pte is not a valid ExecuTorch program" in err and "re-export" in err


@pytest.mark.parametrize("platform", ["host", "arm_m55"])
def test_wrong_inputs(tmp_path: Path, mlp: tuple[Path, Path], platform: str,
                      no_new_package: object) -> None:
    program, io = mlp
    x = io / "input0.npy"
    err = error_of(run(platform, program))
    assert "0 --input files given, the program's first method takes 1 inputs" in err
    err = error_of(run(platform, program, x, x))
    assert "2 --input files given" in err and "one --input X.npy per input" in err
    np.save(tmp_path / "shape.npy", np.zeros((3, 16), np.float32))
    err = error_of(run(platform, program, tmp_path / "shape.npy"))
    assert "has shape [3, 16], the program expects [2, 16]; save it with that shape" in err
    np.save(tmp_path / "dtype.npy", np.zeros((2, 16), np.float64))
    err = error_of(run(platform, program, tmp_path / "dtype.npy"))
    assert "has dtype float64, the program expects float; save it with that dtype" in err
    (tmp_path / "text.npy").write_text("not an array")
    err = error_of(run(platform, program, tmp_path / "text.npy"))
    assert "text.npy) is not a .npy file; write it with numpy.save" in err


def test_count_instructions_needs_a_counting_emulator(mlp: tuple[Path, Path]) -> None:
    program, io = mlp
    for platform in ["host", "aarch64_linux"]:
        err = error_of(run(platform, program, io / "input0.npy", count=True))
        assert "--count-instructions needs a platform whose emulator counts instructions" in err
        assert f"{platform} has none" in err and "arm_m55" in err


def test_threads_reach_the_host_runner(mlp: tuple[Path, Path]) -> None:
    """--threads is pte_runner's (XNNPACK's threads); a program without delegates is unchanged."""
    program, io = mlp
    proc = slimtorch("run", "--platform", "host", program, "--input", io / "input0.npy",
                     "--threads", "2")
    assert proc.returncode == 0, proc.stderr
    assert_matches(proc.stdout, io)


def test_threads_errors_before_building(mlp: tuple[Path, Path]) -> None:
    program, io = mlp
    err = error_of(slimtorch("run", "--platform", "arm_m55", program, "--input",
                             io / "input0.npy", "--threads", "2"))
    assert "--threads sets the XNNPACK backend's threads" in err and "--platform host" in err
    err = error_of(slimtorch("run", "--platform", "host", program, "--input",
                             io / "input0.npy", "--threads", "0"))
    assert "--threads 0: give a whole number from 1 to 1024" in err


def _xnnpack_linear(tmp_path: Path) -> tuple[Path, Path, torch.Tensor]:
    """(program upstream's XnnpackPartitioner lowered from a Linear, its input, eager's output)."""
    pytest.importorskip("executorch.backends.xnnpack.partition.xnnpack_partitioner")
    from slimtorch import upstream

    torch.manual_seed(0)
    model, x = torch.nn.Linear(16, 4).eval(), torch.randn(2, 16)
    program = tmp_path / "linear_xnn.pte"
    program.write_bytes(upstream.export_program(model, (x,), xnnpack=True))
    np.save(tmp_path / "x.npy", x.numpy())
    with torch.no_grad():
        return program, tmp_path / "x.npy", model(x)


def test_delegated_program_on_host_with_threads(tmp_path: Path) -> None:
    """pte_runner links the XNNPACK backend: an upstream-delegated program runs on 2 threads."""
    program, x, expected = _xnnpack_linear(tmp_path)
    proc = slimtorch("run", "--platform", "host", program, "--input", x, "--threads", "2")
    assert proc.returncode == 0, proc.stderr
    io = tmp_path / "io"
    io.mkdir()
    np.save(io / "expected0.npy", expected.numpy())
    assert_matches(proc.stdout, io)


def test_delegated_program_on_arm_m55_says_host_only(tmp_path: Path,
                                                     no_new_package: object) -> None:
    """Backends are host-only: said before any package is written or built."""
    program, x, _ = _xnnpack_linear(tmp_path)
    err = error_of(run("arm_m55", program, x))
    assert "delegates to XnnpackBackend" in err and "host-only" in err


@pytest.mark.parametrize("platform", ["host", "arm_m55"])
def test_missing_kernel(tmp_path: Path, mlp: tuple[Path, Path], platform: str,
                        no_new_package: object) -> None:
    """An operator no kernel implements: the MLP with `aten::relu` renamed in its operator table
    (same length, so the program stays well-formed)."""
    program, io = mlp
    data = program.read_bytes()
    assert data.count(b"aten::relu") == 1
    renamed = tmp_path / "unknown_op.pte"
    renamed.write_bytes(data.replace(b"aten::relu", b"aten::relx"))
    err = error_of(run(platform, renamed, io / "input0.npy"))
    assert "uses operators slimtorch has no kernel for: aten::relx.out (Float" in err
    assert "fix: export the model without them, or add kernels" in err


def _export(tmp_path: Path, forward: str, shape: tuple[int, ...]) -> tuple[Path, Path]:
    """Exports a one-line model with slimtorch; (program, its input)."""
    model = tmp_path / "model.py"
    model.write_text(f"""import torch


class M(torch.nn.Module):
    def forward(self, x):
        return {forward}


def model():
    return M()


def example_inputs():
    return (torch.randn{shape},)
""")
    export(model, tmp_path / "program.pte", tmp_path / "io")
    return tmp_path / "program.pte", tmp_path / "io" / "input0.npy"


def test_too_big_before_building(tmp_path: Path, no_new_package: object) -> None:
    """4 MB of activations (a 1000 x 1000 outer product) against the board's 2 MiB SRAM."""
    program, x = _export(tmp_path, "x.unsqueeze(1) * x.unsqueeze(0)", (1000,))
    proc = run("arm_m55", program, x)
    err = error_of(proc)
    assert re.search(r"program.pte does not fit QEMU mps3-an547 \(arm_m55\): its planned memory "
                     r"\(activations\) needs 4,00\d,\d\d\d bytes of RAM \(region SRAM\), "
                     r"2,097,152 available; fix: smaller activations", err), err
    assert "building firmware" not in proc.stderr


def test_too_big_names_the_platforms_board(tmp_path: Path, no_new_package: object) -> None:
    """The same check against another board's memory map (platforms/arm_m/mps2_an386.ld: planned
    buffers in its 4 MiB SSRAM2/3): 1100 x 1100 floats are 4.84 MB."""
    program, x = _export(tmp_path, "x.unsqueeze(1) * x.unsqueeze(0)", (1100,))
    proc = run("arm_m4", program, x)
    err = error_of(proc)
    assert re.search(r"program.pte does not fit QEMU mps2-an386 \(arm_m4\): its planned memory "
                     r"\(activations\) needs 4,84\d,\d\d\d bytes of RAM \(region SSRAM23\), "
                     r"4,194,304 available; fix: smaller activations", err), err
    assert "building firmware" not in proc.stderr


def test_unknown_platform_names_the_known_ones(mlp: tuple[Path, Path]) -> None:
    program, io = mlp
    proc = run("arm_m99", program, io / "input0.npy")
    assert proc.returncode == 2  # argparse: the choices come from platforms/defs.bzl
    assert "invalid choice: 'arm_m99'" in proc.stderr and "riscv32" in proc.stderr


def test_linker_overflow_gives_the_same_message(tmp_path: Path, no_new_package: object) -> None:
    """An input of 524,000 bytes passes the check before building (ITCM holds 524,288) but not
    the link, where the code needs ITCM too: the linker's overflow becomes the same message."""
    program, x = _export(tmp_path, "torch.relu(x)", (131_000,))
    err = error_of(run("arm_m55", program, x))
    assert re.search(r"program.pte does not fit QEMU mps3-an547 \(arm_m55\): the firmware image "
                     r"needs 5\d\d,\d\d\d bytes of flash \(region ITCM\), 524,288 available; fix: "
                     "smaller inputs", err), err


# ---- int8: a program of upstream's Cortex-M flow ------------------------------------------


class Int8Net(torch.nn.Module):
    """Convolution, depthwise convolution, linear: the cortex_m:: kernels' main operators."""

    def __init__(self) -> None:
        super().__init__()
        self.convs = torch.nn.ModuleList([torch.nn.Conv2d(3, 8, 3, padding=1),
                                          torch.nn.Conv2d(8, 8, 3, stride=2, groups=8)])
        self.norms = torch.nn.ModuleList([torch.nn.BatchNorm2d(8), torch.nn.BatchNorm2d(8)])
        self.fc = torch.nn.Linear(8 * 3 * 3, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv, norm in zip(self.convs, self.norms, strict=True):
            x = torch.relu(norm(conv(x)))
        return self.fc(x.flatten(1))


@pytest.fixture(scope="session")
def int8_program(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, np.ndarray, float]:
    """(program, input .npy, upstream's reference output, output quantization step)."""
    pytest.importorskip("executorch.backends.cortex_m", reason="needs upstream executorch==1.5.1")
    pytest.importorskip("tosa_serializer", reason="upstream's Cortex-M flow imports tosa-tools")
    from slimtorch.upstream import export_cortex_m_program

    torch.manual_seed(0)
    net = Int8Net().eval()
    cl = torch.channels_last
    x = torch.rand(1, 3, 8, 8).to(memory_format=cl) * 2 - 1
    calibration = [((torch.rand(1, 3, 8, 8) * 2 - 1).to(memory_format=cl),) for _ in range(8)]
    data, reference = export_cortex_m_program(net, (x,), calibration)
    work = tmp_path_factory.mktemp("int8")
    (work / "int8_upstream.pte").write_bytes(data)
    np.save(work / "x.npy", x.contiguous().numpy())  # logical (NCHW) order
    with torch.no_grad():
        expected = reference(x)
    expected = expected[0] if isinstance(expected, (tuple, list)) else expected
    # The output's quantization step: the scale of the dequantize that makes the output.
    output_node = next(n for n in reference.graph.nodes if n.op == "output")
    dequantize = output_node.args[0][0] if isinstance(output_node.args[0], (tuple, list)) \
        else output_node.args[0]
    step = float(dequantize.args[1])
    return work / "int8_upstream.pte", work / "x.npy", expected.numpy(), step


@pytest.mark.parametrize("platform", ["host", "arm_m55"])
def test_upstream_int8_program(int8_program: tuple[Path, Path, np.ndarray, float],
                               platform: str) -> None:
    program, x, expected, step = int8_program
    proc = run(platform, program, x)
    if not (REPO / "kernels" / "cortex_m" / "functions.yaml").is_file():
        assert "no kernel for: cortex_m::" in proc.stderr, proc.stderr
        pytest.skip("this tree has no cortex_m:: kernels yet (the kernels branch adds them)")
    assert proc.returncode == 0, proc.stderr
    (tmp := program.parent / f"expected_{platform}").mkdir(exist_ok=True)
    np.save(tmp / "expected0.npy", expected)
    # Within one quantization step of upstream's reference kernels (issue 13's tolerance).
    assert_matches(proc.stdout, tmp, rtol=0.0, atol=step * 1.001)
