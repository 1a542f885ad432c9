"""transformers DistilBERT, a tiny configuration (2 layers, dim 32, 2 heads): learned positions,
a padding attention mask (the last 3 of 10 positions are padding), eager attention. Random
weights (seeded); returns last_hidden_state."""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zoo_common import Output, padding_mask, tokens  # noqa: E402  (first: torchvision shim)

# isort: split

from transformers import DistilBertConfig, DistilBertModel  # noqa: E402

VOCAB, LENGTH = 100, 10


def model() -> torch.nn.Module:
    torch.manual_seed(0)
    config = DistilBertConfig(vocab_size=VOCAB, dim=32, n_layers=2, n_heads=2, hidden_dim=64,
                              max_position_embeddings=64, attn_implementation="eager")
    return Output(DistilBertModel(config).eval(), ("input_ids", "attention_mask"),
                  "last_hidden_state")


def example_inputs() -> tuple[torch.Tensor, ...]:
    return (tokens(VOCAB, LENGTH), padding_mask(LENGTH, 7))


def test_inputs() -> list[tuple[torch.Tensor, ...]]:
    """Other tokens, and a mask with more padding: the mask is an input, not a constant."""
    return [(tokens(VOCAB, LENGTH, seed=3), padding_mask(LENGTH, 3))]
