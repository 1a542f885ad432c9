"""The `slimtorch` command line: export, inspect, profile, ops, embed, fit-check, run, ..."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slimtorch import memory_planning, platforms, pte

if TYPE_CHECKING:  # torch-importing modules, only for the annotations
    from slimtorch.api import Program
    from slimtorch.bundle import TestCase
    from slimtorch.model_file import LoadedModel


class CliError(Exception):
    """A user error with a message that names the cause and the fix."""


def _write_text(path: str, text: str) -> None:
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def _export(args: argparse.Namespace, loaded: LoadedModel) -> Program:
    """The slimtorch.Program that the export options in `args` make of the loaded model file
    (`slimtorch export` and `slimtorch bundle MODEL.py` share this: the same options give the
    same program bytes)."""
    import slimtorch  # torch import is slow: only when exporting

    memories = [memory_planning.parse_memory(m) for m in args.memory or []]
    user_passes: list[slimtorch.Pass] = []
    planner: memory_planning.Planner | None = None
    planner_file = ""
    for path in args.passes or []:
        found = slimtorch.load_passes_file(path)
        user_passes += found.passes
        if found.memory_planner is not None:
            if planner is not None:
                raise CliError(f"{planner_file} and {path} both define memory_planner(); a "
                               "program has one planner: keep it in one passes file")
            planner, planner_file = found.memory_planner, path

    def export(quantize: str) -> slimtorch.Program:
        return slimtorch.export(loaded, passes=user_passes, memory_planner=planner,
                                memories=memories or None, quantize=quantize,
                                runtime=args.runtime, fold_constants=not args.no_fold_constants,
                                backends=args.backend or (),
                                delegate_inline=args.delegate_inline,
                                name=_program_name(args.output))

    program = export(args.quantize)
    if args.quantize == "int8":
        floating = export("none")
        print(_size_summary(program.emitted, floating.emitted), file=sys.stderr)
    _check_kernels(program.buffer, args, loaded.path)
    return program


def _program_name(output: str) -> str:
    """What manifests call the program: the output's name, a bundle's as its .pte."""
    base = os.path.basename(output)
    return os.path.splitext(base)[0] + ".pte" if base.endswith(".bpte") else base


def cmd_export(args: argparse.Namespace) -> int:
    import slimtorch
    from slimtorch import exporter

    loaded = slimtorch.load_model_file(args.model)
    program = _export(args, loaded)
    size = program.save(args.output, checksum=args.checksum)
    print(f"slimtorch: wrote {args.output} ({size} bytes)", file=sys.stderr)
    if args.manifest:
        program.save_manifest(args.manifest)
    if args.io_dir:
        exporter.write_io_dir(loaded, args.io_dir, quantized=program.quantized)
    return 0


def _check_kernels(data: bytes, args: argparse.Namespace, model: str) -> None:
    """Every operator and dtype of the program against the kernel catalogs (kernel_check.py):
    a warning, or under --strict an error (executorch_model() passes its catalogs)."""
    from slimtorch import kernel_check

    if args.strict and not args.kernel_catalog:
        raise CliError("--strict needs the catalogs to check against: give --kernel-catalog "
                       "YAML for each")
    try:
        lines = kernel_check.check(pte.read_pte(data), model, args.kernel_catalog,
                                   args.strict)
    except kernel_check.KernelCheckError as e:
        raise CliError(str(e)) from None
    if lines:
        print("slimtorch export: warning: " + "\n".join(lines), file=sys.stderr)


def _program_bytes(emitted: object) -> tuple[int, int]:
    """(planned RAM bytes, constant (weight) bytes) of an EmittedProgram."""
    program = emitted.program  # type: ignore[attr-defined]
    planned = sum(sum(plan.non_const_buffer_sizes) for plan in program.execution_plan)
    return planned, len(emitted.constant_segment)  # type: ignore[attr-defined]


def _size_summary(int8: object, float32: object) -> str:
    (qr, qw), (fr, fw) = _program_bytes(int8), _program_bytes(float32)

    def share(a: int, b: int) -> str:
        return f"{100 * a / b:.0f}%" if b else "n/a"

    return (f"slimtorch: int8 program: planned RAM {qr} bytes ({share(qr, fr)} of float32's "
            f"{fr}), weights {qw} bytes ({share(qw, fw)} of float32's {fw})")


def cmd_bundle(args: argparse.Namespace) -> int:
    if args.random_cases < 0:
        raise CliError(f"--random-cases {args.random_cases}: give 0 or more")
    given = bool(args.input or args.expected or args.case)
    if args.program is None:  # MODEL.py: export it, cases from eager
        if not args.model:
            raise CliError("give MODEL.py, or --program P.pte with --model MODEL.py or with "
                           "--input/--expected files")
        if given or args.model_option:
            raise CliError("--model/--input/--expected/--case go with --program P.pte; a model "
                           "file's cases come from its example_inputs() (and --random-cases)")
        if args.method != "forward":
            raise CliError(f"--method {args.method}: a model file exports one method, forward; "
                           "to bundle another method's cases give --program P.pte")
        return _bundle_model(args)
    if args.model:
        raise CliError(f"give MODEL.py ({args.model}) or --program {args.program}, not both; "
                       "to bundle an existing program with a model's outputs write --program "
                       "P.pte --model MODEL.py")
    from slimtorch import bundle

    program = _read_bytes(args.program, "program")
    bundle.method_plan(pte.read_pte(program), args.method)  # before any model runs
    if args.model_option and given:
        raise CliError("give --model or --input/--expected/--case, not both: the expected "
                       "outputs come from one of them")
    if args.model_option:
        from slimtorch import model_file
        from slimtorch.bundle import cases as bundle_cases

        loaded = model_file.load_model_file(args.model_option)
        reference = None
        if args.quantize == "int8":  # expected: the quantized reference's outputs
            reference = _int8_reference(args, loaded, program)
        cases = bundle_cases.model_cases(loaded, args.random_cases, args.seed, args.method,
                                         reference=reference)
    elif given:
        if args.random_cases:
            raise CliError("--random-cases needs --model MODEL.py to compute the expected "
                           "outputs of the random inputs")
        cases = _npy_cases(args)
    else:
        raise CliError("--program needs the test cases' expected outputs: give --model "
                       "MODEL.py, or --input X.npy ... --expected Y.npy ..., or --case DIR")
    _save_bundle(args, program, cases)
    return 0


def _int8_reference(args: argparse.Namespace, loaded: LoadedModel, program: bytes) -> Any:
    """The quantized reference module of an int8 export of `loaded` with the options in
    `args` (PT2E's convert_pt2e graph, run eagerly), for --program P.pte --model M.py
    --quantize int8; a warning when that export is not P.pte's bytes."""
    exported = _export(args, loaded)
    if exported.to_bytes(checksum=args.checksum) != program:
        print(f"slimtorch bundle: warning: {args.program} is not what these options export "
              f"from {args.model_option}; the expected outputs are that export's quantized "
              "reference's", file=sys.stderr)
    return exported.quantized.reference if exported.quantized is not None else None


def _bundle_model(args: argparse.Namespace) -> int:
    import slimtorch
    from slimtorch.bundle import cases as bundle_cases

    loaded = slimtorch.load_model_file(args.model)
    cases = None
    if args.quantize != "int8":  # eager outputs before export touches the module
        cases = bundle_cases.model_cases(loaded, args.random_cases, args.seed, args.method)
    program = _export(args, loaded)
    if cases is None:  # int8: the quantized reference's outputs (as export --io-dir writes)
        reference = program.quantized.reference if program.quantized is not None else None
        cases = bundle_cases.model_cases(loaded, args.random_cases, args.seed, args.method,
                                         reference=reference)
    _save_bundle(args, program.to_bytes(checksum=args.checksum), cases)
    if args.manifest:
        program.save_manifest(args.manifest)
    return 0


def _npy_cases(args: argparse.Namespace) -> list[TestCase]:
    """Test cases from .npy files: --input/--expected (one case), then each --case DIR."""
    from slimtorch import npy
    from slimtorch.bundle import BundleValue, TestCase, as_value

    def load(paths: list[str]) -> list[BundleValue]:
        return [as_value(npy.load_npy(p)) for p in paths]

    cases = []
    if args.input or args.expected:
        if not args.expected:
            raise CliError("--input given without --expected: give the expected output of each "
                           "method output (--expected Y.npy, repeat)")
        ins, outs = args.input or [], args.expected
        cases.append(TestCase(load(ins), load(outs), _names(ins), _names(outs)))
    for directory in args.case or []:
        if not os.path.isdir(directory):
            raise CliError(f"--case {directory} is not a directory of input<i>.npy and "
                           "expected<i>.npy (as `slimtorch io` and `export --io-dir` write)")
        names = sorted(os.listdir(directory))
        ins = [n for n in names if n.startswith("input") and n.endswith(".npy")]
        outs = [n for n in names if n.startswith("expected") and n.endswith(".npy")]
        if not outs:
            raise CliError(f"--case {directory} holds no expected<i>.npy")

        ins.sort(key=lambda n, d=directory: _npy_index(n, d))
        outs.sort(key=lambda n, d=directory: _npy_index(n, d))
        in_paths = [os.path.join(directory, n) for n in ins]
        out_paths = [os.path.join(directory, n) for n in outs]
        cases.append(TestCase(load(in_paths), load(out_paths), in_paths, out_paths))
    return cases


def _names(paths: list[str]) -> list[str]:
    return [os.path.basename(p) for p in paths]


def _npy_index(name: str, directory: str) -> int:
    """i of input<i>.npy / expected<i>.npy in a --case directory."""
    digits = name.removeprefix("input").removeprefix("expected").removesuffix(".npy")
    if not digits.isdigit():
        raise CliError(f"--case {directory}: {name} is not named input<i>.npy or "
                       "expected<i>.npy")
    return int(digits)


def _save_bundle(args: argparse.Namespace, program: bytes, cases: list[TestCase]) -> None:
    from slimtorch import bundle

    data = bundle.write_bundle(program, cases, args.method)
    bundle.save_bundle(args.output, data)
    print(f"slimtorch: wrote {args.output} ({len(data)} bytes, {len(cases)} test case"
          f"{'s' if len(cases) != 1 else ''} for {args.method})", file=sys.stderr)


def _read_bytes(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise CliError(f"cannot read {what} {path}: {e.strerror}") from None


def cmd_io(args: argparse.Namespace) -> int:
    from slimtorch import exporter

    if len(args.output_dir) != args.cases:
        raise CliError(f"--cases {args.cases} needs {args.cases} output directories, "
                       f"got {len(args.output_dir)}")
    loaded = exporter.load_model_file(args.model)
    for case, directory in enumerate(args.output_dir):
        exporter.write_io_dir(loaded, directory, case=case, iterations=args.iterations)
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from slimtorch import bundle, inspect_pte, profiling

    data = _read_bytes(args.program, "program")
    if profiling.is_etdump(data[:12]):
        sys.stdout.write(profiling.summarize(profiling.read_etdump_file(args.program),
                                             args.program))
        return 0
    if bundle.is_bundle(data):  # a .bpte: its test cases, then the program inside
        try:
            found = bundle.read_bundle(data)
        except bundle.BundleError as e:
            raise bundle.BundleError(f"{args.program}: {e}") from None
        sys.stdout.write(inspect_pte.summarize_bundle(found, args.program,
                                                      show_values=not args.brief))
        program = found.pte()
    else:
        program = pte.read_pte_file(args.program)
        sys.stdout.write(inspect_pte.summarize(program, args.program,
                                               show_values=not args.brief))
    if args.memory:
        from slimtorch import memory_report

        svg_path = args.svg or os.path.splitext(args.program)[0] + ".memory.svg"
        title = os.path.basename(args.program)
        _write_text(svg_path, "".join(memory_report.plan_svg(plan, f"{title} {plan.name}")
                                      for plan in program.program.execution_plan[:1]))
        print(f"memory plan drawn in {svg_path}")
    return 0


def cmd_profile(args: argparse.Namespace) -> int:
    from slimtorch import profiling

    if not args.tick_ns > 0:
        raise CliError(f"--tick-ns {args.tick_ns} must be a positive number of nanoseconds")
    try:
        with open(args.program, "rb") as f:
            swapped = profiling.is_etdump(f.read(12))
    except OSError:
        swapped = False  # read_pte_file names the problem
    if swapped:
        raise CliError(f"{args.program} is an ETDump, not a program: give the program first "
                       "(slimtorch profile PROGRAM.pte ETDUMP)")
    program = pte.read_pte_file(args.program)
    prof = profiling.analyse(program, profiling.read_etdump_file(args.etdump), args.method)
    title = f"{os.path.basename(args.program)} "
    sys.stdout.write(profiling.format_table(prof, args.tick_ns, title))
    if args.svg:
        _write_text(args.svg, profiling.profile_svg(prof, args.tick_ns, title))
        print(f"bar chart drawn in {args.svg}")
    return 0


def cmd_ops(args: argparse.Namespace) -> int:
    from slimtorch import manifest

    text = manifest.manifest_yaml(pte.read_pte_file(args.program),
                                  os.path.basename(args.program))
    if args.output:
        _write_text(args.output, text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_embed(args: argparse.Namespace) -> int:
    from slimtorch import embed

    if args.none == bool(args.program):
        raise CliError("give exactly one of PROGRAM.pte or --none")
    program = None if args.none else pte.read_pte_file(args.program)
    if args.none and args.input:
        raise CliError("--input needs a program; drop --none or the --input files")
    name = os.path.basename(args.program) if args.program else ""
    names = [memory_planning.parse_memory(m).name for m in args.memory or []]
    bundle = None
    if args.bundle:
        try:
            with open(args.bundle, "rb") as f:
                bundle = f.read()
        except OSError as e:
            raise CliError(f"--bundle: cannot read {args.bundle}: {e.strerror}") from None
    _write_text(args.output, embed.embed_source(program, args.input or [], name, names,
                                                args.model_name, bundle))
    return 0


def cmd_fit_check(args: argparse.Namespace) -> int:
    from slimtorch import board_fit

    names = [memory_planning.parse_memory(m).name for m in args.memory or []]
    program = pte.read_pte_file(args.program)
    board = board_fit.read_board(args.linker_script)
    model = args.model or os.path.basename(args.program)
    use = board_fit.fit(program, board, model, names, args.bookkeeping_bytes)
    if args.output:
        _write_text(args.output, board_fit.fit_report(use, board, model))
    return 0


def cmd_sizes_header(args: argparse.Namespace) -> int:
    from slimtorch import board_fit, embed

    names = [memory_planning.parse_memory(m).name for m in args.memory or []]
    program = pte.read_pte_file(args.program)
    if args.linker_script:  # the bookkeeping arena is known now: the whole model must fit
        board_fit.fit(program, board_fit.read_board(args.linker_script),
                      args.model or os.path.basename(args.program), names,
                      args.bookkeeping_bytes)
    _write_text(args.output, embed.sizes_header(program, args.bookkeeping_bytes, names,
                                                os.path.basename(args.program), args.model_name))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from slimtorch import run

    run.run(run.Request(platform=args.platform, program=Path(args.program).absolute(),
                        inputs=[Path(p).absolute() for p in args.input or []],
                        count_instructions=args.count_instructions, threads=args.threads))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from slimtorch import compare

    try:
        with open(args.runner_output) as f:
            text = f.read()
    except OSError as e:
        raise CliError(f"cannot read runner output {args.runner_output}: {e.strerror}") from e
    named = [d.partition("=") for d in args.expected_dir]
    if all(sep and name.isidentifier() for name, sep, _ in named):
        dirs = {name: d for name, _, d in named}
        if len(dirs) != len(named):
            raise CliError("a model is named twice in --expected-dir NAME=DIR; name each once")
        ok, report = compare.compare_models(text, dirs, rtol=args.rtol, atol=args.atol)
    elif len(args.expected_dir) == 1:
        ok, report = compare.compare(text, compare.load_expected(args.expected_dir[0]),
                                     rtol=args.rtol, atol=args.atol,
                                     tolerances=compare.load_tolerances(args.expected_dir[0]))
    else:
        raise CliError("several --expected-dir given: write each as NAME=DIR, NAME the model "
                       "whose `model NAME` line its outputs follow")
    print("\n".join(report))
    print("all outputs match" if ok else "FAILED: outputs do not match")
    return 0 if ok else 1


def cmd_decode_errors(args: argparse.Namespace) -> int:
    from slimtorch import messages

    if args.log == "-":
        text = sys.stdin.read()
    else:
        try:
            with open(args.log) as f:
                text = f.read()
        except OSError as e:
            raise CliError(f"cannot read {args.log}: {e.strerror}") from e
    decoded = messages.decode_text(text, args.elf)
    if args.output:
        _write_text(args.output, decoded)
    else:
        sys.stdout.write(decoded)
    return 0


def _add_export_options(p: argparse.ArgumentParser) -> None:
    """The options of how a model file is exported (`slimtorch export`, `slimtorch bundle`)."""
    p.add_argument("--manifest", metavar="OUT.ops.yaml",
                   help="also write the operator manifest (selected_operators.yaml format)")
    p.add_argument("--memory", action="append", metavar="NAME:SIZE",
                   help="a memory to plan into, fastest first (repeat): e.g. --memory dtcm:64K "
                   "--memory sram:2M; memory i becomes memory id i+1. Default: one unbounded "
                   "memory. Tensors go to the fastest memory first, most accesses per "
                   "byte-instruction first; the rest spill down")
    p.add_argument("--checksum", action="store_true",
                   help="add a CRC-32 of the constant and buffer data, which slimtorch's runtime "
                   "verifies at load (corrupt weights become an error); upstream ExecuTorch "
                   "still runs the program")
    p.add_argument("--no-fold-constants", action="store_true",
                   help="keep ops whose inputs are all constants (a Linear's weight "
                   "transpose, attention masks, position ids, weight norm) as instructions, "
                   "as upstream ExecuTorch emits them; by default they are evaluated at "
                   "export, saving the instruction and its planned memory (results much "
                   "larger than their inputs stay instructions)")
    p.add_argument("--runtime", choices=["any", "slimtorch"], default="any",
                   help="which runtime the program is for: 'any' (default) uses only ops "
                   "upstream ExecuTorch's portable library has, so both runtimes run it; "
                   "'slimtorch' also keeps whole the ops only slimtorch has kernels for "
                   "(hardswish: one kernel instead of clamp arithmetic), and upstream's "
                   "runtime refuses such a program")
    p.add_argument("--quantize", choices=["none", "int8"], default="none",
                   help="'int8': quantize with PT2E (torchao) and slimtorch's quantizer (int8 "
                   "activations per tensor, conv weights per channel, linear weights per "
                   "tensor, int32 bias), calibrated on the model file's calibration_inputs() "
                   "or else example_inputs() and test_inputs(), and lower to upstream "
                   "ExecuTorch's cortex_m:: operators (kernels/cortex_m/); the program takes "
                   "and returns float32, 4-D inputs channels-last. --io-dir then writes the "
                   "quantized reference's outputs and toleranceN.txt (one quantization step). "
                   "Default 'none' (float)")
    p.add_argument("--passes", action="append", metavar="FILE.py",
                   help="a passes file (repeat): it defines passes() -> list of functions over "
                   "the exported core-ATen torch.fx.GraphModule, run in order after "
                   "decomposition and before the out-variant conversion, and optionally "
                   "memory_planner() -> a function (tensors, memories) -> placements that "
                   "replaces slimtorch's planner (its plan is verified). See README, "
                   "'Python API: passes and memory planners'")
    p.add_argument("--backend", action="append", metavar="NAME",
                   help="delegate what this backend takes to it (repeat; the first backend "
                   "that takes a node gets it): each maximal group of its nodes becomes one "
                   "DelegateCall whose blob the backend's runtime runs. Known: xnnpack "
                   "(upstream's XnnpackBackend, host only). Default: none, every op runs on "
                   "kernels")
    p.add_argument("--delegate-inline", action="store_true",
                   help="store delegate blobs inside the program flatbuffer "
                   "(backend_delegate_data) instead of in segments of their own (default, "
                   "as upstream ExecuTorch does)")
    p.add_argument("--kernel-catalog", action="append", metavar="YAML",
                   help="a kernel catalog (functions.yaml / custom_ops.yaml) the program will "
                   "be built with (repeat); export then says, per operator and dtype, what "
                   "has no kernel. Default: the project's catalogs (portable, cortex_m, prim "
                   "ops), as a warning")
    p.add_argument("--strict", action="store_true",
                   help="with --kernel-catalog: a missing kernel is an error, not a warning "
                   "(executorch_model() exports this way)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="slimtorch",
        description="Export PyTorch models to ExecuTorch .pte programs and work with them.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    e = sub.add_parser(
        "export", help="export a model file to a .pte program",
        description="Export MODEL.py (defining model() and example_inputs(), optionally "
        "dynamic_shapes()) through torch.export and core ATen to an ExecuTorch .pte.")
    e.add_argument("model", metavar="MODEL.py", help="the model file")
    e.add_argument("-o", "--output", required=True, metavar="OUT.pte", help="program to write")
    _add_export_options(e)
    e.add_argument("--io-dir", metavar="DIR",
                   help="also write inputN.npy (example inputs) and expectedN.npy (eager "
                   "PyTorch outputs) into DIR")
    e.set_defaults(func=cmd_export)

    b = sub.add_parser(
        "bundle", help="write a bundled program (.bpte): a program with test cases",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Write upstream ExecuTorch's BundledProgram (BP08, .bpte): a program plus "
        "test inputs and\nthe outputs PyTorch eager computes for them, which a runtime runs and "
        "checks\n(pte_runner model.bpte; upstream's bundled-program tools).\n\n"
        "  slimtorch bundle MODEL.py -o model.bpte [export options]\n"
        "      exports MODEL.py as `slimtorch export` does with the same options (the same\n"
        "      program bytes); one test case from example_inputs(), expected outputs from\n"
        "      PyTorch eager (--quantize int8: from the quantized reference).\n"
        "  slimtorch bundle --program P.pte --model MODEL.py -o out.bpte\n"
        "      bundles an existing program; expected outputs from the model's eager run\n"
        "      (an int8 program: add --quantize int8 and the export options it was made with;\n"
        "      the expected outputs are then that export's quantized reference's).\n"
        "  slimtorch bundle --program P.pte --input X.npy ... --expected Y.npy ... -o out.bpte\n"
        "      one case from .npy files (no torch needed); more cases with --case DIR\n"
        "      (repeat), each a directory of input<i>.npy and expected<i>.npy as\n"
        "      `slimtorch io` and `slimtorch export --io-dir` write them.\n\n"
        "--random-cases N adds N cases of seeded random inputs in the example inputs' shapes\n"
        "and dtypes: floating point N(0, 1), integers uniform over the example input's own\n"
        "[min, max], bool a fair coin; case k draws with numpy default_rng([seed, k]).\n"
        "A model with state (buffers it mutates) is called once per case, in case order.\n"
        "Arrays are in logical (NCHW) order; a channels-last program input gets its data\n"
        "laid out channels-last in the bundle. Every case is checked against the method:\n"
        "inputs and outputs of the wrong number, type, dtype or shape are errors naming the\n"
        "input. The file is written atomically (nothing half-written on failure).",
        epilog="examples:\n"
        "  slimtorch bundle models/mlp.py -o mlp.bpte --random-cases 3\n"
        "  slimtorch bundle --program mlp.pte --model models/mlp.py -o mlp.bpte\n"
        "  slimtorch export models/mlp.py -o mlp.pte --io-dir io\n"
        "  slimtorch bundle --program mlp.pte --input io/input0.npy --expected io/expected0.npy "
        "-o mlp.bpte\n"
        "  slimtorch inspect mlp.bpte")
    b.add_argument("model", metavar="MODEL.py", nargs="?",
                   help="the model file to export and bundle (omit with --program)")
    b.add_argument("-o", "--output", required=True, metavar="OUT.bpte", help="bundle to write")
    b.add_argument("--program", metavar="P.pte", help="bundle this existing program instead of "
                   "exporting MODEL.py (kept byte for byte)")
    b.add_argument("--model", dest="model_option", metavar="MODEL.py",
                   help="with --program: the model file whose eager outputs are expected")
    b.add_argument("--input", action="append", metavar="X.npy",
                   help="with --program: one .npy per method input, in order (repeat)")
    b.add_argument("--expected", action="append", metavar="Y.npy",
                   help="with --program: one .npy per method output, in order (repeat)")
    b.add_argument("--case", action="append", metavar="DIR",
                   help="with --program: one more test case, a directory of input<i>.npy and "
                   "expected<i>.npy (repeat)")
    b.add_argument("--method", default="forward", metavar="NAME",
                   help="the method the test cases are for (default forward)")
    b.add_argument("--random-cases", type=int, default=0, metavar="N",
                   help="also N test cases of seeded random inputs (needs a model file; "
                   "default 0)")
    b.add_argument("--seed", type=int, default=0, help="seed of the random cases (default 0)")
    _add_export_options(b)
    b.set_defaults(func=cmd_bundle)

    c = sub.add_parser("io", help="write the inputs and PyTorch's outputs of test cases",
                       description="Writes input<i>.npy and expected<i>.npy of a model file's "
                       "test cases: 0 is example_inputs(), k the k-th tuple of test_inputs().")
    c.add_argument("model", help="model file (.py)")
    c.add_argument("--cases", type=int, default=1,
                   help="number of cases, one -o directory each (default 1)")
    c.add_argument("--iterations", type=int, default=1,
                   help="call the model this many times; expect the last call's outputs")
    c.add_argument("-o", "--output-dir", required=True, nargs="+",
                   help="directory per case, in case order")
    c.set_defaults(func=cmd_io)

    i = sub.add_parser("inspect", help="print a readable summary of a .pte or .bpte",
                       description="Methods, inputs/outputs, operators, instructions, planned "
                       "memory, constants and segments of any ExecuTorch program; of a bundled "
                       "program (.bpte) first its test cases (inputs and expected outputs). Given "
                       "an ETDump (ED00) file instead, its runs and events.")
    i.add_argument("program", metavar="PROGRAM.pte|BUNDLE.bpte",
                   help="a program, a bundled program, or an ETDump file")
    i.add_argument("--brief", action="store_true", help="omit the value table")
    i.add_argument("--memory", action="store_true",
                   help="also draw the memory plan (lifetime vs offset per memory) as an SVG")
    i.add_argument("--svg", metavar="OUT.svg",
                   help="where --memory writes the SVG (default PROGRAM.memory.svg)")
    i.set_defaults(func=cmd_inspect)

    pr = sub.add_parser(
        "profile", help="per-operator times of a program from an ETDump the runtime wrote",
        description="Map each event of ETDUMP (upstream's ED00 format, as `pte_runner "
        "--etdump` or upstream's runtime write it) to the instruction of PROGRAM.pte it "
        "timed, and print per operator (or delegate backend, or primitive): instructions, "
        "calls, total time, share of the total and median per call; plus load and init times "
        "and the number of runs. An ETDump written for another program is an error.")
    pr.add_argument("program", metavar="PROGRAM.pte", help="the program that was profiled")
    pr.add_argument("etdump", metavar="ETDUMP", help="the ETDump file (.etdp)")
    pr.add_argument("--svg", metavar="OUT.svg", help="also draw the table as a bar chart")
    pr.add_argument("--method", metavar="NAME",
                    help="the method that ran (default: the only one, else forward); an "
                    "ETDump does not record it")
    pr.add_argument("--tick-ns", type=float, default=1.0, metavar="NS",
                    help="nanoseconds per ETDump tick (default 1: slimtorch's runtime and "
                    "upstream's host runtime write nanoseconds)")
    pr.set_defaults(func=cmd_profile)

    o = sub.add_parser("ops", help="write the operator manifest of a .pte program",
                       description="The operators and kernel keys (dtype; dim order) a "
                       "program uses, in upstream's selected_operators.yaml format.")
    o.add_argument("program", metavar="PROGRAM.pte")
    o.add_argument("-o", "--output", metavar="OUT.ops.yaml", help="file to write (default stdout)")
    o.set_defaults(func=cmd_ops)

    m = sub.add_parser("embed", help="write C++ source embedding a program for app/",
                       description="Write a C++ source defining the symbols of "
                       "app/embedded_model.h: program bytes, inputs and planned buffers.")
    m.add_argument("program", metavar="PROGRAM.pte", nargs="?")
    m.add_argument("--none", action="store_true",
                   help="embed no program (kProgramSize 0), for the generic runner")
    m.add_argument("--memory", action="append", metavar="NAME[:SIZE]",
                   help="the memories the program was planned for, in export order: memory "
                   "id i+1's buffer goes to linker section .NAME.slimtorch (board region NAME)")
    m.add_argument("--input", action="append", metavar="X.npy",
                   help="an input in method input order (repeat for each input)")
    m.add_argument("--model-name", metavar="NAME",
                   help="define one slimtorch_app::EmbeddedModel slimtorch_app::models::NAME "
                   "instead of the one-model symbols, so several models link into one image "
                   "(model_library() in tools/model_library.bzl)")
    m.add_argument("--bundle", metavar="MODEL.bpte",
                   help="embed this bundled program (`slimtorch bundle` of PROGRAM.pte) instead "
                   "of PROGRAM.pte, with PROGRAM.pte's planned buffers and no inputs: the data of "
                   "a self-test image (app/selftest_main.cc) that runs its test cases")
    m.add_argument("-o", "--output", required=True, metavar="OUT.cc")
    m.set_defaults(func=cmd_embed)

    h = sub.add_parser("sizes-header", help="write the C++ header of a program's memory sizes",
                       description="Every byte count an application reserves for the program: "
                       "planned buffers per memory id and the runtime's bookkeeping arena "
                       "(as measured on the target by tools/memory/bookkeeping_probe.cc).")
    h.add_argument("program", metavar="PROGRAM.pte")
    h.add_argument("--bookkeeping-bytes", type=int, required=True, metavar="N",
                   help="Method::bookkeeping_bytes_needed on the target platform")
    h.add_argument("--memory", action="append", metavar="NAME[:SIZE]",
                   help="the memories the program was planned for, in export order")
    h.add_argument("--linker-script", metavar="BOARD.ld",
                   help="also check that the program, its planned buffers and the bookkeeping "
                   "arena fit the board's regions (as slimtorch fit-check)")
    h.add_argument("--model", metavar="NAME", help="the model's name in errors")
    h.add_argument("--model-name", metavar="NAME",
                   help="one model of several in an image: the figures go in namespace "
                   "slimtorch_model::NAME")
    h.add_argument("-o", "--output", required=True, metavar="OUT.h")
    h.set_defaults(func=cmd_sizes_header)

    f = sub.add_parser("fit-check", help="check that a program fits a board's memory regions",
                       description="Compares the program bytes, each planned buffer (in the "
                       "region its memory goes to) and optionally the bookkeeping arena with "
                       "the regions of the board's linker script (MEMORY block and output "
                       "sections); fails naming every region that overflows, bytes needed and "
                       "available, and the fixes.")
    f.add_argument("program", metavar="PROGRAM.pte")
    f.add_argument("--linker-script", required=True, metavar="BOARD.ld",
                   help="the board's linker script (platforms/arm_m/mps3_an547.ld)")
    f.add_argument("--memory", action="append", metavar="NAME[:SIZE]",
                   help="the memories the program was planned for, in export order")
    f.add_argument("--bookkeeping-bytes", type=int, metavar="N",
                   help="also count the runtime's bookkeeping arena (static data)")
    f.add_argument("--model", metavar="NAME", help="the model's name in errors")
    f.add_argument("-o", "--output", metavar="OUT.h",
                   help="on success, write what goes where as a C++ comment header")
    f.set_defaults(func=cmd_fit_check)

    r = sub.add_parser(
        "run", help="run a .pte on the host or on an emulated platform (QEMU)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run method 0 of any ExecuTorch program (slimtorch's or upstream's, float "
        "or int8)\non its inputs and print one line per output, as the runners do:\n"
        "  output <i> shape <d0>x<d1>... : <v0> <v1> ...\n\n"
        "--platform host      builds //app:pte_runner (every kernel and the XNNPACK delegate\n"
        "                     backend) with Bazel, runs it.\n"
        "--platform P         (any other platform) builds an image for P that embeds the\n"
        "                     program, the inputs and only the kernels the program's manifest\n"
        "                     names (a generated Bazel package build/run/<hash of program and\n"
        "                     inputs>/, so the same program and inputs again rebuild nothing),\n"
        "                     and runs it on P's emulator:\n"
        + "".join(f"                       {p.name:14} {p.board}\n"
                  for p in platforms.all_platforms().values() if p.kind != "host") +
        "Progress goes to stderr, the outputs to stdout. A program too big for the board, a\n"
        "missing or malformed file, inputs of the wrong number, dtype or shape, and operators\n"
        "with no kernel each fail with one `slimtorch run: error:` line and exit status 1.",
        epilog="examples:\n"
        "  slimtorch export models/mlp.py -o mlp.pte --io-dir io\n"
        "  slimtorch run --platform host mlp.pte --input io/input0.npy\n"
        "  slimtorch run --platform arm_m55 mlp.pte --input io/input0.npy --count-instructions")
    r.add_argument("program", metavar="PROGRAM.pte", help="the program to run")
    r.add_argument("--platform", required=True, choices=platforms.names(),
                   help="where to run: this machine, or an emulated platform (platforms/defs.bzl)")
    r.add_argument("--input", action="append", metavar="X.npy",
                   help="one .npy per method input, in order (repeat); logical (NCHW) order, "
                   "the dtype and shape the program declares (slimtorch inspect lists them)")
    r.add_argument("--count-instructions", action="store_true",
                   help="bare-metal platforms: also print `instructions <N>`, the guest "
                   "instructions of one "
                   "Method::execute() (QEMU -icount: exact, the same every run); the outputs "
                   "printed are that execution's")
    r.add_argument("--threads", type=int, metavar="N",
                   help="host: threads of the XNNPACK delegate backend (pte_runner --threads; "
                   "default 1), for programs that delegate to XnnpackBackend")
    r.set_defaults(func=cmd_run)

    c = sub.add_parser("compare", help="compare a runner's printed outputs with expectations",
                       description="Parse `output <i> shape ... : values` lines and compare "
                       "each with expected<i>.npy; exit 1 on mismatch, missing output or an "
                       "`error:` line. An output with a tolerance<i>.txt (int8 exports: one "
                       "quantization step) is compared with atol = max(--atol, that value).")
    c.add_argument("runner_output", metavar="RUNNER_OUTPUT.txt")
    c.add_argument("--expected-dir", required=True, action="append", metavar="[NAME=]DIR",
                   help="expected<i>.npy directory; for an image with several models, "
                   "NAME=DIR once per model (its outputs follow a `model NAME` line)")
    c.add_argument("--rtol", type=float, default=1e-5)
    c.add_argument("--atol", type=float, default=1e-5)
    c.set_defaults(func=cmd_compare)

    d = sub.add_parser("decode-errors", help="restore the text of token-mode error messages",
                       description="Rewrite each `[msg <token> <args>]` that an image built with "
                       "--//runtime/core:error_messages=token (the Cortex-M55 default) printed "
                       "into its message text, read from that same image's .slimtorch_messages "
                       "section. Other text passes through unchanged.")
    d.add_argument("log", nargs="?", default="-", metavar="OUTPUT.txt",
                   help="the image's printed output (default: standard input)")
    d.add_argument("--elf", required=True, metavar="IMAGE",
                   help="the ELF image that printed it (unstripped; the same build)")
    d.add_argument("-o", "--output", metavar="OUT.txt",
                   help="write here instead of standard output")
    d.set_defaults(func=cmd_decode_errors)
    return p


def _known_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [CliError, pte.PteError, memory_planning.MemoryPlanError]
    for module, name in (("slimtorch.model_file", "ModelFileError"),
                         ("slimtorch.api", "ExportError"),
                         ("slimtorch.pass_manager", "PassError"),
                         ("slimtorch.emitter", "EmitError"), ("slimtorch.embed", "EmbedError"),
                         ("slimtorch.backends", "BackendError"),
                         ("slimtorch.backends.partitioner", "PartitionError"),
                         ("slimtorch.board_fit", "FitError"),
                         ("slimtorch.quantize.lowering", "LoweringError"),
                         ("slimtorch.compare", "CompareError"),
                         ("slimtorch.messages", "DecodeError"),
                         ("slimtorch.run", "RunError"),
                         ("slimtorch.bundle.values", "BundleError"),
                         ("slimtorch.npy", "NpyError"),
                         ("slimtorch.profiling.etdump", "ETDumpError"),
                         ("slimtorch.profiling.report", "ProfileError")):
        mod = sys.modules.get(module)
        if mod is not None:
            errors.append(getattr(mod, name))
    return tuple(errors)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except _known_errors() as e:  # type: ignore[misc]
        print(f"slimtorch {args.command}: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"slimtorch {args.command}: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
