"""Bundled programs: a .pte with test cases (inputs and the outputs PyTorch computes for
them), upstream ExecuTorch's BundledProgram (`BP08`, `.bpte`).

    from slimtorch.bundle import TestCase, write_bundle, read_bundle
    data = write_bundle(pte_bytes, [TestCase([x], [expected])], method="forward")
    bundle = read_bundle(data)            # .program (bytes), .suites {"forward": [TestCase]}

    # what `slimtorch bundle MODEL.py --random-cases 3` does:
    from slimtorch.bundle.cases import model_cases
    loaded = slimtorch.load_model_file("models/mlp.py")
    cases = model_cases(loaded, random_cases=3)      # eager outputs, before the export
    save_bundle("mlp.bpte", write_bundle(slimtorch.export(loaded).buffer, cases))

schema.py (the tables), values.py (arrays <-> bundle tensors), format.py (write, read,
check; no torch), cases.py (cases from a model file: example and seeded random inputs, eager
outputs; imports torch). `slimtorch bundle` (cli.py) is a thin layer over these.
"""

from __future__ import annotations

from slimtorch.bundle.format import (
    Bundle,
    TestCase,
    check_case,
    is_bundle,
    method_plan,
    read_bundle,
    save_bundle,
    write_bundle,
)
from slimtorch.bundle.schema import FILE_IDENTIFIER
from slimtorch.bundle.values import (
    BundleError,
    BundleValue,
    as_value,
    tensor_from_array,
    tensor_to_array,
)

__all__ = [
    "FILE_IDENTIFIER",
    "Bundle",
    "BundleError",
    "BundleValue",
    "TestCase",
    "as_value",
    "check_case",
    "is_bundle",
    "method_plan",
    "read_bundle",
    "save_bundle",
    "tensor_from_array",
    "tensor_to_array",
    "write_bundle",
]
