"""torch.cond: a data-dependent predicate, two outputs per branch, a nested cond in the
true branch, branches that use the parent module's weights.

  sum(x) > 0:  (relu(fc(x)), x + 1), where the relu branch's first output is itself
               a cond on max(x) > 1 (scaled by 2 or not)
  otherwise:   (fc(x) - 1, x * 2)
"""

import torch
from torch import nn


class CondBranches(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        def true_branch(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            h = torch.relu(self.fc(x))
            inner = torch.cond(x.sum(dim=-1).sum() > 1.0, lambda h: (h * 2.0,),
                               lambda h: (h.clone(),), (h,))
            return inner[0], x + 1.0

        def false_branch(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            return self.fc(x) - 1.0, x * 2.0

        return torch.cond(x.sum() > 0, true_branch, false_branch, (x,))


def model() -> nn.Module:
    torch.manual_seed(0)
    return CondBranches().eval()


def example_inputs() -> tuple[torch.Tensor, ...]:
    return (torch.tensor([[0.5, 1.0, -0.25, 0.75]]),)  # true branch, inner true (sum 2)


def test_inputs() -> list[tuple[torch.Tensor, ...]]:
    return [
        (torch.tensor([[-0.5, -1.0, 0.25, -0.75]]),),  # false branch
        (torch.tensor([[0.25, 0.25, 0.125, 0.125]]),),  # true branch, inner false (sum 0.75)
    ]
