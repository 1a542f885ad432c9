"""backend_link_m55_test: Cortex-M55 firmware links no delegate backend code
(backend_link_test.sh with arm-none-eabi-nm). The images are built for
//platforms:arm_m55 through a transition, so `bazel test //...` on the host checks them."""

load("//tools:transitions.bzl", "ALLOWLIST_ATTRS", "arm_m55_transition")

def _impl(ctx):
    images = [t[DefaultInfo].files_to_run.executable for t in ctx.attr.without_backend]
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(
        script,
        "#!/bin/bash\nexec {} /usr/bin/arm-none-eabi-nm --without {}\n".format(
            ctx.executable._check.short_path,
            " ".join([i.short_path for i in images]),
        ),
        is_executable = True,
    )
    runfiles = ctx.runfiles(files = images + [ctx.executable._check])
    return [DefaultInfo(executable = script, runfiles = runfiles)]

backend_link_m55_test = rule(
    implementation = _impl,
    test = True,
    attrs = dict(
        without_backend = attr.label_list(mandatory = True, cfg = arm_m55_transition),
        _check = attr.label(
            default = Label("//tests/backends:backend_link_test.sh"),
            allow_single_file = True,
            executable = True,
            cfg = "exec",
        ),
        **ALLOWLIST_ATTRS
    ),
)
