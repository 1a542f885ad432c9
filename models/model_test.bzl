"""model_test(): one reference model, end to end on the host, the Cortex-M55 and other platforms.

    model_test(name = "resnet8")   # src //models:resnet8.py

makes executorch_model(name) (program, manifest, pruned kernels, embedded data), the image
`<name>_runtime` (host: runs the embedded program; arm_m55: semihosting firmware), and the
tests `<name>_host_test` and `<name>_qemu_test` (the Cortex-M55), which compare the outputs
with PyTorch eager (the export's expected<i>.npy) within `rtol`, and `<name>_<platform>_test`
for each of `platforms` (default: every other emulated platform of platforms/defs.bzl; a model
whose program does not fit a board's memory leaves that board out, saying so where it is
declared). `<name>_count` (manual: built only by
tools/bench/models.py, `bazel build --config=arm_m55 //models:<name>_count`) is the same
firmware timing one more execution and printing `execute_ns <n>`; under QEMU
`-icount shift=N` that is the instruction count of one inference times 2^N. `<name>_profile`
(manual too) is the image with the event tracer (ETDump) compiled in.
"""

load("//platforms:defs.bzl", "EMULATED_PLATFORMS")
load("//tools:executorch_model.bzl", "executorch_model", "model_image")
load("//tools:qemu_test.bzl", "host_run_test", "qemu_test")

# The platforms a model runs on besides the host and the Cortex-M55, by default.
OTHER_PLATFORMS = [p for p in EMULATED_PLATFORMS if p != "arm_m55"]

def model_test(name, src = None, quantize = "none", rtol = "1e-4", atol = "1e-5",
               qemu_timeout_seconds = 120, size = "small", bundle = False, tags = [],
               platforms = OTHER_PLATFORMS):
    """src: the model file's stem (default `name`); quantize: "none" or "int8".

    bundle = True also makes the self-test firmware `<name>_selftest` (executorch_model's
    bundle: every test case of `<name>.bpte`) and `<name>_selftest_qemu_test`, which runs it
    on QEMU and passes when every output matches (default tolerances, app/bundled_run.h).

    An int8 test (`model_test(name = "ds_cnn_int8", src = "ds_cnn", quantize = "int8")`)
    compares with the quantized reference within one quantization step of each output
    (tolerance<i>.txt of the io dir, which `slimtorch compare` reads)."""
    executorch_model(
        name = name,
        src = Label("//models:{}.py".format(src or name)),
        quantize = quantize,
        bundle = bundle,
        tags = tags,
    )
    if bundle:
        qemu_test(
            name = name + "_selftest_qemu_test",
            expected_regex = "^selftest: PASS ",
            firmware = ":{}_selftest".format(name),
            timeout_seconds = qemu_timeout_seconds,
            size = size,
            tags = tags,
        )
    model_image(
        name = name + "_runtime",
        model = name,
        tags = tags,
    )
    model_image(
        name = name + "_count",
        model = name,
        local_defines = ["SLIMTORCH_PRINT_EXECUTE_TIME"],
        tags = ["manual"] + tags,
    )
    # The event tracer compiled in (manual: tools/bench/models.py --breakdown runs it under
    # -icount, where each operator's time in the ETDump is its instruction count times 2^N).
    model_image(
        name = name + "_profile",
        model = name,
        profile = True,
        tags = ["manual"] + tags,
    )
    host_run_test(
        name = name + "_host_test",
        binary = ":{}_runtime".format(name),
        expected_dir = ":{}_io".format(name),
        rtol = rtol,
        atol = atol,
        size = size,
        tags = tags,
    )
    # The Cortex-M55's test keeps its first name, <name>_qemu_test.
    for p in ["arm_m55"] + platforms:
        qemu_test(
            name = name + ("_qemu_test" if p == "arm_m55" else "_{}_test".format(p)),
            expected_dir = ":{}_io".format(name),
            firmware = ":{}_runtime".format(name),
            platform = p,
            rtol = rtol,
            atol = atol,
            timeout_seconds = qemu_timeout_seconds,
            size = size,
            tags = tags,
        )
