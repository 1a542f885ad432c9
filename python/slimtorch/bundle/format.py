"""Writing and reading bundled programs (upstream's BundledProgram, `BP08`).

    data = write_bundle(program_bytes, [TestCase([x], [y])])          # method "forward"
    bundle = read_bundle(data)    # Bundle(program, suites={"forward": [TestCase]}, version)

Both go through the project's flatbuffer writer and bounds-checked reader (flatbuf.py) with
the tables of bundle/schema.py; the inner program is the .pte's bytes unchanged, placed
32-byte aligned (the schema's force_align), each tensor's data 16-byte aligned. Writing and
reading check the same things, so every bundle slimtorch writes reads back, and a bundle that
does not read is refused with one exception type, `BundleError`, naming the field:
- the file identifier, and the flatbuffer's every offset and length (flatbuf.py);
- the inner program, verified as a .pte is at load (pte.read_pte);
- every test suite names a method of the program; every value is a Tensor, Int, Bool or Double;
  every tensor has a known scalar type, at most 16 non-negative sizes, a dim_order that is a
  permutation of them (or empty: contiguous) and exactly the data bytes its sizes need;
- every test case matches its method: as many inputs and expected outputs as the method has,
  each of the method's type, dtype, dim order and shape (a dynamic-shape tensor: the same rank,
  each size at most the program's bound).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slimtorch import flatbuf, pte, schema
from slimtorch.bundle import schema as bs
from slimtorch.bundle.values import (
    BundleError,
    BundleValue,
    as_value,
    contiguous_dim_order,
    describe,
    from_wire,
    tensor_nbytes,
    to_wire,
)
from slimtorch.dtypes import ELEMENT_SIZE, scalar_type_name

_MAX_DIMS = 16  # the runtime's kMaxTensorDim


@dataclass
class TestCase:
    """One test of a method: its inputs and the outputs it must produce (in method order)."""

    __test__ = False  # not a pytest test class

    inputs: list[BundleValue] = field(default_factory=list)
    expected_outputs: list[BundleValue] = field(default_factory=list)
    # Where each value came from (a file name), for error messages only; not stored.
    input_names: list[str] = field(default_factory=list, compare=False, repr=False)
    output_names: list[str] = field(default_factory=list, compare=False, repr=False)


@dataclass
class Bundle:
    """A read bundled program: the .pte bytes as stored, and method name -> test cases."""

    program: bytes
    suites: dict[str, list[TestCase]]
    version: int = bs.SCHEMA_VERSION

    def pte(self) -> pte.PteFile:
        return pte.read_pte(self.program)


# ----------------------------------------------------------------------------- checks


def _check_tensor(t: bs.Tensor, where: str) -> None:
    if t.scalar_type not in ELEMENT_SIZE:
        raise BundleError(
            f"{where}: Tensor.scalar_type {t.scalar_type} is not an ExecuTorch scalar type"
        )
    if len(t.sizes) > _MAX_DIMS:
        raise BundleError(
            f"{where}: Tensor.sizes has {len(t.sizes)} dims; at most {_MAX_DIMS} are supported"
        )
    if any(s < 0 for s in t.sizes):
        raise BundleError(f"{where}: Tensor.sizes {list(t.sizes)} has a negative dimension")
    if t.dim_order and sorted(t.dim_order) != contiguous_dim_order(len(t.sizes)):
        raise BundleError(
            f"{where}: Tensor.dim_order {list(t.dim_order)} is not a permutation "
            f"of its {len(t.sizes)} dims"
        )
    need = tensor_nbytes(t)
    if len(t.data) != need:
        raise BundleError(
            f"{where}: Tensor.data holds {len(t.data)} bytes, but sizes "
            f"{list(t.sizes)} of {scalar_type_name(t.scalar_type)} need {need}"
        )


def method_plan(pf: pte.PteFile, name: str) -> schema.ExecutionPlan:
    """The program's method `name` (BundleError naming the methods it has)."""
    for plan in pf.program.execution_plan:
        if plan.name == name:
            return plan
    names = ", ".join(repr(p.name) for p in pf.program.execution_plan)
    raise BundleError(
        f"the program has no method {name!r} (its methods: {names}); give --method one of them"
    )


