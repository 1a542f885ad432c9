"""gen_registry.py --backends: the manifests' delegate backends in kSelectedBackends, the
errors for a backend no catalog provides and for malformed catalogs, and that the
generated source compiles (g++) against runtime/backend/backend.h."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PORTABLE = REPO / "kernels" / "portable" / "functions.yaml"
sys.path.insert(0, str(REPO / "codegen"))

from backend_catalog import BackendCatalogError, parse_backend_catalog  # noqa: E402
from gen_registry import main  # noqa: E402
from op_manifest import ManifestError, parse_manifest  # noqa: E402

XNNPACK = (
    "- id: XnnpackBackend\n"
    '  symbol: "slimtorch::xnnpack::kXnnpackBackend"\n'
    '  header: "backends/xnnpack/xnnpack_backend.h"\n'
)
OTHER = '- {id: OtherBackend, symbol: "acme::kOther", header: "acme/other.h"}\n'


def manifest(*backends: str, ops: tuple[str, ...] = ("aten::relu.out",)) -> str:
    features = "[" + ", ".join(f'"backend:{b}"' for b in backends) + "]"
    lines = [f"build_features: {features}", "include_all_operators: false", "operators:"]
    lines += [f"  {op}: {{}}" for op in ops] or ["  {}"]
    return "\n".join(lines) + "\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def generate(tmp_path: Path, *argv: object) -> tuple[int, str]:
    out = tmp_path / "registry.cc"
    if out.exists():
        out.unlink()
    code = main(["--catalog", str(PORTABLE), *(str(a) for a in argv), "--output", str(out)])
    return code, out.read_text() if out.exists() else ""


def test_manifest_backend_is_selected(tmp_path: Path) -> None:
    cat = write(tmp_path, "backends.yaml", XNNPACK + OTHER)
    m = write(tmp_path, "m.ops.yaml", manifest("XnnpackBackend"))
    code, src = generate(tmp_path, "--backends", cat, "--manifest", m)
    assert code == 0
    assert '#include "backends/xnnpack/xnnpack_backend.h"' in src
    assert "&::slimtorch::xnnpack::kXnnpackBackend," in src
    assert "kNumSelectedBackends = 1;" in src
    assert "acme" not in src  # a catalog's other backends are not linked


def test_program_without_delegates_links_no_backend(tmp_path: Path) -> None:
    cat = write(tmp_path, "backends.yaml", XNNPACK)
    m = write(tmp_path, "m.ops.yaml", manifest())
    code, src = generate(tmp_path, "--backends", cat, "--manifest", m)
    assert code == 0
    assert "kSelectedBackends[1] = {nullptr};" in src and "kNumSelectedBackends = 0;" in src
    assert "xnnpack" not in src.split("// Inputs:")[1].split("\n", 1)[1]  # only in the inputs line


def test_union_of_manifests_sorted_once_each(tmp_path: Path) -> None:
    cat = write(tmp_path, "backends.yaml", XNNPACK + OTHER)
    m1 = write(tmp_path, "a.ops.yaml", manifest("XnnpackBackend", "OtherBackend"))
    m2 = write(tmp_path, "b.ops.yaml", manifest("XnnpackBackend"))
    code, src = generate(tmp_path, "--backends", cat, "--manifest", m1, "--manifest", m2)
    assert code == 0
    rows = [line.strip() for line in src.splitlines() if line.startswith("    &::")]
    assert rows == [
        "&::acme::kOther,  // OtherBackend (" + str(cat) + ")",
        "&::slimtorch::xnnpack::kXnnpackBackend,  // XnnpackBackend (" + str(cat) + ")",
    ]
    assert "kNumSelectedBackends = 2;" in src


def test_all_selects_every_catalog_backend(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", XNNPACK)
    b = write(tmp_path, "b.yaml", OTHER)
    code, src = generate(tmp_path, "--backends", a, "--backends", b, "--all")
    assert code == 0 and "kNumSelectedBackends = 2;" in src
    code, src = generate(tmp_path, "--all")
    assert code == 0 and "kNumSelectedBackends = 0;" in src


def test_unprovided_backend_names_backend_manifest_and_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    m = write(tmp_path, "mlp.ops.yaml", manifest("XnnpackBackend"))
    code, src = generate(tmp_path, "--manifest", m)
    err = capsys.readouterr().err
    assert code == 1 and src == ""
    assert "XnnpackBackend" in err and str(m) in err
    assert 'backends = ["xnnpack"]' in err
    assert "--backends backends/xnnpack/backends.yaml" in err
    # A catalog that lacks it is named in the message.
    other = write(tmp_path, "other.yaml", OTHER)
    code, _ = generate(tmp_path, "--backends", other, "--manifest", m)
    assert code == 1 and str(other) in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("id: XnnpackBackend\n", "YAML list"),
        ("- just a string\n", "not a map"),
        ('- {id: X, symbol: "a::b"}\n', "'header'"),
        ('- {id: X, symbol: "not a symbol", header: "a.h"}\n', "'symbol'"),
        ('- {id: "bad id", symbol: "a::b", header: "a.h"}\n', "'id'"),
        ('- {id: X, symbol: "a::b", header: "a.h", lib: "//x"}\n', "unknown key"),
    ],
)
def test_catalog_errors_name_the_problem(text: str, needle: str) -> None:
    with pytest.raises(BackendCatalogError, match=needle):
        parse_backend_catalog(text, "bad.yaml")


def test_backend_in_two_catalogs_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = write(tmp_path, "a.yaml", XNNPACK)
    b = write(tmp_path, "b.yaml", XNNPACK)
    code, _ = generate(tmp_path, "--backends", a, "--backends", b, "--all")
    err = capsys.readouterr().err
    assert code == 1 and "already provided by" in err and str(a) in err


def test_manifest_backend_features() -> None:
    m = parse_manifest(
        'build_features: ["backend:B", "some_upstream_feature", "backend:A", "backend:B"]\n'
        "operators: {}\n",
        "m.yaml",
    )
    assert m.backends == ("B", "A")
    assert parse_manifest("operators: {}\n", "m.yaml").backends == ()
    with pytest.raises(ManifestError, match="names no backend"):
        parse_manifest('build_features: ["backend:"]\n', "m.yaml")
    with pytest.raises(ManifestError, match="list of strings"):
        parse_manifest("build_features: {a: 1}\n", "m.yaml")


def test_the_xnnpack_catalog_parses() -> None:
    """backends/xnnpack/backends.yaml (xnnrt's, or the stand-in's) is a valid catalog."""
    path = REPO / "backends" / "xnnpack" / "backends.yaml"
    if not path.exists():
        pytest.skip(f"{path} is not in this tree (the xnnrt branch adds it)")
    entries = parse_backend_catalog(path.read_text(), str(path))
    assert [(e.id, e.symbol) for e in entries] == [
        ("XnnpackBackend", "slimtorch::xnnpack::kXnnpackBackend")
    ]


def test_generated_source_compiles(tmp_path: Path) -> None:
    gxx = shutil.which("g++")
    if gxx is None:
        pytest.skip("g++ not installed (Debian package g++)")
    inc = tmp_path / "inc"
    (inc / "acme").mkdir(parents=True)
    (inc / "acme" / "other.h").write_text(
        '#pragma once\n#include "runtime/backend/backend.h"\n'
        "namespace acme { extern const slimtorch::Backend kOther; }\n"
    )
    cat = write(tmp_path, "backends.yaml", OTHER)
    for argv in (["--all"], ["--manifest", write(tmp_path, "e.ops.yaml", manifest())]):
        code, _ = generate(tmp_path, "--backends", cat, *argv)
        assert code == 0
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
                f"-I{inc}",
                "-c",
                str(tmp_path / "registry.cc"),
                "-o",
                str(tmp_path / "registry.o"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
