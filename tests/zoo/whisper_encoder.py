"""transformers Whisper encoder, a tiny configuration on a 16-bin, 32-frame log-mel input: two
convolutions (the second strided), GELU, sinusoidal positions, 2 pre-norm attention layers.
Random weights (seeded); returns last_hidden_state."""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zoo_common import Output  # noqa: E402  (first: torchvision shim)

# isort: split

from transformers import WhisperConfig  # noqa: E402
from transformers.models.whisper.modeling_whisper import WhisperEncoder  # noqa: E402

MELS, FRAMES = 16, 32


def model() -> torch.nn.Module:
    torch.manual_seed(0)
    config = WhisperConfig(d_model=32, encoder_layers=2, encoder_attention_heads=2,
                           encoder_ffn_dim=64, decoder_layers=1, decoder_attention_heads=2,
                           decoder_ffn_dim=64, num_mel_bins=MELS, max_source_positions=FRAMES // 2,
                           attn_implementation="eager")
    return Output(WhisperEncoder(config).eval(), ("input_features",), "last_hidden_state")


def example_inputs() -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(1)
    return (torch.randn(1, MELS, FRAMES, generator=g),)
