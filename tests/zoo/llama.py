"""transformers Llama, a tiny configuration (2 layers, hidden 32, 4 query heads sharing 2 KV
heads): rotary position embeddings, RMSNorm, SiLU-gated MLP, causal mask, no KV cache. Random
weights (seeded); returns the logits of 16 tokens."""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zoo_common import Output, tokens  # noqa: E402  (first: torchvision shim)

# isort: split

from transformers import LlamaConfig, LlamaForCausalLM  # noqa: E402

VOCAB, LENGTH = 100, 16


def model() -> torch.nn.Module:
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=VOCAB, hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=64, attn_implementation="eager")
    return Output(LlamaForCausalLM(config).eval(), ("input_ids",), "logits", use_cache=False)


def example_inputs() -> tuple[torch.Tensor, ...]:
    return (tokens(VOCAB, LENGTH),)
