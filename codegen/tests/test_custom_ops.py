"""gen_registry.py --custom-ops: schema parsing, generated adapters (compiled with g++ and run
against a typed kernel: every supported type passes through, every wrong argument is refused
naming it), codegen errors for types the adapter cannot pass, and selective build (an
unselected custom op gets no adapter and no reference to its kernel)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PORTABLE = REPO / "kernels" / "portable" / "functions.yaml"
sys.path.insert(0, str(REPO / "codegen"))

from gen_registry import main  # noqa: E402
from kernel_catalog import CatalogError  # noqa: E402
from op_schema import SchemaError, parse_schema  # noqa: E402

EVERY = (
    "my_ops::every.out(Tensor x, Tensor? bias, float f, int i, SymInt s, bool b, Scalar sc, "
    "int[] l, int[2] l2, ScalarType st, *, Tensor(a!) out) -> Tensor(a!)"
)


def custom_ops_yaml(*entries: tuple[str, str]) -> str:
    lines = []
    for func, kernel in entries:
        lines += [
            f"- func: {func}",
            "  kernels:",
            "    - arg_meta: null",
            f"      kernel_name: {kernel}",
        ]
    return "\n".join(lines) + "\n"


def manifest_text(*ops: str) -> str:
    lines = ["operators:" if ops else "operators: {}"]
    lines += [f"  {op}: {{}}" for op in ops]
    return "\n".join(lines) + "\n"


def write(tmp: Path, name: str, text: str) -> Path:
    p = tmp / name
    p.write_text(text)
    return p


def generate(tmp: Path, custom: str, *ops: str) -> tuple[int, str]:
    yaml_path = write(tmp, "custom_ops.yaml", custom)
    manifest = write(tmp, "m.ops.yaml", manifest_text(*ops))
    out = tmp / "registry.cc"
    status = main(
        [
            "--catalog",
            str(PORTABLE),
            "--custom-ops",
            str(yaml_path),
            "--manifest",
            str(manifest),
            "--output",
            str(out),
        ]
    )
    return status, out.read_text() if out.exists() else ""


# ---- schema parsing ---------------------------------------------------------------------


def test_parse_schema_every_part() -> None:
    s = parse_schema(
        "my_ops::my_op.out(Tensor x, float alpha=1.5, *, Tensor(a!) out) -> Tensor(a!)"
    )
    assert s.name == "my_ops::my_op.out"
    assert [(a.name, str(a.type), a.kwarg_only) for a in s.arguments] == [
        ("x", "Tensor", False),
        ("alpha", "float", False),
        ("out", "Tensor(a!)", True),
    ]
    assert s.arguments[2].type.is_mutable and not s.arguments[0].type.is_mutable
    assert [str(r) for r in s.returns] == ["Tensor(a!)"]


def test_parse_schema_lists_defaults_and_tuples() -> None:
    s = parse_schema(
        'ns::f.out(Tensor self, int[2] k=[1, 1], int[] d=[], str mode="a,b", '
        "ScalarType? dtype=None, *, Tensor(a!) v, Tensor(b!) i) -> "
        "(Tensor(a!) values, Tensor(b!) indices)"
    )
    types = {a.name: a.type for a in s.arguments}
    assert types["k"].is_list and types["k"].list_size == 2
    assert types["d"].is_list and types["d"].list_size is None
    assert types["mode"].base == "str"  # the comma inside the default does not split
    assert types["dtype"].optional
    assert [str(r) for r in s.returns] == ["Tensor(a!)", "Tensor(b!)"]


@pytest.mark.parametrize(
    "text",
    [
        "my_ops::my op.out(Tensor x) -> Tensor",  # not a name
        "ns::f.out(Tensor x -> Tensor",  # unbalanced
        "ns::f.out(Tensor) -> Tensor",  # no argument name
        "ns::f.out(Tensor x, Tensor x) -> Tensor",  # a name twice
    ],
)
def test_parse_schema_errors(text: str) -> None:
    with pytest.raises(SchemaError):
        parse_schema(text)


def test_every_upstream_custom_op_schema_parses() -> None:
    """The func: schemas of upstream's own custom op catalogs (the executorch wheel)."""
    executorch = pytest.importorskip("executorch")
    yaml = pytest.importorskip("yaml")
    root = Path(list(executorch.__path__)[0]) / "kernels"
    funcs = [
        entry["func"]
        for path in (root / "portable/custom_ops.yaml", root / "quantized/quantized.yaml")
        for entry in yaml.safe_load(path.read_text())
        if "func" in entry
    ]
    assert len(funcs) > 15
    parsed = {parse_schema(f).name: parse_schema(f) for f in funcs}
    assert parsed["aten::allclose.out"].arguments[2].name == "rtol"
    qparams = parsed["quantized_decomposed::choose_qparams.Tensor_out"]
    assert [str(r) for r in qparams.returns] == ["Tensor(a!)", "Tensor(b!)"]
    assert [a.name for a in qparams.arguments if a.kwarg_only] == ["scale_out", "zero_point_out"]


