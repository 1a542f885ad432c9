"""transformers wav2vec 2.0, a tiny configuration on 0.1 s of 16 kHz audio: a 3-layer strided
convolutional feature encoder (group norm, GELU), the weight-normed grouped positional
convolution, 2 post-norm transformer layers. Random weights (seeded); returns
last_hidden_state."""

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zoo_common import Output  # noqa: E402  (first: torchvision shim)

# isort: split

from transformers import Wav2Vec2Config, Wav2Vec2Model  # noqa: E402

SAMPLES = 1600


def model() -> torch.nn.Module:
    torch.manual_seed(0)
    config = Wav2Vec2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                            intermediate_size=64, conv_dim=(32, 32, 32), conv_stride=(5, 2, 2),
                            conv_kernel=(10, 3, 3), num_conv_pos_embeddings=16,
                            num_conv_pos_embedding_groups=4, attn_implementation="eager")
    return Output(Wav2Vec2Model(config).eval(), ("input_values",), "last_hidden_state")


def example_inputs() -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(1)
    return (torch.randn(1, SAMPLES, generator=g),)
