"""selective_link_test: the Cortex-M55 firmware of a model that calls a custom op links its
adapter (or its kernel, which link-time optimisation may inline into it), and the firmware of
a model that does not call it links neither (selective_link_test.sh with arm-none-eabi-nm).
Both images are built for //platforms:arm_m55 through a transition, so `bazel test //...` on
the host checks them."""

load("//tools:transitions.bzl", "ALLOWLIST_ATTRS", "arm_m55_transition")

def _impl(ctx):
    with_op = ctx.attr.with_op[0][DefaultInfo].files_to_run.executable
    without_op = ctx.attr.without_op[0][DefaultInfo].files_to_run.executable
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(
        script,
        "#!/bin/bash\nexec {} {} {} /usr/bin/arm-none-eabi-nm\n".format(
            ctx.executable._check.short_path,
            with_op.short_path,
            without_op.short_path,
        ),
        is_executable = True,
    )
    runfiles = ctx.runfiles(files = [with_op, without_op, ctx.executable._check])
    return [DefaultInfo(executable = script, runfiles = runfiles)]

selective_link_m55_test = rule(
    implementation = _impl,
    test = True,
    attrs = dict(
        with_op = attr.label(mandatory = True, cfg = arm_m55_transition),
        without_op = attr.label(mandatory = True, cfg = arm_m55_transition),
        _check = attr.label(
            default = Label("//tests/custom_op:selective_link_test.sh"),
            allow_single_file = True,
            executable = True,
            cfg = "exec",
        ),
        **ALLOWLIST_ATTRS
    ),
)