# ---- generated adapters -----------------------------------------------------------------


def test_selected_custom_op_gets_an_adapter_calling_the_typed_kernel(tmp_path: Path) -> None:
    status, src = generate(
        tmp_path,
        custom_ops_yaml(
            (
                "my_ops::my_op.out(Tensor x, float alpha, *, Tensor(a!) out) -> Tensor(a!)",
                "my_device::my_op_out",
            )
        ),
        "aten::relu.out",
        "my_ops::my_op.out",
    )
    assert status == 0
    assert (
        "namespace my_device { ::slimtorch::Error my_op_out(::slimtorch::KernelContext& "
        "ctx, const ::slimtorch::Tensor& /*x*/, double /*alpha*/, ::slimtorch::Tensor& "
        "/*out*/); }"
    ) in src
    assert '{"my_ops::my_op.out", &my_ops_my_op_out_adapter},' in src
    assert "return ::my_device::my_op_out(ctx, *args[0]->v.t, args[1]->v.d, *args[2]->v.t);" in src
    assert "if (nargs != 4)" in src


def test_unselected_custom_op_links_nothing(tmp_path: Path) -> None:
    """Selective build: no adapter, no declaration, so the user's kernel is never referenced."""
    status, src = generate(
        tmp_path,
        custom_ops_yaml(
            (
                "my_ops::my_op.out(Tensor x, float alpha, *, Tensor(a!) out) -> Tensor(a!)",
                "my_device::my_op_out",
            )
        ),
        "aten::relu.out",
    )
    assert status == 0
    assert "my_op" not in src.split("// Inputs:")[1].split("\n", 1)[1]
    assert "kNumSelectedKernels = 1;" in src


@pytest.mark.parametrize(
    "func, needle",
    [
        (
            "my_ops::f.out(Tensor x, str mode, *, Tensor(a!) out) -> Tensor(a!)",
            "argument 'mode' has type str",
        ),
        (
            "my_ops::f.out(Tensor x, float? a, *, Tensor(a!) out) -> Tensor(a!)",
            "argument 'a' has type float?",
        ),
        (
            "my_ops::f.out(Tensor[] xs, *, Tensor(a!) out) -> Tensor(a!)",
            r"argument 'xs' has type Tensor\[\]",
        ),
        (
            "my_ops::f.out(Tensor(a) x, *, Tensor(b!) out) -> Tensor(b!)",
            "argument 'x' has type Tensor\\(a\\), a view",
        ),
        ("my_ops::f.out(Tensor x, *, Tensor(a!) out) -> ()", "returns nothing"),
        ("my_ops::f.out(Tensor x, *, Tensor(a!) out) -> int", "returns int"),
    ],
)
def test_unsupported_types_are_codegen_errors_naming_op_and_argument(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], func: str, needle: str
) -> None:
    # Checked although no manifest selects the op: the user learns at the first build.
    status, _ = generate(tmp_path, custom_ops_yaml((func, "my_device::f_out")), "aten::relu.out")
    err = capsys.readouterr().err
    assert status == 1
    assert "my_ops::f.out" in err
    assert re.search(needle, err), err


def test_custom_op_entry_needs_a_func_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "- op: my_thing.out\n  kernels:\n    - arg_meta: null\n      kernel_name: a::b\n"
    status, _ = generate(tmp_path, text, "aten::relu.out")
    assert status == 1
    assert "needs 'func:' with the full schema" in capsys.readouterr().err


