"""transformers GPT-2, a tiny configuration (2 layers, 32 wide, 2 heads): learned positions,
causal self-attention (eager), the LM head tied to the token embedding, no KV cache. Random
weights (seeded); returns the logits of 16 tokens."""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zoo_common import Output, tokens  # noqa: E402  (first: torchvision shim)

# isort: split

from transformers import GPT2Config, GPT2LMHeadModel  # noqa: E402

VOCAB, LENGTH = 100, 16


def model() -> torch.nn.Module:
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=VOCAB, n_positions=32, n_embd=32, n_layer=2, n_head=2,
                        bos_token_id=0, eos_token_id=0, attn_implementation="eager")
    return Output(GPT2LMHeadModel(config).eval(), ("input_ids",), "logits", use_cache=False)


def example_inputs() -> tuple[torch.Tensor, ...]:
    return (tokens(VOCAB, LENGTH),)


def test_inputs() -> list[tuple[torch.Tensor, ...]]:
    return [(tokens(VOCAB, LENGTH, seed=3),)]
