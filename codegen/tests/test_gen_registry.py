"""gen_registry.py: selection from manifests, missing-op reporting, --all, empty selection,
and that the generated source compiles (g++) against runtime/kernel/kernel.h."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GEN = REPO / "codegen" / "gen_registry.py"
PORTABLE = REPO / "kernels" / "portable" / "functions.yaml"
sys.path.insert(0, str(REPO / "codegen"))

from gen_registry import main  # noqa: E402
from kernel_catalog import CatalogError, load_catalogs, parse_catalog  # noqa: E402
from op_manifest import ManifestError, parse_manifest  # noqa: E402

CATALOG = """
- op: add.out
  kernels:
    - arg_meta: null
      kernel_name: slimtorch::native::add_out
- op: relu.out
  kernels:
    - arg_meta: null
      kernel_name: slimtorch::native::relu_out
- op: copy_
  kernels:
    - arg_meta: null
      kernel_name: slimtorch::native::copy_
- func: my_ops::scale.out(Tensor x, float s, *, Tensor(a!) out) -> Tensor(a!)
  type_alias:
    T0: [Float, Double]
  dim_order_alias:
    D0: [0, 1]
  kernels:
    - arg_meta:
        x: [T0, D0]
        out: [T0, D0]
      kernel_name: my_ops::kernels::scale_out