def _check_value(plan: schema.ExecutionPlan, kind: str, k: int, v: BundleValue, where: str) -> None:
    """`v` against the method's input or output `k` (`kind`: "input"/"output"); `where` names
    `v` in the message."""
    idxs = plan.inputs if kind == "input" else plan.outputs
    want = plan.values[idxs[k]].val
    if isinstance(want, schema.Tensor):
        if not isinstance(v, bs.Tensor):
            raise BundleError(
                f"{where} is {describe(v)}, but the program's {kind} {k} is a "
                f"tensor {scalar_type_name(want.scalar_type)} {tuple(want.sizes)}"
            )
        if v.scalar_type != want.scalar_type:
            raise BundleError(
                f"{where} has dtype {scalar_type_name(v.scalar_type)}, but the "
                f"program's {kind} {k} is {scalar_type_name(want.scalar_type)}; "
                "cast it"
            )
        dynamic = want.shape_dynamism != schema.TensorShapeDynamism.STATIC
        fits = len(v.sizes) == len(want.sizes) and all(
            (s <= m if dynamic else s == m) for s, m in zip(v.sizes, want.sizes, strict=True)
        )
        if not fits:
            bound = "at most " if dynamic else ""
            raise BundleError(
                f"{where} has shape {tuple(v.sizes)}, but the program's {kind} "
                f"{k} has shape {bound}{tuple(want.sizes)}"
            )
        have_order = list(v.dim_order) or contiguous_dim_order(len(v.sizes))
        want_order = list(want.dim_order) or contiguous_dim_order(len(want.sizes))
        if have_order != want_order:
            raise BundleError(
                f"{where} has dim_order {tuple(have_order)}, but the program's "
                f"{kind} {k} has dim_order {tuple(want_order)}"
            )
        return
    expected: dict[type, type] = {schema.Int: int, schema.Bool: bool, schema.Double: float}
    py = expected.get(type(want))
    if py is None:
        raise BundleError(
            f"the program's {kind} {k} is a {type(want).__name__}, which a "
            "bundled program cannot hold (only Tensor, Int, Bool, Double)"
        )
    if type(v) is not py:
        raise BundleError(
            f"{where} is {describe(v)}, but the program's {kind} {k} is {py.__name__}"
        )


def check_case(plan: schema.ExecutionPlan, case: TestCase, label: str = "") -> None:
    """BundleError unless `case` fits `plan` (counts, types, dtypes, dim orders, shapes);
    `label` prefixes the message ("test case 2: ")."""
    for kind, have, want, names in (
        ("input", case.inputs, plan.inputs, case.input_names),
        ("output", case.expected_outputs, plan.outputs, case.output_names),
    ):
        noun = "input" if kind == "input" else "expected output"
        if len(have) != len(want):
            raise BundleError(
                f"{label}{_count(len(have), noun)} given, but method {plan.name!r} has "
                f"{_count(len(want), kind)}"
            )
        for k, v in enumerate(have):
            where = f"{label}{kind} {k}" + (f" ({names[k]})" if k < len(names) else "")
            if isinstance(v, bs.Tensor):
                _check_tensor(v, where)
            _check_value(plan, kind, k, v, where)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _read_program(data: bytes, where: str) -> pte.PteFile:
    try:
        return pte.read_pte(data)
    except pte.PteError as e:
        raise BundleError(f"{where}: {e}") from None


# ----------------------------------------------------------------------------- writing


def write_bundle(
    program: bytes,
    cases: Sequence[TestCase] | Mapping[str, Sequence[TestCase]],
    method: str = "forward",
) -> bytes:
    """The BP08 bytes of `program` (a .pte, kept byte for byte) with test `cases` for
    `method`, or a mapping method name -> cases. Values may be numpy arrays (logical order;
    laid out in the program's dim order here), torch tensors, bundle Tensors or Python
    scalars. Raises BundleError when a case does not match its method."""
    pf = _read_program(bytes(program), "program")
    suites = dict(cases) if isinstance(cases, Mapping) else {method: list(cases)}
    wire_suites = []
    for name in sorted(suites):  # upstream keeps test suites sorted by method name
        plan = method_plan(pf, name)
        wire_cases = []
        for c, case in enumerate(suites[name]):
            fitted = TestCase(
                _fit(plan.inputs, plan, case.inputs),
                _fit(plan.outputs, plan, case.expected_outputs),
                case.input_names,
                case.output_names,
            )
            check_case(plan, fitted, f"method {name!r} test case {c}: ")
            wire_cases.append(
                bs.BundledMethodTestCase(
                    [to_wire(v) for v in fitted.inputs],
                    [to_wire(v) for v in fitted.expected_outputs],
                )
            )
        wire_suites.append(bs.BundledMethodTestSuite(name, wire_cases))
    root = bs.BundledProgram(bs.SCHEMA_VERSION, wire_suites, bytes(program))
    return flatbuf.encode(root, file_identifier=bs.FILE_IDENTIFIER)


