"""transformers T5, a tiny encoder-decoder (2 + 2 layers, d_model 32, 4 heads): relative
position buckets (bidirectional in the encoder, causal in the decoder), RMS-style T5 layer norm,
cross-attention, a padding mask on the encoder input. Random weights (seeded); returns the
logits for 6 decoder tokens."""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zoo_common import Output, padding_mask, tokens  # noqa: E402  (first: torchvision shim)

# isort: split

from transformers import T5Config, T5ForConditionalGeneration  # noqa: E402

VOCAB, LENGTH, DECODED = 100, 10, 6


def model() -> torch.nn.Module:
    torch.manual_seed(0)
    config = T5Config(vocab_size=VOCAB, d_model=32, d_kv=8, d_ff=64, num_layers=2,
                      num_decoder_layers=2, num_heads=4, relative_attention_num_buckets=8,
                      relative_attention_max_distance=16, decoder_start_token_id=0,
                      attn_implementation="eager")
    return Output(T5ForConditionalGeneration(config).eval(),
                  ("input_ids", "attention_mask", "decoder_input_ids"), "logits", use_cache=False)


def example_inputs() -> tuple[torch.Tensor, ...]:
    return (tokens(VOCAB, LENGTH), padding_mask(LENGTH, 8), tokens(VOCAB, DECODED, seed=2))


def test_inputs() -> list[tuple[torch.Tensor, ...]]:
    """Other tokens, and a mask with more padding: the mask is an input, not a constant."""
    return [(tokens(VOCAB, LENGTH, seed=3), padding_mask(LENGTH, 4),
             tokens(VOCAB, DECODED, seed=4))]
