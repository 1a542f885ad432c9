"""model_test(): one reference model, end to end on the host and on the Cortex-M55.

    model_test(name = "resnet8")   # src //models:resnet8.py

makes executorch_model(name) (program, manifest, pruned kernels, embedded data), the image
`<name>_runtime` (host: runs the embedded program; arm_m55: semihosting firmware), and the
tests `<name>_host_test` and `<name>_qemu_test`, which compare the outputs with PyTorch
eager (the export's expected<i>.npy) within `rtol`.
"""

load("@rules_cc//cc:defs.bzl", "cc_binary")
load("//tools:executorch_model.bzl", "executorch_model")
load("//tools:qemu_test.bzl", "host_run_test", "qemu_test")

def model_test(name, rtol = "1e-4", atol = "1e-5", qemu_timeout_seconds = 120, size = "small"):
    executorch_model(
        name = name,
        src = "//models:{}.py".format(name),
    )
    cc_binary(
        name = name + "_runtime",
        srcs = [
            "//app:run_model.cc",
            "//app:run_model.h",
        ] + select({
            "//platforms:is_arm_m55": ["//app:firmware_main.cc"],
            "//conditions:default": ["//app:runner_main.cc"],
        }),
        deps = [
            ":{}_embedded".format(name),
            ":{}_kernels".format(name),
            "//app:embedded_model",
            "//runtime",
        ] + select({
            "//platforms:is_arm_m55": [
                ":{}_sizes".format(name),  # model_sizes.h: the arena size firmware_main.cc uses
                "//platforms/arm_m55:semihosting",
                "//platforms/arm_m55:startup",
            ],
            "//conditions:default": [],
        }),
    )
    host_run_test(
        name = name + "_host_test",
        binary = ":{}_runtime".format(name),
        expected_dir = ":{}_io".format(name),
        rtol = rtol,
        atol = atol,
        size = size,
    )
    qemu_test(
        name = name + "_qemu_test",
        expected_dir = ":{}_io".format(name),
        firmware = ":{}_runtime".format(name),
        rtol = rtol,
        atol = atol,
        timeout_seconds = qemu_timeout_seconds,
        size = size,
    )