def test_custom_op_also_in_a_catalog_is_an_error(tmp_path: Path) -> None:
    from gen_registry import generate as gen

    func = "my_ops::my_op.out(Tensor x, *, Tensor(a!) out) -> Tensor(a!)"
    one = write(tmp_path, "a.yaml", custom_ops_yaml((func, "a::f")))
    two = write(tmp_path, "b.yaml", custom_ops_yaml((func, "b::f")))
    with pytest.raises(CatalogError, match="already has a kernel"):
        gen([str(one)], [str(write(tmp_path, "m.yaml", manifest_text()))], False, [str(two)])


# The typed kernel of EVERY: writes what it received into `out` (Double, 12 elements), so the
# test reads back exactly what the adapter passed.
_KERNEL = r"""
#include "runtime/kernel/custom_op.h"
namespace test_kernels {
slimtorch::Error every_out(slimtorch::KernelContext& ctx, const slimtorch::Tensor& x,
                           const slimtorch::Tensor* bias, double f, int64_t i, int64_t s, bool b,
                           double sc, slimtorch::IntListRef l, slimtorch::IntListRef l2,
                           slimtorch::ScalarType st, slimtorch::Tensor& out) {
  if (out.dtype != slimtorch::ScalarType::Double || out.numel != 12) {
    return ctx.fail("out: expected 12 doubles");
  }
  double* o = out.data_as<double>();
  o[0] = static_cast<double>(x.numel);
  o[1] = bias == nullptr ? -1.0 : static_cast<double>(bias->numel);
  o[2] = f;
  o[3] = static_cast<double>(i);
  o[4] = static_cast<double>(s);
  o[5] = b ? 1.0 : 0.0;
  o[6] = sc;
  o[7] = static_cast<double>(l.size);
  o[8] = l.size > 0 ? static_cast<double>(l.at(l.size - 1)) : -1.0;
  o[9] = static_cast<double>(l2.at(1));
  o[10] = static_cast<double>(static_cast<int>(st));
  o[11] = static_cast<double>(x.data_as<float>()[1]);
  return slimtorch::Error::Ok;
}
}  // namespace test_kernels
"""

# Calls the adapter with good arguments, then with each argument made wrong in turn.
_MAIN = r"""
#include <stdio.h>
#include <string.h>
#include "runtime/kernel/kernel.h"
using namespace slimtorch;

static Error call(EValue** args, size_t nargs, KernelContext& ctx) {
  return kSelectedKernels[0].fn(ctx, args, nargs);
}

int main() {
  float xd[3] = {1.0f, 2.5f, 3.0f};
  int32_t xs[1] = {3};
  uint8_t order[1] = {0};
  Tensor x; x.data = xd; x.sizes = xs; x.dim_order = order; x.numel = 3; x.dim = 1;
  x.dtype = ScalarType::Float; x.capacity_bytes = sizeof(xd);
  double od[12] = {0};
  int32_t os[1] = {12};
  Tensor out; out.data = od; out.sizes = os; out.dim_order = order; out.numel = 12; out.dim = 1;
  out.dtype = ScalarType::Double; out.capacity_bytes = sizeof(od);

  EValue v[13];
  v[0].tag = Tag::Tensor; v[0].v.t = &x;
  v[1].tag = Tag::None;
  v[2].tag = Tag::Double; v[2].v.d = 0.25;
  v[3].tag = Tag::Int; v[3].v.i = -7;
  v[4].tag = Tag::Int; v[4].v.i = 1099511627776LL;
  v[5].tag = Tag::Bool; v[5].v.b = true;
  v[6].tag = Tag::Int; v[6].v.i = 5;  // a Scalar given as an int
  EValue items[3];
  for (int k = 0; k < 3; ++k) { items[k].tag = Tag::Int; items[k].v.i = 10 + k; }
  EValue* item_ptrs[3] = {&items[0], &items[1], &items[2]};
  v[7].tag = Tag::IntList; v[7].v.il = IntListRef{item_ptrs, 3};
  v[8].tag = Tag::IntList; v[8].v.il = IntListRef{item_ptrs, 2};
  v[9].tag = Tag::Int; v[9].v.i = 4;  // Long
  v[10].tag = Tag::Tensor; v[10].v.t = &out;
  v[11].tag = Tag::Tensor; v[11].v.t = &out;  // the return value
  EValue* args[12];
  for (int k = 0; k < 12; ++k) args[k] = &v[k == 11 ? 11 : k];

  KernelContext ctx;
  Error e = call(args, 12, ctx);
  printf("ok %d:", static_cast<int>(e));
  for (int k = 0; k < 12; ++k) printf(" %.17g", od[k]);
  printf("\n");
  v[1].tag = Tag::Tensor; v[1].v.t = &x;  // bias given
  e = call(args, 12, ctx);
  printf("bias %d: %g\n", static_cast<int>(e), od[1]);

  KernelContext c0;
  e = call(args, 11, c0);
  printf("nargs %d: %s\n", static_cast<int>(e), c0.message);
  // Each argument in turn replaced by a String value (a kind no schema type accepts).
  EValue bad; bad.tag = Tag::String;
  for (int k = 0; k < 12; ++k) {
    EValue* saved = args[k];
    args[k] = &bad;
    KernelContext c;
    e = call(args, 12, c);
    printf("bad %d %d: %s\n", k, static_cast<int>(e), c.message);
    args[k] = saved;
  }
  // Wrong values of the right kind.
  v[8].v.il.size = 3;  // int[2] given 3 items
  KernelContext c1;
  e = call(args, 12, c1);
  printf("l2 %d: %s\n", static_cast<int>(e), c1.message);
  v[8].v.il.size = 2;
  v[9].v.i = 99;  // no such ScalarType
  KernelContext c2;
  e = call(args, 12, c2);
  printf("st %d: %s\n", static_cast<int>(e), c2.message);
  return 0;
}
"""