"""


def manifest_text(*ops: str) -> str:
    lines = ["build_features: []", "include_all_operators: false", "et_kernel_metadata:"]
    lines += [f"  {op}:\n  - v1/6;0,1|6;0,1" for op in ops] or ["  {}"]
    lines.append("operators:" if ops else "operators: {}")
    for op in ops:
        lines += [
            f"  {op}:",
            "    debug_info: [m.pte]",
            "    include_all_overloads: false",
            "    is_root_operator: true",
            "    is_used_for_training: true",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    p = tmp_path / "functions.yaml"
    p.write_text(CATALOG)
    return p


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def run(argv: list[str]) -> int:
    return main([str(a) for a in argv])


def test_selects_only_manifest_ops(tmp_path: Path, catalog: Path) -> None:
    m = write(tmp_path, "m.ops.yaml", manifest_text("aten::relu.out", "my_ops::scale.out"))
    out = tmp_path / "registry.cc"
    assert run(["--catalog", catalog, "--manifest", m, "--output", out]) == 0
    src = out.read_text()
    assert '{"aten::relu.out", &::slimtorch::native::relu_out}' in src
    assert '{"my_ops::scale.out", &::my_ops::kernels::scale_out}' in src
    assert "namespace my_ops { namespace kernels {" in src
    assert "add_out" not in src and "copy_" not in src
    assert "kNumSelectedKernels = 2;" in src


def test_union_of_manifests_sorted_and_deduplicated(tmp_path: Path, catalog: Path) -> None:
    m1 = write(tmp_path, "a.ops.yaml", manifest_text("aten::relu.out", "aten::copy_"))
    m2 = write(tmp_path, "b.ops.yaml", manifest_text("aten::add.out", "aten::relu.out"))
    out = tmp_path / "registry.cc"
    assert run(["--catalog", catalog, "--manifest", m1, "--manifest", m2, "--output", out]) == 0
    src = out.read_text()
    names = [line.split('"')[1] for line in src.splitlines() if line.startswith('    {"')]
    assert names == ["aten::add.out", "aten::copy_", "aten::relu.out"]


def test_reports_every_missing_op_with_its_manifests(
    tmp_path: Path, catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    m1 = write(
        tmp_path,
        "a.ops.yaml",
        manifest_text("aten::relu.out", "aten::gelu.out", "aten::conv2d.out"),
    )
    m2 = write(tmp_path, "b.ops.yaml", manifest_text("aten::gelu.out"))
    out = tmp_path / "registry.cc"
    assert run(["--catalog", catalog, "--manifest", m1, "--manifest", m2, "--output", out]) == 1
    err = capsys.readouterr().err
    assert "2 operator(s) have no kernel" in err
    gelu = next(line for line in err.splitlines() if "aten::gelu.out" in line)
    assert str(m1) in gelu and str(m2) in gelu
    conv = next(line for line in err.splitlines() if "aten::conv2d.out" in line)
    assert str(m1) in conv and str(m2) not in conv
    assert "dtypes Float; " in conv  # from the manifest's kernel key v1/6;0,1|6;0,1
    assert "add a kernel entry to kernels/portable/functions.yaml" in err
    assert not out.exists()


def test_runtime_provided_prim_ops_need_no_kernel(tmp_path: Path, catalog: Path) -> None:
    m = write(
        tmp_path,
        "m.ops.yaml",
        manifest_text("aten::relu.out", "aten::sym_size.int", "executorch_prim::add.Scalar"),
    )
    out = tmp_path / "registry.cc"
    assert run(["--catalog", catalog, "--manifest", m, "--output", out]) == 0
    assert "sym_size" not in out.read_text() and "kNumSelectedKernels = 1;" in out.read_text()


def test_all_registers_every_catalog_op(tmp_path: Path, catalog: Path) -> None:
    out = tmp_path / "registry.cc"
    assert run(["--catalog", catalog, "--all", "--output", out]) == 0
    assert "kNumSelectedKernels = 4;" in out.read_text()


def test_include_all_operators_manifest_selects_everything(tmp_path: Path, catalog: Path) -> None:
    m = write(tmp_path, "m.ops.yaml", "include_all_operators: true\noperators: {}\n")
    out = tmp_path / "registry.cc"
    assert run(["--catalog", catalog, "--manifest", m, "--output", out]) == 0
    assert "kNumSelectedKernels = 4;" in out.read_text()


def test_empty_selection_is_valid(tmp_path: Path, catalog: Path) -> None:
    m = write(tmp_path, "m.ops.yaml", manifest_text())
    out = tmp_path / "registry.cc"
    assert run(["--catalog", catalog, "--manifest", m, "--output", out]) == 0
    src = out.read_text()
    assert (
        "kSelectedKernels[1] = {{nullptr, nullptr}};" in src and "kNumSelectedKernels = 0;" in src
    )


def test_manifest_and_all_are_exclusive(tmp_path: Path, catalog: Path) -> None:
    m = write(tmp_path, "m.ops.yaml", manifest_text())
    with pytest.raises(SystemExit):
        run(["--catalog", catalog, "--manifest", m, "--all", "--output", tmp_path / "r.cc"])


def test_help_runs_as_a_script() -> None:
    proc = subprocess.run(
        [sys.executable, str(GEN), "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and "--manifest" in proc.stdout and "--all" in proc.stdout


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("- op: add.out\n", "kernels"),
        ("- kernels: []\n", "op:"),
        (
            "- op: add.out\n  kernels:\n    - arg_meta: null\n      kernel_name: 'not a name'\n",
            "kernel_name",
        ),
        (
            "- op: add.out\n  type_alias:\n    T0: [Floaty]\n"
            "  kernels:\n    - arg_meta: null\n      kernel_name: a::b\n",
            "Floaty",
        ),
        (
            "- op: add.out\n  dim_order_alias:\n    D0: [0, 2]\n"
            "  kernels:\n    - arg_meta: null\n      kernel_name: a::b\n",
            "permutation",
        ),
        (
            "- op: add.out\n  type_alias:\n    T0: [Float]\n"
            "  kernels:\n    - arg_meta:\n        self: [T0, D9]\n"
            "      kernel_name: a::b\n",
            "D9",
        ),
        (
            "- func: foo.out\n  kernels:\n    - arg_meta: null\n      kernel_name: a::b\n",
            "argument list",
        ),
    ],
)
def test_catalog_errors_name_the_problem(text: str, needle: str) -> None:
    with pytest.raises(CatalogError, match=needle):
        parse_catalog(text, "bad.yaml")


def test_duplicate_op_across_catalogs_is_an_error(tmp_path: Path, catalog: Path) -> None:
    dup = write(
        tmp_path,
        "custom_ops.yaml",
        "- op: relu.out\n  kernels:\n    - arg_meta: null\n      kernel_name: x::relu\n",
    )
    with pytest.raises(CatalogError, match="already has a kernel"):
        load_catalogs([str(catalog), str(dup)])


def test_malformed_manifest_key_is_an_error() -> None:
    with pytest.raises(ManifestError, match="kernel key"):
        parse_manifest(
            "operators:\n  aten::add.out: {}\net_kernel_metadata:\n  aten::add.out: [v2/junk]\n",
            "m.yaml",
        )


def test_upstream_catalog_parses() -> None:
    """Upstream's portable functions.yaml / custom_ops.yaml parse as catalogs (same format)."""
    executorch = pytest.importorskip("executorch")
    root = Path(list(executorch.__path__)[0])
    entries = load_catalogs(
        [
            str(root / "kernels/portable/functions.yaml"),
            str(root / "kernels/portable/custom_ops.yaml"),
        ]
    )
    assert "aten::add.out" in entries and len(entries) > 200
    test_catalog = parse_catalog(
        (root / "runtime/kernel/test/functions.yaml").read_text(), "test.yaml"
    )
    meta = test_catalog[0].kernels[0].arg_meta
    assert meta is not None and meta["self"] == ((7,), (0, 1, 2, 3))


