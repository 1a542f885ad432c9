"""The program //app:size_test embeds: the smallest valid ET12 program with one method.

    PYTHONPATH=python python app/size_test_program.py OUT.pte OUT.ops.yaml

Method "forward" has no values, inputs, outputs or instructions, so an image that
runs it holds the runtime core alone (loading and verification, method init, the
execute loop) and as few program bytes as possible: 224, where an exported
identity model took 720 (most of it the pytree specs of its inputs and outputs).

Only fields both runtimes read are written: upstream ExecuTorch 1.5.1 requires
`values`, `inputs`, `outputs`, `delegates`, a chain with `instructions`,
`non_const_buffer_sizes` (entry 0 reserved) and a `constant_segment` with its
reserved offset 0; `operators` (empty) is kept for slimtorch's own tools (the
manifest reads it). Optional tables and vectors nothing needs here (the
deprecated constant_buffer, backend_delegate_data, chain inputs/outputs,
container metadata) are left out. tests/test_size_test_program.py loads the result
on upstream's runtime; //app:size_test_host_test and the QEMU test load it on
slimtorch's with verification on.
"""

from __future__ import annotations

import sys

from slimtorch import manifest, pte, schema


def minimal_program() -> bytes:
    chain = schema.Chain()
    chain.inputs = None  # type: ignore[assignment]  # optional vectors: left out
    chain.outputs = None  # type: ignore[assignment]
    plan = schema.ExecutionPlan(name="forward", chains=[chain], non_const_buffer_sizes=[0])
    program = schema.Program(
        version=0, execution_plan=[plan], segments=[],
        constant_segment=schema.SubsegmentOffsets(0, [0]),
    )
    program.constant_buffer = None  # type: ignore[assignment]
    program.backend_delegate_data = None  # type: ignore[assignment]
    return pte.write_pte(program, [])


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    data = minimal_program()
    with open(argv[1], "wb") as f:
        f.write(data)
    with open(argv[2], "w") as f:
        f.write(manifest.manifest_yaml(pte.read_pte(data), "size_test_program.pte"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