def test_adapter_passes_every_type_and_names_each_wrong_argument(tmp_path: Path) -> None:
    gxx = shutil.which("g++")
    if gxx is None:
        pytest.skip("g++ not installed (Debian package g++)")
    status, _ = generate(
        tmp_path, custom_ops_yaml((EVERY, "test_kernels::every_out")), "my_ops::every.out"
    )
    assert status == 0
    write(tmp_path, "kernel.cc", _KERNEL)
    write(tmp_path, "main.cc", _MAIN)
    exe = tmp_path / "adapter_test"
    runtime = [REPO / "runtime/core" / f for f in ("tensor.cc", "scalar_type.cc", "error.cc")]
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
            str(tmp_path / "registry.cc"),
            str(tmp_path / "kernel.cc"),
            str(tmp_path / "main.cc"),
            *map(str, runtime),
            "-o",
            str(exe),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    lines = subprocess.run(
        [str(exe)], capture_output=True, text=True, check=True, timeout=60
    ).stdout.splitlines()
    got = dict(line.split(": ", 1) for line in lines)
    # Every value as the typed kernel saw it: x.numel, no bias, f, i, s (beyond 32 bits), b,
    # the int Scalar as double, the list's size and last item, int[2]'s second, Long, x[1].
    assert [float(t) for t in got["ok 0"].split()] == [
        3,
        -1,
        0.25,
        -7,
        1099511627776,
        1,
        5,
        3,
        12,
        11,
        4,
        2.5,
    ]
    assert got["bias 0"] == "3"
    invalid = "1"  # Error::InvalidArgument
    assert got[f"nargs {invalid}"] == (
        "expected 12 arguments (x, bias, f, i, s, b, sc, l, l2, st, out, the return value)"
    )
    names = ["x", "bias", "f", "i", "s", "b", "sc", "l", "l2", "st", "out"]
    for k, name in enumerate(names):
        assert got[f"bad {k} {invalid}"].startswith(f"{name}: expected "), got[f"bad {k} 1"]
    assert got[f"bad 11 {invalid}"] == "return value: expected a Tensor"
    assert got[f"l2 {invalid}"] == "l2: expected an int list of 2 items (schema: int[2] l2)"
    assert got[f"st {invalid}"].startswith("st: expected a ScalarType")


def test_several_outs_return_one_tensor_list(tmp_path: Path) -> None:
    """As the emitter writes it: the out tensors, then one TensorList of them (the return)."""
    func = "my_ops::two.out(Tensor x, *, Tensor(a!) lo, Tensor(b!) hi) -> (Tensor(a!), Tensor(b!))"
    status, src = generate(tmp_path, custom_ops_yaml((func, "k::two_out")), "my_ops::two.out")
    assert status == 0
    assert "if (nargs != 4)" in src
    assert "args[3] == nullptr || args[3]->tag != ::slimtorch::Tag::TensorList" in src
    assert "return ::k::two_out(ctx, *args[0]->v.t, *args[1]->v.t, *args[2]->v.t);" in src