def test_upstream_manifest_parses(tmp_path: Path) -> None:
    """A manifest written by upstream's selective-build tooling for a real program is accepted."""
    pytest.importorskip("executorch")
    torch = pytest.importorskip("torch")
    from executorch.codegen.tools.gen_oplist import gen_oplist
    from executorch.exir import to_edge

    class M(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.relu(x) + x

    prog = to_edge(torch.export.export(M(), (torch.ones(2, 3),))).to_executorch()
    pte = tmp_path / "m.pte"
    pte.write_bytes(prog.buffer)
    oplist = tmp_path / "selected_operators.yaml"
    gen_oplist(output_path=str(oplist), model_file_path=str(pte))
    m = parse_manifest(oplist.read_text(), str(oplist))
    assert set(m.operators) == {"aten::relu.out", "aten::add.out"}
    out = tmp_path / "registry.cc"
    assert run(["--catalog", PORTABLE, "--manifest", oplist, "--output", out]) == 0
    assert "kNumSelectedKernels = 2;" in out.read_text()


def test_generated_source_compiles(tmp_path: Path) -> None:
    gxx = shutil.which("g++")
    if gxx is None:
        pytest.skip("g++ not installed (Debian package g++)")
    for argv in (["--all"], ["--manifest", write(tmp_path, "e.ops.yaml", manifest_text())]):
        out = tmp_path / "registry.cc"
        assert run(["--catalog", PORTABLE, *argv, "--output", out]) == 0
        proc = subprocess.run(
            [
                gxx,
                "-std=c++17",
                "-fno-exceptions",
                "-fno-rtti",
                "-Wall",
                "-Wextra",
                "-Werror",
                f"-I{REPO}",
                "-c",
                str(out),
                "-o",
                str(tmp_path / "registry.o"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr


def test_dtype_header_lists_manifest_dtypes(tmp_path: Path, catalog: Path) -> None:
    """--dtype-header: the manifest's key dtypes per kernel, false for unselected ops."""
    text = manifest_text("aten::add.out", "aten::relu.out").replace(
        "  aten::relu.out:\n  - v1/6;0,1|6;0,1", "  aten::relu.out:\n  - v1/6;0|6;0\n  - v1/4;0|4;0"
    )
    manifest = write(tmp_path, "m.ops.yaml", text)
    out, header = tmp_path / "r.cc", tmp_path / "d.h"
    argv = ["--catalog", str(catalog), "--manifest", str(manifest), "--output", str(out)]
    assert run(argv + ["--dtype-header", str(header)]) == 0
    lines = {
        line.split("(t)")[0]: line for line in header.read_text().splitlines() if "(t)" in line
    }
    assert lines["#define ST_DTYPES_add_out"].endswith("(static_cast<int>(t) == 6 /* Float */)")
    assert (
        "== 4 /* Long */ || static_cast<int>(t) == 6 /* Float */"
        in lines["#define ST_DTYPES_relu_out"]
    )
    assert lines["#define ST_DTYPES_copy_"].endswith("(false)")
    assert (
        run(
            [
                "--catalog",
                str(catalog),
                "--all",
                "--output",
                str(out),
                "--dtype-header",
                str(header),
            ]
        )
        == 0
    )
    assert "#define ST_DTYPES_copy_(t) (true)" in header.read_text()