def _fit(idxs: list[int], plan: schema.ExecutionPlan, values: Sequence[Any]) -> list[BundleValue]:
    """`values` as bundle values, each tensor laid out in the dim order of the method's
    value at the same position (positions past the method's count are checked later)."""
    out = []
    for k, x in enumerate(values):
        want = plan.values[idxs[k]].val if k < len(idxs) else None
        order = list(want.dim_order) if isinstance(want, schema.Tensor) else None
        if order is not None and len(order) != getattr(x, "ndim", len(order)):
            order = None  # a rank mismatch: check_case names it
        out.append(as_value(x, order or None))
    return out


def save_bundle(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` atomically: a temporary file beside it, renamed over it, so a
    failure leaves no half-written bundle (and an existing file untouched). A symlink is
    followed (its target is replaced, the link kept); a path that is not a regular file (a
    pipe, /dev/stdout) is written directly, as renaming over it would replace it."""
    path = os.fspath(path)
    if os.path.exists(path) and not os.path.isfile(path):  # stat follows /proc's fd links
        with open(path, "wb") as f:
            f.write(data)
        return
    real = os.path.realpath(path)
    parent = os.path.dirname(real)
    os.makedirs(parent, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".bpte", dir=parent)
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a bundle is an ordinary file
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, real)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# ----------------------------------------------------------------------------- reading


def is_bundle(data: bytes) -> bool:
    return len(data) >= 8 and data[4:8] == bs.FILE_IDENTIFIER


def read_bundle(data: bytes) -> Bundle:
    """Parse and check a BP08 bundle (any: upstream's too). Raises only BundleError."""
    data = bytes(data)
    if not is_bundle(data):
        ident = data[4:8] if len(data) >= 8 else b""
        hint = (
            " (an ExecuTorch program: bundle it with `slimtorch bundle --program`)"
            if ident == schema.FILE_IDENTIFIER
            else ""
        )
        raise BundleError(
            f"not a bundled program: file identifier is {ident!r}, expected "
            f"{bs.FILE_IDENTIFIER!r}{hint}"
        )
    try:
        root: bs.BundledProgram = flatbuf.decode(bs.BundledProgram, data)
    except flatbuf.FlatbufferError as e:
        raise BundleError(f"corrupt bundled program: {e}") from None
    if not root.program:
        raise BundleError("BundledProgram.program is empty: the bundle holds no program")
    pf = _read_program(root.program, "BundledProgram.program")
    suites: dict[str, list[TestCase]] = {}
    for s, suite in enumerate(root.method_test_suites):
        where = f"BundledProgram.method_test_suites[{s}]"
        if not suite.method_name:
            raise BundleError(f"{where}.method_name is missing")
        if suite.method_name in suites:
            raise BundleError(f"{where}: method {suite.method_name!r} has a second test suite")
        try:
            plan = method_plan(pf, suite.method_name)
        except BundleError as e:
            raise BundleError(f"{where}.method_name: {e}") from None
        cases = []
        for c, case in enumerate(suite.test_cases):
            at = f"{where}.test_cases[{c}]"
            tc = TestCase(
                [from_wire(v, f"{at}.inputs[{k}]") for k, v in enumerate(case.inputs)],
                [
                    from_wire(v, f"{at}.expected_outputs[{k}]")
                    for k, v in enumerate(case.expected_outputs)
                ],
            )
            check_case(plan, tc, f"{at} (method {suite.method_name!r}): ")
            cases.append(tc)
        suites[suite.method_name] = cases
    return Bundle(root.program, suites, root.version)
