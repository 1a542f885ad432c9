"""transformers BERT, a tiny configuration (2 layers, hidden 32, 2 heads): token, position and
token-type embeddings, a padding attention mask (the last 4 of 12 positions are padding),
eager attention, GELU. Random weights (seeded); returns last_hidden_state."""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zoo_common import Output, padding_mask, tokens  # noqa: E402  (first: torchvision shim)

# isort: split

from transformers import BertConfig, BertModel  # noqa: E402

VOCAB, LENGTH = 100, 12


def model() -> torch.nn.Module:
    torch.manual_seed(0)
    config = BertConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=64,
                        attn_implementation="eager")
    return Output(BertModel(config).eval(), ("input_ids", "attention_mask"), "last_hidden_state")


def example_inputs() -> tuple[torch.Tensor, ...]:
    return (tokens(VOCAB, LENGTH), padding_mask(LENGTH, 8))


def test_inputs() -> list[tuple[torch.Tensor, ...]]:
    """Other tokens, and a mask with more padding: the mask is an input, not a constant."""
    return [(tokens(VOCAB, LENGTH, seed=3), padding_mask(LENGTH, 3))]
