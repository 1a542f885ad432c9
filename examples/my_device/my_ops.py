"""This project's custom operator, defined with torch.library: my_ops::soft_threshold.

    soft_threshold(x, lambd) = sign(x) * max(|x| - lambd, 0)

(shrinks small activations to exactly zero: the bottleneck of anomaly.py). A model file that
uses it imports this module (`import my_ops`; a model file's directory is importable while it
loads, and in Bazel this file is the executorch_model's `data`). Defined here:

- the functional schema and the out variant `my_ops::soft_threshold.out`: the program calls the
  out variant as one instruction, named as upstream ExecuTorch names custom ops;
- a Python reference for each (what PyTorch eager runs, so the io dir's expected outputs);
- a fake kernel, so torch.export can trace shapes without running it.

The device kernel is my_ops_kernels.cc, listed in custom_ops.yaml.
"""

import torch

if not hasattr(torch.ops.my_ops, "soft_threshold"):  # importing twice defines nothing twice
    torch.library.define("my_ops::soft_threshold", "(Tensor x, float lambd) -> Tensor")
    torch.library.define(
        "my_ops::soft_threshold.out",
        "(Tensor x, float lambd, *, Tensor(a!) out) -> Tensor(a!)",
    )

    def _reference(x: torch.Tensor, lambd: float) -> torch.Tensor:
        return torch.sign(x) * torch.clamp(x.abs() - lambd, min=0.0)

    # CompositeExplicitAutograd: torch.export keeps the op whole instead of tracing into it.
    @torch.library.impl("my_ops::soft_threshold", "CompositeExplicitAutograd")
    def _soft_threshold(x: torch.Tensor, lambd: float) -> torch.Tensor:
        return _reference(x, lambd)

    @torch.library.register_fake("my_ops::soft_threshold")
    def _soft_threshold_fake(x: torch.Tensor, lambd: float) -> torch.Tensor:
        return torch.empty_like(x)

    @torch.library.impl("my_ops::soft_threshold.out", "CompositeExplicitAutograd")
    def _soft_threshold_out(x: torch.Tensor, lambd: float, *, out: torch.Tensor) -> torch.Tensor:
        out.copy_(_reference(x, lambd))
        return out
